"""Atomic exporters for every plot: PNG, SVG, CSV and whole-window PNG (contract: ARCHITECTURE.md).

`ExportTarget`, `ExportError` and the CSV writer import no Qt, so headless CSV export stays light;
the image/SVG exporters and the dialog are loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from gui.export.atomic import EXPORT_SUFFIXES, ExportError, atomic_output, check_export_path
from gui.export.table import export_csv, write_csv
from gui.export.target import ExportTarget

_LAZY = {
    "export_png": "gui.export.image",
    "export_widget_png": "gui.export.image",
    "render_plot_image": "gui.export.image",
    "render_widget_image": "gui.export.image",
    "export_svg": "gui.export.svg",
    "svg_renders": "gui.export.svg",
    "export_to_path": "gui.export.dispatch",
    "ExportDialog": "gui.export.export_dialog",
    "install_export_menu": "gui.export.context_menu",
}

__all__ = ["EXPORT_SUFFIXES", "ExportError", "ExportTarget", "atomic_output", "check_export_path",
           "export_csv", "write_csv", *_LAZY]


def __getattr__(name: str) -> Any:
    """Import the Qt-based exporters only when first asked for."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gui.export' has no attribute {name!r}")
