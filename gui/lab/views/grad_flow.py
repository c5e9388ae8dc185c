"""Gradient flow: ‖dW‖ per layer (log scale) for the current step, earlier steps fading, and the
back-propagated signal norm."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from core.runs import Run
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.history_cache import shared_series
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.run_view import n_param_layers, record_at, signal_norms
from gui.lab.views.safe_values import clamp_counts_text, log_bounds, log_safe
from gui.lab.views.sticky_range import StickyRange, apply_y
from gui.lab.views.theory_band import TheoryBand
from gui.lab.views.zero_band import ZeroBand, consecutive

N_TRAIL = 10


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
        self.plot = theme.add_plot(self.graphics, self.title,
                                   "weight layer i (1 = input side → L = output)",
                                   "norm (log scale)", row=0, col=0, log_y=True)
        legend = theme.add_legend(self.graphics, row=1, col=0, columns=2)
        self.note = theme.add_label(self.graphics, row=2, col=0, color=theme.FOREGROUND, size="8pt",
                                    justify="left")
        self.trail = [self.plot.plot(pen=theme.pen(theme.faded(theme.ACCENT, 20 + 12 * k), 1.0))
                      for k in range(N_TRAIL)]
        self.current = self.plot.plot(pen=theme.pen(theme.ACCENT, 2.5), symbol="o", symbolSize=7,
                                      **theme.symbol_style(theme.ACCENT))
        self.signal = self.plot.plot(pen=theme.pen(theme.SECOND, 1.8, dashed=True), symbol="t",
                                     symbolSize=7, **theme.symbol_style(theme.SECOND))
        legend.addItem(self.current, "‖dW_i‖ this step")
        legend.addItem(self.signal, "signal ‖∂L/∂a_i‖ into layer i")
        legend.addItem(self.trail[-1], f"‖dW_i‖, {N_TRAIL} steps before")
        self.zeros = ZeroBand(self.plot, symbols=("x", "t"))
        legend.addItem(self.zeros.markers[0], "0: no gradient")
        self.theory = TheoryBand(self.plot, legend)
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

    def reset_view(self, run: Run) -> None:
        """New architecture: forget extremes and trails."""
        self._extremes = (np.inf, -np.inf)
        self._drawn = {}
        self._y_range.reset()
        for curve in self.trail:
            curve.setData([], [])
        n_layers = n_param_layers(run)
        theme.layer_ticks(self.plot.getAxis("bottom"), n_layers)
        self.plot.setXRange(0.5, n_layers + 0.5, padding=0.02)
        self.show_record(run)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Draw record `index` and the trail of the recorded steps before it."""
        found = record_at(run, index)
        if found is None or found[1].grad_norm is None:
            self.current.setData([], [])
            self.signal.setData([], [])
            for curve in self.trail:
                curve.setData([], [])
            self.theory.clear()
            self.zeros.show(None, [])
            self._drawn = {}
            theme.set_text(self.note, "no step yet" if found is None else
                           "gradient flow: this run recorded no gradient norms")
            return
        index, record = found
        grad_norms = np.asarray(record.grad_norm, np.float64)
        signal_raw = signal_norms(record)
        layers = np.arange(1, len(grad_norms) + 1, dtype=np.float64)
        signal_layers = np.arange(1, len(signal_raw) + 1, dtype=np.float64)
        steps, history = shared_series.read(run, "grad_norm", index)
        earlier = history[steps < record.step][-N_TRAIL:]
        self._trail_steps = steps[steps < record.step][-N_TRAIL:]
        bounds = log_bounds(grad_norms, signal_raw, earlier)
        grads = log_safe(grad_norms, bounds)
        signal = log_safe(signal_raw, bounds)
        trail = log_safe(earlier, bounds)
        recorded = np.ones(len(signal_raw), bool)
        recorded[0] = record.input_signal_norm is not None
        for item, xs, safe, raw, present in (
                (self.current, layers, grads, grad_norms, np.ones(len(layers), bool)),
                (self.signal, signal_layers, signal, signal_raw, recorded)):
            keep = (raw != 0) & present    # exact zeros go on the 0 band, not on the log axis
            item.setData(xs[keep], safe.values[keep], connect=consecutive(xs[keep]))
        zeros = self.zeros.show(bounds.floor, [(layers, grad_norms),
                                               (signal_layers, signal_raw)])
        self.theory.update(run, grad_norms)
        offset = N_TRAIL - len(trail.values)
        for k, curve in enumerate(self.trail):
            if k >= offset:
                keep = earlier[k - offset] != 0
                curve.setData(layers[keep], trail.values[k - offset][keep],
                              connect=consecutive(layers[keep]))
            else:
                curve.setData([], [])
        self._step = record.step
        # the CSV holds what is drawn: an exact zero is 0 (it is on the 0 band)
        signal_drawn = np.full(len(layers), np.nan)   # a probe run may have fewer sites
        shared = min(len(layers), len(signal_raw))
        signal_drawn[:shared] = np.where(signal_raw == 0, 0.0, signal.values)[:shared]
        self._drawn = {"layer": layers, "grad": np.where(grad_norms == 0, 0.0, grads.values),
                       "signal": signal_drawn, "trail": trail.values}
        band = self.theory.predicted[np.isfinite(self.theory.predicted)
                                     & (self.theory.predicted > 0)]
        drawn = np.concatenate([grads.values, signal.values, trail.values.ravel(),
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
        """layer, ‖dW‖ this step, signal norm, then one column per fading earlier step."""
        if not self._drawn:
            return ["layer"], np.zeros((0, 1))
        headers = ["layer (1 = input side)", f"grad_norm ‖dW‖_F step {self._step}",
                   "signal_norm ‖∂L/∂a‖_F"]
        headers += [f"grad_norm ‖dW‖_F step {s}" for s in self._trail_steps]
        columns = [self._drawn["layer"], self._drawn["grad"], self._drawn["signal"],
                   *self._drawn["trail"]]
        return headers, np.column_stack(columns)

