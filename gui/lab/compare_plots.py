"""The paired plots of compare mode: A and B on shared axes so differences show at a glance.

Top row: the alive/dead grid (layer × unit, dead on the dataset) of A and of B side by side.
Bottom row: gradient norm per layer (log), dead fraction per layer, loss over steps — A and B
drawn on the same axes, so their y-ranges are shared by construction.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from core.runs import Run
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.death_grid import NO_UNIT, dead_grid, grid_colormap
from gui.lab.views.history_cache import shared_series
from gui.lab.views.run_view import n_param_layers, per_unit, record_at, split_units
from gui.lab.views.safe_values import finite_or, log_bounds, log_safe
from gui.lab.views.zero_band import ZeroBand, consecutive

COLOUR_A = "#5ac8ff"        # the Lab's accent blue
COLOUR_B = "#ffa040"        # orange, distinct from A for colour-blind viewers too
MAX_GRID_UNITS = 128        # wider layers are averaged into this many cells
GRAD_TITLE = "Gradient ‖dW_i‖_F per layer"
DEAD_TITLE = "Dead on the dataset per layer"
LOSS_TITLE = "Training loss (batch)"


def pairing_notes(runs: tuple[Run, Run], records: list) -> tuple[str, str, str]:
    """One line each for the gradient, dead and loss plots where A and B cannot be paired
    (different layers, a statistic one run did not record); '' where they pair."""
    names = [tuple(p.name for p in run.topology.params) for run in runs]
    grad = dead = loss = ""
    if names[0] != names[1]:
        grad = (f"layers differ (A {len(names[0])}, B {len(names[1])}): "
                "paired by position")
    missing_grad = [side for side, f in zip("AB", records, strict=True)
                    if f is not None and f[1].grad_norm is None]
    if missing_grad:
        grad = f"{' and '.join(missing_grad)}: no gradient norms recorded"
    missing_dead = [side for side, f in zip("AB", records, strict=True)
                    if f is not None and (f[1].dead_window is None
                                          or not np.isfinite(f[1].dead_window).any())]
    if missing_dead:
        dead = f"{' and '.join(missing_dead)}: not recorded by this run"
    elif len(runs[0].topology.sites) != len(runs[1].topology.sites):
        dead = "hidden layers differ: paired by position"
    missing_loss = [side for side, run, f in zip("AB", runs, records, strict=True)
                    if f is not None and not np.isfinite(run.series("loss")).any()]
    if missing_loss:
        loss = f"{' and '.join(missing_loss)}: no loss recorded"
    return grad, dead, loss


def _integer_ticks(plot: pg.PlotItem, count: int) -> None:
    """Label the bottom axis 1..count at whole numbers (automatic ticks past 24 layers)."""
    step = 1 if count <= 24 else None
    ticks = [[(i, str(i)) for i in range(1, count + 1, step)]] if step else None
    plot.getAxis("bottom").setTicks(ticks)


class ComparePlots(pg.GraphicsLayoutWidget):
    """Five plots for runs A and B; `show_record(a, b)` draws both at the same step."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(theme.BACKGROUND)
        grids = self.addLayout(row=0, col=0)
        curves = self.addLayout(row=1, col=0)
        self._grid_plots = []
        self._grid_images = []
        for column in range(2):
            plot = theme.add_plot(grids, "", "hidden layer (input → output)", "unit",
                                  row=0, col=column, owner=self)
            plot.showGrid(x=False, y=False)
            plot.setMouseEnabled(x=False, y=False)
            image = pg.ImageItem(axisOrder="row-major")
            image.setColorMap(grid_colormap())
            plot.addItem(image)
            self._grid_plots.append(plot)
            self._grid_images.append(image)
        self._grid_plots[1].setYLink(self._grid_plots[0])
        self._grad = theme.add_plot(curves, GRAD_TITLE,
                                    "weight layer i (input → output)", "norm (log scale)",
                                    row=0, col=0, log_y=True, owner=self)
        self._dead = theme.add_plot(curves, DEAD_TITLE, "hidden layer",
                                    "dead fraction", row=0, col=1, owner=self)
        self._dead.setYRange(0, 1, padding=0.02)
        self._loss = theme.add_plot(curves, LOSS_TITLE, "step", "loss",
                                    row=0, col=2, owner=self)
        # no legends: they would cover these small plots; A and B colours are named in the
        # grid titles above and in the Compare form's header
        self._grad_curves = [self._grad.plot(pen=pg.mkPen(c, width=2), symbol="o", symbolSize=5,
                                             symbolBrush=c, symbolPen=None, name=n)
                             for c, n in ((COLOUR_A, "A"), (COLOUR_B, "B"))]
        self._zeros = ZeroBand(self._grad, symbols=("x", "x"), colors=(COLOUR_A, COLOUR_B))
        self._dead_bars = [pg.BarGraphItem(x=[], height=[], width=0.38, brush=c, name=n)
                           for c, n in ((COLOUR_A, "A"), (COLOUR_B, "B"))]
        for bar in self._dead_bars:
            self._dead.addItem(bar)
        self._loss_curves = [self._loss.plot(pen=pg.mkPen(c, width=2), name=n)
                             for c, n in ((COLOUR_A, "A"), (COLOUR_B, "B"))]
        for curve in self._loss_curves:
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.setToolTip("Top: every hidden unit of A and B, teal = alive, grey = dead on the "
                        "dataset (f′ = 0 for every training point). Bottom: gradient norm per "
                        "weight layer (log scale; red band = exactly 0), dead fraction per "
                        "hidden layer, and the batch loss, A in blue and B in orange.")
        self._notes = ("", "", "")     # the plot titles' pairing notes now shown
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)

    def set_titles(self, title_a: str, title_b: str) -> None:
        """Name what A and B are (e.g. 'relu' and 'leaky_relu') in the grid titles."""
        self._titles = (title_a, title_b)

    def reset_view(self, run_a: Run, run_b: Run) -> None:
        """New runs: clear the curves and fit the axes to the new architecture."""
        for curve in (*self._grad_curves, *self._loss_curves):
            curve.setData([], [])
        for bar in self._dead_bars:
            bar.setOpts(x=[], height=[])
        n_hidden = max(len(run_a.topology.sites), len(run_b.topology.sites))
        self._dead.setXRange(0.4, n_hidden + 0.6, padding=0)
        for plot in (*self._grid_plots, self._dead):
            _integer_ticks(plot, n_hidden)
        _integer_ticks(self._grad, max(n_param_layers(run_a), n_param_layers(run_b)))
        self.show_record(run_a, run_b)

    def show_record(self, run_a: Run, run_b: Run, step: int | None = None) -> None:
        """Redraw A and B at `step` (default: the newest step either has reached), each at its
        newest record at or before it, so the two runs are aligned by step (a shorter run shows
        its last record; non-finite values clamped)."""
        runs = (run_a, run_b)
        titles = getattr(self, "_titles", ("A", "B"))
        if step is None:
            newest = [run.newest_step for run in runs if run.newest_step is not None]
            step = max(newest) if newest else None
        records = []
        for run in runs:
            found = None if step is None or not len(run) else record_at(run, run.step_index(step))
            records.append(found)
        grads = [np.empty(0) if f is None or f[1].grad_norm is None else
                 np.asarray(f[1].grad_norm, np.float64) for f in records]
        bounds = log_bounds(*grads)
        units_shown = 0
        for index, (run, found) in enumerate(zip(runs, records, strict=True)):
            dead_flat = None
            if found is not None:
                dead_flat, _ = per_unit(run, found[0], found[1], "dead_units")
            dead_units = split_units(run, None if dead_flat is None
                                     else np.asarray(dead_flat, bool), False)
            grid, _ = dead_grid(dead_units, MAX_GRID_UNITS)
            if dead_flat is None:         # unknown is not alive: no cell is coloured
                grid[:] = NO_UNIT
            if grid.size:
                self._grid_images[index].setImage(grid.T, levels=(0.0, NO_UNIT))
                self._grid_images[index].setRect(0.5, 0, grid.shape[0], grid.shape[1])
                self._grid_plots[index].setXRange(0.5, grid.shape[0] + 0.5, padding=0.01)
                units_shown = max(units_shown, grid.shape[1])
            if found is not None and dead_flat is None and not run.growing:
                share = "dead units: not recorded by this run"
            elif found is None or dead_flat is None:   # measured with the first step's stats
                share = "dead: not measured yet"
            else:
                dead_share = float(np.mean(np.concatenate(dead_units))) if dead_units else 0.0
                share = f"<b>{100 * dead_share:.0f} %</b> dead, step {found[1].step:,}"
            self._grid_plots[index].setTitle(
                f"<span style='color:{(COLOUR_A, COLOUR_B)[index]}'><b>{'AB'[index]}</b> "
                f"{titles[index]}</span> — {share}", color=theme.FOREGROUND, size="10pt")
            if found is None:
                self._grad_curves[index].setData([], [])
                self._dead_bars[index].setOpts(x=[], height=[])
                self._loss_curves[index].setData([], [])
                continue
            record_index, record = found
            grad = grads[index]
            layers = np.arange(1, len(grad) + 1, dtype=np.float64)
            keep = grad != 0           # exact zeros: on the 0 band
            self._grad_curves[index].setData(layers[keep], log_safe(grad, bounds).values[keep],
                                             connect=consecutive(layers[keep]))
            offset = -0.2 if index == 0 else 0.2
            dead_window = (np.zeros(0) if record.dead_window is None
                           else np.asarray(record.dead_window, np.float64))
            hidden = np.arange(1, len(dead_window) + 1) + offset
            self._dead_bars[index].setOpts(x=hidden, height=finite_or(dead_window, 0.0))
            steps, loss = shared_series.read(run, "loss", record_index)
            finite = np.isfinite(loss)
            self._loss_curves[index].setData(steps[finite], loss[finite])
        if units_shown:               # y-linked grids: room for the wider run's units
            self._grid_plots[0].setYRange(0, units_shown, padding=0.01)
        self._zeros.show(bounds.floor, [(np.arange(1, len(g) + 1), g) for g in grads])
        self._show_notes(pairing_notes(runs, records))

    def _show_notes(self, notes: tuple[str, str, str]) -> None:
        """Titles say in one line where A and B cannot be paired (set only when changed)."""
        if notes == self._notes:
            return
        self._notes = notes
        for plot, title, note in zip((self._grad, self._dead, self._loss),
                                     (GRAD_TITLE, DEAD_TITLE, LOSS_TITLE), notes, strict=True):
            text = f"{title}<br><span style='color:#e0a030'>{note}</span>" if note else title
            plot.setTitle(text, color=theme.FOREGROUND, size="10pt")

    def export_targets(self) -> list[ExportTarget]:
        """The whole paired layout as one figure."""
        return [ExportTarget(title="Compare A vs B", widget=self, item=self.ci, csv=None)]
