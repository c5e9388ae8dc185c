"""Neuron death: total dead % (dataset definition), dead fraction per layer over time, the
layer × unit alive/dead grid, and the saturation fraction for sigmoid/tanh-like activations."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from core.runs import PER_UNIT, SITE_STATS, Run
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.band_line import BandLine
from gui.lab.views.death_grid import DeadGridPlot
from gui.lab.views.history_cache import shared_envelopes, shared_series
from gui.lab.views.run_view import config_value, per_unit, record_at, split_units
from gui.lab.views.safe_values import finite_or
from gui.lab.views.sticky_range import StickyRange, apply_x
from gui.lab.views.visible_span import VisibleSpan

MAX_LINES = 12
SATURATING = {"sigmoid", "tanh", "hard_sigmoid", "softsign"}
DATASET_DEFINITION = ("dead on the dataset: f′ = 0 for every training sample "
                      "(refreshed every {k} steps)")
WINDOW_DEFINITION = "dead on every batch since the window's start"
BATCH_DEFINITION = "dead on this batch (f′ = 0 for every sample of the step's minibatch)"
MASKS_NOT_RECORDED = "not recorded by this run (no per-unit dead masks)"
MASKS_NOT_YET = "not measured yet"
LINES_NOT_RECORDED = "none recorded in the steps shown"


def shown_layers(n_hidden: int, max_lines: int = MAX_LINES) -> np.ndarray:
    """Indices of the hidden layers drawn as lines: all, or evenly spaced incl. first and last."""
    if n_hidden <= max_lines:
        return np.arange(n_hidden)
    return np.unique(np.linspace(0, n_hidden - 1, max_lines).round().astype(np.int64))


def _definition_text(masks: str, lines: str, merged: bool) -> str:
    """What the big number and grid count (`masks`: definition and as of when) and what the
    lines show, in two short lines (a LabelItem does not wrap and would widen the view); one
    definition for all when `merged`."""
    if merged:
        return f"big number, grid and lines —<br>{masks}"
    return f"big number and grid — {masks}<br>lines — {lines}"


class DeathView(QWidget):
    """How many units are dead (and saturated), per layer and over time."""

    sigRedrawRequested = Signal()   # an option changed; the Lab calls refresh between steps

    title = "Neuron death"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.batch_definition = QCheckBox("Batch definition")
        self.batch_definition.setToolTip(BATCH_DEFINITION + "; unchecked: " +
                                         DATASET_DEFINITION.format(k="k"))
        self.show_saturation = QCheckBox("Saturation (dashed)")
        self.show_saturation.setToolTip("Fraction of units with |f′| below the saturation "
                                        "threshold for every sample of the batch (not dead).")
        self.graphics = theme.make_graphics_widget()
        self.big_number = theme.add_label(self.graphics, row=0, col=0, colspan=2, size="15pt",
                                          color=theme.FOREGROUND, bold=True)
        self.definition = theme.add_label(self.graphics, row=1, col=0, colspan=2, size="8pt",
                                          color=theme.FOREGROUND, justify="left")
        self.lines_plot = theme.add_plot(self.graphics, "Dead units per layer", "step",
                                         "units (%)", row=2, col=0)
        self.lines_plot.setDownsampling(auto=True, mode="peak")
        self.lines_plot.setClipToView(True)
        self.lines_plot.disableAutoRange()   # sticky ranges: refitting every frame costs ms
        self._step_range = StickyRange(pad_low=0.0, pad_high=0.15, min_pad=10.0)
        self._top_range = StickyRange(pad_low=0.0, pad_high=0.25, min_pad=1.0)
        # zoomed or panned: the lines are re-read for the steps shown (between two steps)
        self._span = VisibleSpan(self.lines_plot, self._on_option_changed, self)
        self.legend = theme.add_legend(self.graphics, row=3, col=0, columns=6)
        self.grid = DeadGridPlot(theme.add_plot(
            self.graphics, DeadGridPlot.title, "unit index", "hidden layer", row=2, col=1))
        self.graphics.ci.layout.setColumnStretchFactor(0, 3)
        self.graphics.ci.layout.setColumnStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(theme.control_bar(self.batch_definition, self.show_saturation))
        layout.addWidget(self.graphics)
        self.setToolTip("Dead unit: its activation derivative f′ is 0 for every sample of the "
                        "set considered, so it passes no gradient back and its own weights get "
                        "none from that set; it revives only if earlier layers change what it "
                        "receives.")
        self.batch_definition.toggled.connect(self._on_option_changed)
        self.show_saturation.toggled.connect(self._on_option_changed)
        self._layers = np.zeros(0, np.int64)
        self._dead_lines: list[BandLine] = []
        self._saturation_curves: list = []
        self._saturation_shown = True   # the saturation curves may hold data (cleared once)
        self._drawn: dict[str, np.ndarray] = {}
        self._run: Run | None = None
        self._index = -1
        self._lines_title = ""
        self.total_dead_percent = 0.0

    def reset_view(self, run: Run) -> None:
        """Create one dead line and one saturation line per shown hidden layer."""
        for line in self._dead_lines:
            line.remove()
        for curve in self._saturation_curves:
            self.lines_plot.removeItem(curve)
        self.legend.clear()
        n_hidden = len(run.topology.sites)
        self._layers = shown_layers(n_hidden)
        colors = theme.ramp_colors(len(self._layers))
        self._dead_lines, self._saturation_curves = [], []
        label_every = max(1, len(self._layers) // 6)
        for k, (layer, color) in enumerate(zip(self._layers, colors, strict=True)):
            labelled = k % label_every == 0 or k == len(self._layers) - 1
            name = f"h{layer + 1}" if labelled else None
            self._dead_lines.append(BandLine(self.lines_plot, theme.pen(color, 1.8)))
            if name is not None:
                self.legend.addItem(self._dead_lines[-1].line, name)
            self._saturation_curves.append(self.lines_plot.plot(pen=theme.pen(color, 1.2,
                                                                              dashed=True)))
        names = {site.activation for site in run.topology.sites}
        self.show_saturation.setChecked(bool(names & SATURATING))
        self._drawn = {}
        self._span.forget()
        self._step_range.reset()
        self._top_range.reset()
        self.grid.forget()
        self.show_record(run)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Redraw the big number, the lines and the grid as of record `index`."""
        self._run = run
        self._index = index
        found = record_at(run, index)
        n_hidden = len(run.topology.sites)
        if found is None or n_hidden == 0:
            theme.set_text(self.big_number,
                           "no hidden layer" if n_hidden == 0 else "total dead: –")
            theme.set_text(self.definition, "" if n_hidden == 0 else "no step yet")
            return
        index, record = found
        if SITE_STATS not in run.capabilities:
            theme.set_text(self.big_number, "total dead: –")
            theme.set_text(self.definition, "neuron death: this run recorded no dead or "
                                            "saturated fractions")
            return
        dead_flat, window = per_unit(run, index, record, "dead_units")
        window = record.window_step if record.window_step is not None else window
        k = config_value(run, "dead_refresh_every")
        dataset_definition = (DATASET_DEFINITION.format(k=k) if k is not None else
                              WINDOW_DEFINITION)
        if dead_flat is None:
            theme.set_text(self.big_number, "total dead: –")
            # the per-unit dead masks the big number and the grid count
            why = MASKS_NOT_YET if PER_UNIT in run.capabilities else MASKS_NOT_RECORDED
            masks = f": {why}"
            self.grid.forget(why)      # its title says the same (not "not measured yet")
        else:
            self.total_dead_percent = 100.0 * float(np.asarray(dead_flat, bool).mean())
            theme.set_text(self.big_number, f"total dead: {self.total_dead_percent:.1f} %")
            masks = f", as of step {window}"
        batch = self.batch_definition.isChecked()
        kind = "Dead (solid) and saturated (dashed)" if self.show_saturation.isChecked() else "Dead"
        where = "this batch" if batch else "dataset"
        lines_title = f"{kind} units per layer — {where}"
        if lines_title != self._lines_title:   # a new title text re-lays the plot out
            self._lines_title = lines_title
            self.lines_plot.setTitle(lines_title, color=theme.FOREGROUND, size="9pt")
        lines_recorded = self._draw_lines(run, index, batch)
        text = _definition_text(dataset_definition + masks,
                                (BATCH_DEFINITION if batch else dataset_definition) +
                                ("" if lines_recorded else f": {LINES_NOT_RECORDED}"),
                                merged=not batch and lines_recorded == (dead_flat is not None))
        theme.set_text(self.definition, text + self._subset_note(n_hidden))
        if dead_flat is not None:
            self.grid.update(split_units(run, np.asarray(dead_flat, bool), False),
                             -1 if window is None else window)

    def _subset_note(self, n_hidden: int) -> str:
        """Which layers the lines show when not all of them."""
        if len(self._layers) == n_hidden:
            return ""
        return f" ({len(self._layers)} of {n_hidden} layers shown, evenly spaced)"

    def _draw_lines(self, run: Run, index: int, batch: bool) -> bool:
        """Dead (and saturation) % per shown layer over the recorded steps up to `index` that
        the plot shows, each line decimated to about its pixel width with every bucket's min
        and max kept (the records themselves when zoomed in to fewer). False when no dead
        fraction is recorded in the steps drawn (the lines are empty)."""
        field = "dead_batch" if batch else "dead_window"
        steps = run.steps()
        apply_x(self.lines_plot, self._step_range, float(steps[0]), float(steps[index]))
        first, end, target = self._span.records(steps, index + 1)   # the steps shown
        columns = tuple(int(layer) for layer in self._layers)
        # not-recorded values are NaN, ignored by the buckets' min and max; a bucket of NaN
        # only is drawn at 0, and no line at all when nothing is recorded
        x, dead = shared_envelopes.read(run, field, end - 1, target, columns, first=first)
        recorded = np.isfinite(dead)
        lines_recorded = bool(recorded.any())
        dead_percent = 100.0 * np.where(recorded, dead, 0.0)
        for k, line in enumerate(self._dead_lines):
            if lines_recorded:
                line.set_points(x, dead_percent[:, k])
            else:
                line.clear()
        saturation = self.show_saturation.isChecked()
        self._drawn = {"index": index, "field": field, "saturated": saturation}
        top = float(dead_percent.max(initial=0.0))
        if saturation:
            xs, saturated = shared_envelopes.read(run, "saturated_batch", end - 1, target,
                                                  columns, fill=0.0, first=first)
            saturated_percent = 100.0 * saturated
            for k, curve in enumerate(self._saturation_curves):
                curve.setData(xs, saturated_percent[:, k])
            top = max(top, float(saturated_percent.max(initial=0.0)))
        elif self._saturation_shown:
            for curve in self._saturation_curves:
                curve.setData([], [])
        self._saturation_shown = saturation
        new_top = self._top_range.fit(0.0, max(4.0, top))
        if new_top is not None:
            self.lines_plot.setYRange(0.0, min(100.0, new_top[1]), padding=0.02)
        return lines_recorded

    def _on_option_changed(self) -> None:
        """Ask for a redraw now (not only on the next frame); the Lab runs it between steps,
        because the training thread may be appending to the history at this moment."""
        if self._run is not None and self._dead_lines:
            self.sigRedrawRequested.emit()

    def export_targets(self) -> list[ExportTarget]:
        """Lines over time (CSV: step × layer) and the alive/dead grid (CSV: one row per cell)."""
        return [ExportTarget("Dead units per layer", self, self.lines_plot, self._lines_csv),
                ExportTarget("Alive/dead units", self, self.grid.plot, self.grid.csv)]

    def _lines_csv(self) -> tuple[list[str], np.ndarray]:
        """step, then dead % (and saturated %) of each drawn layer at every recorded step (full
        resolution: the lines are drawn decimated)."""
        if not self._drawn or self._run is None:
            return ["step"], np.zeros((0, 1))
        run, index = self._run, self._drawn["index"]
        which = "batch" if self._drawn["field"] == "dead_batch" else "dataset"
        headers = ["step"] + [f"dead_{which} h{i + 1} (%)" for i in self._layers]
        steps, dead = shared_series.read(run, self._drawn["field"], index)
        columns = [steps.astype(np.float64)[:, None],
                   100.0 * finite_or(dead[:, self._layers], 0.0)]
        if self._drawn["saturated"]:
            _, saturated = shared_series.read(run, "saturated_batch", index)
            headers += [f"saturated_batch h{i + 1} (%)" for i in self._layers]
            columns.append(100.0 * finite_or(saturated[:, self._layers], 0.0))
        return headers, np.concatenate(columns, axis=1)
