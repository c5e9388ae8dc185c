"""The edge of chaos: sigma_w2 where chi(q*) = 1, per sigma_b2, two ways.

1. The critical line (Pennington et al. 2017), parametrised by q*: sigma_w2(q) = 1 / E[phi'^2] and
   sigma_b2(q) = q - sigma_w2(q) E[phi^2]. Each root of sigma_b2(q) = target gives a point; it is
   only a real edge if q* is a stable fixed point, Q'(q*) = E[phi phi' u] / (q E[phi'^2]) < 1.
   For GELU and swish at small sigma_b2 it is not (Q' > 1): no network sits on it.
2. The boundary met from q0: the (smallest) sigma_w2 at which chi at the fixed point reached
   from q0 crosses 1. Where the line is stable the two agree; where it is not, q* jumps across the
   unstable point and chi jumps over 1 (`jump`). This is the number a training run experiences
   (and the one `main.py theory --critical` prints).
ReLU-like activations have chi independent of q: the line has no finite q* when sigma_b2 > 0 and
the boundary is met as q -> inf; softplus likewise never reaches chi = 1 at a finite q*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.theory.checks import check_activation, check_values, check_variance
from core.theory.meanfield import Q_MIN, moments
from core.theory.tables import MomentTable, chi_at, moment_table, solve_fixed_points

_W_GRID = np.geomspace(1e-3, 1e5, 8 * 8 + 1)  # where the boundary search starts
# Each round shrinks the bracket (first a factor 1.33) 16-fold: 10 rounds reach ~1e-13 for the
# scalar answer, 6 (phase-grid drawing) ~2e-8.
_BISECTION_ROUNDS = {True: 10, False: 6}
_BISECTION_POINTS = 15
_JUMP = 1e-3                                    # chi difference across the boundary for a jump
_PROBE_Q = 1e-4                                 # stability of the q* = 0 end of the line


@dataclass(frozen=True)
class CriticalLine:
    """Per sigma_b2 (n,): the critical line and the boundary met from q0.

    sigma_w2, q_star: the line point (nan if no root with q* in [0, 1e8]); stable: whether that
    q* attracts (a stable root is preferred when there are several). sigma_w2_from_q0: where
    chi at the q* reached from q0 crosses 1 (nan if never below 1e5); jump: chi jumps there.
    """

    sigma_b2: np.ndarray
    sigma_w2: np.ndarray
    q_star: np.ndarray
    stable: np.ndarray
    sigma_w2_from_q0: np.ndarray
    jump: np.ndarray
    q0: float


def _line_roots(table: MomentTable, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every tabulated root of sigma_b2(q) = b_i: (row index i (R,), q root (R,)), q = 0 ends too.

    Roots are bracketed between table points and bisected on the interpolant, all at once.
    """
    q = table.q
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        line_b = q - np.exp(table.log_phi2 - table.log_dphi2)
    gap = line_b[None, :] - b[:, None]
    finite = np.isfinite(gap)
    change = finite[:, :-1] & finite[:, 1:] & (np.sign(gap[:, :-1]) * np.sign(gap[:, 1:]) < 0)
    rows, k = np.nonzero(change)
    lo, hi = table.t[k], table.t[k + 1]
    positive_at_lo = gap[rows, k] > 0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        qm = np.exp(mid)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            g = qm - table.phi2(qm) / table.dphi2(qm) - b[rows]
        move_lo = (g > 0) == positive_at_lo
        lo, hi = np.where(move_lo, mid, lo), np.where(move_lo, hi, mid)
    roots = np.exp(0.5 * (lo + hi))
    # phi(0) = 0 and no bias: the line also ends at q* = 0, sigma_w2 = 1 / E[phi'(0±)^2].
    ends = np.flatnonzero((b == 0) & (table.dphi2_zero > 0) & (abs(line_b[0]) <= 1e-6 * q[0]))
    return np.concatenate([ends, rows]), np.concatenate([np.zeros(ends.size), roots])


def _line_stable(table: MomentTable, q: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Whether each line point attracts: Q'(q*) < 1, and at the q* = 0 end (where Q'(0) = 1)
    whether Q(q) < q just above 0, i.e. q falls back to 0 (tanh) rather than growing (GELU)."""
    stable = slope < 1
    if np.any(q == 0):
        end_stable = (float(table.phi2(np.array([_PROBE_Q]))[0]) / table.dphi2_zero
                      < _PROBE_Q)
        stable = np.where(q == 0, end_stable, stable)
    return stable


def _table_slope(table: MomentTable, q: np.ndarray) -> np.ndarray:
    """Q'(q) on the line, E[phi phi' u] / (q E[phi'^2]), from the table (q > 0)."""
    qc = np.clip(q, Q_MIN, None)
    dlog = np.interp(np.log(qc), table.t, table.dlog_phi2)
    return dlog * table.phi2(qc) / (qc * table.dphi2(qc))


def _polish(act: Any, q: float, target: float) -> float:
    """The exact root of q - E[phi^2]/E[phi'^2] = target near q (secant on exact moments)."""
    def gap(x: float) -> float:
        m = moments(act, x)
        return x - float(m.phi2[0]) / float(m.dphi2[0]) - target

    lo, hi = q * (1 - 1e-5), q * (1 + 1e-5)
    g_lo, g_hi = gap(lo), gap(hi)
    for _ in range(30):
        if g_hi == g_lo:
            break
        x = hi - g_hi * (hi - lo) / (g_hi - g_lo)
        if not x > 0:
            break
        lo, g_lo, hi, g_hi = hi, g_hi, x, gap(x)
        if abs(hi - lo) <= 1e-15 * hi:
            break
    return hi


def _boundary(table: MomentTable, b: np.ndarray, q0: float,
              rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """sigma_w2 where chi(q*(w)) crosses 1 from q0, per sigma_b2 (n,); and whether chi jumps."""
    def chi_of(w: np.ndarray, bb: np.ndarray) -> np.ndarray:
        return chi_at(table, w, solve_fixed_points(table, w, bb, q0))

    n = b.size
    grid = np.broadcast_to(_W_GRID, (n, _W_GRID.size))
    above = chi_of(grid.ravel(), np.repeat(b, _W_GRID.size)).reshape(grid.shape) > 1
    has = above.any(axis=1)
    k = np.argmax(above, axis=1)
    hi = _W_GRID[k]
    lo = np.where(k > 0, _W_GRID[np.maximum(k - 1, 0)], 0.0)
    fractions = np.arange(1, _BISECTION_POINTS + 1) / (_BISECTION_POINTS + 1)
    for _ in range(rounds):
        points = lo[:, None] + (hi - lo)[:, None] * fractions
        inside = chi_of(points.ravel(), np.repeat(b, _BISECTION_POINTS)).reshape(points.shape) > 1
        first = np.argmax(inside, axis=1)
        any_inside = inside.any(axis=1)
        new_hi = np.where(any_inside, points[np.arange(n), first], hi)
        new_lo = np.where(any_inside & (first > 0), points[np.arange(n), np.maximum(first - 1, 0)],
                          np.where(any_inside, lo, points[:, -1]))
        lo, hi = new_lo, new_hi
    jump = np.abs(chi_of(hi, b) - chi_of(lo, b)) > _JUMP
    return np.where(has, 0.5 * (lo + hi), np.nan), has & jump


def critical_line(act: Any, sigma_b2_values: Any, q0: float = 1.0, *, exact: bool = True,
                  table: MomentTable | None = None) -> CriticalLine:
    """The critical line and the chaos boundary met from q0 for each sigma_b2 (n,).

    exact=True polishes the line's roots with direct quadrature (~1e-14); exact=False keeps the
    table's interpolated roots (~1e-7, what the phase grid uses for speed).
    """
    act = check_activation(act)
    b = check_values("sigma_b2 values", sigma_b2_values)
    q0 = check_variance("q0", q0)
    table = moment_table(act) if table is None else table
    n = b.size
    w_line, q_line = np.full(n, np.nan), np.full(n, np.nan)
    stable = np.zeros(n, dtype=bool)
    rows, roots = _line_roots(table, b)
    if exact:
        roots = np.array([r if r == 0 else _polish(act, r, b[i])
                          for i, r in zip(rows.tolist(), roots.tolist(), strict=True)])
    with np.errstate(divide="ignore", invalid="ignore"):
        if exact and roots.size:
            m = moments(act, roots)
            slope = m.phi_dphi_u / (np.clip(roots, Q_MIN, None) * m.dphi2)
            w_roots = np.where(roots == 0, np.divide(1.0, table.dphi2_zero), 1.0 / m.dphi2)
        else:
            slope = _table_slope(table, roots)
            w_roots = np.where(roots == 0, np.divide(1.0, table.dphi2_zero),
                               1.0 / table.dphi2(roots))
    root_stable = _line_stable(table, roots, slope)
    for i in range(n):
        mine = np.flatnonzero(rows == i)
        if mine.size == 0:
            continue
        good = mine[root_stable[mine]]
        pick = good[0] if good.size else mine[0]
        w_line[i], q_line[i], stable[i] = w_roots[pick], roots[pick], root_stable[pick]
    w_from, jump = _boundary(table, b, q0, _BISECTION_ROUNDS[exact])
    # Where the boundary is the stable line itself, report the line's (exact) value.
    same = stable & ~jump & (np.abs(w_from - w_line) <= 1e-5 * w_line)
    w_from = np.where(same, w_line, w_from)
    return CriticalLine(b, w_line, q_line, stable, w_from, jump, q0)


def critical_sigma_w2(act: Any, sigma_b2: float, q0: float = 1.0) -> float:
    """The sigma_w2 where gradients turn from vanishing to exploding for a network started at q0."""
    b = check_variance("sigma_b2", sigma_b2)
    return float(critical_line(act, [b], q0).sigma_w2_from_q0[0])


