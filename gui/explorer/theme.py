"""The Explorer's plot look: a light theme that reads the same on screen, in slides and in print."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPen

BACKGROUND = "#ffffff"
AXIS_COLOUR = "#4a4a4a"
TEXT_COLOUR = "#303030"
ZERO_LINE_COLOUR = "#9a9a9a"
CROSSHAIR_COLOUR = "#505050"
KEY_COLOUR = "#707070"       # legend samples explaining solid = f, dashed = f'
GRID_ALPHA = 0.13
AXIS_LABEL_STYLE = {"color": TEXT_COLOUR, "font-size": "11pt"}
CURVE_WIDTH = 2.0
# Qt's raster engine strokes lines wider than 1 px ~15x slower; with many curves on screen the
# Explorer switches to 1 px lines to keep repaints fast (bench/bench_explorer.py).
CROWDED_WIDTH = 1.0
CROWDED_CURVES = 8
DASH_PIXELS = (8.0, 6.0)   # dash and gap lengths in pixels, whatever the pen width


def function_pen(colour: str, width: float = CURVE_WIDTH) -> QPen:
    """Solid pen for f(x)."""
    return pg.mkPen(colour, width=width)


def derivative_pen(colour: str, width: float = CURVE_WIDTH) -> QPen:
    """Dashed pen for f'(x) in the same colour as f(x)."""
    pen = pg.mkPen(colour, width=width)
    pen.setStyle(Qt.PenStyle.CustomDashLine)
    pen.setDashPattern([length / width for length in DASH_PIXELS])
    return pen


def zero_line_pen() -> QPen:
    """Thin grey pen for the x = 0 and y = 0 axes lines."""
    return pg.mkPen(ZERO_LINE_COLOUR, width=1)


def crosshair_pen() -> QPen:
    """Dotted pen for the vertical crosshair."""
    pen = pg.mkPen(CROSSHAIR_COLOUR, width=1)
    pen.setStyle(Qt.PenStyle.DotLine)
    return pen
