"""Exact zeros on a log-scale plot: their own markers on a band labelled "0" below the data.

log10(0) does not exist, and drawing a zero at the bottom of the axis reads as a real value
(10⁻¹² or 10¹⁹, whatever the axis happens to show). A zero gradient is the most important thing
the gradient views can show (every unit below is dead), so it gets a band of its own.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from gui.lab.views import theme
from gui.lab.views.decade_axis import DecadeAxis

BAND_HALF_HEIGHT = 0.35     # decades


def consecutive(x: np.ndarray) -> np.ndarray:
    """pyqtgraph `connect` array for layer numbers `x` with the zeros left out: a line joins
    neighbouring layers only (it breaks where a layer's value is on the 0 band)."""
    x = np.asarray(x, np.float64)
    return np.append(np.diff(x) == 1.0, False) if x.size else np.zeros(0, bool)


class ZeroBand:
    """A "0" band at the log plot's floor, with red markers for each exact zero."""

    def __init__(self, plot: pg.PlotItem, symbols: tuple[str, ...] = ("x",),
                 colors: tuple[QColor | str, ...] | None = None) -> None:
        """`plot` has a DecadeAxis on the left (theme.add_plot(..., log_y=True)); one marker
        series per symbol (red unless `colors` names one colour per symbol)."""
        self.axis = plot.getAxis("left")
        assert isinstance(self.axis, DecadeAxis)
        self.band = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(theme.faded(theme.ZERO_COLOR, 45)),
                                        pen=theme.NO_PEN)
        self.band.setZValue(-50)
        self.band.setToolTip("0: no gradient. Values that are exactly zero are drawn here: "
                             "a log axis has no place for them.")
        plot.addItem(self.band)
        colors = colors or (theme.ZERO_COLOR,) * len(symbols)
        self.markers = [plot.plot(pen=None, symbol=symbol, symbolSize=10,
                                  **theme.symbol_style(QColor(color)))
                        for symbol, color in zip(symbols, colors, strict=True)]
        self.show(None, [])

    def show(self, floor: float | None, series: list[tuple[np.ndarray, np.ndarray]]) -> int:
        """Draw the zeros of each (x, values) pair at `floor` (a positive value one decade below
        the data; None hides the band). Returns how many zeros were drawn."""
        count = 0
        for marker, (x, values) in zip(self.markers, series, strict=False):
            zero = np.asarray(values) == 0
            count += int(zero.sum())
            marker.setData(np.asarray(x, np.float64)[zero], np.full(int(zero.sum()), floor or 1.0))
        for marker in self.markers[len(series):]:
            marker.setData([], [])
        if floor is None or count == 0:
            self.band.hide()
            self.axis.set_zero_at(None)
            return 0
        at = float(np.log10(floor))
        self.band.setRegion((at - BAND_HALF_HEIGHT, at + BAND_HALF_HEIGHT))
        self.band.show()
        self.axis.set_zero_at(at)
        return count
