"""Axis ranges with hysteresis: they always contain the data but change only now and then.

pyqtgraph regenerates an axis (tick values, strings, layout: ~0.7 ms) and re-bounds every item
of the view whenever the range changes, so a range refitted to data that moves every frame costs
several ms per plot per frame. A sticky range grows past the data with a margin when the data
leaves it and shrinks only when the data fills a small part of it.
"""

from __future__ import annotations

import math

import pyqtgraph as pg


class StickyRange:
    """One axis range (low, high) in view units that follows data ranges with hysteresis."""

    def __init__(self, pad_low: float = 0.1, pad_high: float = 0.1, min_pad: float = 0.0,
                 shrink_below: float = 0.4, min_span: float = 1e-9) -> None:
        """pad_*: margin added on refit as a fraction of the data span (at least min_pad, view
        units); shrink_below: refit when the padded data fills less than this fraction."""
        self.pad_low, self.pad_high, self.min_pad = pad_low, pad_high, min_pad
        self.shrink_below, self.min_span = shrink_below, min_span
        self.range: tuple[float, float] | None = None

    def reset(self) -> None:
        """Forget the range: the next fit refits."""
        self.range = None

    def fit(self, low: float, high: float) -> tuple[float, float] | None:
        """The new range if the data [low, high] forces a change, else None (keep the old one)."""
        if not (math.isfinite(low) and math.isfinite(high)):
            return None
        low, high = min(low, high), max(low, high)
        span = max(high - low, self.min_span)
        wanted_low = low - max(self.pad_low * span, self.min_pad) if self.pad_low else low
        wanted_high = high + max(self.pad_high * span, self.min_pad) if self.pad_high else high
        if self.range is not None:
            old_low, old_high = self.range
            inside = old_low <= low and high <= old_high
            filled = (wanted_high - wanted_low) / max(old_high - old_low, self.min_span)
            if inside and filled >= self.shrink_below:
                return None
        self.range = (wanted_low, wanted_high)
        return self.range


def apply_x(plot: pg.PlotItem, sticky: StickyRange, low: float, high: float) -> None:
    """Set the plot's x range from sticky.fit (no-op when it does not change)."""
    new = sticky.fit(low, high)
    if new is not None:
        plot.setXRange(*new, padding=0)


def apply_y(plot: pg.PlotItem, sticky: StickyRange, low: float, high: float) -> None:
    """Set the plot's y range from sticky.fit (no-op when it does not change)."""
    new = sticky.fit(low, high)
    if new is not None:
        plot.setYRange(*new, padding=0)
