"""The paired plots of compare mode: A and B on shared axes so differences show at a glance.

Top row: the alive/dead grid (layer × unit, dead on the dataset) of A and of B side by side.
Bottom row: gradient norm per layer (log), dead fraction per layer, loss over steps — A and B
drawn on the same axes, so their y-ranges are shared by construction.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from gui.export import ExportTarget
from gui.lab.views.safe_values import finite_or, log_bounds, log_safe

COLOUR_A = "#1f77b4"
COLOUR_B = "#ff7f0e"
MAX_GRID_UNITS = 128        # wider layers are averaged into this many columns
_GRID_LUT = np.array([[250, 250, 250, 255], [40, 40, 40, 255]], dtype=np.ubyte)


def _dead_grid(dead_units: list[np.ndarray]) -> np.ndarray:
    """(n_hidden, columns) dead share per (layer, unit group); narrow layers padded with nan."""
    if not dead_units:
        return np.zeros((1, 1))
    columns = min(MAX_GRID_UNITS, max(len(mask) for mask in dead_units))
    grid = np.full((len(dead_units), columns), np.nan)
    for row, mask in enumerate(dead_units):
        values = np.asarray(mask, np.float64)
        starts = np.linspace(0, len(values), min(columns, len(values)) + 1).round().astype(int)
        grid[row, : len(starts) - 1] = np.add.reduceat(values, starts[:-1]) / np.diff(starts)
    return grid


class ComparePlots(pg.GraphicsLayoutWidget):
    """Five plots for trainers A and B; `refresh(a, b)` redraws from their newest stats/history."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        grids = self.addLayout(row=0, col=0)
        curves = self.addLayout(row=1, col=0)
        self._grid_plots = []
        self._grid_images = []
        for column in range(2):
            plot = grids.addPlot(row=0, col=column)
            plot.setLabel("bottom", "hidden layer (input → output)")
            plot.setLabel("left", "unit")
            plot.setMouseEnabled(x=False, y=False)
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self._grid_plots.append(plot)
            self._grid_images.append(image)
        self._grid_plots[1].setYLink(self._grid_plots[0])
        self._grad = curves.addPlot(row=0, col=0, title="Gradient norm ‖dW‖ per layer")
        self._grad.setLogMode(y=True)
        self._grad.setLabel("bottom", "weight layer")
        self._dead = curves.addPlot(row=0, col=1, title="Dead fraction per hidden layer (dataset)")
        self._dead.setLabel("bottom", "hidden layer")
        self._dead.setYRange(0, 1, padding=0.02)
        self._loss = curves.addPlot(row=0, col=2, title="Training loss (batch)")
        self._loss.setLabel("bottom", "step")
        for plot in (self._grad, self._dead, self._loss):
            plot.addLegend(offset=(-10, 10))
            plot.showGrid(x=False, y=True, alpha=0.25)
        self._grad_curves = [self._grad.plot(pen=pg.mkPen(c, width=2), symbol="o", symbolSize=5,
                                             symbolBrush=c, symbolPen=None, name=n)
                             for c, n in ((COLOUR_A, "A"), (COLOUR_B, "B"))]
        self._dead_bars = [pg.BarGraphItem(x=[], height=[], width=0.38, brush=c, name=n)
                           for c, n in ((COLOUR_A, "A"), (COLOUR_B, "B"))]
        for bar, name in zip(self._dead_bars, ("A", "B"), strict=True):
            self._dead.addItem(bar)
            self._dead.legend.addItem(bar, name)
        self._loss_curves = [self._loss.plot(pen=pg.mkPen(c, width=2), name=n)
                             for c, n in ((COLOUR_A, "A"), (COLOUR_B, "B"))]
        for curve in self._loss_curves:
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)

    def set_titles(self, title_a: str, title_b: str) -> None:
        """Name what A and B are (e.g. 'relu' and 'leaky_relu') in the grid titles."""
        self._titles = (title_a, title_b)

    def reset_view(self, trainer_a, trainer_b) -> None:
        """New trainers: clear the curves and fit the axes to the new architecture."""
        for curve in (*self._grad_curves, *self._loss_curves):
            curve.setData([], [])
        for bar in self._dead_bars:
            bar.setOpts(x=[], height=[])
        n_hidden = max(trainer_a.network.n_hidden, trainer_b.network.n_hidden)
        self._dead.setXRange(0.4, n_hidden + 0.6, padding=0)
        self.refresh(trainer_a, trainer_b)

    def refresh(self, trainer_a, trainer_b) -> None:
        """Redraw A and B from `trainer.last` and `trainer.history` (non-finite values clamped)."""
        trainers = (trainer_a, trainer_b)
        titles = getattr(self, "_titles", ("A", "B"))
        grads = [t.last.grad_norms if t.last is not None else np.empty(0) for t in trainers]
        bounds = log_bounds(*grads)
        for index, trainer in enumerate(trainers):
            stats = trainer.last
            if stats is None:
                dead_units = [np.zeros(w, bool) for w in trainer.network.sizes[1:-1]]
            else:
                dead_units = stats.dead_units_dataset
            grid = _dead_grid(dead_units)
            self._grid_images[index].setImage(finite_or(grid.T, 0.0), levels=(0.0, 1.0),
                                              lut=_GRID_LUT)
            self._grid_images[index].setRect(0.5, 0, grid.shape[0], grid.shape[1])
            dead_share = (float(np.mean(np.concatenate(dead_units))) if dead_units else 0.0)
            self._grid_plots[index].setTitle(
                f"<span style='color:{(COLOUR_A, COLOUR_B)[index]}'><b>{'AB'[index]}</b></span> "
                f"{titles[index]} — <b>{100 * dead_share:.0f}%</b> of hidden units dead "
                f"(step {trainer.step_count:,})")
            if stats is None:
                continue
            layers = np.arange(1, len(stats.grad_norms) + 1)
            self._grad_curves[index].setData(layers, log_safe(stats.grad_norms, bounds).values)
            offset = -0.2 if index == 0 else 0.2
            hidden = np.arange(1, len(stats.dead_fraction_dataset) + 1) + offset
            self._dead_bars[index].setOpts(
                x=hidden, height=finite_or(stats.dead_fraction_dataset, 0.0))
            steps = trainer.history.steps()
            loss = trainer.history.series("loss")
            finite = np.isfinite(loss)
            self._loss_curves[index].setData(steps[finite], loss[finite])

    def export_targets(self) -> list[ExportTarget]:
        """The whole paired layout as one figure."""
        return [ExportTarget(title="Compare A vs B", widget=self, item=self.ci, csv=None)]
