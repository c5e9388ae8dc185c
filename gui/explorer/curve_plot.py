"""The curve plot shared by the Explorer tab and `main.py export-curves`: f solid, f' dashed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont

from core.activations import available_activations
from gui.explorer import theme
from gui.ownership import LazyMenuViewBox, adopt_menus


class CurvePlot(pg.PlotWidget):
    """A PlotWidget holding one f(x) and one f'(x) item per activation, created once, then setData.

    Only activations that are shown (and only the enabled kinds, functions and/or derivatives)
    are in the plot; hidden ones are taken out of it and kept for reuse.
    """

    sigMouseX = Signal(float)               # x under the mouse, nan when outside the plot area
    sigResetRangeRequested = Signal()      # double-click on the plot

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background=theme.BACKGROUND, viewBox=LazyMenuViewBox())
        self._curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._labels: dict[str, str] = {}
        self._colours: dict[str, str] = {}
        self._line_width = theme.CURVE_WIDTH
        self._shown: set[str] = set()
        self._show_functions = True
        self._show_derivatives = True
        self._batch_depth = 0               # > 0 inside batched(): the legend waits
        self._legend_rows: list[tuple[int, str]] | None = None   # what the legend shows
        item = self.getPlotItem()
        adopt_menus(item, self)
        self.hideButtons()
        item.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
        tick_font = QFont()
        tick_font.setPointSizeF(9)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(theme.AXIS_COLOUR))
            axis.setTextPen(pg.mkPen(theme.TEXT_COLOUR))
            axis.setTickFont(tick_font)
        item.setLabel("bottom", "x", **theme.AXIS_LABEL_STYLE)
        self._update_y_label()
        for angle in (0, 90):
            item.addItem(pg.InfiniteLine(pos=0, angle=angle, pen=theme.zero_line_pen()),
                         ignoreBounds=True)
        self.legend = item.addLegend(offset=(12, 10), labelTextColor=theme.TEXT_COLOUR,
                                     brush=pg.mkBrush(255, 255, 255, 215),
                                     pen=pg.mkPen("#c8c8c8"), labelTextSize="9pt")
        # Legend-only samples explaining the line styles (never added to the plot).
        self._style_keys = (pg.PlotDataItem(pen=theme.function_pen(theme.KEY_COLOUR)),
                            pg.PlotDataItem(pen=theme.derivative_pen(theme.KEY_COLOUR)))
        self.crosshair = pg.InfiniteLine(angle=90, pen=theme.crosshair_pen())
        self.crosshair.setVisible(False)
        self.crosshair.setZValue(50)
        item.addItem(self.crosshair, ignoreBounds=True)
        item.vb.enableAutoRange(y=True)
        item.vb.setAutoVisible(y=True)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    def set_curve(self, name: str, label: str, colour: str, x: np.ndarray, f: np.ndarray,
                  df: np.ndarray) -> None:
        """Create (first call) or update the two items of an activation; x, f, df shaped (n,)."""
        items = self._curves.get(name)
        if items is None:
            items = (pg.PlotDataItem(pen=theme.function_pen(colour, self._line_width)),
                     pg.PlotDataItem(pen=theme.derivative_pen(colour, self._line_width)))
            self._curves[name] = items
            self._labels[name] = label
            self._colours[name] = colour
        items[0].setData(x, f)
        items[1].setData(x, df)

    def set_curve_shown(self, name: str, shown: bool) -> None:
        """Put an activation's curves into the plot or take them out (kept for reuse)."""
        if shown:
            self._shown.add(name)
        else:
            self._shown.discard(name)
        self._sync_items(name)
        self._update_line_width()
        self._rebuild_legend()

    def set_show_kinds(self, functions: bool, derivatives: bool) -> None:
        """Show or hide all f(x) curves and all f'(x) curves."""
        self._show_functions, self._show_derivatives = functions, derivatives
        for name in self._curves:
            self._sync_items(name)
        self._update_line_width()
        self._rebuild_legend()
        self._update_y_label()

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Show/hide several curves with one legend rebuild at the end (a restored state)."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                self._rebuild_legend()

    def drawn_curve_count(self) -> int:
        """How many f and f' items are in the plot."""
        per_activation = int(self._show_functions) + int(self._show_derivatives)
        return per_activation * len(self._shown)

    def _update_line_width(self) -> None:
        """Thick lines while few curves are drawn, 1 px lines when crowded (fast repaints)."""
        crowded = self.drawn_curve_count() > theme.CROWDED_CURVES
        width = theme.CROWDED_WIDTH if crowded else theme.CURVE_WIDTH
        if width == self._line_width:
            return
        self._line_width = width
        for name, (f_item, df_item) in self._curves.items():
            f_item.setPen(theme.function_pen(self._colours[name], width))
            df_item.setPen(theme.derivative_pen(self._colours[name], width))

    def _update_y_label(self) -> None:
        """Name on the y axis what is drawn: f(x), f'(x) or both."""
        kinds = [label for label, shown in (("f(x)", self._show_functions),
                                            ("f\u2032(x)", self._show_derivatives)) if shown]
        self.getPlotItem().setLabel("left", ",  ".join(kinds) or "f(x)", **theme.AXIS_LABEL_STYLE)

    def shown_names(self) -> list[str]:
        """Names of the activations in the plot, in display order."""
        return sorted(self._shown, key=_display_rank)

    def curve_items(self, name: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        """The (f, f') PlotDataItems of an activation (whether or not they are in the plot)."""
        return self._curves[name]

    def set_x_range(self, xmin: float, xmax: float) -> None:
        """Show exactly [xmin, xmax] and fit y to the visible curves."""
        item = self.getPlotItem()
        item.vb.setXRange(xmin, xmax, padding=0)
        item.vb.enableAutoRange(y=True)

    def _sync_items(self, name: str) -> None:
        """Make the plot hold exactly the items that should be visible for `name`."""
        shown = name in self._shown
        plot = self.getPlotItem()
        for data_item, wanted in zip(self._curves.get(name, ()),
                                     (self._show_functions, self._show_derivatives), strict=False):
            inside = data_item in plot.items
            if shown and wanted and not inside:
                plot.addItem(data_item)
            elif inside and not (shown and wanted):
                plot.removeItem(data_item)

    def _rebuild_legend(self) -> None:
        """One row per shown activation (its solid f pen) in display order, then the style key.

        Nothing is done inside batched() or when the rows would be the ones shown (each
        legend row is a few pyqtgraph items laid out again)."""
        if self._batch_depth:
            return
        rows = [(self._curves[name][0], self._labels[name]) for name in self.shown_names()]
        if rows and self._show_functions and self._show_derivatives:
            for key, label, wanted in zip(self._style_keys, ("f(x)", "f\u2032(x)"),
                                          (self._show_functions, self._show_derivatives),
                                          strict=True):
                if wanted:
                    rows.append((key, label))
        identity = [(id(data_item), label) for data_item, label in rows]
        if identity == self._legend_rows:
            return
        self._legend_rows = identity
        self.legend.clear()
        for data_item, label in rows:
            self.legend.addItem(data_item, label)
            sample, _label = self.legend.items[-1]
            # Clicking a legend sample would hide the item behind the list's back.
            sample.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def _on_mouse_moved(self, scene_pos) -> None:
        """Move the crosshair with the mouse and report its x (nan outside the plot area)."""
        view_box = self.getPlotItem().vb
        if not view_box.sceneBoundingRect().contains(scene_pos):
            self.crosshair.setVisible(False)
            self.sigMouseX.emit(math.nan)
            return
        x = view_box.mapSceneToView(scene_pos).x()
        self.crosshair.setPos(x)
        self.crosshair.setVisible(True)
        self.sigMouseX.emit(x)

    def leaveEvent(self, event) -> None:  # noqa: N802  (Qt override)
        """Hide the crosshair when the mouse leaves the widget."""
        self.crosshair.setVisible(False)
        self.sigMouseX.emit(math.nan)
        super().leaveEvent(event)

    def _on_mouse_clicked(self, event) -> None:
        """Double-click resets the range."""
        if event.double() and event.button() == Qt.MouseButton.LeftButton:
            self.sigResetRangeRequested.emit()


def _display_rank(name: str) -> int:
    """Position in available_activations() (unknown names last)."""
    names = available_activations()
    return names.index(name) if name in names else len(names)
