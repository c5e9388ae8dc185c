"""Properties of a formula activation measured on a grid (the built-ins' are written by hand)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.formula.compiled import CompiledFormula

GRID_LIMIT = 10.0
# Exact thousandths (spacing 1e-3), so the usual kinks (0, ±3) are grid points.
GRID = np.arange(-10_000, 10_001) / 1000.0
_SPAN = f"for −{GRID_LIMIT:g} ≤ x ≤ {GRID_LIMIT:g}"
# f is zero-centred when, on [-1, 1], its most negative value is at least this share of its
# largest positive one (tanh, ELU, SELU, softsign yes; swish, GELU, hard-swish no).
_ZERO_CENTRED_SHARE = 0.6
_JUMP_FACTOR = 20.0     # a jump: one grid step changes more than 20x its neighbours
_JUMP_FLOOR = 1e-4      # ... and by more than 1e-4 of the curve's scale


@dataclass(frozen=True)
class MeasuredProperties:
    """ActivationInfo's property fields, as measured at one parameter setting."""

    output_range: str
    max_abs_derivative: str
    zero_centred: bool
    monotonic: bool
    smooth: bool


def _has_jump(values: np.ndarray) -> bool:
    """True when consecutive grid values jump (a discontinuity), not merely change fast."""
    steps = np.abs(np.diff(values))
    neighbours = np.maximum(np.concatenate(([0.0], steps[:-1])),
                            np.concatenate((steps[1:], [0.0])))
    floor = _JUMP_FLOOR * (1.0 + np.max(np.abs(values)))
    return bool(np.any((steps > floor) & (steps > _JUMP_FACTOR * neighbours)))


def measure(compiled: CompiledFormula, params: Mapping[str, float]) -> MeasuredProperties:
    """Range, steepest slope, zero-centred, monotonic and C¹ of f on GRID."""
    f, df = compiled.f_df(GRID, params)
    finite = np.isfinite(f) & np.isfinite(df)
    if not finite.all():
        bad = GRID[~finite][0]
        note = f"not finite everywhere {_SPAN} (e.g. at x = {bad:g})"
        return MeasuredProperties(note, note, False, False, False)
    output_range = f"about [{f.min():.4g}, {f.max():.4g}] {_SPAN}"
    steepest = int(np.argmax(np.abs(df)))
    max_abs = f"about {abs(df[steepest]):.4g} (at x = {GRID[steepest]:g}) {_SPAN}"
    near = np.abs(GRID) <= 1.0
    low, high = f[near].min(), f[near].max()
    zero_centred = bool(low < 0 < high and -low >= _ZERO_CENTRED_SHARE * high)
    monotonic = bool(np.all(df >= 0) or np.all(df <= 0))
    smooth = not (_has_jump(f) or _has_jump(df))
    return MeasuredProperties(output_range, max_abs, zero_centred, monotonic, smooth)
