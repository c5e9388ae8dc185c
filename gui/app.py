"""Application start-up: the QApplication, the main window with its tabs, and the event loop."""

from __future__ import annotations

import importlib.metadata
import sys

import pyqtgraph as pg
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from gui.main_window import MainWindow
from gui.resources import resource_path
from gui.settings import APPLICATION, ORGANIZATION

try:
    APP_VERSION = importlib.metadata.version("actiscope")
except importlib.metadata.PackageNotFoundError:  # source tree or frozen bundle
    APP_VERSION = "0.1.0"


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists): names, icon, Fusion style, antialiased plots."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(APP_VERSION)
    app.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    app.setStyle("Fusion")
    pg.setConfigOptions(antialias=True)
    return app


def create_main_window() -> MainWindow:
    """The main window with every tab; a new tab is one `window.add_tab(...)` line here."""
    from gui.explorer.explorer_view import ExplorerView
    window = MainWindow()
    window.add_tab(ExplorerView())
    return window


def run_app() -> int:
    """Show the main window and run the event loop; returns the exit code."""
    app = create_app()
    window = create_main_window()
    window.show()
    return app.exec()
