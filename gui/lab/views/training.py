"""Training: loss (log scale) and train/test accuracy over steps; decision boundary for 2-D data."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.datasets import dataset_task
from core.runs import ACCURACY, LOSS, Run
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.band_line import BandLine
from gui.lab.views.boundary_plot import BoundaryPlot
from gui.lab.views.history_cache import (
    shared_clamp_counts,
    shared_envelopes,
    shared_series,
)
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.run_view import config_value, record_at
from gui.lab.views.safe_values import counts_text, log_bounds, log_safe
from gui.lab.views.sticky_range import StickyRange, apply_x, apply_y
from gui.lab.views.visible_span import VisibleSpan


class TrainingView(QWidget):
    """Loss and accuracy curves; for 2-D inputs the decision boundary under the training points."""

    sigRedrawRequested = Signal()   # zoomed or panned; the Lab calls show_record between steps

    title = "Training"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = theme.make_graphics_widget()
        self.loss_plot = theme.add_plot(self.graphics, "Loss", "step", "loss (batch, log)",
                                        row=0, col=0, log_y=True)
        # colours named in the title: a legend would cover most of this short plot
        self.accuracy_plot = theme.add_plot(
            self.graphics,
            f"Accuracy — <span style='color:{theme.ACCENT.name()}'>train (batch)</span>, "
            f"<span style='color:{theme.SECOND.name()}'>test split</span>", "step", "accuracy (%)",
            row=1, col=0)
        self.accuracy_plot.setXLink(self.loss_plot)
        # stacked plots share the step axis: drawn once, under the lower one (a dock at
        # 1280×720 has ~250 px for both plots)
        self.loss_plot.hideAxis("bottom")
        self.loss_plot.setTitle(None)
        self.accuracy_plot.setYRange(0, 100, padding=0.02)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.disableAutoRange()   # sticky ranges below: refitting every frame costs ms
        self._step_range = StickyRange(pad_low=0.0, pad_high=0.15, min_pad=10.0)
        self._loss_range = StickyRange(pad_low=0.1, pad_high=0.1, min_pad=0.1)
        # long runs: filled min..max bands (BandLine); short ones: the line itself
        self.loss_line = BandLine(self.loss_plot, theme.pen(theme.ACCENT, 1.5), log_y=True)
        self.train_line = BandLine(self.accuracy_plot, theme.pen(theme.ACCENT, 1.5))
        self.test_line = BandLine(self.accuracy_plot, theme.pen(theme.SECOND, 2.0))
        # the accuracy plot's x range is linked to the loss plot's: one span for both
        self._span = VisibleSpan(self.loss_plot, self._on_view_changed, self)
        self.loss_curve = self.loss_line.line
        self.train_curve = self.train_line.line
        self.test_curve = self.test_line.line
        self.boundary = BoundaryPlot(theme.add_plot(
            self.graphics, *BoundaryPlot.labels, row=0, col=1, rowspan=2))
        self.graphics.ci.layout.setColumnStretchFactor(0, 3)
        self.graphics.ci.layout.setColumnStretchFactor(1, 2)
        self.note = theme.add_label(self.graphics, row=2, col=0, colspan=2, size="8pt",
                                    color=theme.FOREGROUND, justify="left")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.setToolTip("Loss on each training batch (log scale); accuracy on the batch (blue) and "
                        "on the held-out test split (pink, measured with the dead-unit stats). "
                        "Right: the network's prediction over the input plane with the training "
                        "points coloured by class (recomputed at most 4 times a second).")
        self._has_boundary = False
        self._run: Run | None = None
        self._drawn: dict[str, int] = {}

    def reset_view(self, run: Run) -> None:
        """Show the boundary plot for 2-D data with a model (else one line why not)."""
        self.boundary.reset(run)
        self._has_boundary = self.boundary.available
        self.boundary.plot.setVisible(self._has_boundary)
        try:
            task = dataset_task(config_value(run, "dataset", ""), config_value(run, "n_classes", 3))
        except ValueError:
            task = None    # a probe run, or a csv run (its task is in the file)
        classifies = task != "regression" if task is not None else ACCURACY in run.capabilities
        self.accuracy_plot.setVisible(classifies)
        self._drawn = {}
        self._span.forget()
        self._step_range.reset()
        self._loss_range.reset()
        self.show_record(run, force=True)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Redraw the curves up to record `index`; recompute the boundary when due (throttled
        unless `force`; only for the newest record: the model exists only as it is now)."""
        self._show_curves(run, index)
        self.boundary.show_record(run, index, force=force)
        if force:
            flush_live_text(self.note)

    def _show_curves(self, run: Run, index: int) -> None:
        self._run = run
        found = record_at(run, index)
        if found is None or LOSS not in run.capabilities:
            text = "no step yet" if found is None else "training curves: this run recorded no loss"
            theme.set_text(self.note, text + ("<br>" + self.boundary.reason
                                              if self.boundary.reason else ""))
            for line in (self.loss_line, self.train_line, self.test_line):
                line.clear()
            self._drawn = {}
            return
        index, record = found
        # lines decimated to about the plot's pixel width over the steps it shows, every
        # bucket's min and max kept; non-finite losses are drawn at the ceiling (+inf), missing
        # accuracies not at all
        steps = run.steps()
        apply_x(self.loss_plot, self._step_range, float(steps[0]), float(steps[index]))
        first, end, target = self._span.records(steps, index + 1)
        last = end - 1
        x, loss = shared_envelopes.read(run, "loss", last, target, fill=np.inf, first=first)
        safe_loss = log_safe(loss, log_bounds(loss))
        self.loss_line.set_points(x, safe_loss.values)
        apply_y(self.loss_plot, self._loss_range, float(np.log10(safe_loss.values.min())),
                float(np.log10(safe_loss.values.max())))
        x_train, train = shared_envelopes.read(run, "train_accuracy", last, target, fill=np.nan,
                                               first=first)
        x_test, test = shared_envelopes.read(run, "test_accuracy", last, target, fill=np.nan,
                                             first=first)
        shown_train, shown_test = np.isfinite(train), np.isfinite(test)
        self.train_line.set_points(x_train[shown_train], 100.0 * train[shown_train])
        self.test_line.set_points(x_test[shown_test], 100.0 * test[shown_test])
        self._drawn = {"index": index}
        loss_now = record.loss if record.loss is not None else float("nan")
        text = f"step {record.step}, loss {loss_now:.4g}"
        if shown_test.any():
            _, tests = shared_series.read(run, "test_accuracy", index)
            text += f", test accuracy {100.0 * _last_finite(tests):.1f} %"
        clamped = ""
        zoomed = first > 0 or end <= index
        if zoomed or not np.isfinite(loss).all() or (loss <= 0).any():   # envelopes keep both
            clamped = counts_text(*shared_clamp_counts.read(run, "loss", index))
        if clamped:
            text += f"; loss: {clamped}, drawn at the axis ends"
        if record.diverged:
            text += " — diverged, weights not updated"
        if self.boundary.reason:
            text += "<br>" + self.boundary.reason
        set_live_text(self.note, text)

    def _on_view_changed(self) -> None:
        """Ask for a redraw of the steps now shown; the Lab runs it between steps, because the
        training thread may be appending to the history at this moment."""
        if self._drawn:
            self.sigRedrawRequested.emit()

    def export_targets(self) -> list[ExportTarget]:
        """Loss/accuracy curves and (for 2-D data) the decision boundary grid."""
        targets = [ExportTarget("Training curves", self, self.loss_plot, self._curves_csv)]
        if self._has_boundary:
            targets.append(ExportTarget("Decision boundary", self, self.boundary.plot,
                                        self.boundary.csv))
        return targets

    def _curves_csv(self) -> tuple[list[str], np.ndarray]:
        """step, loss (as drawn), train and test accuracy in % (nan = not drawn), at every
        recorded step (full resolution: the lines are drawn decimated)."""
        headers = ["step", "loss (batch)", "train_accuracy (%)", "test_accuracy (%)"]
        if not self._drawn or self._run is None:
            return headers, np.zeros((0, 4))
        run, index = self._run, self._drawn["index"]
        steps, loss = shared_series.read(run, "loss", index)
        columns = [steps.astype(np.float64), log_safe(loss, log_bounds(loss)).values]
        for name in ("train_accuracy", "test_accuracy"):
            percent = 100.0 * shared_series.read(run, name, index)[1]
            columns.append(np.where(np.isfinite(percent), percent, np.nan))
        return headers, np.column_stack(columns)


def _last_finite(values: np.ndarray) -> float:
    """The last finite value of `values` (NaN when none), looking back from the end in pieces
    (a long run's accuracy is measured every few records)."""
    end = len(values)
    piece = 1024
    while end > 0:
        part = values[max(0, end - piece):end]
        found = np.flatnonzero(np.isfinite(part))
        if len(found):
            return float(part[found[-1]])
        end -= piece
        piece *= 4
    return float("nan")
