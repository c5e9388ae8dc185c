"""The layer × unit alive/dead grid of the death view: an image of dead fractions per cell."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from gui.lab.views import theme
from gui.lab.views.safe_values import group_mean

MAX_CELLS_PER_LAYER = 1024
NO_UNIT = 1.5                 # cell value for "this layer has no unit here" (narrower layer)
ALIVE = (45, 170, 145)
DEAD = (70, 72, 78)


def dead_grid(dead_units: Sequence[np.ndarray], max_cells: int = MAX_CELLS_PER_LAYER
              ) -> tuple[np.ndarray, int]:
    """(image (n_hidden, n_cells), units per cell): each cell is the dead fraction of its units
    (0 alive .. 1 dead, exact 0/1 when one unit per cell), NO_UNIT past a layer's width."""
    widths = [len(m) for m in dead_units]
    widest = max(widths, default=0)
    per_cell = max(1, int(np.ceil(widest / max_cells)))
    n_cells = int(np.ceil(widest / per_cell)) if widest else 0
    image = np.full((len(widths), n_cells), NO_UNIT)
    for row, mask in enumerate(dead_units):
        values = np.asarray(mask, np.float64)
        if per_cell == 1:
            image[row, :len(values)] = values
        else:
            cells = int(np.ceil(len(values) / per_cell))
            starts = np.minimum(np.arange(cells + 1) * per_cell, len(values))
            image[row, :cells] = group_mean(values, starts)
    return image, per_cell


def grid_colormap() -> pg.ColorMap:
    """Alive (teal) → dead (dark grey) over [0, 1], background colour for NO_UNIT."""
    bg = pg.mkColor(theme.BACKGROUND)
    stop = 1.0 / NO_UNIT
    return pg.ColorMap([0.0, stop, stop + 1e-6, 1.0],
                       [ALIVE, DEAD, (bg.red(), bg.green(), bg.blue()), (bg.red(), bg.green(),
                                                                         bg.blue())])


class DeadGridPlot:
    """A PlotItem holding the grid image; x = unit, y = hidden layer."""

    title = "Units: alive / dead on the dataset"

    def __init__(self, plot: pg.PlotItem) -> None:
        """Draw into `plot`, made by theme.add_plot with this class's title."""
        self.plot = plot
        self.plot.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(grid_colormap())
        self.plot.addItem(self.image)
        self.cells = np.zeros((0, 0))
        self.units_per_cell = 1
        self.widths: list[int] = []
        self._shown: tuple[int, tuple[int, ...]] | None = None

    def forget(self, why: str = "not measured yet") -> None:
        """A new run (or a record without masks): clear the grid (no stale units of the last run)
        and draw the next update() whatever its step (a new trainer may repeat a step number);
        the title says `why` it is empty."""
        self._shown = None
        self.cells = np.zeros((0, 0))
        self.image.clear()
        title = f"{self.title}<br>{why}"
        if title != self.plot.titleLabel.text:     # a new title text re-lays the plot out
            self.plot.setTitle(title, color=theme.FOREGROUND, size="9pt")

    def update(self, dead_units: Sequence[np.ndarray], step: int) -> None:
        """Redraw from the per-hidden-layer bool masks measured at `step`; the masks change only
        when the dataset stats are refreshed, so the same step is not re-rendered (~1 ms/frame)."""
        shown = (step, tuple(len(m) for m in dead_units))
        if shown == self._shown:
            return
        self._shown = shown
        self.cells, self.units_per_cell = dead_grid(dead_units)
        self.widths = [len(m) for m in dead_units]
        if self.cells.size == 0:
            self.image.clear()
            return
        self.image.setImage(self.cells, autoLevels=False, levels=(0.0, NO_UNIT))
        n_layers, n_cells = self.cells.shape
        self.image.setRect(QRectF(-0.5 * self.units_per_cell, 0.5, n_cells * self.units_per_cell,
                                  n_layers))
        agg = (f"<br>{self.units_per_cell} units/cell, shade = dead fraction"
               if self.units_per_cell > 1 else "")
        # short lines: one long line ran past the plot's edge at the default window
        self.plot.setTitle(f"Alive (teal) / dead (grey)<br>dataset, step {step}{agg}",
                           color=theme.FOREGROUND, size="9pt")

    def csv(self) -> tuple[list[str], np.ndarray]:
        """One row per drawn cell: layer, first unit, last unit, dead fraction."""
        rows = []
        for layer, line in enumerate(self.cells):
            for cell, value in enumerate(line):
                if value == NO_UNIT:
                    continue
                first = cell * self.units_per_cell
                last = min(first + self.units_per_cell, self.widths[layer]) - 1
                rows.append((layer + 1, first, last, value))
        data = np.array(rows, np.float64).reshape(-1, 4)
        return ["hidden layer", "first unit", "last unit",
                "dead fraction on the dataset (0 alive, 1 dead)"], data
