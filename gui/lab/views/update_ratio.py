"""Update-to-weight ratio ‖ΔW_i‖_F / ‖W_i‖_F per parameter (log scale) with the healthy band
shaded; parameters grouped by module (param_axis), named on hover (point_hover)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.runs import Run
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.param_axis import ParamAxis, positions, run_groups
from gui.lab.views.param_texts import axis_header, param_text, with_names
from gui.lab.views.point_hover import PointHover
from gui.lab.views.run_view import record_at
from gui.lab.views.safe_values import clamp_counts_text, log_bounds, log_safe
from gui.lab.views.sticky_range import StickyRange, apply_y

HEALTHY_LOW, HEALTHY_HIGH = 1e-4, 1e-2      # rule of thumb: about 1e-3 per step is healthy
HEALTHY_COLOR = (80, 200, 120)
NUMBERED_LABEL = "weight layer i (1 = input side)"


class UpdateRatioView(QWidget):
    """How much each step changes each weight matrix relative to its size."""

    title = "Update / weight ratio"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = theme.make_graphics_widget()
        self.plot = theme.add_plot(self.graphics, self.title, NUMBERED_LABEL,
                                   "‖ΔW_i‖_F / ‖W_i‖_F (log scale)", row=0, col=0, log_y=True)
        self.band = pg.LinearRegionItem(values=(np.log10(HEALTHY_LOW), np.log10(HEALTHY_HIGH)),
                                        orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(*HEALTHY_COLOR, 40),
                                        pen=pg.mkPen(*HEALTHY_COLOR, 90))
        self.band.setZValue(-10)
        self.plot.addItem(self.band, ignoreBounds=True)
        self.center = pg.InfiniteLine(pos=-3.0, angle=0, movable=False,
                                      pen=theme.pen(pg.mkColor(*HEALTHY_COLOR), 1.0, dashed=True))
        self.plot.addItem(self.center, ignoreBounds=True)
        self.band_label = pg.TextItem("healthy ≈ 1e-3 (1e-4 … 1e-2)", anchor=(0, 1),
                                      color=pg.mkColor(*HEALTHY_COLOR))
        self.band_label.setFont(theme.label_font())
        self.plot.addItem(self.band_label, ignoreBounds=True)
        self.weight_line = self.plot.plot(pen=theme.pen(theme.ACCENT, 2.0))   # named runs
        self.curve = self.plot.plot(pen=theme.pen(theme.ACCENT, 2.0), symbol="o", symbolSize=7,
                                    **theme.symbol_style(theme.ACCENT))
        self.bias_marks = self.plot.plot(pen=None, symbol="s", symbolSize=7,
                                         symbolBrush=pg.mkBrush(theme.BACKGROUND),
                                         symbolPen=theme.pen(theme.ACCENT, 1.5))
        self.axis = ParamAxis(self.plot, NUMBERED_LABEL, self)
        self.hover = PointHover(self.plot, self)
        self.note = theme.add_label(self.graphics, row=1, col=0, size="8pt", color=theme.FOREGROUND,
                                    justify="left")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.setToolTip("Size of this step's update of each weight matrix relative to the matrix "
                        "(Frobenius norms). Around 1e-3 is healthy (green band); far below = the "
                        "layer barely learns, far above = the learning rate is too large.")
        self._y_range = StickyRange(pad_low=0.1, pad_high=0.1, min_pad=0.3)
        self._groups = self.axis.groups
        self._names: list[str] = []
        self._layers = np.zeros(0)
        self._values = np.zeros(0)
        self._step = 0

    def reset_view(self, run: Run) -> None:
        """New architecture: x range = parameter layers."""
        self._groups = run_groups(run)
        self.axis.set_groups(self._groups)
        self.weight_line.setData([], [])
        self.bias_marks.setData([], [])
        self.band_label.setPos(0.6, np.log10(HEALTHY_HIGH))
        self._y_range.reset()
        self.show_record(run)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Draw record `index`'s ratios; layers without an update (nan) are left out."""
        found = record_at(run, index)
        ratio = None if found is None else found[1].update_ratio
        if ratio is None:
            for item in (self.curve, self.weight_line, self.bias_marks):
                item.setData([], [])
            self.hover.set_points([])
            self._layers, self._values, self._names = np.zeros(0), np.zeros(0), []
            theme.set_text(self.note, "no step yet" if found is None
                           else "update ratio: this run did not record it")
            return
        record = found[1]
        groups = self._groups
        named = len(groups) == len(ratio) and not groups.numbered
        order = groups.order if len(groups) == len(ratio) else np.arange(len(ratio))
        ratio = np.asarray(ratio, np.float64)[order]
        updated = ~np.isnan(ratio)
        layers = positions(len(ratio))[updated]
        bounds = log_bounds(ratio, [HEALTHY_LOW, HEALTHY_HIGH])
        safe = log_safe(ratio[updated], bounds)
        kinds = np.array(groups.kinds if named else ["weight"] * len(ratio))[updated]
        # named runs: markers, and one line through the weights only (biases would zig-zag)
        self.curve.setData(layers, safe.values,
                           connect="all" if not named else np.zeros(len(layers), bool))
        weights = (kinds == "weight") & named
        biases = kinds == "bias"
        if named:       # built-in runs have neither
            self.weight_line.setData(layers[weights], safe.values[weights])
            self.bias_marks.setData(layers[biases], safe.values[biases])
        names = [groups.names[k] for k in np.flatnonzero(updated)] if len(groups) == len(
            ratio) else []
        self._layers, self._values, self._step = layers, safe.values, record.step
        self._names = names
        if len(groups) == len(ratio):
            drawn, step, topology = np.flatnonzero(updated), record.step, run.topology
            self.hover.set_points([(layers, np.log10(safe.values), lambda i: param_text(
                topology, groups, int(drawn[i]), "‖ΔW‖/‖W‖", ratio[drawn[i]], step))])
        shown = np.concatenate([safe.values, [HEALTHY_LOW, HEALTHY_HIGH]])
        apply_y(self.plot, self._y_range, float(np.log10(shown.min())),
                float(np.log10(shown.max())))
        parts = [f"step {record.step}" + (" (● weight, □ bias; hover a point for its name)"
                                           if biases.any() else "")]
        if not updated.all():
            parts.append(f"{int((~updated).sum())} layers not updated "
                         "(diverged step or ‖W‖ = 0) are not drawn")
        clamped = clamp_counts_text(safe)
        if clamped:
            parts.append(clamped + ", drawn at the axis ends")
        set_live_text(self.note, "; ".join(parts))
        if force:
            flush_live_text(self.note)

    def export_targets(self) -> list[ExportTarget]:
        """The plot (PNG/SVG) and the drawn ratio per layer (CSV)."""
        return [ExportTarget(self.title, self, self.plot, self._csv)]

    def _csv(self) -> tuple[list[str], np.ndarray]:
        """parameter name, layer, update ratio as drawn (updated parameters only)."""
        headers = [axis_header(self._groups), f"update_ratio ‖ΔW‖_F/‖W‖_F step {self._step}"]
        return with_names(self._names, headers, np.column_stack([self._layers, self._values]))
