"""The Lab's plots area: every view in a dock the user can move, tabify or float."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

LAYOUT_VERSION = 1      # bump when the set of docks changes so old stored layouts are ignored
COLUMNS_RIGHT = 2       # the views after the first fill this many columns beside it


class PlotsArea(QMainWindow):
    """A QMainWindow used as a widget: one QDockWidget per view, the first view biggest."""

    def __init__(self, views: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlags(Qt.WindowType.Widget)
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self._views = list(views)
        self._docks: list[QDockWidget] = []
        for view in self._views:
            dock = QDockWidget(getattr(view, "title", type(view).__name__), self)
            dock.setObjectName(f"lab_dock_{type(view).__name__}")
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            dock.setWidget(view)
            self._docks.append(dock)
        self.arrange_default()

    def views(self) -> list[QWidget]:
        """The views in creation order."""
        return list(self._views)

    def docks(self) -> list[QDockWidget]:
        """The dock of each view, same order as views()."""
        return list(self._docks)

    def arrange_default(self) -> None:
        """First view on the left (about 40 % wide), the others in columns on the right."""
        if not self._docks:
            return
        first, others = self._docks[0], self._docks[1:]
        for dock in self._docks:
            dock.setFloating(False)
            dock.show()
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first)
        tops: list[QDockWidget] = []
        for index, dock in enumerate(others):
            if index == 0:
                self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
                tops.append(dock)
            elif index < COLUMNS_RIGHT:
                self.splitDockWidget(tops[-1], dock, Qt.Orientation.Horizontal)
                tops.append(dock)
            else:
                above = self._lowest_in_column(others, index, len(tops))
                self.splitDockWidget(above, dock, Qt.Orientation.Vertical)
        if others:
            self.resizeDocks([first, *tops], [4, *([3] * len(tops))], Qt.Orientation.Horizontal)

    @staticmethod
    def _lowest_in_column(others: list[QDockWidget], index: int, n_columns: int) -> QDockWidget:
        return others[index - n_columns]

    def save_layout(self) -> QByteArray:
        """The dock arrangement as bytes (for QSettings)."""
        return self.saveState(LAYOUT_VERSION)

    def restore_layout(self, state: object) -> bool:
        """Restore an arrangement saved by save_layout; False (default kept) if unusable."""
        if not isinstance(state, (QByteArray, bytes)) or not state:
            return False
        restored = self.restoreState(QByteArray(state), LAYOUT_VERSION)
        for dock in self._docks:
            if dock.isFloating():
                dock.setFloating(False)   # a floating dock could land off-screen on another setup
        return restored
