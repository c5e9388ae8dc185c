"""Decision boundary of a 2-D-input network under a scatter of the training points (throttled)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor

from core.runs import BOUNDARY, Run
from gui.lab.views import theme
from gui.lab.views.safe_values import finite_or

MAX_GRID_N, MIN_GRID_N = 90, 12
# Weight multiply-adds per boundary evaluation: ~10 ms of GEMM here. At 3e8 a 50 × 128 net's
# boundary took 30 ms of the GUI thread four times a second (12 % of it, bench/bench_app.py);
# nets up to ~12k weights still get the full 90 × 90 grid.
MAC_BUDGET = 1e8
MAX_LIVE_WEIGHTS = 1.5e7   # above this even a 12×12 grid is too slow to evaluate live
MIN_INTERVAL_S = 0.25      # recompute the boundary at most this often (not every frame)
NO_BOUNDARY = ("decision boundary: needs the model and 2-D data, which a run file does not "
               "hold")
COST_SHARE = 16            # ...and wait 16× its compute time, so it takes ≤ ~1/17 of the time


def grid_size(n_weights: int) -> int:
    """Points per side of the boundary grid: fine for small nets, coarser for big ones."""
    n = int(np.sqrt(MAC_BUDGET / max(n_weights, 1)))
    return int(np.clip(n, MIN_GRID_N, MAX_GRID_N))
CLASS_COLORS = ["#4cc9f0", "#f72585", "#ffd166", "#06d6a0", "#b388eb", "#ff8c42", "#8ecae6",
                "#e9edc9"]
BACKGROUND_DIM = 0.42      # the boundary image is dimmed so the points stand out


def class_color(k: int) -> QColor:
    """Colour of class k (cycled)."""
    return QColor(CLASS_COLORS[k % len(CLASS_COLORS)])


def boundary_rgb(values: np.ndarray, task: str, n_classes: int) -> np.ndarray:
    """(n, n, 3) uint8 image of decision_grid values [y, x]: binary = blend of the two class
    colours by P(class 1), multiclass = colour of the predicted class, regression = colour map."""
    if task == "binary":
        p = np.clip(finite_or(values, 0.5), 0.0, 1.0)[..., None]
        c0, c1 = (np.array(class_color(k).getRgb()[:3], np.float64) for k in (0, 1))
        rgb = (1.0 - p) * c0 + p * c1
    elif task == "multiclass":
        table = np.array([class_color(k).getRgb()[:3] for k in range(max(n_classes, 1))], float)
        index = np.clip(finite_or(values, 0.0).astype(np.int64), 0, len(table) - 1)
        rgb = table[index]
    else:
        v = finite_or(values, 0.0)
        span = float(v.max() - v.min()) or 1.0
        lut = theme.colormap(theme.GRAD_COLORMAP).getLookupTable(nPts=256)[:, :3]
        rgb = lut[((v - v.min()) / span * 255).astype(np.int64)].astype(np.float64)
    return (rgb * BACKGROUND_DIM).astype(np.uint8)


class BoundaryPlot:
    """Owns the image + scatter items in a PlotItem; recompute() is throttled by wall time."""

    labels = ("Decision boundary (training points)", "x₁", "x₂")   # title, x, y

    def __init__(self, plot: pg.PlotItem, clock: Callable[[], float] = time.monotonic) -> None:
        self.plot = plot    # made by theme.add_plot with this class's title and labels
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.scatter = pg.ScatterPlotItem(size=5, pen=pg.mkPen(10, 10, 10, 160, width=0.6))
        self.plot.addItem(self.image)
        self.plot.addItem(self.scatter)
        self._clock = clock
        self._computed_at = -np.inf
        self._computed_step = -1
        self._interval = MIN_INTERVAL_S
        self.grid_n = MAX_GRID_N
        self.live = True
        self.bounds = (-2.0, 2.0, -2.0, 2.0)
        self.xs = self.ys = np.zeros(0)
        self.values = np.zeros((0, 0))
        self.task = "binary"
        self.n_classes = 2
        self.available = False
        self.reason = ""

    def reset(self, run: Run) -> None:
        """Place the training points (fixed) and force a recompute of the boundary; without
        the BOUNDARY capability, say why in `reason` (2-D runs) and stay unavailable."""
        self.image.clear()
        self.scatter.clear()
        self.xs = self.ys = np.zeros(0)
        self.values = np.zeros((0, 0))
        self._computed_at = -np.inf
        self._computed_step = -1
        self.available = BOUNDARY in run.capabilities
        self.reason = ""
        if not self.available:
            if run.topology.input_width == 2:
                self.reason = NO_BOUNDARY
            return
        X, y, task, n_classes = run.boundary_points()
        self.task, self.n_classes = task, n_classes
        X = finite_or(X, 0.0)
        margin = 0.1 * max(float(np.ptp(X[:, 0])), float(np.ptp(X[:, 1])), 1e-9)
        self.bounds = (float(X[:, 0].min() - margin), float(X[:, 0].max() + margin),
                       float(X[:, 1].min() - margin), float(X[:, 1].max() + margin))
        if task == "regression":
            y = finite_or(y, 0.0).ravel()
            cmap = theme.colormap(theme.GRAD_COLORMAP)
            t = (y - y.min()) / ((y.max() - y.min()) or 1.0)
            palette = [QBrush(cmap.map(float(v), mode=pg.ColorMap.QCOLOR))
                       for v in np.linspace(0, 1, 32)]
            brushes = [palette[int(v * 31)] for v in t]
        else:
            palette = [QBrush(class_color(k)) for k in range(max(n_classes, 2))]
            brushes = [palette[int(k) % len(palette)] for k in np.asarray(y).ravel()]
        self.scatter.setData(x=X[:, 0], y=X[:, 1], brush=brushes)
        n_weights = sum(int(np.prod(p.shape)) for p in run.topology.params)
        self.grid_n = grid_size(n_weights)
        self.live = n_weights <= MAX_LIVE_WEIGHTS
        self._interval = MIN_INTERVAL_S
        if not self.live:
            self.plot.setTitle(f"Training points only ({n_weights / 1e6:.0f} M weights: "
                               "no live boundary)", color=theme.FOREGROUND, size="9pt")
        x0, x1, y0, y1 = self.bounds
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> bool:
        """Recompute the boundary if the weights changed and the last one is old enough;
        returns whether it did. Only the newest record has a model to evaluate."""
        if not self.available or not self.live or not len(run):
            return False
        newest = run.newest_step
        if newest is None or run.steps()[index] != newest:
            return False        # an older record: the model as it was then is gone
        now = self._clock()
        if newest == self._computed_step and not force:
            return False
        if not force and now - self._computed_at < self._interval:
            return False
        self.xs, self.ys, values = run.boundary_grid(self.grid_n, self.bounds)
        self._interval = max(MIN_INTERVAL_S, COST_SHARE * (self._clock() - now))
        self.values = finite_or(values, 0.5 if self.task == "binary" else 0.0)
        self.image.setImage(boundary_rgb(self.values, self.task, self.n_classes), autoLevels=False,
                            levels=(0, 255))
        x0, x1, y0, y1 = self.bounds
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._computed_at = now
        self._computed_step = newest
        what = {"binary": "P(class 1)", "multiclass": "predicted class"}.get(self.task,
                                                                              "prediction")
        self.plot.setTitle(f"Boundary — {what}, step {newest}",
                           color=theme.FOREGROUND, size="9pt")
        return True

    def csv(self) -> tuple[list[str], np.ndarray]:
        """One row per grid cell: x1, x2, the value the cell's colour shows (none if not drawn)."""
        gx, gy = np.meshgrid(self.xs, self.ys)
        label = {"binary": "P(class 1)", "multiclass": "predicted class index"}.get(
            self.task, "prediction")
        return ["x1", "x2", label], np.column_stack([gx.ravel(), gy.ravel(), self.values.ravel()])
