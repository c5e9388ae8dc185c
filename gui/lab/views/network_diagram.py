"""Network diagram: layers as columns of neurons coloured by gradient, dead/saturated marked,
with a backward pulse sweeping from the output to the input on every new step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtGui import QBrush, QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QVBoxLayout, QWidget

from core.runs import PER_UNIT, Run, StepRecord
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.diagram_model import DiagramModel, dots_per_column
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.pulse import BackwardPulse
from gui.lab.views.run_view import config_value, layer_sizes, per_unit, record_at, split_units
from gui.lab.views.safe_values import describe_value
from gui.lab.views.scatter_styles import restyle_spots

N_COLOR_LEVELS = 64
MAX_EDGE_SEGMENTS = 6000
COLORBAR_LABEL = "mean |∂L/∂z| (log10)"
PULSE_TICK_MS = 30     # the band's own animation while no frames come (paused, slow steps)
PULSE_IDLE_MS = 80     # ... which starts this long after the last frame: at >= 12.5 frames/s the
                       # frames move the band; the timer's repaints between them were a whole
                       # diagram paint each, 12-16 a second (bench/bench_app.py)


def _dot_style(n_columns: int) -> tuple[object, float]:
    """(symbol, pixel size): round dots, or thin tall bars when columns are only pixels apart."""
    if n_columns <= 60:
        return "o", float(np.interp(n_columns, [3, 12, 40, 60], [14, 11, 7, 6]))
    bar = QPainterPath()
    bar.addRect(QRectF(-0.12, -0.5, 0.24, 1.0))   # 1:4 bar, pyqtgraph scales it to `size`
    return bar, float(np.interp(n_columns, [60, 220], [18, 14]))


NORM_MARKS = {"batchnorm": "BN", "layernorm": "LN"}
NORM_NAMES = {"BN": "batch norm", "LN": "layer norm"}

class NetworkDiagramView(QWidget):
    """Columns of neurons (input, hidden..., output), coloured by mean |grad| on a log scale."""

    title = "Network diagram"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = theme.make_graphics_widget()
        self.plot = theme.add_plot(self.graphics, self.title, "layer (input → output)",
                                   "unit", row=0, col=0)
        self.plot.hideAxis("left")
        self.plot.showGrid(x=False, y=False)
        self.plot.setMouseEnabled(x=True, y=True)
        grad_map = theme.colormap(theme.GRAD_COLORMAP)
        self.colorbar = pg.ColorBarItem(values=(-6, 0), colorMap=grad_map, interactive=False,
                                        width=12)
        theme.style_colorbar(self.colorbar, COLORBAR_LABEL, self.graphics)
        self.graphics.addItem(self.colorbar, row=0, col=1)
        self.legend_label = theme.add_label(self.graphics, row=1, col=0, colspan=2, size="8pt",
                                            color=theme.FOREGROUND, justify="left")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.setToolTip("Hover a neuron for its layer, units, mean |gradient| and state.")

        self._brushes = theme.brush_palette(theme.GRAD_COLORMAP, N_COLOR_LEVELS)
        self._dead_brush = QBrush(theme.faded(theme.DEAD_GREY, 40))
        self._plain_pen = pg.mkPen(20, 22, 26, 255, width=0.5)
        self._dead_pen = pg.mkPen(theme.DEAD_GREY, width=1.2)
        self._saturated_pen = pg.mkPen(theme.SATURATED_ORANGE, width=2.0)
        self._brush_table = np.array(self._brushes + [self._dead_brush], dtype=object)
        self._pen_table = np.array([self._plain_pen, self._dead_pen, self._saturated_pen],
                                   dtype=object)

        # thousands of faint 1-px edges: antialiasing them was most of the Lab's paint time
        # (measured with bench/bench_app.py) and a faint aliased line looks the same
        self.edges = pg.PlotDataItem(pen=pg.mkPen(150, 155, 165, 22, width=1), connect="pairs",
                                     antialias=False)
        # ... and they only change with the architecture: painted once into a pixmap that each
        # frame blits (Qt re-renders it when the view's transform or the data changes)
        self.edges.curve.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.scatter = pg.ScatterPlotItem(pxMode=True, hoverable=True, tip=self._tooltip)
        self.band = QGraphicsRectItem()
        self.band.setPen(pg.mkPen(None))
        self.band.setZValue(-5)
        self.plot.addItem(self.edges)
        self.plot.addItem(self.band)
        self.plot.addItem(self.scatter)
        self.model = DiagramModel([1, 1])
        self.pulse = BackwardPulse()
        self._drawn_step = -1
        self._levels: tuple[float, float] | None = None
        self._dead_definition = ""
        self._layer_names: list[str] = []
        self._norm = ""          # "BN" / "LN" when every hidden layer is normalised
        self._record: StepRecord | None = None    # the record drawn
        self._window: int | None = None           # the step its dead/saturated masks are from
        self._timer = QTimer(self)
        self._timer.setInterval(PULSE_TICK_MS)
        self._timer.timeout.connect(self._on_pulse_tick)

    # ----- protocol ---------------------------------------------------------------------------
    def reset_view(self, run: Run) -> None:
        """Lay out the columns for the run's layer sizes (once per architecture)."""
        sizes = [max(size, 1) for size in layer_sizes(run)]   # a probe run may omit in/out
        self.model = DiagramModel(sizes, dots_per_column(len(sizes)))
        self.pulse.reset(self.model.n_columns)
        self._norm = NORM_MARKS.get(config_value(run, "normalization", "none"), "")
        where = f", {self._norm}-normalised before it" if self._norm else ""
        names = [f"hidden {i + 1} ({site.activation}{where})" if site.kind == "hidden"
                 else f"{site.name} ({site.activation or site.kind})"
                 for i, site in enumerate(run.topology.sites)]
        self._layer_names = ["input", *names, "output (logits)"]
        m = self.model
        symbol, size = _dot_style(m.n_columns)
        self.scatter.setData(x=m.x, y=m.y, data=np.arange(m.n_dots), symbol=symbol, size=size,
                             brush=self._brushes[0], pen=self._plain_pen)
        self._levels = None
        segments = m.edge_segments(MAX_EDGE_SEGMENTS)
        if segments is None:
            self.edges.setData([], [])
        else:
            self.edges.setData(segments[:, 0], segments[:, 1])
        height = float(m.dots_per_column.max())
        self.band.setRect(QRectF(-0.4, -height / 2.0, 0.8, height))
        self.band.hide()
        self._set_column_ticks()
        self.plot.setXRange(-0.6, m.n_columns - 0.4, padding=0.02)
        self.plot.setYRange(-height / 2.0, height / 2.0, padding=0.04)
        self._drawn_step = -1
        self._record = None
        self.show_record(run)

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Recolour the dots for record `index` when it changed and advance the backward pulse."""
        found = record_at(run, index)
        if found is None or PER_UNIT not in run.capabilities:
            self._record = None
            theme.set_text(self.legend_label, self._legend_html(run) if found is None else
                           "network diagram: this run recorded no per-unit gradients or masks")
            return
        index, record = found
        if record.step != self._drawn_step:
            self._drawn_step = record.step
            self._record = record
            self._update_model(run, index, record)
            self._recolor()
            self.pulse.new_step(self.model.column_strength())
            set_live_text(self.legend_label, self._legend_html(run))
        self._draw_pulse()
        if force:
            flush_live_text(self.legend_label)
        if self.isVisible() and self.pulse.active():
            # (re)start: the timer only moves the band when frames stop coming (paused, slow
            # steps); while frames arrive at least every PULSE_IDLE_MS they move it, without
            # repaints of their own between two frames (each one a whole diagram paint)
            self._timer.start(PULSE_IDLE_MS)

    def _update_model(self, run: Run, index: int, record: StepRecord) -> None:
        """Feed the model record `index`'s per-unit arrays (the newest ones at or before it)."""
        topology = run.topology
        grads, _ = per_unit(run, index, record, "unit_grad")
        inputs, _ = per_unit(run, index, record, "input_unit_grad")
        outputs, _ = per_unit(run, index, record, "output_unit_grad")
        dead, window = per_unit(run, index, record, "dead_units")
        saturated, _ = per_unit(run, index, record, "saturated_units")
        sizes = self.model.sizes
        first = inputs if inputs is not None and topology.input_width else np.zeros(sizes[0])
        last = outputs if outputs is not None and topology.output_width else np.zeros(sizes[-1])
        unit_grad = [np.asarray(first, np.float64), *split_units(run, grads, np.nan),
                     np.asarray(last, np.float64)]
        dead_masks = [np.asarray(m, bool) for m in split_units(run, dead, False)]
        self.model.update(unit_grad, dead_masks,
                          None if saturated is None else
                          [np.asarray(m, bool) for m in split_units(run, saturated, False)])
        self._window = record.window_step if record.window_step is not None else window
        k = config_value(run, "dead_refresh_every")
        when = f"as of step {self._window}" if self._window is not None else "not measured yet"
        self._dead_definition = (f"dead on the dataset {when} (refreshed every {k} steps)"
                                 if k is not None else f"dead on every batch of the window, {when}")

    def export_targets(self) -> list[ExportTarget]:
        """The diagram (PNG/SVG) and its per-dot numbers (CSV)."""
        return [ExportTarget(self.title, self, self.graphics.ci, self._csv)]

    # ----- drawing ----------------------------------------------------------------------------
    def _recolor(self) -> None:
        """Brushes/pens: colour = gradient, grey hollow = dead, orange ring = saturated."""
        m = self.model
        brush_index = m.color_index(N_COLOR_LEVELS)
        brush_index[m.is_dead] = N_COLOR_LEVELS
        pen_index = np.zeros(m.n_dots, np.int64)
        pen_index[m.is_dead] = 1
        pen_index[m.is_saturated] = 2
        restyle_spots(self.scatter, self._pen_table, self._brush_table, pen_index, brush_index)
        levels = m.color_levels()
        if levels != self._levels:
            self._levels = levels
            self.colorbar.setLevels(values=levels)

    def _set_column_ticks(self) -> None:
        """Name the columns (in, h1, ..., out) when there are few; plain numbers otherwise."""
        axis = self.plot.getAxis("bottom")
        n = self.model.n_columns
        if n > 16:
            axis.setTicks(None)
            return
        mark = f"·{self._norm}" if self._norm else ""     # h3·BN: normalised layer
        labels = ["in", *[f"h{i}{mark}" for i in range(1, n - 1)], "out"]
        axis.setTicks([list(enumerate(labels)), []])

    def _draw_pulse(self) -> None:
        """Place the highlight band at the pulse's column; brightness = that column's gradient."""
        position, strength = self.pulse.position()
        if position is None:
            self.band.hide()
            return
        rect = self.band.rect()
        self.band.setRect(QRectF(position - 0.3, rect.y(), 0.6, rect.height()))
        color = QColor(theme.ACCENT)
        color.setAlpha(int(15 + 110 * strength))
        self.band.setBrush(QBrush(color))
        self.band.show()

    def _on_pulse_tick(self) -> None:
        """Timer tick while a pulse is in flight; stops itself when the pulse is done."""
        self._timer.setInterval(PULSE_TICK_MS)     # frames stopped: animate on our own
        self._draw_pulse()
        if not self.pulse.active():
            self._timer.stop()

    def hideEvent(self, event) -> None:  # noqa: N802  (Qt override)
        """Hidden views do no work: stop the pulse timer."""
        self._timer.stop()
        super().hideEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802  (Qt override)
        """Resume a pulse that was in flight."""
        super().showEvent(event)
        if self.pulse.active():
            self._timer.start(PULSE_TICK_MS)

    # ----- text -------------------------------------------------------------------------------
    def _legend_html(self, run: Run) -> str:
        """What the colours and marks mean (with the definitions of dead and saturated)."""
        # "&lt;": a bare "<" in the label's HTML swallowed the text up to the next tag
        saturated = "saturated on the dataset: |f′(z)| &lt; the threshold for every sample"
        record = self._record
        threshold = config_value(run, "saturation_threshold")
        if record is not None and threshold is not None:
            # two lines: as one it ran past the dock's edge at the default window
            saturated = (f"saturated on the dataset: |f′(z)| &lt; {threshold:g}<br>"
                         f"&nbsp;&nbsp;&nbsp;for every training sample (not dead), "
                         f"as of step {self._window}")
        aggregated = ""
        if self.model.dots_per_column.max() < max(self.model.sizes):
            aggregated = (f"<br>a dot = a group of units (layers wider than "
                          f"{self.model.max_dots}): mean |grad|, dead if ≥ half are")
        zeros = int(self.model.grad_underflow.sum())
        zero_note = f"; {zeros} dots exactly 0 (underflow), drawn at the floor" if zeros else ""
        step = "no step yet" if record is None else f"step {record.step}"
        if self._norm:
            step += (f" · {self._norm} = {NORM_NAMES[self._norm]} before each hidden activation "
                     "(z is measured after it)")
        orange = theme.SATURATED_ORANGE.name()
        grey = theme.DEAD_GREY.name()
        return "<br>".join([
            # the step is here, not in the title: a new title text re-lays the plot out
            f"{step} · colour = mean |∂L/∂z| over the batch (log10)",
            *([zero_note.lstrip("; ")] if zero_note else []),
            f"<span style='color:{grey}'>○ grey hollow</span> = "
            f"{self._dead_definition or 'dead on the dataset'}",
            f"<span style='color:{orange}'>◎ orange ring</span> = {saturated}",
            f"blue band = backward pulse (brighter = larger gradient){aggregated}",
        ])

    def _tooltip(self, x: float, y: float, data: object) -> str:
        """Hover text for one dot: layer, unit(s), mean |grad|, dead/alive/saturated."""
        i = int(data)
        m = self.model
        column = int(m.spot_column[i])
        start, stop = int(m.spot_unit_start[i]), int(m.spot_unit_stop[i])
        count = stop - start
        units = f"unit {start}" if count == 1 else f"units {start}–{stop - 1} ({count})"
        grad = describe_value(float(m.mean_grad[i]), bool(m.grad_underflow[i]),
                              bool(m.grad_nonfinite[i]))
        if m.is_dead[i]:
            state = "dead"
        elif m.is_saturated[i]:
            state = "saturated"
        else:
            state = "alive"
        lines = [f"{self._layer_names[column] if column < len(self._layer_names) else column}",
                 units, f"mean |∂L/∂z| = {grad}", f"state: {state}"]
        if 0 < column < m.n_columns - 1:
            width = stop - start
            lines.append(f"dead on the dataset: {round(m.dead_fraction[i] * width)} of {width}")
            lines.append(f"saturated on the dataset: {round(m.saturated_fraction[i] * width)} "
                         f"of {width}")
        return "\n".join(lines)

    def _csv(self) -> tuple[list[str], np.ndarray]:
        """One row per drawn dot."""
        m = self.model
        headers = ["column (0 = input)", "first unit", "last unit", "x", "y",
                   "mean |dL/dz| (drawn, clamped)", "log10 mean |dL/dz|", "dead fraction (dataset)",
                   "saturated fraction (dataset)", "drawn dead (0/1)", "drawn saturated (0/1)"]
        columns = np.column_stack([m.spot_column, m.spot_unit_start, m.spot_unit_stop - 1, m.x, m.y,
                                   10.0 ** m.log_grad, m.log_grad, m.dead_fraction,
                                   m.saturated_fraction, m.is_dead, m.is_saturated])
        return headers, columns.astype(np.float64)
