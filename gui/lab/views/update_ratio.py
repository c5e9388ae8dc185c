"""Update-to-weight ratio ‖ΔW_i‖_F / ‖W_i‖_F per layer (log scale) with the healthy band shaded."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.runs import Run
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.run_view import n_param_layers, record_at
from gui.lab.views.safe_values import clamp_counts_text, log_bounds, log_safe
from gui.lab.views.sticky_range import StickyRange, apply_y

HEALTHY_LOW, HEALTHY_HIGH = 1e-4, 1e-2      # rule of thumb: about 1e-3 per step is healthy
HEALTHY_COLOR = (80, 200, 120)


class UpdateRatioView(QWidget):
    """How much each step changes each weight matrix relative to its size."""

    title = "Update / weight ratio"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = theme.make_graphics_widget()
        self.plot = theme.add_plot(self.graphics, self.title, "weight layer i (1 = input side)",
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
        self.curve = self.plot.plot(pen=theme.pen(theme.ACCENT, 2.0), symbol="o", symbolSize=7,
                                    **theme.symbol_style(theme.ACCENT))
        self.note = theme.add_label(self.graphics, row=1, col=0, size="8pt", color=theme.FOREGROUND,
                                    justify="left")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.setToolTip("Size of this step's update of each weight matrix relative to the matrix "
                        "(Frobenius norms). Around 1e-3 is healthy (green band); far below = the "
                        "layer barely learns, far above = the learning rate is too large.")
        self._y_range = StickyRange(pad_low=0.1, pad_high=0.1, min_pad=0.3)
        self._layers = np.zeros(0)
        self._values = np.zeros(0)
        self._step = 0

    def reset_view(self, run: Run) -> None:
        """New architecture: x range = parameter layers."""
        n = n_param_layers(run)
        theme.layer_ticks(self.plot.getAxis("bottom"), n)
        self.plot.setXRange(0.5, n + 0.5, padding=0.02)
        self.band_label.setPos(0.6, np.log10(HEALTHY_HIGH))
        self._y_range.reset()
        self.show_record(run)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Draw record `index`'s ratios; layers without an update (nan) are left out."""
        found = record_at(run, index)
        ratio = None if found is None else found[1].update_ratio
        if ratio is None:
            self.curve.setData([], [])
            theme.set_text(self.note, "no step yet" if found is None
                           else "update ratio: this run did not record it")
            return
        record = found[1]
        ratio = np.asarray(ratio, np.float64)
        updated = ~np.isnan(ratio)
        layers = np.arange(1, len(ratio) + 1, dtype=np.float64)[updated]
        bounds = log_bounds(ratio, [HEALTHY_LOW, HEALTHY_HIGH])
        safe = log_safe(ratio[updated], bounds)
        self.curve.setData(layers, safe.values)
        self._layers, self._values, self._step = layers, safe.values, record.step
        shown = np.concatenate([safe.values, [HEALTHY_LOW, HEALTHY_HIGH]])
        apply_y(self.plot, self._y_range, float(np.log10(shown.min())),
                float(np.log10(shown.max())))
        parts = [f"step {record.step}"]
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
        """layer, update ratio as drawn."""
        headers = ["layer (1 = input side)", f"update_ratio ‖ΔW‖_F/‖W‖_F step {self._step}"]
        return headers, np.column_stack([self._layers, self._values])
