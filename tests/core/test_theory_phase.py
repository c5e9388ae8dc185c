"""Mean-field theory, 2-D part: correlation map, c*, depth scales, critical line, phase grid.

References: the ReLU arc-cosine and erf arcsin kernels, erf's closed-form critical line, and the
numbers of an independent numpy + scipy implementation written from the papers (Schoenholz 2017,
Pennington 2017), which also agrees with Monte-Carlo wide networks within a few per cent.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.activations import get_activation
from core.special import erfc
from core.theory import (
    correlation_map,
    correlation_slope,
    critical_line,
    critical_sigma_w2,
    depth_scales,
    fixed_point,
    moments,
    phase_grid,
)
from core.theory.hermite import hermite_coefficients, series

C_VALUES = np.array([-0.5, 0.0, 0.3, 0.9, 0.999, 0.999999, 1.0])


class Erf:
    """erf as a bare activation-like object (f and df only)."""

    def f(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - erfc(x)

    def df(self, x: np.ndarray) -> np.ndarray:
        return 2.0 / math.sqrt(math.pi) * np.exp(-x * x)


# --- correlation map ---------------------------------------------------------------------------

@pytest.mark.parametrize("q", [1e-6, 1.0, 1e6])
def test_relu_correlation_map_is_the_arc_cosine_kernel(q):
    w, b = 1.7, 0.2
    c = C_VALUES
    kernel = q * (np.sqrt(1 - c ** 2) + (np.pi - np.arccos(c)) * c) / (2 * np.pi)
    expected = (w * kernel + b) / (w * q / 2 + b)
    np.testing.assert_allclose(correlation_map(get_activation("relu"), w, b, q, C_VALUES),
                               expected, rtol=1e-12)


@pytest.mark.parametrize("q", [1e-6, 0.5, 1e4])
def test_erf_correlation_map_and_slope_are_the_arcsin_kernel(q):
    erf, w, b = Erf(), 2.0, 0.1
    y = 2 * q * C_VALUES / (1 + 2 * q)
    length = w * 2 / np.pi * np.arcsin(2 * q / (1 + 2 * q)) + b
    np.testing.assert_allclose(correlation_map(erf, w, b, q, C_VALUES),
                               (w * 2 / np.pi * np.arcsin(y) + b) / length, rtol=1e-11)
    c = np.array([0.0, 0.5, 0.99])
    y = 2 * q * c / (1 + 2 * q)
    slope = w * (2 / np.pi) * (2 * q / (1 + 2 * q)) / np.sqrt(1 - y ** 2) / length
    np.testing.assert_allclose(correlation_slope(erf, w, b, q, c), slope, rtol=1e-10)


def test_hermite_series_reproduces_the_exact_correlation_map():
    q, w, b = 1.43, 3.0, 0.05
    c = np.array([0.0, 0.3, 0.9])
    for name, rtol in (("tanh", 1e-12), ("relu", 1e-8)):
        act = get_activation(name)
        squares, rest = hermite_coefficients(act, np.array([q]))
        assert squares.sum() + rest[0] == pytest.approx(1.0, abs=1e-13)
        value, _ = series(np.repeat(squares, 3, 0), np.repeat(rest, 3), c)
        phi2 = float(moments(act, q).phi2[0])
        np.testing.assert_allclose((w * phi2 * value + b) / (w * phi2 + b),
                                   correlation_map(act, w, b, q, c), rtol=rtol)


# --- depth scales ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, w, b, q_star, chi1, c_star, xi_q, xi_c", [
    # independent scipy reference: depth scales for tanh, and SELU
    ("tanh", 1.3, 0.3, 0.743, 0.674, 1.0, 0.85, 2.53),
    ("tanh", 3.0, 0.05, 1.428, 1.209, 0.299, 1.04, 9.05),
    ("tanh", 25 / 9, 0.0, 1.178, 1.210, 0.0, None, 12.0),
    ("selu", 1.0, 0.0, 1.0, 1.0716, 0.0, None, 34.0),
])
def test_depth_scales_match_the_reference(name, w, b, q_star, chi1, c_star, xi_q, xi_c):
    act = get_activation(name)
    scales = depth_scales(act, w, b)
    assert scales.fixed_point.q_star == pytest.approx(q_star, abs=1e-3)
    assert scales.chi1 == pytest.approx(chi1, abs=1e-3)
    assert scales.c_star == pytest.approx(c_star, abs=1e-3)
    if xi_q is not None:
        assert scales.xi_q == pytest.approx(xi_q, abs=0.01)
    assert scales.xi_c == pytest.approx(xi_c, rel=0.02)
    # c* really is the fixed point of the exact c-map, and chi_c its slope there.
    if scales.c_star < 1:
        q = scales.fixed_point.q_star
        assert float(correlation_map(act, w, b, q, scales.c_star)[0]) == pytest.approx(
            scales.c_star, abs=1e-12)
        # Price's theorem: the slope E[phi' phi'] equals the c-map's finite difference.
        h = 1e-4
        ends = correlation_map(act, w, b, q, np.array([scales.c_star - h, scales.c_star + h]))
        assert scales.chi_c == pytest.approx((ends[1] - ends[0]) / (2 * h), rel=1e-6)


def test_correlation_depth_diverges_on_the_critical_line():
    tanh = get_activation("tanh")
    w = critical_sigma_w2(tanh, 0.05)
    assert depth_scales(tanh, w, 0.05).xi_c > 1e5
    assert depth_scales(tanh, w * 1.05, 0.05).xi_c < 100
    assert depth_scales(tanh, w * 0.95, 0.05).xi_c < 100


# --- critical line -----------------------------------------------------------------------------

REFERENCE_LINES = {   # independent scipy reference, sigma_b2 = 0 / 0.05 / 0.5
    "tanh": ([1.0, 1.761, 2.843], [1.0, 1.761, 2.843]),
    "sigmoid": ([103.0, 103.1, 104.2], [103.0, 103.1, 104.2]),
    "selu": ([0.4768, 0.9018, 1.206], [0.4768, 0.9018, 1.206]),
    "elu": ([1.0, 1.534, 1.778], [1.0, 1.534, 1.778]),
    "gelu": ([4.0, 2.303, 1.961], [2.352, 2.234, 1.961]),
    "swish": ([4.0, 2.729, 1.997], [2.811, 2.670, 2.001]),
    "relu": ([2.0, math.nan, math.nan], [2.0, 2.0, 2.0]),
    "softplus": ([math.nan, math.nan, math.nan], [2.0, 2.0, 2.0]),
}


@pytest.mark.parametrize("name", sorted(REFERENCE_LINES))
def test_critical_line_and_boundary_match_the_reference_table(name):
    line_ref, from_q0_ref = REFERENCE_LINES[name]
    line = critical_line(get_activation(name), [0.0, 0.05, 0.5])
    np.testing.assert_allclose(line.sigma_w2, line_ref, rtol=6e-4)
    np.testing.assert_allclose(line.sigma_w2_from_q0, from_q0_ref, rtol=6e-4)


def test_gelu_and_swish_lines_are_unstable_at_small_bias_and_the_network_jumps_over_them():
    for name in ("gelu", "swish"):
        line = critical_line(get_activation(name), [0.0, 0.05])
        assert not line.stable.any()
        assert line.jump.all()
    gelu = get_activation("gelu")
    w = float(critical_line(gelu, [0.05]).sigma_w2_from_q0[0])
    below, above = fixed_point(gelu, w * (1 - 1e-6), 0.05), fixed_point(gelu, w * (1 + 1e-6), 0.05)
    assert below.chi == pytest.approx(0.734, abs=2e-3)
    assert above.chi > 1.1


def test_erf_critical_line_is_the_closed_form():
    b = np.array([0.0, 0.05, 0.5, 2.0])
    line = critical_line(Erf(), b)
    q = line.q_star
    np.testing.assert_allclose(line.sigma_w2, np.pi / 4 * np.sqrt(1 + 4 * q), rtol=1e-10)
    np.testing.assert_allclose(q - line.sigma_w2 * 2 / np.pi * np.arcsin(2 * q / (1 + 2 * q)), b,
                               atol=1e-10)
    np.testing.assert_allclose(line.sigma_w2[:3], [np.pi / 4, 1.3758, 2.2337], rtol=1e-4)
    assert line.stable.all() and not line.jump.any()


def test_leaky_relu_critical_value_is_two_over_one_plus_alpha_squared():
    leaky = get_activation("leaky_relu", alpha=0.01)
    for b in (0.0, 0.05, 0.5):
        assert critical_sigma_w2(leaky, b) == pytest.approx(2 / 1.0001, rel=1e-9)


def test_critical_sigma_w2_separates_vanishing_from_exploding():
    tanh = get_activation("tanh")
    w = critical_sigma_w2(tanh, 0.05)
    assert w == pytest.approx(1.7610, abs=1e-4)
    assert fixed_point(tanh, w * (1 - 1e-4), 0.05).chi < 1 < fixed_point(tanh, w * (1 + 1e-4),
                                                                         0.05).chi


# --- phase grid --------------------------------------------------------------------------------

def test_phase_grid_agrees_with_the_point_by_point_solution():
    tanh = get_activation("tanh")
    w_values, b_values = np.array([0.5, 1.3, 2.0, 3.0]), np.array([0.0, 0.05, 0.3])
    grid = phase_grid(tanh, w_values, b_values)
    assert grid.log_chi.shape == grid.xi_c.shape == grid.q_star.shape == (3, 4)
    for i, b in enumerate(b_values):
        for j, w in enumerate(w_values):
            scales = depth_scales(tanh, w, b)
            q = scales.fixed_point.q_star
            assert grid.q_star[i, j] == pytest.approx(q, rel=1e-6, abs=1e-300)
            assert grid.log_chi[i, j] == pytest.approx(math.log(scales.chi1), abs=1e-6)
            assert grid.c_star[i, j] == pytest.approx(scales.c_star, abs=1e-5)
            assert grid.xi_c[i, j] == pytest.approx(scales.xi_c, rel=1e-4)


def test_phase_grid_regions_and_line_are_consistent():
    tanh = get_activation("tanh")
    w_values, b_values = np.linspace(0.5, 4.0, 30), np.linspace(0.0, 1.0, 12)
    grid = phase_grid(tanh, w_values, b_values)
    chaotic = grid.log_chi > 0
    assert chaotic.any() and (~chaotic).any()
    np.testing.assert_array_equal(grid.c_star[~chaotic], 1.0)
    assert np.all(grid.c_star[chaotic] < 1)
    exact = critical_line(tanh, b_values)
    np.testing.assert_allclose(grid.critical_line.sigma_w2, exact.sigma_w2, rtol=1e-6)
    # Each row turns chaotic exactly where the critical line says.
    for i, w_crit in enumerate(exact.sigma_w2_from_q0):
        np.testing.assert_array_equal(chaotic[i], w_values > w_crit)


def test_phase_grid_relu_has_log_chi_ln_half_sigma_w2_everywhere():
    w_values = np.array([0.5, 1.0, 1.9, 2.5, 4.0])
    grid = phase_grid(get_activation("relu"), w_values, [0.0, 0.1, 1.0])
    np.testing.assert_allclose(grid.log_chi, np.log(w_values / 2)[None, :].repeat(3, 0),
                               rtol=1e-10, atol=1e-12)


def test_phase_grid_takes_any_activation_like_object():
    grid = phase_grid(Erf(), np.linspace(0.5, 3.0, 8), [0.0, 0.05])
    assert np.all(np.isfinite(grid.log_chi)) and np.all(grid.xi_c > 0)
    np.testing.assert_allclose(grid.critical_line.sigma_w2, [np.pi / 4, 1.3758], rtol=1e-4)
