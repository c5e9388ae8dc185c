"""The correlation map as a Hermite series (Mehler's formula), vectorised over many q.

With phi(sqrt(q) Z) = sum_k a_k h_k(Z) (h_k the orthonormal probabilists' Hermite polynomials),
two unit Gaussians of correlation c give E[phi(u1) phi(u2)] = sum_k a_k^2 c^k, so the whole
c-map at one q is a power series with non-negative coefficients: increasing and convex on [0, 1].
The phase grid solves c* = C(c*) for thousands of (sigma_w2, sigma_b2) points at once this way;
the exact 2-D quadrature in correlation.py checks it and polishes single points.

Coefficients are normalised by E[phi^2] (sum of all a_k^2 / E[phi^2] = 1); the part beyond the
truncation, `rest` = 1 - sum, is placed at power N_TERMS so that C(1) = 1 stays exact. For kinked
activations (ReLU family) the terms decay only like k^-2.5, which matters only for c* near 1, that
is near the critical line where xi_c is long anyway.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.theory.meanfield import Q_ZERO, _breakpoints
from core.theory.quadrature import gaussian_rule

N_TERMS = 96


def hermite_coefficients(act: Any, q: np.ndarray, n_terms: int = N_TERMS
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(normalised a_k^2 (n, n_terms), rest (n,)) of phi(sqrt(q) Z) for each q (n,)."""
    q_arr = np.clip(np.atleast_1d(np.asarray(q, dtype=np.float64)), Q_ZERO, None)
    std = np.sqrt(q_arr)
    z, w = gaussian_rule(std, breakpoints=_breakpoints(act))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        f = np.asarray(act.f(std[:, None] * z), dtype=np.float64)
    wf = w * f
    norm = np.sum(wf * f, axis=1)
    coef = np.empty((q_arr.size, n_terms))
    h_prev, h = np.zeros_like(z), np.ones_like(z)
    for k in range(n_terms):
        coef[:, k] = np.sum(wf * h, axis=1)
        # Orthonormal recurrence: h_{k+1} = (z h_k - sqrt(k) h_{k-1}) / sqrt(k + 1); stable.
        h_prev, h = h, (z * h - math.sqrt(k) * h_prev) / math.sqrt(k + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        squares = np.where(norm[:, None] > 0, coef * coef / norm[:, None], 0.0)
    rest = np.clip(1.0 - squares.sum(axis=1), 0.0, None)
    return squares, rest


def series(squares: np.ndarray, rest: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(c), P'(c)) per row for P(c) = sum_k squares_k c^k + rest c^K; c (n,) -> (n,), (n,)."""
    n_terms = squares.shape[1]
    powers = np.empty((c.size, n_terms + 1))
    powers[:, 0] = 1.0
    powers[:, 1:] = c[:, None]
    np.cumprod(powers, axis=1, out=powers)          # c^0 .. c^K
    value = np.einsum("ij,ij->i", squares, powers[:, :n_terms]) + rest * powers[:, n_terms]
    k = np.arange(1, n_terms)
    slope = (np.einsum("ij,ij->i", squares[:, 1:] * k, powers[:, :n_terms - 1])
             + n_terms * rest * powers[:, n_terms - 1])
    return value, slope


def solve_c_star(squares: np.ndarray, rest: np.ndarray, scale: np.ndarray,
                 offset: np.ndarray, iterations: int = 60) -> np.ndarray:
    """c* in [0, 1) with C(c*) = c*, C(c) = scale P(c) + offset, per row (n,) (chaotic rows).

    C is convex and increasing with C(0) = offset >= 0 and C(1) = 1, C'(1) > 1, so Newton from
    c = 0 rises monotonically to the smaller root. Only rows still moving are iterated.
    """
    c = np.zeros(scale.shape)
    active = np.arange(c.size)
    for _ in range(iterations):
        if active.size == 0:
            break
        value, slope = series(squares[active], rest[active], c[active])
        g = scale[active] * value + offset[active] - c[active]
        dg = scale[active] * slope - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.nan_to_num(np.where(dg < 0, -g / dg, 0.0))
        new_c = np.clip(c[active] + step, 0.0, 1.0)
        moving = np.abs(new_c - c[active]) > 1e-15
        c[active] = new_c
        active = active[moving]
    return c
