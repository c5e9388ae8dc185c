"""A label naming the heatmap cell under the mouse: a step column × a parameter row.

The label, its ring and its placement are PointHover's; only finding the cell differs: the
cell is the one the mouse is inside (a heatmap has no gaps), found arithmetically rather than
by the nearest of T × L cell centres.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF

from gui.lab.views.point_hover import PointHover


class CellHover(PointHover):
    """Names the cell of the image given to set_cells() that the mouse is over."""

    def __init__(self, plot, parent) -> None:
        super().__init__(plot, parent)
        self._n_columns = 0
        self._n_rows = 0
        self._left = 0.0
        self._width = 1.0
        self._cell_text: Callable[[int, int], str] = lambda column, row: ""

    def set_cells(self, n_columns: int, n_rows: int, left: float, column_width: float,
                  text: Callable[[int, int], str]) -> None:
        """An image of `n_columns` × `n_rows` cells: column c spans x in [left + c·width,
        left + (c+1)·width), row r spans y in [r + 0.5, r + 1.5); `text(c, r)` is the html of a
        cell (made only for the cell hovered). A label already shown is re-made."""
        self._n_columns, self._n_rows = int(n_columns), int(n_rows)
        self._left, self._width = float(left), max(float(column_width), 1e-12)
        self._cell_text = text
        if self._mouse is not None and self.label.isVisible():
            self.hover_at(self._mouse)

    def clear(self) -> None:
        """No cells: nothing to name."""
        self.set_cells(0, 0, 0.0, 1.0, lambda column, row: "")
        self._hide()

    def nearest(self, scene_pos: QPointF) -> int | None:
        """Index column · n_rows + row of the cell under `scene_pos`, or None."""
        vb = self.plot.getViewBox()
        if not self._n_columns or not self._n_rows or \
                not vb.sceneBoundingRect().contains(scene_pos):
            return None
        at = vb.mapSceneToView(scene_pos)
        column = int(np.floor((at.x() - self._left) / self._width))
        row = int(np.floor(at.y() - 0.5))
        if 0 <= column < self._n_columns and 0 <= row < self._n_rows:
            return column * self._n_rows + row
        return None

    def _point(self, index: int) -> tuple[float, float]:
        """The centre of cell `index`."""
        column, row = divmod(index, self._n_rows)
        return self._left + (column + 0.5) * self._width, float(row + 1)

    def _text(self, index: int) -> str:
        """The html text of cell `index`."""
        return self._cell_text(*divmod(index, self._n_rows))
