"""The Lab views' shared look: dark plot theme, colour maps, pens and a plot factory."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QHBoxLayout, QWidget

from gui.lab.views.decade_axis import DecadeAxis
from gui.lab.views.grid_axis import OpaqueGridAxis
from gui.ownership import adopt_menus

BACKGROUND = "#15181d"
FOREGROUND = "#c9ccd1"
GRID_ALPHA = 0.18
DEAD_GREY = QColor(120, 124, 130)
SATURATED_ORANGE = QColor(255, 150, 40)
ZERO_COLOR = QColor(235, 70, 95)       # an exact 0 (no gradient at all): never on the colour map
ZERO_NAME = "Red"
ZERO_KEY = f"<span style='color:{ZERO_COLOR.name()}'>■</span> 0: no gradient"
ACCENT = QColor(90, 200, 255)          # current step / main curve
SECOND = QColor(240, 110, 170)         # back-propagated signal / test curve
GRAD_COLORMAP = "viridis"              # gradient magnitude everywhere (diagram, heatmap)
LAYER_COLORMAP = "plasma"              # layer ramp for "one line per layer" plots
FONT_POINT_SIZE = 9


def label_font(bold: bool = False, point_size: int = FONT_POINT_SIZE) -> QFont:
    """The font used for axis labels and text items."""
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    return font


def make_graphics_widget() -> pg.GraphicsLayoutWidget:
    """A GraphicsLayoutWidget with the dark theme (no global pyqtgraph config is changed)."""
    widget = pg.GraphicsLayoutWidget()
    widget.setBackground(BACKGROUND)
    widget.ci.setContentsMargins(4, 4, 4, 4)
    return widget


def narrowable(label: pg.LabelItem) -> pg.LabelItem:
    """Let `label` be narrower than its text (the text is clipped at the cell's edge).

    A pyqtgraph LabelItem makes its text width its minimum width, so one long title or note
    widens the whole plot layout past its dock and the right-hand plots are cut off at the
    window's edge. Its height still follows the text.
    """
    def height_only_min() -> None:
        bounds = label.itemRect()
        label.setMinimumWidth(0)
        label.setMinimumHeight(bounds.height())
        label._sizeHint = {Qt.SizeHint.MinimumSize: (0, bounds.height()),
                           Qt.SizeHint.PreferredSize: (bounds.width(), bounds.height()),
                           Qt.SizeHint.MaximumSize: (-1, -1),
                           Qt.SizeHint.MinimumDescent: (0, 0)}
        label.updateGeometry()

    label.updateMin = height_only_min
    height_only_min()
    return label


def add_label(graphics: pg.GraphicsLayoutWidget, text: str = "", **kwargs) -> pg.LabelItem:
    """graphics.addLabel(text, row=…, col=…, …) that never widens the layout (narrowable)."""
    return narrowable(graphics.addLabel(text, **kwargs))


def add_plot(graphics: pg.GraphicsLayoutWidget | pg.GraphicsLayout, title: str, x_label: str,
             y_label: str, *, row: int, col: int, rowspan: int = 1, colspan: int = 1,
             log_y: bool = False, owner: QWidget | None = None) -> pg.PlotItem:
    """A Lab-styled PlotItem in `graphics` at (row, col), its axes built in (never swapped:
    a replaced default axis is an orphan the garbage collector frees later). `owner` (default
    `graphics`, which must then be a widget) takes pyqtgraph's parentless menus.

    Built without pyqtgraph's ViewBox menu (enableMenu=False): the Lab's right-click menu is
    the view's own Export… (gui.export.install_export_menu), and building the unused menu was
    a third of each plot's start-up cost. Mouse zoom and pan do not depend on it."""
    left = (DecadeAxis if log_y else OpaqueGridAxis)("left", background=BACKGROUND)
    axes = {"left": left, "bottom": OpaqueGridAxis("bottom", background=BACKGROUND)}
    for axis in axes.values():
        # Off before the axes are linked to the view: else every range change while the
        # layout settles re-renders the (HTML) label.
        axis.enableAutoSIPrefix(False)
    plot = graphics.addPlot(row=row, col=col, rowspan=rowspan, colspan=colspan, axisItems=axes,
                            enableMenu=False)
    for side in ("top", "right"):   # pyqtgraph's hidden axes: their labels too, every frame
        plot.getAxis(side).enableAutoSIPrefix(False)
    adopt_menus(plot, owner if owner is not None else graphics)
    narrowable(plot.titleLabel)
    if log_y:
        plot.setLogMode(x=False, y=True)
    return _style_plot(plot, title, x_label, y_label)


def layer_ticks(axis: pg.AxisItem, n_layers: int) -> None:
    """Whole-number ticks on a layer axis (1, 2, 3 …) unless there are too many layers."""
    if n_layers <= 25:
        axis.setTickSpacing(major=float(max(1, round(n_layers / 10))), minor=1.0)
    else:
        axis.setTickSpacing()


def control_bar(*widgets: QWidget) -> QWidget:
    """A thin dark row of controls (checkboxes) above a plot, matching the plot background."""
    bar = QWidget()
    bar.setObjectName("labViewControls")
    bar.setStyleSheet(f"#labViewControls {{ background: {BACKGROUND}; }}"
                      f"#labViewControls QCheckBox {{ color: {FOREGROUND}; }}")
    bar.setAutoFillBackground(True)
    row = QHBoxLayout(bar)
    row.setContentsMargins(8, 3, 8, 0)
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return bar


def _style_plot(plot: pg.PlotItem, title: str, x_label: str, y_label: str) -> pg.PlotItem:
    """Give a PlotItem made by add_plot the Lab look: title, labelled axes, faint grid, fonts."""
    plot.setTitle(title, color=FOREGROUND, size="10pt")
    for side, text in (("bottom", x_label), ("left", y_label)):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.setTickFont(label_font())
        axis.setLabel(text, color=FOREGROUND, **{"font-size": f"{FONT_POINT_SIZE}pt"})
    # A horizontal grid only (the y values are what the user reads off); OpaqueGridAxis draws
    # it opaque and behind the data, which is ~10x cheaper than pyqtgraph's translucent lines.
    plot.showGrid(x=False, y=True, alpha=GRID_ALPHA)
    return plot


def style_colorbar(bar: pg.ColorBarItem, label: str, owner: QWidget) -> pg.ColorBarItem:
    """Light axis text and a label on a ColorBarItem (a PlotItem: `owner` takes its menus)."""
    adopt_menus(bar, owner)
    axis = bar.getAxis("right") if bar.horizontal is False else bar.getAxis("bottom")
    axis.setTextPen(pg.mkPen(FOREGROUND))
    axis.setPen(pg.mkPen(FOREGROUND))
    axis.setTickFont(label_font())
    axis.setLabel(label, color=FOREGROUND, **{"font-size": f"{FONT_POINT_SIZE}pt"})
    return bar


def add_legend(graphics: pg.GraphicsLayoutWidget | pg.GraphicsLayout, *, row: int, col: int,
               colspan: int = 1, columns: int = 3) -> pg.LegendItem:
    """A legend in its own layout cell (under a plot), never over the data; entries are added
    with legend.addItem(curve, name) and laid out in `columns` columns."""
    legend = pg.LegendItem(labelTextColor=FOREGROUND, labelTextSize=f"{FONT_POINT_SIZE - 1}pt",
                           verSpacing=-6, colCount=columns)
    graphics.addItem(legend, row=row, col=col, colspan=colspan)
    return legend


def colormap(name: str) -> pg.ColorMap:
    """A pyqtgraph colour map by name."""
    return pg.colormap.get(name)


def ramp_colors(n: int, name: str = LAYER_COLORMAP, low: float = 0.15,
                high: float = 0.95) -> list[QColor]:
    """n colours from a colour map, avoiding its darkest end (invisible on a dark background)."""
    cmap = colormap(name)
    positions = np.linspace(low, high, max(n, 1)) if n > 1 else np.array([high])
    return [cmap.map(float(p), mode=pg.ColorMap.QCOLOR) for p in positions[:n]]


def brush_palette(name: str, n_levels: int, alpha: int = 255) -> list[QBrush]:
    """n_levels reusable QBrush objects along a colour map (reusing them keeps pyqtgraph's
    symbol atlas small, so recolouring thousands of spots stays cheap)."""
    cmap = colormap(name)
    brushes = []
    for p in np.linspace(0.0, 1.0, n_levels):
        color = cmap.map(float(p), mode=pg.ColorMap.QCOLOR)
        color.setAlpha(alpha)
        brushes.append(QBrush(color))
    return brushes


def faded(color: QColor, alpha: int) -> QColor:
    """Copy of `color` with the given alpha (0..255)."""
    out = QColor(color)
    out.setAlpha(int(np.clip(alpha, 0, 255)))
    return out


def pen(color: QColor | str, width: float = 1.5, dashed: bool = False) -> QPen:
    """A cosmetic pen (width in pixels whatever the zoom)."""
    result = pg.mkPen(color, width=width)
    if dashed:
        result.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
    return result


def set_text(label: pg.LabelItem, text: str) -> None:
    """label.setText(text) unless it already shows that text (each new text re-lays it out)."""
    live = getattr(label, "_live_text", None)
    if live is not None:
        live.pending = None   # a throttled text waiting to show is now out of date
    if label.text != text:
        label.setText(text)


NO_PEN = pg.mkPen(None)


def symbol_style(color: QColor) -> dict[str, object]:
    """symbolBrush/symbolPen for PlotDataItem as ready objects (a QColor or None there makes a
    new QBrush/QPen on every setData: pyqtgraph then re-renders the symbol every frame)."""
    return {"symbolBrush": QBrush(color), "symbolPen": NO_PEN}
