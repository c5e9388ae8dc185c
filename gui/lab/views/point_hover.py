"""A label naming the data point under the mouse: the nearest drawn point within a few pixels.

pyqtgraph's own hover (ScatterPlotItem(hoverable=True)) fires only inside a 7-pixel symbol and
shows a QToolTip, which a render or an export never contains. This follows the scene's mouse
moves instead, finds the nearest point in pixels, and shows a TextItem child of the plot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF
from PySide6.QtGui import QColor

from gui.lab.views import theme

RADIUS_PX = 12.0          # how near the mouse must be to a point to name it
LABEL_Z = 1000.0          # above every data item


class PointHover(QObject):
    """Names the nearest of the points given to set_points() when the mouse is near it."""

    def __init__(self, plot: pg.PlotItem, parent: QObject) -> None:
        """`plot` is in a scene already; `parent` (the view) owns this object."""
        super().__init__(parent)
        self.plot = plot
        self.label = pg.TextItem(anchor=(0, 1), fill=pg.mkBrush(theme.faded(QColor(
            theme.BACKGROUND), 235)), border=pg.mkPen(theme.FOREGROUND))
        self.label.setZValue(LABEL_Z)
        plot.addItem(self.label, ignoreBounds=True)
        self.ring = pg.ScatterPlotItem(size=16, symbol="o",
                                       pen=pg.mkPen(theme.FOREGROUND, width=1.5),
                                       brush=pg.mkBrush(None))
        self.ring.setZValue(LABEL_Z - 1)
        plot.addItem(self.ring, ignoreBounds=True)
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._text_of: list[tuple[int, Callable[[int], str]]] = []   # (first index, text)
        self._mouse: QPointF | None = None
        self.index: int | None = None
        self._hide()
        plot.scene().sigMouseMoved.connect(self.hover_at)

    def set_points(self, series: list[tuple[np.ndarray, np.ndarray, Callable[[int], str]]]
                   ) -> None:
        """The hoverable points: (x, y in view coordinates, html text of point i) per series
        (texts are made only for the point hovered); a label already shown is re-made."""
        kept = [(np.asarray(x, np.float64), np.asarray(y, np.float64), text)
                for x, y, text in series if len(x)]
        self._x = np.concatenate([x for x, _, _ in kept]) if kept else np.zeros(0)
        self._y = np.concatenate([y for _, y, _ in kept]) if kept else np.zeros(0)
        starts = np.cumsum([0, *(len(x) for x, _, _ in kept)])
        self._text_of = [(int(start), text) for start, (_, _, text) in zip(starts, kept,
                                                                          strict=False)]
        if self._mouse is not None and self.label.isVisible():
            self.hover_at(self._mouse)

    @property
    def text(self) -> str:
        """The label's plain text ("" when hidden)."""
        return self.label.textItem.toPlainText() if self.label.isVisible() else ""

    def nearest(self, scene_pos: QPointF) -> int | None:
        """Index of the point nearest `scene_pos` (scene coordinates) within RADIUS_PX."""
        vb = self.plot.getViewBox()
        if not len(self._x) or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        transform = vb.childGroup.sceneTransform()
        finite = np.isfinite(self._x) & np.isfinite(self._y)
        sx = transform.m11() * self._x + transform.m21() * self._y + transform.dx()
        sy = transform.m12() * self._x + transform.m22() * self._y + transform.dy()
        distance = np.hypot(sx - scene_pos.x(), sy - scene_pos.y())
        distance[~finite] = np.inf
        best = int(np.argmin(distance))
        return best if distance[best] <= RADIUS_PX else None

    def hover_at(self, scene_pos: QPointF) -> None:
        """Show the label of the point nearest `scene_pos`, or hide it (the scene's mouse-move
        slot; tests call it with a point's scene position)."""
        self._mouse = QPointF(scene_pos)
        index = self.nearest(scene_pos)
        self.index = index
        if index is None:
            self._hide()
            return
        x, y = self._point(index)
        (x_low, x_high), (y_low, y_high) = self.plot.getViewBox().viewRange()
        # open towards the middle of the plot, so the label stays inside it
        self.label.setAnchor((1.0 if x > (x_low + x_high) / 2 else 0.0,
                              0.0 if y > (y_low + y_high) / 2 else 1.0))
        self.label.setHtml(f"<div style='color:{theme.FOREGROUND}; font-size:8pt'>"
                           f"{self._text(index)}</div>")
        self.label.setPos(x, y)
        self.label.show()
        self.ring.setData([x], [y])
        self.ring.show()

    def _point(self, index: int) -> tuple[float, float]:
        """View position of point `index` (of all series together): where the label opens."""
        return float(self._x[index]), float(self._y[index])

    def _text(self, index: int) -> str:
        """The html text of point `index` (of all series together)."""
        start, text = next((s, t) for s, t in reversed(self._text_of) if s <= index)
        return text(index - start)

    def _hide(self) -> None:
        """No point under the mouse."""
        self.label.hide()
        self.ring.hide()
