"""`main.py export-curves`: draw activation curves to PNG/SVG/CSV with the Explorer's plot code.

Everything is validated before any output exists; CSV is written without importing Qt.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

from core.activations import activation_info, get_activation, split_activation_list
from gui.explorer.sampling import curves_table, sample_x
from gui.export.atomic import check_export_path
from gui.export.table import write_csv

X_LIMIT = 1e4          # the core keeps every activation finite up to |x| = 1e4
MAX_SAMPLES = 1_000_000
MIN_SIDE, MAX_SIDE = 16, 20000


def parse_activations(text: str) -> list[str]:
    """'sigmoid,tanh,silu' -> canonical names, duplicates dropped; ValueError names the choices.

    Items may be formulas ('formula:x*sigmoid(x)'); commas inside their parentheses or
    brackets do not split the list.
    """
    names: list[str] = []
    for part in split_activation_list(text):
        if part.strip():
            name = activation_info(part.strip()).name
            if name not in names:
                names.append(name)
    if not names:
        raise ValueError("--activations is empty: give names such as sigmoid,tanh,relu.")
    return names


def parse_x_range(text: str) -> tuple[float, float]:
    """'xmin,xmax' -> two finite floats with xmin < xmax inside ±1e4."""
    parts = text.split(",")
    try:
        xmin, xmax = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--x-range '{text}' is not two numbers like -5,5.") from None
    if not (math.isfinite(xmin) and math.isfinite(xmax) and -X_LIMIT <= xmin < xmax <= X_LIMIT):
        raise ValueError(f"--x-range '{text}' needs xmin < xmax, both within ±{X_LIMIT:g}.")
    return xmin, xmax


def parse_params(assignments: list[str], names: list[str]) -> dict[str, dict[str, float]]:
    """['leaky_relu.alpha=0.1'] -> {'leaky_relu': {'alpha': 0.1}}, checked by get_activation.

    Split at the last '=' and the last '.' before it, so a formula works as the name too:
    'formula:x*sigmoid(b*x); b=1.b=2'.
    """
    params: dict[str, dict[str, float]] = {}
    for text in assignments:
        key, sep, value_text = text.rpartition("=")
        name, dot, param = key.strip().rpartition(".")
        if not (sep and dot and name and param):
            raise ValueError(f"--param '{text}' is not of the form NAME.PARAM=VALUE "
                             "(e.g. leaky_relu.alpha=0.1).")
        name = activation_info(name).name
        if name not in names:
            raise ValueError(f"--param '{text}': {name} is not among --activations.")
        try:
            value = float(value_text)
        except ValueError:
            raise ValueError(f"--param '{text}': '{value_text}' is not a number.") from None
        params.setdefault(name, {})[param] = value
    for name, values in params.items():
        get_activation(name, **values)   # unknown parameter or out of range -> ValueError
    return params


def validate(args: argparse.Namespace) -> tuple[list[str], dict, np.ndarray, Path]:
    """Check every option; returns names, params, x samples and the output path."""
    names = parse_activations(args.activations)
    params = parse_params(args.param, names)
    xmin, xmax = parse_x_range(args.x_range)
    if not 2 <= args.samples <= MAX_SAMPLES:
        raise ValueError(f"--samples must be between 2 and {MAX_SAMPLES}, got {args.samples}.")
    if args.no_functions and args.no_derivatives:
        raise ValueError("--no-functions and --no-derivatives together leave nothing to draw.")
    for option, side in (("--width", args.width), ("--height", args.height)):
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise ValueError(f"{option} must be between {MIN_SIDE} and {MAX_SIDE} pixels.")
    out = check_export_path(args.out)
    return names, params, sample_x(xmin, xmax, args.samples), out


def ensure_qt_platform() -> None:
    """Headless Linux (no display server): use Qt's offscreen platform instead of aborting."""
    if (sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def draw_image(curves: dict[str, tuple[np.ndarray, np.ndarray]], x: np.ndarray, out: Path,
               args: argparse.Namespace) -> None:
    """Draw the curves on the Explorer's CurvePlot (never shown on screen) and export PNG/SVG."""
    ensure_qt_platform()
    from PySide6.QtCore import Qt

    from gui.app import create_app
    from gui.explorer.curve_plot import CurvePlot
    from gui.explorer.palette import activation_colour
    from gui.export import ExportTarget, export_to_path

    app = create_app([sys.argv[0]])
    plot = CurvePlot()
    plot.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    plot.resize(args.width, args.height)
    plot.show()
    plot.set_show_kinds(not args.no_functions, not args.no_derivatives)
    for name, (f, df) in curves.items():
        plot.set_curve(name, activation_info(name).display_name, activation_colour(name), x, f, df)
        plot.set_curve_shown(name, True)
    plot.set_x_range(float(x[0]), float(x[-1]))
    app.processEvents()
    target = ExportTarget("Activation curves", plot, plot.getPlotItem())
    export_to_path(target, out, args.width, args.height)
    plot.close()


def run_export_curves(args: argparse.Namespace) -> int:
    """Validate, sample, then write the file; ValueError/OSError are one-line user errors."""
    names, params, x, out = validate(args)
    curves = {name: get_activation(name, **params.get(name, {})).f_df(x) for name in names}
    if out.suffix.lower() == ".csv":
        write_csv(out, *curves_table(curves, x, not args.no_functions, not args.no_derivatives))
    else:
        draw_image(curves, x, out, args)
    print(f"wrote {out}")
    return 0
