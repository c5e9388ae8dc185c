"""Mean-field theory, 1-D part: quadrature, length map, chi, fixed points, per-layer prediction.

References: closed forms (ReLU, leaky ReLU, erf, SELU at q = 1), an asymptotic expansion
(tanh'^2 at large q), mpmath at 30 digits, and reference values computed by an independent
numpy + scipy implementation written from the papers (Poole 2016, Schoenholz 2017).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.activation_kernels import SELU_ALPHA, SELU_LAMBDA
from core.activations import get_activation
from core.initializers import available_initializers, init_weight
from core.special import erfc
from core.theory import (
    TheoryError,
    chi,
    expect,
    fixed_point,
    length_map,
    length_slope,
    moments,
    propagate,
    sigma_b2_for_init,
    sigma_w2_for_init,
)
from core.theory.kinks import find_breakpoints

Q_RANGE = np.logspace(-8, 8, 17)


class Erf:
    """erf as a bare activation-like object (f and df only, no f_df): closed forms exist."""

    def f(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - erfc(x)

    def df(self, x: np.ndarray) -> np.ndarray:
        return 2.0 / math.sqrt(math.pi) * np.exp(-x * x)


class Cosine:
    """cos: E[cos^2(sqrt(q) Z)] = (1 + e^{-2q}) / 2 falls with q, so the length map decreases."""

    def f(self, x: np.ndarray) -> np.ndarray:
        return np.cos(x)

    def df(self, x: np.ndarray) -> np.ndarray:
        return -np.sin(x)


# --- quadrature -------------------------------------------------------------------------------

def test_tanh_derivative_squared_at_huge_q_follows_its_asymptotic_expansion():
    # E[sech^4(sqrt(q) Z)] = (4/3 - (pi^2 - 6)/(18 q) + O(q^-2)) / sqrt(2 pi q); plain adaptive
    # quadrature returns 0 here.
    tanh = get_activation("tanh")
    for q in (1e6, 1e8):
        value = float(expect(lambda x: tanh.df(x) ** 2, q)[0])
        asymptotic = (4 / 3 - (math.pi ** 2 - 6) / (18 * q)) / math.sqrt(2 * math.pi * q)
        assert value > 0
        assert value == pytest.approx(asymptotic, rel=1e-11)


@pytest.mark.parametrize("name", ["tanh", "gelu", "softplus", "hard_swish"])
def test_expectations_match_mpmath_from_1e_minus_8_to_1e8(name):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 20
    act = get_activation(name)
    qs = np.array([1e-8, 0.3, 7.0, 1e4, 1e8])
    got = moments(act, qs)
    # f and f' in mpmath via the core kernels at high precision would not be independent, so
    # integrate the numpy kernels' values on a dense mpmath rule with breakpoints at the kinks.
    for i, q in enumerate(qs):
        s = mpmath.sqrt(q)
        points = sorted({mpmath.mpf(x) / s for x in (-32, -8, -3, -1, -0.25, 0, 0.25, 1, 3, 8,
                                                       32)} | {-12, 12})
        def integrand(z, power_of=0, s=s):
            x = np.array([float(s * z)])
            value = (act.f(x) if power_of == 0 else act.df(x))[0]
            return mpmath.mpf(float(value)) ** 2 * mpmath.npdf(z)
        ref_f = mpmath.quad(integrand, points)
        ref_df = mpmath.quad(lambda z: integrand(z, 1), points)
        assert got.phi2[i] == pytest.approx(float(ref_f), rel=1e-9, abs=1e-300)
        assert got.dphi2[i] == pytest.approx(float(ref_df), rel=1e-9, abs=1e-300)


def test_relu_and_leaky_relu_closed_forms_at_every_scale():
    relu = get_activation("relu")
    m = moments(relu, Q_RANGE)
    np.testing.assert_allclose(m.phi2, Q_RANGE / 2, rtol=1e-13)
    np.testing.assert_allclose(m.dphi2, 0.5, rtol=1e-13)
    np.testing.assert_allclose(m.phi_dphi_u, Q_RANGE / 2, rtol=1e-13)
    leaky = get_activation("leaky_relu", alpha=0.2)
    np.testing.assert_allclose(chi(leaky, 2.0, Q_RANGE), 2.0 * (1 + 0.04) / 2, rtol=1e-13)
    np.testing.assert_allclose(length_map(leaky, 2.0, 0.3, Q_RANGE), 1.04 * Q_RANGE + 0.3,
                               rtol=1e-13)


def test_erf_closed_forms_for_length_map_chi_and_slope():
    erf = Erf()
    q = Q_RANGE
    np.testing.assert_allclose(length_map(erf, 1.7, 0.2, q),
                               1.7 * 2 / np.pi * np.arcsin(2 * q / (1 + 2 * q)) + 0.2,
                               rtol=1e-12)
    np.testing.assert_allclose(chi(erf, 1.7, q), 1.7 * 4 / np.pi / np.sqrt(1 + 4 * q),
                               rtol=1e-12)
    # d/dq (2/pi) arcsin(2q/(1+2q)) = (4/pi) / ((1 + 2q) sqrt(1 + 4q))
    np.testing.assert_allclose(length_slope(erf, 1.7, q),
                               1.7 * 4 / np.pi / ((1 + 2 * q) * np.sqrt(1 + 4 * q)), rtol=1e-10)


def test_q_zero_is_the_one_sided_limit_not_the_value_at_zero():
    # relu'(0) = 0 (PyTorch), but E[relu'(sqrt(q) Z)^2] -> 1/2 as q -> 0.
    assert float(chi(get_activation("relu"), 3.0, 0.0)[0]) == pytest.approx(1.5, rel=1e-14)
    selu = moments(get_activation("selu"), 0.0)
    assert float(selu.dphi2[0]) == pytest.approx(SELU_LAMBDA ** 2 * (1 + SELU_ALPHA ** 2) / 2,
                                                 rel=1e-10)


def test_a_formula_kink_off_the_fixed_edges_is_found_and_integrated_exactly():
    # max(x, a), a = -0.3, al = a/sqrt(q): E[phi^2] = q((1 - Phi(al)) + al pdf(al)) + a^2 Phi(al),
    # E[phi'^2] = 1 - Phi(al). A panel straddling the kink would be off by ~1e-2.
    act = get_activation("formula:maximum(x, -0.3)")
    assert find_breakpoints(act) == pytest.approx((-0.3,), abs=1e-12)
    q = np.logspace(-3, 6, 10)
    al = -0.3 / np.sqrt(q)
    cdf = np.array([math.erfc(-v / math.sqrt(2)) / 2 for v in al])
    pdf = np.exp(-al * al / 2) / math.sqrt(2 * math.pi)
    m = moments(act, q)
    np.testing.assert_allclose(m.phi2, q * ((1 - cdf) + al * pdf) + 0.09 * cdf, rtol=1e-12)
    np.testing.assert_allclose(m.dphi2, 1 - cdf, rtol=1e-12)


def test_no_false_kinks_in_saturated_tails_of_built_ins():
    for name in ("sigmoid", "tanh", "softplus", "gelu", "mish", "hard_sigmoid", "relu"):
        assert find_breakpoints(get_activation(name)) == ()


# --- fixed points ------------------------------------------------------------------------------

def test_relu_at_q_star_zero_has_chi_sigma_w2_over_two():
    fp = fixed_point(get_activation("relu"), 1.3, 0.0)
    assert fp.status == "zero" and fp.q_star == 0
    assert fp.chi == pytest.approx(0.65, rel=1e-14)


def test_relu_below_critical_has_the_closed_form_fixed_point_and_at_he_every_q_is_fixed():
    fp = fixed_point(get_activation("leaky_relu", alpha=0.1), 1.5, 0.2, q0=3.0)
    assert fp.status == "stable"
    assert fp.q_star == pytest.approx(0.2 / (1 - 1.5 * 1.01 / 2), rel=1e-12)
    he = fixed_point(get_activation("relu"), 2.0, 0.0, q0=3.7)
    assert (he.q_star, he.status, he.chi) == (3.7, "marginal", pytest.approx(1.0, rel=1e-14))
    assert fixed_point(get_activation("relu"), 2.0, 0.1).status == "diverges"


def test_selu_self_normalises_to_one_but_chi_is_1_072():
    selu = get_activation("selu")
    # chi1 = lambda^2 (1/2 + alpha^2 e^2 Phi(-2)), Phi(-2) = erfc(sqrt 2) / 2.
    closed = SELU_LAMBDA ** 2 * (0.5 + SELU_ALPHA ** 2 * math.e ** 2 * math.erfc(math.sqrt(2)) / 2)
    for q0 in (1.0, 0.05, 9.0):
        fp = fixed_point(selu, 1.0, 0.0, q0)
        assert fp.status == "stable"
        assert fp.q_star == pytest.approx(1.0, abs=1e-12)
        assert fp.chi == pytest.approx(closed, rel=1e-12)
        assert fp.slope == pytest.approx(0.7826, abs=1e-4)
    assert closed == pytest.approx(1.0716, abs=1e-4)


def test_softplus_has_no_finite_fixed_point_with_chi_one():
    softplus = get_activation("softplus")
    for w in np.linspace(0.2, 1.99, 12):
        fp = fixed_point(softplus, w, 0.05)
        assert fp.status == "stable" and fp.chi < 1
    fp = fixed_point(softplus, 2.0, 0.0)
    assert fp.status == "diverges" and fp.chi == pytest.approx(1.0, abs=1e-9)
    # 2 E[sigmoid(sqrt(q) Z)^2] < 1 at every finite q: chi never reaches sigma_w2/2 there.
    assert np.all(2 * chi(softplus, 1.0, np.logspace(-8, 8, 50)) < 1)


def test_gelu_unstable_fixed_point_is_reported_as_unstable():
    gelu = get_activation("gelu")
    # The critical-line point at sigma_b2 = 0.05 (research table: sigma_w2 2.303, Q' 1.085).
    from core.theory import critical_line
    line = critical_line(gelu, [0.05])
    w, q_line = float(line.sigma_w2[0]), float(line.q_star[0])
    on_it = fixed_point(gelu, w, 0.05, q0=q_line)
    assert on_it.status == "unstable" and on_it.slope == pytest.approx(1.085, abs=2e-3)
    assert on_it.chi == pytest.approx(1.0, abs=1e-9)
    below = fixed_point(gelu, w, 0.05, q0=q_line * 0.99)
    above = fixed_point(gelu, w, 0.05, q0=q_line * 1.01)
    assert below.status == "stable" and below.q_star < q_line and below.chi < 1
    assert above.q_star > q_line and above.chi > 1


def test_a_decreasing_length_map_is_solved_by_iterating_and_agrees_with_the_iteration():
    cosine = Cosine()
    fp = fixed_point(cosine, 3.0, 0.1, q0=0.01)
    q = 0.01
    for _ in range(500):
        q = float(length_map(cosine, 3.0, 0.1, q)[0])
    assert fp.status == "stable"
    assert fp.q_star == pytest.approx(q, rel=1e-12)
    assert fp.q_star == pytest.approx(1.5 * (1 + math.exp(-2 * fp.q_star)) + 0.1, rel=1e-12)


# --- per-layer prediction ----------------------------------------------------------------------

def test_propagation_matches_the_relu_recursion_exactly():
    pred = propagate(get_activation("relu"), 1.5, 0.1, depth=12, q0=2.0)
    q = [2.0]
    for _ in range(11):
        q.append(0.75 * q[-1] + 0.1)
    np.testing.assert_allclose(pred.q, q, rtol=1e-13)
    np.testing.assert_allclose(pred.chi, 0.75, rtol=1e-13)
    np.testing.assert_allclose(pred.grad_ratio, 0.75 ** np.arange(11, -1, -1), rtol=1e-12)
    np.testing.assert_array_equal(pred.layer, np.arange(1, 13))


def test_propagation_matches_the_erf_recursion():
    erf, w, b = Erf(), 2.5, 0.05
    pred = propagate(erf, w, b, depth=20, q0=0.3)
    q = [0.3]
    for _ in range(19):
        q.append(w * 2 / np.pi * np.arcsin(2 * q[-1] / (1 + 2 * q[-1])) + b)
    q = np.array(q)
    chi_closed = w * 4 / np.pi / np.sqrt(1 + 4 * q)
    np.testing.assert_allclose(pred.q, q, rtol=1e-12)
    np.testing.assert_allclose(pred.chi, chi_closed, rtol=1e-12)
    ratio = np.append(np.cumprod(chi_closed[:-1][::-1])[::-1], 1.0)
    np.testing.assert_allclose(pred.grad_ratio, ratio, rtol=1e-11)


@pytest.mark.parametrize("name, w, b, q30, ratio30", [
    # independent scipy reference: q0 = 1, ratio over 30 layers (depth 31 here)
    ("sigmoid", 1.0, 0.0, 0.2647, 1.9e-38),
    ("tanh", 1.0, 0.0, 0.017, 0.024),
    ("tanh", 1.0, 0.05, 0.194, 1.0e-4),
    ("tanh", 2.0, 0.05, 0.722, 3.2),
    ("tanh", 0.25, 0.0, None, 3.3e-19),
    ("relu", 1.0, 0.0, 2.0 ** -30, 2.0 ** -30),
    ("selu", 1.0, 0.0, 1.0, 7.96),
    ("elu", 2.0, 0.0, 18.6, 83.0),
    ("gelu", 2.0, 0.0, 3.1e-8, 5.88e-8),
    ("softplus", 2.0, 0.0, None, 2.4e-4),
])
def test_reference_table_of_classic_cases(name, w, b, q30, ratio30):
    pred = propagate(get_activation(name), w, b, depth=31, q0=1.0)
    assert pred.grad_ratio[0] == pytest.approx(ratio30, rel=0.03)
    if q30 is not None:
        assert pred.q[-1] == pytest.approx(q30, rel=0.03)


def test_selu_gradient_grows_about_1000_fold_over_100_layers():
    pred = propagate(get_activation("selu"), 1.0, 0.0, depth=101)
    assert pred.grad_ratio[0] == pytest.approx(1005, rel=0.01)
    assert pred.log_grad_ratio[0] == pytest.approx(math.log(pred.grad_ratio[0]), rel=1e-12)


def test_overflowing_q_stays_inf_and_chi_takes_its_limit():
    pred = propagate(get_activation("relu"), 100.0, 0.0, depth=400)
    assert np.isinf(pred.q[-1]) and np.all(np.isfinite(pred.chi))
    np.testing.assert_allclose(pred.chi, 50.0, rtol=1e-12)


# --- init map and input checks -----------------------------------------------------------------

@pytest.mark.parametrize("fan_in, fan_out", [(400, 300), (300, 400)])
def test_init_map_matches_the_variance_the_initialisers_draw(fan_in, fan_out):
    rng = np.random.default_rng(5)
    expected = {"he_normal": 2, "he_uniform": 2, "lecun_normal": 1,
                "xavier_normal": 2 * fan_in / (fan_in + fan_out),
                "xavier_uniform": 2 * fan_in / (fan_in + fan_out),
                "normal": 0.05 ** 2 * fan_in, "uniform": 0.05 ** 2 / 3 * fan_in,
                "pytorch_default": 1 / 3, "zeros": 0.0,
                "orthogonal": min(1.0, fan_in / fan_out)}
    assert set(expected) == set(available_initializers())
    for name, value in expected.items():
        theory = sigma_w2_for_init(name, fan_in, fan_out, init_std=0.05)
        assert theory == pytest.approx(value, rel=1e-14)
        drawn = init_weight(name, fan_in, fan_out, rng, std=0.05)
        assert fan_in * np.mean(drawn ** 2) == pytest.approx(theory, rel=0.02, abs=1e-12)
    assert sigma_b2_for_init("pytorch_default", 300) == pytest.approx(1 / 900)
    assert sigma_b2_for_init("he_normal", 300) == 0.0


@pytest.mark.parametrize("call, fragment", [
    (lambda a: propagate(a, -1.0, 0.0, 5), "sigma_w2"),
    (lambda a: propagate(a, 1.0, float("nan"), 5), "sigma_b2"),
    (lambda a: propagate(a, 1.0, 0.0, 0), "depth"),
    (lambda a: propagate(a, 1.0, 0.0, 2.5), "depth"),
    (lambda a: fixed_point(a, 1.0, 0.0, q0=-1), "q0"),
    (lambda a: propagate(object(), 1.0, 0.0, 5), "activation"),
    (lambda a: sigma_w2_for_init("glorot", 3, 3), "glorot"),
    (lambda a: sigma_w2_for_init("he_normal", 0, 3), "fan_in"),
])
def test_bad_input_is_one_sentence(call, fragment):
    with pytest.raises(TheoryError if fragment != "glorot" else ValueError) as info:
        call(get_activation("tanh"))
    message = str(info.value)
    assert fragment in message and "\n" not in message and message.endswith(".")


def test_a_formula_activation_gives_the_same_prediction_as_its_built_in_twin():
    formula = get_activation("formula:x*sigmoid(x)")
    swish = get_activation("swish")
    a, b = propagate(formula, 2.5, 0.05, 40), propagate(swish, 2.5, 0.05, 40)
    np.testing.assert_allclose(a.q, b.q, rtol=1e-12)
    np.testing.assert_allclose(a.grad_ratio, b.grad_ratio, rtol=1e-10)


def test_the_theory_package_imports_no_qt():
    import subprocess
    import sys
    from pathlib import Path
    code = ("import core.theory, core.theory.kinks, sys; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
