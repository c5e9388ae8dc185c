"""The correlation map of two equal-length inputs, its fixed point c* and the depth scales.

u1 = sqrt(q) Z1, u2 = sqrt(q) (c Z1 + s Z2), s = sqrt(1 - c^2):
  C(c)   = (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / Q(q)          (C(1) = 1)
  C'(c)  = sigma_w2 q E[phi'(u1) phi'(u2)] / Q(q)                     (Price's theorem)
At the fixed point q* (Q(q*) = q*), C'(1) = chi(q*) = chi1: ordered (c* = 1) if chi1 <= 1, else
chaotic with c* < 1. xi_c = -1/ln C'(c*) and xi_q = -1/ln Q'(q*) (Schoenholz et al. 2017).

The 2-D expectation is nested: for each outer node z1 an inner 1-D rule over Z2 whose panel
edges sit where u2 crosses the activation's features (x = 0 above all), and the outer rule is
graded on s because near c = 1 the inner result is a kink smoothed over width s. Note for an
activation with a jump (the binary step), phi' = 0 so chi = 0 describes the gradients, while the
c-map's true slope at c = 1 is infinite; c* and xi_c here assume a continuous phi.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.theory.checks import check_activation, check_variance
from core.theory.hermite import hermite_coefficients, solve_c_star
from core.theory.meanfield import (
    Q_INF,
    Q_ZERO,
    FixedPoint,
    _breakpoints,
    depth_scale,
    fixed_point,
    moments,
)
from core.theory.quadrature import gaussian_rule

# C'(1) within this of 1 is taken as 1: at a diverging q (evaluated at 1e24) a ReLU-like map is
# homogeneous, C'(1) = 1 + O(1/sqrt(q)), and Newton would crawl towards a double root at c = 1.
MARGINAL = 1e-9
_CHUNK = 4  # c values per nested evaluation (bounds memory at ~4 x 600 x 500 nodes)


def pair_expectation(g1, g2, q: float, c: np.ndarray, breakpoints: tuple[float, ...] = ()
                     ) -> np.ndarray:
    """E[g1(u1) g2(u2)] for u1 = sqrt(q) Z1, u2 = sqrt(q)(c Z1 + sqrt(1-c^2) Z2); c (k,) -> (k,)."""
    c_all = np.atleast_1d(np.asarray(c, dtype=np.float64))
    out = np.empty(c_all.shape)
    root_q = math.sqrt(max(q, Q_ZERO))
    for start in range(0, c_all.size, _CHUNK):
        cc = c_all[start:start + _CHUNK]
        s = np.sqrt(np.clip(1.0 - cc * cc, 0.0, None))
        z1, w1 = gaussian_rule(np.full(cc.shape, root_q), 0.0, breakpoints=breakpoints,
                               z_scales=s)
        mean = root_q * cc[:, None] * z1
        std = np.broadcast_to(root_q * s[:, None], mean.shape)
        z2, w2 = gaussian_rule(std.ravel(), mean.ravel(), breakpoints=breakpoints)
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            x2 = mean.reshape(-1, 1) + std.reshape(-1, 1) * z2
            inner = np.sum(w2 * g2(x2), axis=1).reshape(mean.shape)
            out[start:start + _CHUNK] = np.sum(w1 * g1(root_q * z1) * inner, axis=1)
    return out


def correlation_map(act: Any, sigma_w2: float, sigma_b2: float, q: float,
                    c: np.ndarray | float) -> np.ndarray:
    """C(c) for equal-length inputs of variance q; c (k,) in [-1, 1] -> (k,)."""
    act = check_activation(act)
    w, b = check_variance("sigma_w2", sigma_w2), check_variance("sigma_b2", sigma_b2)
    q = check_variance("q", q)
    length = w * float(moments(act, q).phi2[0]) + b
    return (w * pair_expectation(act.f, act.f, q, c, _breakpoints(act)) + b) / length


def correlation_slope(act: Any, sigma_w2: float, sigma_b2: float, q: float,
                      c: np.ndarray | float) -> np.ndarray:
    """C'(c) = sigma_w2 q E[phi'(u1) phi'(u2)] / Q(q); c (k,) -> (k,)."""
    act = check_activation(act)
    w, b = check_variance("sigma_w2", sigma_w2), check_variance("sigma_b2", sigma_b2)
    q = check_variance("q", q)
    length = w * float(moments(act, q).phi2[0]) + b
    return w * max(q, Q_ZERO) * pair_expectation(act.df, act.df, q, c,
                                                  _breakpoints(act)) / length


def correlation_fixed_point(act: Any, sigma_w2: float, sigma_b2: float,
                            q: float) -> tuple[float, float]:
    """(c*, C'(c*)) of the c-map at q: (1, C'(1)) when C'(1) <= 1, else the root c* < 1.

    The Hermite series gives a start within ~1e-6; Newton on the exact 2-D quadrature polishes it
    (C is convex, so Newton never leaves [0, 1) and converges monotonically from the left).
    """
    w, b = float(sigma_w2), float(sigma_b2)
    m = moments(act, q)
    length = w * float(m.phi2[0]) + b
    slope_at_one = w * max(q, Q_ZERO) * float(m.dphi2[0]) / length
    if not slope_at_one > 1 + MARGINAL:
        return 1.0, slope_at_one
    squares, rest = hermite_coefficients(act, np.array([q]))
    c = float(solve_c_star(squares, rest, np.array([w * float(m.phi2[0]) / length]),
                           np.array([b / length]))[0])
    c = min(c, 1.0 - 1e-9)
    for _ in range(20):
        value = float(correlation_map(act, w, b, q, c)[0]) - c
        slope = float(correlation_slope(act, w, b, q, c)[0])
        if slope >= 1 or value == 0:
            break
        step = -value / (slope - 1.0)
        c_next = min(max(c + step, 0.0), 1.0 - 1e-12)
        if abs(c_next - c) <= 1e-13:
            c = c_next
            break
        c = c_next
    return c, float(correlation_slope(act, w, b, q, c)[0])


@dataclass(frozen=True)
class DepthScales:
    """q*, c* and the depth scales of one (sigma_w2, sigma_b2) from q0 (see module docstring).

    chi1 = chi(q*); chi_c = C'(c*) (= chi1 in the ordered phase); xi_q, xi_c in layers (inf on
    the critical line, nan where undefined, e.g. xi_q when q diverges). c-map quantities at a
    diverging q* are the q -> inf limit (taken at q = 1e24).
    """

    fixed_point: FixedPoint
    chi1: float
    c_star: float
    chi_c: float
    xi_q: float
    xi_c: float


def depth_scales(act: Any, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> DepthScales:
    """Fixed points of the q- and c-maps reached from q0, and the depth scales xi_q, xi_c."""
    fp = fixed_point(act, sigma_w2, sigma_b2, q0)
    if fp.status == "oscillates":
        return DepthScales(fp, math.nan, math.nan, math.nan, math.nan, math.nan)
    if fp.status == "zero":
        # q -> 0 (phi(0) = 0, no bias, chi1 <= 1): ordered, C'(c*) is chi1 itself.
        c_star, chi_c = 1.0, fp.chi
    else:
        q = min(fp.q_star, Q_INF)
        c_star, chi_c = correlation_fixed_point(act, fp.sigma_w2, fp.sigma_b2, q)
    return DepthScales(fp, fp.chi, c_star, chi_c, fp.xi_q, depth_scale(chi_c))
