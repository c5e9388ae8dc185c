"""Qt ownership helpers: every widget and menu gets a Qt owner, so Qt (not Python's garbage
collector) decides when it dies.

Why it matters: an object with no Qt parent lives as long as its Python wrapper. pyqtgraph's
objects sit in reference cycles, so such a wrapper is freed by the cyclic collector, at whatever
moment it happens to run. Deleting a Qt object there runs C++ destructors that call back into
Python overrides on wrappers the collector has half torn down: a segfault in an unrelated test.
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu
from PySide6.QtWidgets import QMenu, QWidget


def adopt_menus(plot: pg.PlotItem, owner: QWidget) -> None:
    """Give pyqtgraph's per-plot menus (created without a parent) an owner.

    PlotItem's "Plot Options" menu and the ViewBox menu are parentless QMenus, i.e. hidden
    top-level widgets; owned by `owner` they are deleted with it.
    """
    for menu in (plot.ctrlMenu, plot.getViewBox().menu):
        if menu is not None and menu.parent() is None:
            menu.setParent(owner, menu.windowFlags())


class LazyMenuViewBox(pg.ViewBox):
    """A ViewBox whose right-click menu is built when first asked for, owned by its view widget.

    pyqtgraph builds the ViewBox menu (~40 widgets: range, link and mouse-mode controls) with
    every plot, at start-up, for a menu most sessions never open.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(enableMenu=False, **kwargs)
        self.setMenuEnabled(True)     # enabled; getMenu builds it

    def _applyMenuEnabled(self) -> None:  # noqa: N802  (pyqtgraph hook)
        """Build nothing here (pyqtgraph would build the menu at once, or orphan it when
        disabled); menuEnabled() alone decides whether it is shown."""

    def getMenu(self, ev) -> QMenu | None:  # noqa: N802  (pyqtgraph override)
        """The menu, built and given to the view widget on first use."""
        if self.menu is None and self.menuEnabled():
            menu = ViewBoxMenu(self)
            owner = self.getViewWidget()
            if owner is not None:
                menu.setParent(owner, menu.windowFlags())
            self.menu = menu
            self.updateViewLists()
        return self.menu

    def getContextMenus(self, event) -> list:  # noqa: N802  (pyqtgraph override)
        """The menu's actions for a child item's context menu (built if needed)."""
        return self.getMenu(event).actions() if self.menuEnabled() else []


def release_qt() -> None:
    """Delete every top-level widget through Qt before the interpreter shuts down.

    Widgets still alive at exit are destroyed during Python's own teardown, after (or while)
    the QApplication goes, which segfaults (measured: 4 of 4 runs of a script that kept views in
    module globals). Called on every exit path of main.py that imported Qt.
    """
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        return
    for widget in QApplication.topLevelWidgets():
        # Only our own windows: owned ones (menus, dialogs) go with their owners, and
        # pyqtgraph's hidden parentless option panels share children with its menus' actions
        # (deleting one of those twice crashes).
        if widget.parentWidget() is None and type(widget).__module__.startswith("gui."):
            widget.close()
            widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
