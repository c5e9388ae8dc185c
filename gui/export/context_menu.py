"""Right-click "Export…" on a plot, opening our export dialog (replaces pyqtgraph's own entry)."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from gui.export.target import ExportTarget


def install_export_menu(view: QWidget, targets: Callable[[], list[ExportTarget]]) -> QAction:
    """Give `view` a context-menu "Export…" action opening ExportDialog on targets().

    For a pyqtgraph GraphicsView the action replaces the scene's "Export..." entry, so it sits at
    the end of the ViewBox menu; any other widget gets it as its context-menu action.
    """
    action = QAction("Export\u2026", view)
    action.setStatusTip("Export this plot as PNG, SVG or CSV")

    def open_dialog() -> None:
        from gui.export.export_dialog import ExportDialog
        dialog = ExportDialog(targets(), parent=view.window())
        dialog.exec()
        dialog.deleteLater()    # closed: Qt deletes it (not the window, much later)

    action.triggered.connect(open_dialog)
    if isinstance(view, pg.GraphicsView):
        view.scene().contextMenu = [action]
    else:
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        view.addAction(action)
    return action
