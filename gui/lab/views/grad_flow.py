"""Gradient flow: ‖dW‖ per parameter (log scale) for the current step, earlier steps fading, and
the back-propagated signal norm. Parameters are grouped by module (param_axis); hovering a point
names it (point_hover)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from core.runs import Run, StepRecord, site_positions
from gui.export import ExportTarget
from gui.export.table import NAME_HEADER
from gui.lab.views import theme
from gui.lab.views.history_cache import shared_series
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.param_axis import ParamAxis, positions, run_groups
from gui.lab.views.param_texts import axis_header, param_text, signal_text, with_names
from gui.lab.views.point_hover import PointHover
from gui.lab.views.run_view import record_at, signal_norms
from gui.lab.views.safe_values import clamp_counts_text, log_bounds, log_safe
from gui.lab.views.sticky_range import StickyRange, apply_y
from gui.lab.views.theory_band import TheoryBand
from gui.lab.views.zero_band import ZeroBand, consecutive

N_TRAIL = 10
NUMBERED_LABEL = "weight layer i (1 = input side → L = output)"


class GradFlowView(QWidget):
    """Log-scale ‖dW_i‖_F per weight layer i = 1..L, the newest step bright, earlier ones fading."""

    title = "Gradient flow"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale_recent = QCheckBox("Scale to recent window")
        self.scale_recent.setChecked(True)
        self.scale_recent.setToolTip("Checked: the y-axis fits the steps drawn now. Unchecked: it "
                                     "spans the smallest and largest values seen since the reset.")
        self.graphics = theme.make_graphics_widget()
        self.plot = theme.add_plot(self.graphics, self.title, NUMBERED_LABEL,
                                   "norm (log scale)", row=0, col=0, log_y=True)
        self.legend = legend = theme.add_legend(self.graphics, row=1, col=0, columns=2)
        self.note = theme.add_label(self.graphics, row=2, col=0, color=theme.FOREGROUND, size="8pt",
                                    justify="left")
        # plain curves, y in log10 view units (a PlotDataItem each cost ~3× the setData time,
        # 10 of them every frame: bench/bench_lab_views.py)
        self.trail = [pg.PlotCurveItem(pen=theme.pen(theme.faded(theme.ACCENT, 20 + 12 * k), 1.0))
                      for k in range(N_TRAIL)]
        for curve in self.trail:
            self.plot.addItem(curve)
        self.weight_line = self.plot.plot(pen=theme.pen(theme.ACCENT, 2.5))   # named runs
        self.current = self.plot.plot(pen=theme.pen(theme.ACCENT, 2.5), symbol="o", symbolSize=7,
                                      **theme.symbol_style(theme.ACCENT))
        self.bias_marks = self.plot.plot(pen=None, symbol="s", symbolSize=7,
                                         symbolBrush=pg.mkBrush(theme.BACKGROUND),
                                         symbolPen=theme.pen(theme.ACCENT, 1.5))
        self.signal = self.plot.plot(pen=theme.pen(theme.SECOND, 1.8, dashed=True), symbol="t",
                                     symbolSize=7, **theme.symbol_style(theme.SECOND))
        legend.addItem(self.current, "‖dW_i‖ this step")
        legend.addItem(self.signal, "signal ‖∂L/∂a_i‖ into layer i")
        legend.addItem(self.trail[-1], f"‖dW_i‖, {N_TRAIL} steps before")
        self.zeros = ZeroBand(self.plot, symbols=("x", "t"))
        legend.addItem(self.zeros.markers[0], "0: no gradient")
        self.theory = TheoryBand(self.plot, legend)
        self.axis = ParamAxis(self.plot, NUMBERED_LABEL, self)
        self.hover = PointHover(self.plot, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(theme.control_bar(self.scale_recent))
        layout.addWidget(self.graphics)
        self.setToolTip("Frobenius norm of each weight layer's gradient (bright line, this "
                        "step) and of the gradient signal flowing into it (dashed). Falling "
                        "towards layer 1 = vanishing gradient; rising = exploding. Values that "
                        "are exactly 0 (no gradient at all) are red marks on the band labelled "
                        "0 below the data: a log axis has no place for them.")
        self.scale_recent.toggled.connect(self._on_scale_toggled)
        self._y_range = StickyRange(pad_low=0.1, pad_high=0.1, min_pad=0.15)
        self._extremes = (np.inf, -np.inf)
        self._drawn: dict[str, np.ndarray] = {}
        self._trail_steps: np.ndarray = np.zeros(0, np.int64)
        self._step = 0
        self._groups = self.axis.groups
        self._names: list[str] = []
        self._site_targets = np.zeros(0, np.int64)     # per site: the parameter it feeds

    def reset_view(self, run: Run) -> None:
        """New architecture: forget extremes and trails."""
        self._extremes = (np.inf, -np.inf)
        self._drawn = {}
        self._y_range.reset()
        for curve in self.trail:
            curve.setData([], [])
        self._groups = groups = run_groups(run)
        self._names = list(groups.names)
        self._site_targets = site_positions([site.name for site in run.topology.sites], groups)
        self.axis.set_groups(groups)
        self.legend.removeItem(self.bias_marks)
        if not groups.numbered and "bias" in groups.kinds:
            self.legend.addItem(self.bias_marks, "biases (weights ●)")
        for item, numbered, named in (
                (self.current, "‖dW_i‖ this step", "‖grad‖ this step"),
                (self.signal, "signal ‖∂L/∂a_i‖ into layer i",
                 "signal ‖∂L/∂a‖ into layer"),
                (self.trail[-1], f"‖dW_i‖, {N_TRAIL} steps before",
                 f"‖grad‖, {N_TRAIL} steps before")):
            self.legend.getLabel(item).setText(numbered if groups.numbered else named)
        self.show_record(run)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Draw record `index` and the trail of the recorded steps before it."""
        found = record_at(run, index)
        if found is None or found[1].grad_norm is None:
            for item in (self.current, self.signal, self.weight_line, self.bias_marks,
                         *self.trail):
                item.setData([], [])
            self.theory.clear()
            self.zeros.show(None, [])
            self.hover.set_points([])
            self._drawn = {}
            theme.set_text(self.note, "no step yet" if found is None else
                           "gradient flow: this run recorded no gradient norms")
            return
        index, record = found
        groups = self._groups
        order = groups.order if len(groups) == len(record.grad_norm) else \
            np.arange(len(record.grad_norm))
        grad_norms = np.asarray(record.grad_norm, np.float64)[order]
        layers = positions(len(grad_norms))
        signal_layers, signal_raw, sources = self._signal(record)
        steps, history = shared_series.tail(run, "grad_norm", index, N_TRAIL + 1)
        before = steps < record.step
        earlier = history[before][-N_TRAIL:][:, order]
        self._trail_steps = steps[before][-N_TRAIL:]
        bounds = log_bounds(grad_norms, signal_raw, earlier)
        grads = log_safe(grad_norms, bounds)
        signal = log_safe(signal_raw, bounds)
        trail = log_safe(earlier, bounds)
        # an input signal a probe run did not record is NaN: "not recorded" is not "diverged"
        recorded = np.array([s >= 0 or record.input_signal_norm is not None for s in sources],
                            bool)
        named = len(groups) == len(layers) and not groups.numbered
        kinds = np.array(groups.kinds if named else ["weight"] * len(layers))
        # named runs: one line through the weights only (weight, bias, weight… would zig-zag)
        line = kinds == "weight"
        weight_rank = np.cumsum(line) - 1.0
        all_points = np.ones(len(layers), bool)
        _draw(self.current, layers, grads.values, grad_norms, all_points,
              None if named else layers)
        _draw(self.signal, signal_layers, signal.values, signal_raw, recorded,
              np.arange(len(signal_layers), dtype=np.float64) if named else signal_layers)
        _draw(self.weight_line, layers, grads.values, grad_norms, line & named, weight_rank)
        _draw(self.bias_marks, layers, grads.values, grad_norms, kinds == "bias", None)
        zeros = self.zeros.show(bounds.floor, [(layers, grad_norms),
                                               (signal_layers, signal_raw)])
        self.theory.update(run, grad_norms)
        offset = N_TRAIL - len(trail.values)
        for k, curve in enumerate(self.trail):
            if k >= offset:
                _draw_line(curve, layers, trail.values[k - offset], earlier[k - offset], line,
                           weight_rank)
            elif curve.xData is not None and len(curve.xData):
                curve.setData([], [])
        self._step = record.step
        self._hover(run, record.step, bounds.floor, layers, grads.values, grad_norms,
                    signal_layers, signal.values, signal_raw, sources, recorded)
        # the CSV holds what is drawn: an exact zero is 0 (it is on the 0 band)
        signal_drawn = np.full(len(layers), np.nan)   # a probe run may have fewer sites
        into = (signal_layers - 1).astype(np.int64)
        signal_drawn[into[recorded]] = np.where(signal_raw == 0, 0.0, signal.values)[recorded]
        self._drawn = {"layer": layers, "grad": np.where(grad_norms == 0, 0.0, grads.values),
                       "signal": signal_drawn, "trail": trail.values}
        band = self.theory.predicted[np.isfinite(self.theory.predicted)
                                     & (self.theory.predicted > 0)]
        drawn = np.concatenate([grads.values, signal.values[recorded], trail.values.ravel(),
                                np.clip(band, bounds.floor, bounds.ceiling)])
        low, high = float(drawn.min()), float(drawn.max())
        self._extremes = (min(self._extremes[0], low), max(self._extremes[1], high))
        self._recent = (low, high)
        measured = log_safe(signal_raw[recorded], bounds)    # "not recorded" is not "diverged"
        notes = [n for n in (clamp_counts_text(grads), clamp_counts_text(measured)) if n]
        if zeros:
            notes = [f"{zeros} values exactly 0 (no gradient), red on the 0 band"]
        if self.theory.note and not notes:
            notes = [self.theory.note]
        set_live_text(self.note, f"step {record.step}" + (" — " + notes[0] if notes else "")
                      + ("" if not record.diverged else " — diverged, weights not updated"))
        if force:
            flush_live_text(self.note)
        self._apply_range()

    def _signal(self, record: StepRecord) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(x, ‖∂L/∂a‖, source) of each signal point: source -1 is the input, else the site.
        Built-in runs: the input's into layer 1, site Li's into layer i + 1. Named runs: each
        site's at the parameter it feeds when the module names tell (site_positions)."""
        raw = signal_norms(record)
        if self._groups.numbered or not len(self._groups):
            n = min(len(raw), max(len(self._groups), 1))
            return positions(n), raw[:n], list(range(-1, n - 1))
        targets = self._site_targets
        placed = np.flatnonzero(targets[:len(raw) - 1] >= 0)
        x = np.concatenate([[0], targets[placed]]) + 1.0
        values = np.concatenate([raw[:1], raw[1:][placed]])
        sources = [-1, *placed.tolist()]
        ranked = np.argsort(x, kind="stable")
        return x[ranked], values[ranked], [sources[k] for k in ranked]

    def _hover(self, run: Run, step: int, floor: float, layers: np.ndarray, grads: np.ndarray,
               grad_raw: np.ndarray, signal_layers: np.ndarray, signal: np.ndarray,
               signal_raw: np.ndarray, sources: list[int], recorded: np.ndarray) -> None:
        """Hover labels for the ‖grad‖ and signal points, where they are drawn (zeros on the
        0 band)."""
        groups = self._groups
        if len(groups) != len(layers):
            self.hover.set_points([])
            return
        at = float(np.log10(floor))
        topology = run.topology      # the texts hold the topology, never the run (a trainer)
        grad_y = np.where(grad_raw == 0, at, np.log10(grads))
        signal_y = np.where(signal_raw == 0, at, np.log10(signal))
        signal_y[~recorded] = np.nan
        self.hover.set_points([
            (layers, grad_y,
             lambda k: param_text(topology, groups, k, "‖grad‖", grad_raw[k], step)),
            (signal_layers, signal_y,
             lambda k: signal_text(topology, groups, sources[k], int(signal_layers[k]) - 1,
                                   signal_raw[k], step))])

    def _on_scale_toggled(self) -> None:
        """The other fitting rule: refit at once."""
        self._y_range.reset()
        self._apply_range()

    def _apply_range(self) -> None:
        """Fit the y-axis to the recent window or to all-time extremes (log10 view units), with
        hysteresis so it does not move (and re-lay its ticks) on every frame."""
        if not self._drawn:
            return
        low, high = self._recent if self.scale_recent.isChecked() else self._extremes
        apply_y(self.plot, self._y_range, float(np.log10(low)), float(np.log10(high)))

    def export_targets(self) -> list[ExportTarget]:
        """The plot (PNG/SVG) and the drawn norms per layer (CSV)."""
        return [ExportTarget(self.title, self, self.plot, self._csv)]

    def _csv(self) -> tuple[list[str], np.ndarray]:
        """parameter name, layer, ‖dW‖ this step, signal norm into it, then one column per
        fading earlier step."""
        if not self._drawn:
            return [NAME_HEADER, "layer"], np.zeros((0, 2), object)
        headers = [axis_header(self._groups), f"grad_norm ‖dW‖_F step {self._step}",
                   "signal_norm ‖∂L/∂a‖_F"]
        headers += [f"grad_norm ‖dW‖_F step {s}" for s in self._trail_steps]
        columns = [self._drawn["layer"], self._drawn["grad"], self._drawn["signal"],
                   *self._drawn["trail"]]
        return with_names(self._names, headers, np.column_stack(columns))


def _draw(item, x: np.ndarray, drawn: np.ndarray, raw: np.ndarray, present: np.ndarray,
          join: np.ndarray | None) -> None:
    """Set `item` to the `present` points whose value is not exactly 0 (zeros go on the 0 band,
    not on the log axis); a line joins two points whose `join` ranks are neighbours (none when
    `join` is None)."""
    keep = (raw != 0) & present
    if not keep.any() and (item.xData is None or not len(item.xData)):
        return      # empty and staying empty (a built-in run's bias marks): skip the setData
    connect = np.zeros(int(keep.sum()), bool) if join is None else consecutive(join[keep])
    item.setData(x[keep], drawn[keep], connect=connect)


def _draw_line(curve: pg.PlotCurveItem, x: np.ndarray, drawn: np.ndarray, raw: np.ndarray,
               present: np.ndarray, join: np.ndarray) -> None:
    """`_draw` for a plain curve on the log axis: y in log10 view units."""
    keep = (raw != 0) & present
    connect = consecutive(join[keep])
    curve.setData(x[keep], np.log10(drawn[keep]),
                  connect="all" if connect[:-1].all() else connect)
