"""Sampling the curves the Explorer draws (pure numpy: the CLI writes CSV from it without Qt)."""

from __future__ import annotations

import numpy as np

DEFAULT_X_RANGE = (-5.0, 5.0)
DEFAULT_SAMPLES = 2000


def sample_x(xmin: float, xmax: float, samples: int = DEFAULT_SAMPLES) -> np.ndarray:
    """Evenly spaced float64 x values, shape (samples,)."""
    return np.linspace(float(xmin), float(xmax), int(samples))


def curve_headers(name: str, show_functions: bool, show_derivatives: bool) -> list[str]:
    """CSV headers for one activation's drawn columns, e.g. ["sigmoid f(x)", "sigmoid f'(x)"]."""
    headers = []
    if show_functions:
        headers.append(f"{name} f(x)")
    if show_derivatives:
        headers.append(f"{name} f'(x)")
    return headers


def curves_table(curves: dict[str, tuple[np.ndarray, np.ndarray]], x: np.ndarray,
                 show_functions: bool = True,
                 show_derivatives: bool = True) -> tuple[list[str], np.ndarray]:
    """Headers and columns (n, 1 + k) of exactly what is drawn: x, then f and/or f' per curve."""
    headers = ["x"]
    columns = [x]
    for name, (f, df) in curves.items():
        headers += curve_headers(name, show_functions, show_derivatives)
        if show_functions:
            columns.append(f)
        if show_derivatives:
            columns.append(df)
    return headers, np.column_stack(columns)
