"""An AxisItem whose grid lines are opaque and drawn behind the data.

Qt's raster engine draws semi-transparent aliased lines about 10× slower than opaque ones
(measured: 20 lines across a 500 px plot, 700 µs vs 70 µs), and pyqtgraph replays every axis's
grid each frame, so faint grids cost ~5 ms per plot per frame. The plot background is one known
colour, so a grid line of alpha a is drawn as the opaque colour a·line + (1 − a)·background: the
same look, and placing the axis behind the ViewBox keeps the data drawn over the grid.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPen

BEHIND_VIEWBOX = -200.0   # pyqtgraph puts the ViewBox at z = -100 and axes at 0.5


class OpaqueGridAxis(pg.AxisItem):
    """AxisItem drawing its (translucent) tick/grid pens pre-blended onto a solid background."""

    def __init__(self, orientation: str, background: QColor | str = "#000000", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.grid_background = QColor(background)
        self._opaque_pens: dict[tuple[int, int, int, int, float], QPen] = {}

    def setZValue(self, z: float) -> None:  # noqa: N802  (Qt override)
        """Stay behind the ViewBox whatever the PlotItem asks (its layout sets 0.5)."""
        super().setZValue(min(z, BEHIND_VIEWBOX))

    def generateDrawSpecs(self, p):  # noqa: N802  (pyqtgraph override)
        """pyqtgraph's specs with every translucent tick pen replaced by its opaque blend."""
        specs = super().generateDrawSpecs(p)
        if specs is None or self.grid is False:
            return specs
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, [(self._opaque(pen), a, b) for pen, a, b in tick_specs], text_specs

    def _opaque(self, pen: QPen) -> QPen:
        """The cached opaque pen that looks like `pen` over the background."""
        color = pen.color()
        key = (*color.getRgb(), pen.widthF())
        cached = self._opaque_pens.get(key)
        if cached is None:
            alpha = color.alphaF()
            bg = self.grid_background
            blended = QColor.fromRgbF(alpha * color.redF() + (1 - alpha) * bg.redF(),
                                      alpha * color.greenF() + (1 - alpha) * bg.greenF(),
                                      alpha * color.blueF() + (1 - alpha) * bg.blueF())
            cached = QPen(pen)
            cached.setColor(blended)
            self._opaque_pens[key] = cached
        return cached
