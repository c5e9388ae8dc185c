"""Gradient history heatmap: parameter × step image of log10 ‖dW‖_F, scrolling over the last
steps. Rows are the parameters in Gradient flow's order, grouped by module (param_axis on the
left axis); hovering a cell names its parameter, step and norm (cell_hover)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.runs import PARAM_STATS, Run
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.cell_hover import CellHover
from gui.lab.views.history_cache import shared_series
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.param_axis import ParamAxis, run_groups
from gui.lab.views.param_texts import param_text
from gui.lab.views.safe_values import clamp_counts_text, log10_safe, log_bounds

N_STEPS_SHOWN = 400
SCROLL_CHUNKS = 8   # the x range jumps by n_steps / 8 at a time (not every step: axis relayout)
COLORBAR_LABEL = "log10 ‖dW‖_F"
NUMBERED_LABEL = "weight layer i (1 = input side)"
NAMED_LABEL = "parameter, by module (hover a cell)"
CSV_QUANTITY = "log10 grad_norm ‖dW‖_F"


class GradHeatmapView(QWidget):
    """Image of log10 ‖dW‖_F: x = step (last N recorded), y = parameter 1..L in drawing
    order (built-in runs: weight layer 1..L)."""

    title = "Gradient history"

    def __init__(self, parent: QWidget | None = None, n_steps: int = N_STEPS_SHOWN) -> None:
        super().__init__(parent)
        self.n_steps = n_steps
        self.graphics = theme.make_graphics_widget()
        self.plot = theme.add_plot(self.graphics, self.title, "step", NUMBERED_LABEL,
                                   row=0, col=0)
        self.plot.showGrid(x=False, y=False)
        self.image = pg.ImageItem(axisOrder="col-major")
        self.plot.addItem(self.image)
        self.axis = ParamAxis(self.plot, NUMBERED_LABEL, self, side="left",
                              named_label=NAMED_LABEL, padding=0.0, layer_ticks=False)
        self.hover = CellHover(self.plot, self)
        grad_map = theme.colormap(theme.GRAD_COLORMAP)
        self._lut = grad_map.getLookupTable(nPts=256, alpha=True)      # (256, 4) uint8
        # The image is coloured here (RGBA) so that exact zeros get their own colour; the bar
        # shows the same map and levels but is not linked to the image.
        self.colorbar = pg.ColorBarItem(values=(-6, 0), colorMap=grad_map, interactive=False,
                                        width=12)
        theme.style_colorbar(self.colorbar, COLORBAR_LABEL, self.graphics)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.note = theme.add_label(self.graphics, row=1, col=0, colspan=2, color=theme.FOREGROUND,
                                    size="8pt", justify="left")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.setToolTip(f"Each column is one recorded step (the last {n_steps}), each row a weight "
                        "layer (a parameter, grouped by module, for a PyTorch run); colour = "
                        "log10 of its gradient norm ‖dW‖_F. A dark band "
                        "at the bottom = gradients vanish before reaching the first layers. "
                        f"{theme.ZERO_NAME} cells: the gradient is exactly 0 (no gradient at "
                        "all, e.g. every unit below is dead).")
        self._steps = np.zeros(0, np.int64)
        self._log_norms = np.zeros((0, 1))
        self._groups = self.axis.groups
        self._levels: tuple[float, float] | None = None
        self._x_range: tuple[float, float] | None = None

    def reset_view(self, run: Run) -> None:
        """New architecture (or a reset): clear the image and the text."""
        self._groups = groups = run_groups(run)
        self._steps = np.zeros(0, np.int64)
        self._log_norms = np.zeros((0, len(groups)))
        self.image.clear()
        self.hover.clear()
        self._levels = self._x_range = None
        self.axis.set_groups(groups)
        self.show_record(run)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Show the last N recorded steps of the grad_norm series up to record `index`."""
        if not len(run) or PARAM_STATS not in run.capabilities:
            self.image.clear()
            self.hover.clear()
            theme.set_text(self.note, "no step yet" if not len(run) else
                           "gradient history: this run recorded no gradient norms")
            return
        steps, norms = shared_series.tail(run, "grad_norm", index, self.n_steps)
        groups = self._groups
        grouped = len(groups) == norms.shape[1]
        if grouped and not groups.numbered:
            norms = norms[:, groups.order]          # rows in Gradient flow's order
        safe = log10_safe(norms, log_bounds(norms))
        self._steps, self._log_norms = steps, safe.values
        real = safe.values[~safe.underflow & ~safe.nonfinite]
        if real.size == 0:
            real = safe.values
        low, high = float(np.floor(real.min())), float(np.ceil(real.max()))
        if high <= low:
            low, high = low - 0.5, high + 0.5
        self.image.setImage(self._colour(safe.values, norms == 0, low, high), autoLevels=False)
        if (low, high) != self._levels:
            self._levels = (low, high)
            self.colorbar.setLevels(values=(low, high))
        n_layers = safe.values.shape[1]
        first, last = float(steps[0]) - 0.5, float(steps[-1]) + 0.5
        self.image.setRect(QRectF(first, 0.5, max(last - first, 1.0), n_layers))
        self._hover(run, steps, norms, first, max(last - first, 1.0) / len(steps), grouped)
        self._scroll_to(first, last)
        clamped = clamp_counts_text(safe)
        zeros = int(np.count_nonzero(norms == 0))
        set_live_text(self.note, f"{theme.ZERO_KEY} &nbsp;steps {steps[0]}–{steps[-1]}; colour "
                      f"range 1e{low:g} … 1e{high:g}"
                      + (f"; {zeros} cells exactly 0" if zeros else "")
                      + (f"; {clamped}, drawn at the range ends" if clamped and not zeros else ""))
        if force:
            flush_live_text(self.note)

    def _hover(self, run: Run, steps: np.ndarray, norms: np.ndarray, left: float,
               column_width: float, grouped: bool) -> None:
        """Hover labels for the cells drawn: parameter, shape, step and ‖dW‖_F."""
        if not grouped:
            self.hover.clear()
            return
        topology, groups = run.topology, self._groups   # never the run itself (a trainer)
        self.hover.set_cells(len(steps), norms.shape[1], left, column_width,
                             lambda c, r: param_text(topology, groups, r, "‖dW‖_F",
                                                     norms[c, r], int(steps[c])))

    def _colour(self, log_values: np.ndarray, zero: np.ndarray, low: float,
                high: float) -> np.ndarray:
        """(T, L, 4) uint8 RGBA: the colour map over [low, high], exact zeros in ZERO_COLOR."""
        scaled = np.clip((log_values - low) / (high - low), 0.0, 1.0)
        rgba = self._lut[(scaled * (len(self._lut) - 1)).astype(np.intp)]
        rgba[zero] = theme.ZERO_COLOR.getRgb()
        return rgba

    def _scroll_to(self, first: float, last: float) -> None:
        """Keep [first, last] in view, moving the x range in whole chunks of steps."""
        chunk = max(1.0, float(np.ceil(self.n_steps / SCROLL_CHUNKS)))
        start = float(np.floor(first / chunk) * chunk)
        width = max(last - start, self.n_steps + chunk)    # constant while the steps are dense
        end = start + float(np.ceil(width / chunk)) * chunk
        if (start, end) != self._x_range:
            self._x_range = (start, end)
            self.plot.setXRange(start, end, padding=0)

    def export_targets(self) -> list[ExportTarget]:
        """The heatmap (PNG/SVG) and its cells (CSV: one row per step, one column per layer)."""
        return [ExportTarget(self.title, self, self.graphics.ci, self._csv)]

    def _csv(self) -> tuple[list[str], np.ndarray]:
        """step, then log10 ‖dW‖_F of each row, exactly as coloured: weight layer i for a
        built-in run, else the parameter's name (in the rows' order)."""
        n_layers = self._log_norms.shape[1]
        groups = self._groups
        if groups.numbered or len(groups) != n_layers:
            rows = [f"layer {i + 1}" for i in range(n_layers)]
        else:
            rows = list(groups.names)
        headers = ["step"] + [f"{CSV_QUANTITY} {row}" for row in rows]
        return headers, np.column_stack([self._steps.astype(np.float64), self._log_norms])
