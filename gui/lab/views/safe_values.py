"""Make trainer numbers drawable: pyqtgraph must never see NaN/inf, and log axes never see 0.

A diverged step may hold inf/nan and a vanished gradient may be exactly 0. Both are real
information, so they are clamped to the edge of the drawn range and counted (for the legend/tooltip)
instead of being dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_FLOOR = 1e-12       # log floor when nothing positive is drawn at all
DEFAULT_CEILING = 1e12      # log ceiling when nothing finite is drawn at all
SMALLEST_FLOOR = 1e-300     # stay inside float64's normal range so log10 is finite


@dataclass(frozen=True)
class LogBounds:
    """Where zeros (floor) and non-finite values (ceiling) are drawn on a log axis."""

    floor: float
    ceiling: float


def log_bounds(*arrays: np.ndarray) -> LogBounds:
    """A floor one decade below the smallest positive finite value and a ceiling one above the
    largest, over all `arrays` (any shapes), so clamped points sit just outside the real data."""
    positive = [a[np.isfinite(a) & (a > 0)] for a in (np.asarray(x, np.float64) for x in arrays)]
    values = np.concatenate([p.ravel() for p in positive]) if positive else np.empty(0)
    if values.size == 0:
        return LogBounds(DEFAULT_FLOOR, DEFAULT_CEILING)
    low = np.floor(np.log10(values.min())) - 1.0
    high = np.ceil(np.log10(values.max())) + 1.0
    return LogBounds(float(max(10.0 ** low, SMALLEST_FLOOR)), float(10.0 ** min(high, 300.0)))


@dataclass(frozen=True)
class LogSafe:
    """Values ready for a log axis plus what had to be clamped."""

    values: np.ndarray          # same shape as the input, all in [floor, ceiling]
    underflow: np.ndarray       # bool: was <= 0 or below the floor (drawn at the floor)
    nonfinite: np.ndarray       # bool: was nan or ±inf (drawn at the ceiling)


def log_safe(values: np.ndarray, bounds: LogBounds) -> LogSafe:
    """Clamp `values` (any shape) into [floor, ceiling]: <= 0 -> floor, nan/inf -> ceiling."""
    a = np.asarray(values, dtype=np.float64)
    nonfinite = ~np.isfinite(a)
    underflow = ~nonfinite & (a < bounds.floor)
    out = np.where(nonfinite, bounds.ceiling, a)
    np.clip(out, bounds.floor, bounds.ceiling, out=out)
    return LogSafe(out, underflow, nonfinite)


def log10_safe(values: np.ndarray, bounds: LogBounds) -> LogSafe:
    """Like log_safe, but the values are log10 of the clamped values (for images/colour maps)."""
    safe = log_safe(values, bounds)
    return LogSafe(np.log10(safe.values), safe.underflow, safe.nonfinite)


def finite_or(values: np.ndarray, fill: float) -> np.ndarray:
    """Copy of `values` as float64 with every nan/±inf replaced by `fill`."""
    a = np.array(values, dtype=np.float64)
    a[~np.isfinite(a)] = fill
    return a


def clamp_counts_text(safe: LogSafe) -> str:
    """'' or a short note such as '2 at 0 (underflow), 1 non-finite' for a legend."""
    return counts_text(int(np.count_nonzero(safe.underflow)),
                       int(np.count_nonzero(safe.nonfinite)))


def counts_text(underflow: int, nonfinite: int) -> str:
    """clamp_counts_text from the two counts."""
    parts = []
    if underflow:
        parts.append(f"{underflow} at 0 (underflow)")
    if nonfinite:
        parts.append(f"{nonfinite} non-finite (diverged)")
    return ", ".join(parts)


def describe_value(value: float, underflow: bool, nonfinite: bool) -> str:
    """A value for a tooltip: '3.2e-05', '0 (underflow)' or 'inf/nan (diverged)'."""
    if nonfinite:
        return "inf/nan (diverged)"
    if underflow:
        return f"{value:.3g} (underflow, drawn at the floor)" if value > 0 else "0 (underflow)"
    return f"{value:.3g}"


def aggregate_groups(width: int, max_groups: int) -> np.ndarray:
    """Start indices (n_groups + 1,) splitting `width` units into at most `max_groups` near-equal
    consecutive groups (one unit per group when width <= max_groups)."""
    n_groups = max(1, min(width, max_groups))
    return np.linspace(0, width, n_groups + 1).round().astype(np.int64)


def group_mean(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mean of consecutive groups of `values` (width,) given start indices (n_groups + 1,)."""
    sums = np.add.reduceat(np.asarray(values, np.float64), starts[:-1])
    return sums / np.diff(starts)
