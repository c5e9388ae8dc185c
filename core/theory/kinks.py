"""Find where an activation or its derivative jumps, so the quadrature can put panel edges there.

The quadrature's fixed edges (x = 0, ±1/16 ... ±32, the integers 1, 2, 3, 4, 6, 8 among them)
catch every built-in kink, but a formula such as where(x > 0.7, x, ...) has one at 0.7, and a
Gauss–Legendre panel straddling a jump in f' is off by ~1 % (measured 2 % for E[f'^2] at q = 1).
So every activation is scanned once: f and f' on a grid of step 1/128 over [-64, 64]; a
difference much larger than both neighbours is a jump (a smooth slope gives similar
neighbouring differences), located by bisection to ~1e-13. Kinks beyond |x| = 64 are not looked
for. An object may also list its own in a `breakpoints` attribute.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from core.theory.quadrature import SCALE_EDGES

SPAN = 64.0
STEP = 1.0 / 128.0
_KNOWN = np.concatenate([-SCALE_EDGES, [0.0], SCALE_EDGES])
_RATIO = 8.0  # a jump's difference exceeds both neighbours' by this factor


def _pair(act: Any):
    both = getattr(act, "f_df", None)
    return both if callable(both) else (lambda x: (act.f(x), act.df(x)))


def _jump_intervals(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Indices i where values jumps between x[i] and x[i+1] (isolated large differences)."""
    d = np.abs(np.diff(values))
    left = np.concatenate([[0.0], d[:-1]])
    right = np.concatenate([d[1:], [0.0]])
    big = d > _RATIO * np.maximum(left, right)
    # Relative to the function's overall size: in saturated tails (tanh' ~ 1e-15) rounding
    # makes ragged differences that are not jumps; PyTorch's softplus switch at x = 20 (a 2e-9
    # step) is also too small to matter.
    return np.flatnonzero(big & (d > 1e-8 * max(float(np.max(np.abs(values))), 1e-300)))


def _locate(evaluate, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bisect each [lo, hi] towards the point where `evaluate` jumps."""
    v_lo, v_hi = evaluate(lo), evaluate(hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        v_mid = evaluate(mid)
        # The jump is on the side where the value changes more.
        right_side = np.abs(v_hi - v_mid) > np.abs(v_mid - v_lo)
        lo, v_lo = np.where(right_side, mid, lo), np.where(right_side, v_mid, v_lo)
        hi, v_hi = np.where(right_side, hi, mid), np.where(right_side, v_hi, v_mid)
        if np.all(hi - lo <= 1e-13 * np.maximum(1.0, np.abs(lo))):
            break
    return 0.5 * (lo + hi)


def find_breakpoints(act: Any) -> tuple[float, ...]:
    """Positions in [-64, 64] where f or f' jumps and no fixed quadrature edge already sits."""
    pair = _pair(act)
    # Shifted by an irrational fraction of a step so that a kink at a round number (1.5) never
    # sits on a grid point, where f' may take a third value and split the jump in two.
    x = np.linspace(-SPAN, SPAN, int(round(2 * SPAN / STEP)) + 1) + STEP / np.pi
    with np.errstate(all="ignore"):
        f, df = (np.nan_to_num(np.asarray(v, dtype=np.float64)) for v in pair(x))
        found = []
        for index, values in enumerate((f, df)):
            intervals = _jump_intervals(x, values)
            if intervals.size:
                def evaluate(points: np.ndarray, index: int = index) -> np.ndarray:
                    return np.nan_to_num(np.asarray(pair(points)[index], dtype=np.float64))
                found.append(_locate(evaluate, x[intervals], x[intervals + 1]))
    if not found:
        return ()
    points = np.unique(np.concatenate(found))
    known = np.min(np.abs(points[:, None] - _KNOWN[None, :]), axis=1)
    return tuple(float(p) for p in points[known > 1e-9 * np.maximum(1.0, np.abs(points))])


@functools.lru_cache(maxsize=256)
def _cached(act: Any) -> tuple[float, ...]:
    return find_breakpoints(act)


def breakpoints_of(act: Any) -> tuple[float, ...]:
    """Detected jumps of f or f' (cached per activation) plus any `breakpoints` it declares."""
    try:
        detected = _cached(act)
    except TypeError:   # unhashable activation-like object: scan every time
        detected = find_breakpoints(act)
    declared = tuple(float(x) for x in getattr(act, "breakpoints", ()) or ())
    return detected + declared
