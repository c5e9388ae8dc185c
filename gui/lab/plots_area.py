"""The Lab's plots area: every view in a dock the user can move, tabify or float."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QWidget

from gui.lab.repaint import coalesce_repaints

LAYOUT_VERSION = 3      # bump when the set of docks changes so old stored layouts are ignored
FIRST_COLUMN_WEIGHT = 0.85  # the first column (the network diagram) is this much wider


class PlotsArea(QMainWindow):
    """A QMainWindow used as a widget: one QDockWidget per view, the first view biggest."""

    def __init__(self, views: list[QWidget], columns: list[list[int]] | None = None,
                 tabs: list[tuple[int, int]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._columns = columns or []
        self._tabs = tabs or []     # (front, behind): `behind` shares a tabbed dock with `front`
        self.setWindowFlags(Qt.WindowType.Widget)
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self._views = list(views)
        self._docks: list[QDockWidget] = []
        self._in_front: dict[int, bool] = {}    # dock index -> its tab is the current one
        for view in self._views:
            dock = QDockWidget(getattr(view, "title", type(view).__name__), self)
            dock.setObjectName(f"lab_dock_{type(view).__name__}")
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            dock.setWidget(view)
            coalesce_repaints(view)
            index = len(self._docks)
            self._in_front[index] = True
            dock.visibilityChanged.connect(
                lambda visible, index=index: self._in_front.__setitem__(index, visible))
            self._docks.append(dock)
        self.arrange_default()

    def views(self) -> list[QWidget]:
        """The views in creation order."""
        return list(self._views)

    def docks(self) -> list[QDockWidget]:
        """The dock of each view, same order as views()."""
        return list(self._docks)

    def is_shown(self, view: QWidget) -> bool:
        """Whether `view` can be seen: its dock is visible and, in a tab group, the current tab.

        QWidget.isVisible() stays True for a dock tabbed behind another (Qt only stacks it under
        the current one); QDockWidget.visibilityChanged tells tab switches, so it is tracked.
        """
        index = self._views.index(view)
        return self._in_front[index] and self._docks[index].isVisible()

    def arrange_default(self) -> None:
        """Views in columns (lists of view indices), the first column widest; then the tabs."""
        if not self._docks:
            return
        for dock in self._docks:
            dock.setFloating(False)
            dock.show()
        columns = [list(c) for c in self._columns if c] or [[i] for i in range(len(self._docks))]
        placed = {i for column in columns for i in column} | {b for _, b in self._tabs}
        columns[-1] += [i for i in range(len(self._docks)) if i not in placed]
        tops = [self._docks[column[0]] for column in columns]
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, tops[0])
        for previous, top in zip(tops, tops[1:], strict=False):
            self.splitDockWidget(previous, top, Qt.Orientation.Horizontal)
        for column in columns:
            for above, below in zip(column, column[1:], strict=False):
                self.splitDockWidget(self._docks[above], self._docks[below],
                                     Qt.Orientation.Vertical)
        for front, behind in self._tabs:
            self.tabifyDockWidget(self._docks[front], self._docks[behind])
        for front in dict.fromkeys(front for front, _ in self._tabs):
            self._docks[front].raise_()         # the first view of each tab group in front
        widths = [FIRST_COLUMN_WEIGHT] + [1.0] * (len(tops) - 1)
        total = sum(widths)
        self.resizeDocks(tops, [int(1000 * w / total) for w in widths], Qt.Orientation.Horizontal)
        for column in columns:     # equal heights: a squashed dock gets its share back
            docks = [self._docks[i] for i in column]
            self.resizeDocks(docks, [1000] * len(docks), Qt.Orientation.Vertical)

    def hide_stale_tab_bars(self) -> None:
        """Hide tab bars QMainWindow left behind from an earlier arrangement.

        After the docks are split and tabified, a tab bar of the first arrangement can stay
        visible over a dock (measured: "Training | Update / weight ratio" drawn across the
        network diagram in every offscreen render). A live tab bar sits under its dock group,
        never over a dock.
        """
        docks = [d for d in self._docks if d.isVisible() and not d.isFloating()]
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if bar.isVisible() and any(d.geometry().intersects(bar.geometry()) for d in docks):
                bar.hide()

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
