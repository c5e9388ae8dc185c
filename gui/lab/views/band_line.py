"""A line of a long series drawn from its peak-keeping envelope: a filled min..max band.

At one bucket per pixel column, a line through every record covers, in each column, the range
from the bucket's min to its max: a band. Stroking that as min/max zig-zags with a wide pen is
what made a noisy million-record line cost tens of ms (and seconds antialiased); filling the
band (one path: the polygon of its max edge and its min edge, outlined in the line's pen) draws
the same area at a fraction of the cost. Where every bucket is one record the line is drawn as
is.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from gui.lab.views.history_cache import bands


class BandLine:
    """One series' line in `plot`: a curve (the legend's item) drawn while every bucket is one
    record, else one filled, outlined path of the band (its edges in the line's pen).

    The line is a plain PlotCurveItem (a PlotDataItem's setData cost about 3× as much, for
    every line of every frame: bench/bench_lab_views.py), so on a log axis (`log_y`) its y is
    in log10 view units; drawn() gives the values."""

    def __init__(self, plot: pg.PlotItem, pen: QPen, log_y: bool = False) -> None:
        """Create the items in `plot` (which owns them until remove())."""
        self.plot = plot
        self._log_y = log_y
        self.band = QGraphicsPathItem()
        self.band.setPen(pen)
        self.band.setBrush(pg.mkBrush(pen.color()))
        self.band.setVisible(False)
        plot.addItem(self.band)
        self.line = pg.PlotCurveItem(pen=pen)
        plot.addItem(self.line)
        self._edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._points: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))

    def set_points(self, x: np.ndarray, values: np.ndarray) -> None:
        """Draw EnvelopeCache.read's points (x (P,), values (P,)) of one series."""
        edge_x, low, high = bands(x, values)
        if len(edge_x) == len(x):                 # one record per bucket: the line itself
            self._edges = None
            self.band.setVisible(False)
            self._points = (x, values)
            self.line.setData(x, self._view_y(values))
            return
        if self._edges is None:
            self._points = (np.zeros(0), np.zeros(0))
            self.line.setData([], [])
        self._edges = (edge_x, low, high)
        y = self._view_y(np.concatenate([high, low[::-1]]))
        path = pg.arrayToQPath(np.concatenate([edge_x, edge_x[::-1]]).astype(np.float64), y)
        path.closeSubpath()
        self.band.setPath(path)
        self.band.setVisible(True)

    def clear(self) -> None:
        """Draw nothing."""
        self._edges = None
        self.band.setVisible(False)
        self._points = (np.zeros(0), np.zeros(0))
        self.line.setData([], [])

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of every drawn point: the line's, or the band's low then high edge."""
        if self._edges is not None:
            edge_x, low, high = self._edges
            return np.concatenate([edge_x, edge_x]), np.concatenate([low, high])
        return self._points

    def _view_y(self, values: np.ndarray) -> np.ndarray:
        """Values in the plot's view units (log10 on a log axis)."""
        if not self._log_y:
            return np.asarray(values, np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(values)

    def remove(self) -> None:
        """Take the items out of the plot."""
        for item in (self.band, self.line):
            self.plot.removeItem(item)
