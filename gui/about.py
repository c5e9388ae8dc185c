"""What the app is: its name, version and purpose (window title, Help ▸ About, QApplication)."""

from __future__ import annotations

from core import __version__

APP_NAME = "Actiscope"
APP_VERSION = __version__
ABOUT_HTML = (f"<h3>{APP_NAME} {APP_VERSION}</h3><p>A desktop lab for what decides whether a "
              "deep network can learn: the shape of its activation functions and their "
              "derivatives, how gradients flow back through the layers, and how many neurons "
              "die or saturate while it trains.</p>"
              "<p>Built with Python, NumPy, PySide6 (Qt) and pyqtgraph.</p>")
