"""A line of a long series drawn from its peak-keeping envelope: a filled min..max band.

At one bucket per pixel column, a line through every record covers, in each column, the range
from the bucket's min to its max: a band. Stroking that as min/max zig-zags with a wide pen is
what made a noisy million-record line cost tens of ms (and seconds antialiased); filling the
band between its min edge and its max edge (both stroked with the line's pen) draws the same
area at a fraction of the cost. Where every bucket is one record the line is drawn as is.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPen

from gui.lab.views.history_cache import bands


class BandLine:
    """One series' line in `plot`: its low edge (the legend's item), high edge and fill."""

    def __init__(self, plot: pg.PlotItem, pen: QPen) -> None:
        """Create the items in `plot` (which owns them until remove())."""
        self.plot = plot
        self.low = plot.plot(pen=pen)
        self.high = plot.plot(pen=pen)
        self.fill = pg.FillBetweenItem(self.low, self.high, brush=pg.mkBrush(pen.color()))
        self.fill.setVisible(False)
        plot.addItem(self.fill)

    def set_points(self, x: np.ndarray, values: np.ndarray) -> None:
        """Draw EnvelopeCache.read's points (x (P,), values (P,)) of one series."""
        edge_x, low, high = bands(x, values)
        if len(edge_x) == len(x):                 # one record per bucket: the line itself
            self.high.setData([], [])
            self.fill.setVisible(False)
            self.low.setData(x, values)
            return
        self.low.setData(edge_x, low)
        self.high.setData(edge_x, high)
        self.fill.setVisible(True)

    def clear(self) -> None:
        """Draw nothing."""
        self.fill.setVisible(False)
        self.low.setData([], [])
        self.high.setData([], [])

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of every drawn edge point (the low edge's, then the high edge's)."""
        parts = [c.getData() for c in (self.low, self.high) if c.xData is not None]
        if not parts:
            return np.zeros(0), np.zeros(0)
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def remove(self) -> None:
        """Take the items out of the plot."""
        for item in (self.fill, self.low, self.high):
            self.plot.removeItem(item)
