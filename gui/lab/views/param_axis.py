"""The parameter axis of a per-parameter plot: parameters in drawing order at 1..n, grouped by
module, on the bottom axis (x, a point per parameter) or the left one (y, a heatmap row each).

Built-in runs (weight layers L1..Ln) keep their layer ticks. Named runs (a probe run's
`0.weight`, `encoder.layers.1.self_attn.in_proj_weight`) get module names as tick labels: the
deepest module level whose names fit beside their parameters (under them on the bottom axis;
one text line tall on the left one), elided from the left when even that is too narrow (the
hover label has them in full). The bottom axis draws a light band behind every other module;
the left axis thin lines between them, over the heatmap that would hide a band.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFontMetricsF

from core.runs import ParamGroups, Run, group_params, spans_at_depth
from gui.lab.views import theme

BAND_BRUSH = pg.mkBrush(255, 255, 255, 16)
BAND_Z = -60.0            # behind the data and the 0 band (-50)
LABEL_PAD_PX = 6.0        # free pixels between neighbouring tick labels
LINE_PAD_PX = 2.0         # left axis: free pixels between two label lines
ROOT_NAME = "(model)"     # parameters registered on the model itself
MIN_ELIDED_CHARS = 3      # an elided label shorter than this ("…d") says nothing: none is drawn
NAMED_LABEL = "parameter, grouped by module (hover a point for its name)"
LEFT_LABEL_SHARE = 0.22   # left axis: module names take at most this share of the plot's width
LEFT_LABEL_MAX_PX = 170.0
SEPARATOR_PEN = pg.mkPen(theme.BACKGROUND, width=1)


def run_groups(run: Run) -> ParamGroups:
    """The run's parameters grouped by module (core.runs.group_params on the topology)."""
    return group_params([p.name for p in run.topology.params])


def display_segments(name: str) -> list[str]:
    """A module name's segments as a label shows them: an index is written as one
    (`encoder.layers.0.ff` -> encoder, layers[0], ff; a Sequential's `3` -> [3]), so that a
    module label never reads as a number on the axis."""
    segments: list[str] = []
    for segment in name.split("."):
        if segment.isdigit():
            index = f"[{segment}]"
            if segments:
                segments[-1] += index
            else:
                segments.append(index)
        else:
            segments.append(segment)
    return segments


def fit_name(name: str, metrics: QFontMetricsF, width: float) -> str:
    """`name` as display_segments writes it, or its last segments behind "…"
    (`…layers[0].ff`), or its last segment elided from the left, whichever is longest and fits
    in `width` pixels ("" if none does)."""
    segments = display_segments(name)
    for k in range(len(segments)):
        text = ("…" if k else "") + ".".join(segments[k:])
        if metrics.horizontalAdvance(text) <= width:
            return text
    text = metrics.elidedText(segments[-1], Qt.TextElideMode.ElideLeft, max(width, 0.0))
    return text if len(text.lstrip("…")) >= MIN_ELIDED_CHARS else ""


class ParamAxis(QObject):
    """Module marks and tick labels on `plot`'s bottom (or left) axis, refitted when the plot
    resizes."""

    def __init__(self, plot: pg.PlotItem, numbered_label: str, parent: QObject, *,
                 side: str = "bottom", named_label: str = NAMED_LABEL, padding: float = 0.02,
                 layer_ticks: bool = True) -> None:
        """`parent` (the view) owns this object, so the view box's signals stop with it.
        `padding` of the 0.5..n+0.5 range; `layer_ticks`: built-in runs get whole-number layer
        ticks (else pyqtgraph's own)."""
        super().__init__(parent)
        self.plot = plot
        self.side = side
        self.vertical = side == "left"
        self.axis = plot.getAxis(side)
        self.numbered_label = numbered_label
        self.named_label = named_label
        self.padding = padding
        self.layer_ticks = layer_ticks
        self.metrics = QFontMetricsF(theme.label_font())
        self.bands = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], pen=theme.NO_PEN,
                                     brush=BAND_BRUSH)
        self.bands.setZValue(BAND_Z)
        plot.addItem(self.bands, ignoreBounds=True)
        self.separators = pg.PlotCurveItem(pen=SEPARATOR_PEN, connect="pairs")
        plot.addItem(self.separators, ignoreBounds=True)
        self.groups: ParamGroups = group_params([])
        self.labels: list[tuple[float, str]] = []      # what the axis shows (tests read it)
        vb = plot.getViewBox()
        vb.sigResized.connect(self.fit_labels)
        vb.sigXRangeChanged.connect(self.fit_labels)
        if self.vertical:
            vb.sigYRangeChanged.connect(self.fit_labels)

    def set_groups(self, groups: ParamGroups) -> None:
        """Lay the axis out for `groups` (1..n along it) and set that range."""
        self.groups = groups
        n = len(groups)
        set_range = self.plot.setYRange if self.vertical else self.plot.setXRange
        set_range(0.5, n + 0.5, padding=self.padding)
        if groups.numbered or not n:
            self.axis.setTicks(None)
            if self.layer_ticks:
                theme.layer_ticks(self.axis, n)
            self.axis.setLabel(self.numbered_label)
            self.bands.setOpts(x0=[], x1=[], y0=[], y1=[])
            self.separators.setData([], [])
            self.labels = []
            return
        self.axis.setLabel(self.named_label)
        self.fit_labels()

    def fit_labels(self) -> None:
        """Pick the deepest module level whose new spans' last name segments fit; a band
        behind every other span of that level, a short tick at every module's edge."""
        groups = self.groups
        if groups.numbered or not len(groups):
            return
        vb = self.plot.getViewBox()
        (x_low, x_high), (y_low, y_high) = vb.viewRange()
        if self.vertical:
            px_per_unit = vb.height() / max(y_high - y_low, 1e-9)
        else:
            px_per_unit = vb.width() / max(x_high - x_low, 1e-9)
        if px_per_unit <= 0:
            return
        chosen = spans_at_depth(groups, 1)
        for depth in range(2, groups.max_depth + 1):
            # one level deeper only if every span it splits off has room for a readable label
            deeper = spans_at_depth(groups, depth)
            split = [s for s in deeper if s not in chosen]
            if not all(self._needed_px(prefix) <= (b - a) * px_per_unit
                       for prefix, a, b in split):
                break
            chosen = deeper
        self.labels = [((a + b + 1) / 2, fit_name(prefix or ROOT_NAME, self.metrics,
                                                   self._label_px((b - a) * px_per_unit)))
                       for prefix, a, b in chosen]
        edges = [(a + 0.5, "") for _, a, _ in groups.groups[1:]]
        self.axis.setTicks([[(x, text) for x, text in self.labels if text], edges])
        if self.vertical:
            lines = np.repeat([a + 0.5 for _, a, _ in chosen[1:]], 2)
            self.separators.setData(np.tile([x_low, x_high], len(lines) // 2), lines)
            return
        banded = chosen[1::2]
        far = 1e3     # decades: the bands span any y range a log plot can show
        self.bands.setOpts(x0=[a + 0.5 for _, a, _ in banded], x1=[b + 0.5 for _, _, b in banded],
                           y0=[-far] * len(banded), y1=[far] * len(banded))

    def _needed_px(self, prefix: str) -> float:
        """Pixels along the axis a span needs for its label: its last segment's width on the
        bottom axis, one text line on the left one."""
        if self.vertical:
            return self.metrics.height() + LINE_PAD_PX
        return self.metrics.horizontalAdvance(_leaf(prefix)) + LABEL_PAD_PX

    def _label_px(self, span_px: float) -> float:
        """Width a label may take: its span's on the bottom axis, a share of the plot's width
        on the left one (the axis widens to its longest label)."""
        if self.vertical:
            return min(LEFT_LABEL_MAX_PX, LEFT_LABEL_SHARE * self.plot.width())
        return span_px - LABEL_PAD_PX


def _leaf(prefix: str) -> str:
    """The last displayed segment of a module name (what a label must show at least)."""
    return display_segments(prefix)[-1] if prefix else ROOT_NAME


def positions(n: int) -> np.ndarray:
    """x of the drawn parameters: 1..n."""
    return np.arange(1, n + 1, dtype=np.float64)
