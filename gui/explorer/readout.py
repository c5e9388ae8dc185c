"""The crosshair readout under the plot: x, f(x) and f'(x) of every visible curve."""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

HINT = ("<span style='color:#808080'>Move the mouse over the plot to read x, f(x) and "
        "f\u2032(x) of every curve \u2014 solid lines are f(x), dashed lines f\u2032(x); "
        "wheel to zoom, drag to pan, double-click to reset.</span>")


def format_value(value: float) -> str:
    """Four significant digits; scientific notation only for very large or very small values."""
    if not math.isfinite(value):
        return "\u2014"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        text = f"{value:.4f}" if abs(value) < 1 else f"{value:.4g}"
        return text.replace("-", "\u2212")
    return f"{value:.3e}".replace("-", "\u2212")


class Readout(QLabel):
    """A rich-text label listing the values under the crosshair."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(HINT, parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setMinimumHeight(40)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setToolTip("Values of each drawn curve at the crosshair (x in the same units as "
                        "the axis; activations are unitless)")

    def show_values(self, x: float,
                    rows: list[tuple[str, str, float | None, float | None]]) -> None:
        """Show x and, per curve, (label, colour, f or None, f' or None); nan x shows the hint."""
        if not math.isfinite(x):
            self.setText(HINT)
            return
        parts = [f"<b>x = {format_value(x)}</b>"]
        for label, colour, f, df in rows:
            values = []
            if f is not None:
                values.append(f"f&nbsp;=&nbsp;{format_value(f)}")
            if df is not None:
                values.append(f"f\u2032&nbsp;=&nbsp;{format_value(df)}")
            name = html.escape(label).replace(" ", "&nbsp;")
            parts.append(f"<span style='color:{colour}'>\u25a0</span>&nbsp;{name}:"
                         f"&nbsp;{',&nbsp;'.join(values)}")
        self.setText(" &nbsp;&nbsp; ".join(parts))
