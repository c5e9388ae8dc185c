"""E[phi^2], E[phi'^2] tabulated on a log-q grid, and fixed points for many (w, b) at once.

The phase grid needs q* at thousands of (sigma_w2, sigma_b2) points. The moments depend on q
only, so one table over q in [1e-12, 1e8] (24 points per decade, one vectorised quadrature)
serves every point: ln E[phi^2] is interpolated by cubic Hermite in ln q with its exact slope
(d ln A / d ln q = E[phi phi' u] / E[phi^2]), ln E[phi'^2] by 4-point Lagrange. Both are smooth in
log-log coordinates (exact for ReLU), so interpolated q* agree with the direct solver to ~1e-7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.theory.meanfield import _ZERO_TOL, Q_INF, Q_MAX, Q_MIN, Q_ZERO, moments

PER_DECADE = 24
_BLOCK = 2 * PER_DECADE  # table points per step of the outward walk from q0
_TINY = 1e-300


@dataclass(frozen=True)
class MomentTable:
    """Moments on t = ln q (N,) plus the q -> 0 and q -> inf limits of E[phi'^2]."""

    t: np.ndarray
    log_phi2: np.ndarray
    dlog_phi2: np.ndarray
    log_dphi2: np.ndarray
    dphi2_zero: float
    dphi2_inf: float
    phi2_inf: float

    @property
    def q(self) -> np.ndarray:
        """The tabulated q values (N,)."""
        return np.exp(self.t)

    def _locate(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        h = self.t[1] - self.t[0]
        pos = np.clip((t - self.t[0]) / h, 0.0, self.t.size - 1.0)
        index = np.minimum(pos.astype(np.int64), self.t.size - 2)
        return index, pos - index, h

    def phi2(self, q: np.ndarray) -> np.ndarray:
        """E[phi(sqrt(q) Z)^2] by cubic Hermite in ln q (q inside the table), shape of q."""
        i, s, h = self._locate(np.log(q))
        y0, y1 = self.log_phi2[i], self.log_phi2[i + 1]
        d0, d1 = self.dlog_phi2[i] * h, self.dlog_phi2[i + 1] * h
        s2, s3 = s * s, s * s * s
        y = ((2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * d0 + (-2 * s3 + 3 * s2) * y1
             + (s3 - s2) * d1)
        return np.exp(y)

    def dphi2(self, q: np.ndarray) -> np.ndarray:
        """E[phi'(sqrt(q) Z)^2]: 4-point Lagrange in ln q inside the table, limits outside."""
        q = np.asarray(q, dtype=np.float64)
        values = lagrange4(self.t, self.log_dphi2, np.log(np.clip(q, Q_MIN, Q_MAX)))
        out = np.exp(values)
        out = np.where(q <= 0, self.dphi2_zero, out)
        return np.where(np.isinf(q), self.dphi2_inf, out)


def lagrange4(t_grid: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cubic Lagrange interpolation on a uniform grid (N,); y (N,) or (N, K); t any shape."""
    h = t_grid[1] - t_grid[0]
    pos = np.clip((t - t_grid[0]) / h, 0.0, t_grid.size - 1.0)
    i0 = np.clip(pos.astype(np.int64) - 1, 0, t_grid.size - 4)
    s = pos - i0  # in [0, 3]: nodes at 0, 1, 2, 3
    weights = (-(s - 1) * (s - 2) * (s - 3) / 6, s * (s - 2) * (s - 3) / 2,
               -s * (s - 1) * (s - 3) / 2, s * (s - 1) * (s - 2) / 6)
    if y.ndim == 1:
        return sum(wk * y[i0 + k] for k, wk in enumerate(weights))
    return sum(wk[..., None] * y[i0 + k] for k, wk in enumerate(weights))


def moment_table(act: Any) -> MomentTable:
    """Tabulate the moments of `act` on q in [Q_MIN, Q_MAX], PER_DECADE points per decade."""
    decades = math.log10(Q_MAX / Q_MIN)
    t = np.linspace(math.log(Q_MIN), math.log(Q_MAX), int(round(decades * PER_DECADE)) + 1)
    m = moments(act, np.concatenate([np.exp(t), [Q_ZERO, Q_INF]]))
    phi2 = np.maximum(m.phi2[:-2], _TINY)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(m.phi2[:-2] > 0, m.phi_dphi_u[:-2] / phi2, 0.0)
    return MomentTable(t, np.log(phi2), slope, np.log(np.maximum(m.dphi2[:-2], _TINY)),
                       float(m.dphi2[-2]), float(m.dphi2[-1]), float(m.phi2[-1]))


def solve_fixed_points(table: MomentTable, w: np.ndarray, b: np.ndarray,
                       q0: float) -> np.ndarray:
    """q* reached from q0 for each (w, b) pair (P,): 0 if q -> 0, inf if q -> inf.

    Same rule as meanfield.fixed_point (first root of Q(q) - q in the direction q moves), on the
    table: walk outwards from q0 a block of table points at a time (most points stop in the
    first block), bracket between table points, then Illinois regula falsi on the interpolant.
    """
    q_grid, a_grid = table.q, np.exp(table.log_phi2)
    q_start = min(max(q0, Q_MIN), Q_MAX)
    f_start = w * float(table.phi2(np.array([q_start]))[0]) + b - q_start
    start_is_root = np.abs(f_start) <= _ZERO_TOL * np.maximum(q_start, b)
    up = f_start > 0
    lo, hi = np.full(w.shape, q_start), np.full(w.shape, q_start)
    found = np.zeros(w.shape, dtype=bool)
    first_above = int(np.searchsorted(q_grid, q_start, side="right"))
    last_below = int(np.searchsorted(q_grid, q_start, side="left")) - 1
    for rising in (True, False):
        rows = np.flatnonzero((up == rising) & ~start_is_root)
        starts = (range(first_above, q_grid.size, _BLOCK) if rising
                  else range(last_below, -1, -_BLOCK))
        for begin in starts:
            if rows.size == 0:
                break
            cols = (np.arange(begin, min(begin + _BLOCK, q_grid.size)) if rising
                    else np.arange(begin, max(begin - _BLOCK, -1), -1))
            qc = q_grid[cols]
            residual = w[rows, None] * a_grid[cols] + b[rows, None] - qc
            tol = _ZERO_TOL * np.maximum(qc, b[rows, None])
            cond = residual <= tol if rising else residual >= -tol
            hit = cond.any(axis=1)
            k = cols[np.argmax(cond, axis=1)[hit]]
            r = rows[hit]
            neighbour = np.where(k - 1 >= 0, k - 1, 0) if rising else np.minimum(k + 1,
                                                                                  q_grid.size - 1)
            if rising:
                lo[r] = np.where(k > first_above, q_grid[neighbour], q_start)
                hi[r] = q_grid[k]
            else:
                lo[r] = q_grid[k]
                hi[r] = np.where(k < last_below, q_grid[neighbour], q_start)
            found[r] = True
            rows = rows[~hit]
    q_star = np.where(up, np.inf, 0.0)
    if found.any():
        q_star[found] = _illinois(table, w[found], b[found], np.log(lo[found]),
                                  np.log(hi[found]))
    return np.where(start_is_root, q_start, q_star)


def _illinois(table: MomentTable, w: np.ndarray, b: np.ndarray, t_lo: np.ndarray,
              t_hi: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Vectorised Illinois on F(t) = w A(e^t) + b - e^t over brackets [t_lo, t_hi] -> q (P,)."""
    def residual(t: np.ndarray) -> np.ndarray:
        q = np.exp(t)
        return w * table.phi2(q) + b - q

    t_lo, t_hi = t_lo.copy(), t_hi.copy()
    f_lo, f_hi = residual(t_lo), residual(t_hi)
    side = np.zeros(t_lo.shape)
    for _ in range(iterations):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (t_lo * f_hi - t_hi * f_lo) / (f_hi - f_lo)
        bad = ~((t > t_lo) & (t < t_hi))
        t = np.where(bad, 0.5 * (t_lo + t_hi), t)
        f = residual(t)
        same = (f > 0) == (f_lo > 0)
        f_hi = np.where(same & (side == -1), 0.5 * f_hi, f_hi)
        f_lo = np.where(~same & (side == 1), 0.5 * f_lo, f_lo)
        t_lo, f_lo = np.where(same, t, t_lo), np.where(same, f, f_lo)
        t_hi, f_hi = np.where(same, t_hi, t), np.where(same, f_hi, f)
        side = np.where(same, -1.0, 1.0)
        if np.all((t_hi - t_lo) <= 1e-13 * np.maximum(1.0, np.abs(t_lo))):
            break
    return np.exp(0.5 * (t_lo + t_hi))


def chi_at(table: MomentTable, w: np.ndarray, q_star: np.ndarray) -> np.ndarray:
    """sigma_w2 E[phi'^2] at each q* (P,), with the q -> 0 and q -> inf limits."""
    return w * table.dphi2(q_star)
