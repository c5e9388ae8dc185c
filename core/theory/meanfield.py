"""Mean-field signal propagation in deep random networks (Poole 2016, Schoenholz 2017).

Conventions: z^{l+1} = W^{l+1} phi(z^l) + b^{l+1}, W_ij ~ N(0, sigma_w2 / fan_in),
b_i ~ N(0, sigma_b2); q^l = E[(z_i^l)^2] is the pre-activation variance (sigma_b2 included).
  length map   Q(q) = sigma_w2 E[phi(sqrt(q) Z)^2] + sigma_b2,   Z ~ N(0, 1)
  slope        Q'(q) = sigma_w2 E[phi(u) phi'(u) u] / q,         u = sqrt(q) Z   (Stein)
  chi(q)       = sigma_w2 E[phi'(sqrt(q) Z)^2]
  gradients    ||delta^l||^2 / ||delta^L||^2 = prod_{k=l}^{L-1} chi(q^k), delta^l = dLoss/dz^l
Every function takes an activation-like object with element-wise `f(x)` and `df(x)` (and uses its
`f_df(x)` when it has one, which is cheaper); nothing is special-cased by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.theory.checks import (
    check_activation,
    check_variance,
)
from core.theory.kinks import breakpoints_of
from core.theory.quadrature import gaussian_rule

Q_MIN, Q_MAX = 1e-12, 1e8    # fixed points are searched here; beyond, Q(q) - q is rounding noise
Q_ZERO, Q_INF = 1e-24, 1e24  # where the q -> 0 and q -> inf limits of chi are evaluated
_SCAN_RATIO = 10.0 ** 0.125  # 8 points per decade when bracketing a fixed point
_ZERO_TOL = 1e-13            # |Q(q) - q| below this times the scale counts as 0 (rounding)
_MARGINAL_TOL = 1e-9         # |Q'(q*) - 1| below this is marginal (ReLU at He: every q is fixed)


def _pair(act: Any):
    """x -> (f(x), f'(x)), with the activation's f_df when it has one."""
    both = getattr(act, "f_df", None)
    if callable(both):
        return both
    return lambda x: (act.f(x), act.df(x))


def _breakpoints(act: Any) -> tuple[float, ...]:
    """Jumps of f or f' off the quadrature's fixed edges (found once per activation)."""
    return breakpoints_of(act)


@dataclass(frozen=True)
class Moments:
    """Gaussian moments per q (all (n,)): E[phi^2], E[phi'^2], E[phi phi' u], u = sqrt(q) Z."""

    q: np.ndarray
    phi2: np.ndarray
    dphi2: np.ndarray
    phi_dphi_u: np.ndarray


def moments(act: Any, q: np.ndarray | float) -> Moments:
    """E[phi^2], E[phi'^2], E[phi phi' u] at u = sqrt(q) Z for each q (n,) in one pass."""
    act = check_activation(act)
    q_arr = np.atleast_1d(np.asarray(q, dtype=np.float64))
    # q = 0 is the limit q -> 0+: E[g(sqrt(q) Z)] -> (g(0-) + g(0+)) / 2, not g(0).
    q_eval = np.clip(q_arr, Q_ZERO, None)
    std = np.sqrt(q_eval)
    z, w = gaussian_rule(std, breakpoints=_breakpoints(act))
    x = std[:, None] * z
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        f, df = _pair(act)(x)
        f = np.asarray(f, dtype=np.float64)
        df = np.asarray(df, dtype=np.float64)
        return Moments(q_arr, np.sum(w * f * f, axis=1), np.sum(w * df * df, axis=1),
                       np.sum(w * f * df * x, axis=1))


def length_map(act: Any, sigma_w2: float, sigma_b2: float, q: np.ndarray | float) -> np.ndarray:
    """Q(q) = sigma_w2 E[phi(sqrt(q) Z)^2] + sigma_b2 for each q (n,) -> (n,)."""
    return sigma_w2 * moments(act, q).phi2 + sigma_b2


def chi(act: Any, sigma_w2: float, q: np.ndarray | float) -> np.ndarray:
    """chi(q) = sigma_w2 E[phi'(sqrt(q) Z)^2] for each q (n,) -> (n,)."""
    return sigma_w2 * moments(act, q).dphi2


def length_slope(act: Any, sigma_w2: float, q: np.ndarray | float) -> np.ndarray:
    """Q'(q) = sigma_w2 E[phi(u) phi'(u) u] / q for each q (n,) -> (n,) (q -> 0 as a limit)."""
    m = moments(act, q)
    return sigma_w2 * m.phi_dphi_u / np.clip(m.q, Q_ZERO, None)


@dataclass(frozen=True)
class FixedPoint:
    """The fixed point q* = Q(q*) that iterating the length map from q0 reaches.

    status: "stable" (finite q*, |Q'(q*)| < 1), "marginal" (|Q'(q*)| = 1: e.g. ReLU at He, every
    q is fixed), "unstable" (q0 sits on a repelling fixed point), "zero" (q -> 0), "diverges"
    (q -> inf) or "oscillates" (a non-monotone map that did not settle; q_star is then nan).
    chi and slope are taken at q*, at its limit for "zero"/"diverges" (slope nan for "diverges").
    """

    q_star: float
    status: str
    chi: float
    slope: float
    sigma_w2: float
    sigma_b2: float
    q0: float

    @property
    def xi_q(self) -> float:
        """Depth scale of q -> q*: -1/ln Q'(q*) (inf when marginal, nan when undefined)."""
        return depth_scale(self.slope)


def depth_scale(rate: float) -> float:
    """-1 / ln(rate) for 0 <= rate < 1 (0 at rate 0), inf at 1 (within 1e-9 above: rounding),
    nan otherwise (rate > 1 or nan)."""
    if not 0 <= rate <= 1 + _MARGINAL_TOL:
        return math.nan
    if rate == 0:
        return 0.0
    if rate >= 1 - 1e-15:
        return math.inf
    return -1.0 / math.log(rate)


def _residual(act: Any, w: float, b: float, q: np.ndarray) -> np.ndarray:
    """F(q) = Q(q) - q, (n,)."""
    return w * moments(act, q).phi2 + b - q


def _is_zero(residual: float, q: float, b: float) -> bool:
    return abs(residual) <= _ZERO_TOL * max(q, b)


def _refine(act: Any, w: float, b: float, lo: float, hi: float, f_lo: float,
            f_hi: float) -> float:
    """Root of F in [lo, hi] (F(lo), F(hi) of opposite signs) by Illinois regula falsi in ln q."""
    t_lo, t_hi = math.log(lo), math.log(hi)
    side = 0
    for _ in range(200):
        t = (t_lo * f_hi - t_hi * f_lo) / (f_hi - f_lo)
        if not t_lo < t < t_hi:
            t = 0.5 * (t_lo + t_hi)
        q = math.exp(t)
        f = float(_residual(act, w, b, np.array([q]))[0])
        if f == 0 or _is_zero(f, q, b) or t_hi - t_lo < 1e-14 * max(1.0, abs(t)):
            return q
        if (f > 0) == (f_lo > 0):
            t_lo, f_lo = t, f
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            t_hi, f_hi = t, f
            if side == 1:
                f_lo *= 0.5
            side = 1
    return math.exp(0.5 * (t_lo + t_hi))


def _scan(act: Any, w: float, b: float, q_start: float, f_start: float
          ) -> tuple[float | None, bool]:
    """Walk from q_start in the direction F points, 8 points per decade, to the first root.

    Returns (root or None if the range end was reached, whether Q rose along the walk).
    """
    up = f_start > 0
    end = Q_MAX if up else Q_MIN
    q_prev, f_prev = q_start, f_start
    monotone = True
    while q_prev != end:
        steps = q_prev * _SCAN_RATIO ** (np.arange(1, 9) * (1 if up else -1))
        steps = np.minimum(steps, Q_MAX) if up else np.maximum(steps, Q_MIN)
        steps = np.unique(steps) if up else np.unique(steps)[::-1]
        residuals = _residual(act, w, b, steps)
        for q, f in zip(steps.tolist(), residuals.tolist(), strict=True):
            monotone &= (q + f >= q_prev + f_prev) if up else (q + f <= q_prev + f_prev)
            if _is_zero(f, q, b):
                return q, monotone
            if (f > 0) != up:
                lo, hi, f_lo, f_hi = (q_prev, q, f_prev, f) if up else (q, q_prev, f, f_prev)
                return _refine(act, w, b, lo, hi, f_lo, f_hi), monotone
            q_prev, f_prev = q, f
    return None, monotone


def _iterate(act: Any, w: float, b: float, q0: float, steps: int = 2000) -> float:
    """Iterate the map directly (non-monotone maps); the limit, or nan if it never settles."""
    q = q0
    for _ in range(steps):
        nxt = float(length_map(act, w, b, np.array([q]))[0])
        if not math.isfinite(nxt) or nxt > Q_MAX:
            return math.inf
        if nxt < Q_MIN:
            return 0.0
        if abs(nxt - q) <= 1e-13 * max(q, b):
            return nxt
        q = nxt
    return math.nan


def _classify(act: Any, w: float, b: float, q_star: float, q0: float) -> FixedPoint:
    """Attach status, chi and slope to a fixed point q* (0, inf, nan or finite)."""
    if math.isnan(q_star):
        return FixedPoint(math.nan, "oscillates", math.nan, math.nan, w, b, q0)
    if q_star == 0:
        m = moments(act, Q_ZERO)
        return FixedPoint(0.0, "zero", w * float(m.dphi2[0]),
                          w * float(m.phi_dphi_u[0]) / Q_ZERO, w, b, q0)
    if math.isinf(q_star):
        return FixedPoint(math.inf, "diverges", float(chi(act, w, Q_INF)[0]), math.nan, w, b, q0)
    m = moments(act, q_star)
    slope = w * float(m.phi_dphi_u[0]) / q_star
    if abs(abs(slope) - 1) <= _MARGINAL_TOL:
        status = "marginal"
    else:
        status = "stable" if abs(slope) < 1 else "unstable"
    return FixedPoint(q_star, status, w * float(m.dphi2[0]), slope, w, b, q0)


def fixed_point(act: Any, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> FixedPoint:
    """The fixed point the length map reaches from q0, searched on [1e-12, 1e8] (q0 is clipped
    to that range: q0 = 0 means the limit q0 -> 0+).

    Q is increasing for every usual activation, so q^l moves monotonically from q0 to the first
    root of Q(q) - q in that direction: bracket it (8 points per decade), then regula falsi. If Q
    turns out not to rise along the way, the map is iterated instead and a cycle is reported as
    "oscillates" rather than as a fixed point.
    """
    act = check_activation(act)
    w = check_variance("sigma_w2", sigma_w2)
    b = check_variance("sigma_b2", sigma_b2)
    q0 = check_variance("q0", q0)
    q_start = min(max(q0, Q_MIN), Q_MAX)
    f_start = float(_residual(act, w, b, np.array([q_start]))[0])
    if _is_zero(f_start, q_start, b):
        return _classify(act, w, b, q_start, q0)
    root, monotone = _scan(act, w, b, q_start, f_start)
    if not monotone:
        return _classify(act, w, b, _iterate(act, w, b, q_start), q0)
    if root is None:
        root = math.inf if f_start > 0 else 0.0
    return _classify(act, w, b, root, q0)
