"""The phase diagram over sigma_w2 x sigma_b2: log chi at q*, xi_c, and the critical line.

Vectorised over the whole grid: one moment table (tables.py) gives q* and chi for every point;
the chaotic points get c* from the Hermite series of the c-map (hermite.py), whose coefficients
are tabulated over just the range of their q* and interpolated. About 0.1 s for 60 x 60 with
tanh on one core; meant to run off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.theory.checks import check_activation, check_values, check_variance
from core.theory.critical import CriticalLine, critical_line
from core.theory.hermite import hermite_coefficients, series, solve_c_star
from core.theory.meanfield import Q_INF, Q_MAX, Q_MIN
from core.theory.tables import (
    MomentTable,
    chi_at,
    lagrange4,
    moment_table,
    solve_fixed_points,
)

_MARGINAL = 1e-9
# Hermite coefficients are tabulated this densely in ln q over the chaotic points' q* range and
# interpolated (4-point Lagrange): c* to ~1e-6, well below what a phase diagram shows.
_HERMITE_PER_DECADE = 12


@dataclass(frozen=True)
class PhaseGrid:
    """Mean-field phase diagram; rows are sigma_b2, columns sigma_w2 (image layout).

    sigma_w2 (nw,), sigma_b2 (nb,); q_star (nb, nw): the fixed point reached from q0 (0 when q
    dies out, inf when it diverges); log_chi (nb, nw): ln chi(q*), < 0 ordered (vanishing
    gradients), > 0 chaotic (exploding), -inf where chi = 0; c_star (nb, nw) (1 when ordered);
    xi_c (nb, nw): correlation depth scale in layers (inf on the critical line);
    critical_line: the line and the boundary met from q0, per sigma_b2.
    """

    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    q_star: np.ndarray
    log_chi: np.ndarray
    c_star: np.ndarray
    xi_c: np.ndarray
    critical_line: CriticalLine
    q0: float


def _depth_scales(rate: np.ndarray) -> np.ndarray:
    """-1/ln(rate) element-wise: 0 at 0, inf at 1 (within rounding), nan above 1 + 1e-9."""
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = -1.0 / np.log(rate)
    xi = np.where(rate >= 1 - 1e-15, np.inf, xi)
    xi = np.where(rate > 1 + _MARGINAL, np.nan, xi)
    return np.where(rate == 0, 0.0, xi)


def _chaotic_correlation(act: Any, table: MomentTable, w: np.ndarray, b: np.ndarray,
                         q_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(c*, C'(c*)) for chaotic points (P,) from the interpolated Hermite series."""
    diverging = np.isinf(q_star)
    q_eval = np.where(diverging, Q_INF, q_star)
    phi2 = np.where(diverging, table.phi2_inf, table.phi2(np.clip(q_eval, Q_MIN, Q_MAX)))
    length = w * phi2 + b   # = q* at a fixed point; the map's own length at a diverging q
    finite = q_eval[~diverging]
    squares = np.empty((q_eval.size, 0))
    rest = np.zeros(q_eval.size)
    if finite.size:
        lo, hi = np.log(finite.min()), np.log(finite.max())
        step = np.log(10.0) / _HERMITE_PER_DECADE
        t = np.arange(lo - 2 * step, hi + 3 * step, step)
        if t.size < 4:
            t = lo + step * (np.arange(4) - 1.5)
        sq_table, rest_table = hermite_coefficients(act, np.exp(t))
        squares = np.empty((q_eval.size, sq_table.shape[1]))
        squares[~diverging] = np.clip(lagrange4(t, sq_table, np.log(finite)), 0.0, None)
        rest[~diverging] = np.clip(lagrange4(t, rest_table, np.log(finite)), 0.0, None)
    if diverging.any():
        sq_inf, rest_inf = hermite_coefficients(act, np.array([Q_INF]))
        if squares.shape[1] == 0:
            squares = np.empty((q_eval.size, sq_inf.shape[1]))
        squares[diverging] = sq_inf[0]
        rest[diverging] = rest_inf[0]
    scale = w * phi2 / length
    offset = b / length
    slope_at_one = w * q_eval * table.dphi2(q_eval) / length
    marginal = slope_at_one <= 1 + _MARGINAL
    c_star = solve_c_star(squares, rest, scale, offset)
    c_star = np.where(marginal, 1.0, c_star)
    _, derivative = series(squares, rest, c_star)
    return c_star, np.where(marginal, slope_at_one, scale * derivative)


def phase_grid(act: Any, sigma_w2_values: Any, sigma_b2_values: Any,
               q0: float = 1.0) -> PhaseGrid:
    """log chi(q*), c* and xi_c over sigma_b2 (nb,) x sigma_w2 (nw,), plus the critical line."""
    act = check_activation(act)
    w_values = check_values("sigma_w2 values", sigma_w2_values)
    b_values = check_values("sigma_b2 values", sigma_b2_values)
    q0 = check_variance("q0", q0)
    table = moment_table(act)
    w = np.tile(w_values, b_values.size)
    b = np.repeat(b_values, w_values.size)
    q_star = solve_fixed_points(table, w, b, q0)
    chi = chi_at(table, w, q_star)
    c_star = np.ones_like(chi)
    rate = chi.copy()
    chaotic = chi > 1
    if chaotic.any():
        c_star[chaotic], rate[chaotic] = _chaotic_correlation(
            act, table, w[chaotic], b[chaotic], q_star[chaotic])
    with np.errstate(divide="ignore"):
        log_chi = np.log(chi)
    shape = (b_values.size, w_values.size)
    line = critical_line(act, b_values, q0, exact=False, table=table)
    return PhaseGrid(w_values, b_values, q_star.reshape(shape), log_chi.reshape(shape),
                     c_star.reshape(shape), _depth_scales(rate).reshape(shape), line, q0)
