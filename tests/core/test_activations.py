"""Activations: f and f' against finite differences and PyTorch autograd, extremes, metadata."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from core.activations import (
    ActivationError,
    activation_info,
    available_activations,
    get_activation,
)
from core.special import erfc, normal_cdf

NAMES = available_activations()
# (name, params) cases: every activation at its defaults plus other parameter values.
CASES = [(name, {}) for name in NAMES] + [
    ("linear", {"c": 0.5}),
    ("linear", {"c": 3.0}),
    ("leaky_relu", {"alpha": 0.0}),
    ("leaky_relu", {"alpha": 0.2}),
    ("leaky_relu", {"alpha": 0.99}),
    ("swish", {"beta": 0.5}),
    ("swish", {"beta": 3.0}),
    ("elu", {"alpha": 0.5}),
    ("elu", {"alpha": 2.0}),
    ("softplus", {"beta": 0.5}),
    ("softplus", {"beta": 5.0}),
]
CASE_IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]


def kinks(name: str, params: dict[str, float]) -> list[float]:
    """Points where f, f' or f'' jumps (PyTorch switches branches there)."""
    if name in ("relu", "leaky_relu", "binary_step", "elu", "selu", "softsign"):
        return [0.0]
    if name in ("hard_sigmoid", "hard_swish"):
        return [-3.0, 3.0]
    if name == "softplus":
        return [20.0 / params.get("beta", 1.0)]
    return []


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_derivative_matches_central_difference(name, params):
    act = get_activation(name, **params)
    x = np.linspace(-8.0, 8.0, 3201)
    for kink in kinks(name, params):
        x = x[np.abs(x - kink) > 1e-4]
    h = 1e-5
    numeric = (act.f(x + h) - act.f(x - h)) / (2 * h)
    np.testing.assert_allclose(act.df(x), numeric, rtol=1e-6, atol=1e-8)


def torch_reference(name: str, params: dict[str, float], torch):
    """The same activation built from torch ops (binary_step has no autograd)."""
    fn = torch.nn.functional
    p = get_activation(name, **params).params
    table = {
        "linear": lambda t: p["c"] * t,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": fn.relu,
        "leaky_relu": lambda t: fn.leaky_relu(t, p["alpha"]),
        "swish": (lambda t: t * torch.sigmoid(p["beta"] * t)) if p.get("beta") != 1.0 else fn.silu,
        "elu": lambda t: fn.elu(t, p["alpha"]),
        "selu": fn.selu,
        "gelu": fn.gelu,
        "gelu_tanh": lambda t: fn.gelu(t, approximate="tanh"),
        "softplus": lambda t: fn.softplus(t, beta=p["beta"]),
        "mish": fn.mish,
        "softsign": fn.softsign,
        "hard_sigmoid": fn.hardsigmoid,
        "hard_swish": fn.hardswish,
    }
    return table[name]


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_matches_pytorch_autograd_including_kinks(name, params):
    torch = pytest.importorskip("torch")
    act = get_activation(name, **params)
    special = [0.0, -0.0, 3.0, -3.0, 1e-300, -1e-300, 20.0, -20.0, 30.0, -30.0, 50.0, -50.0,
               1e4, -1e4, 1e6, -1e6]
    special += kinks(name, params)
    x = np.concatenate([np.linspace(-12.0, 12.0, 4801), special])
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    if name == "binary_step":
        expected_f = torch.heaviside(t.detach(), torch.tensor(1.0, dtype=torch.float64)).numpy()
        expected_df = np.zeros_like(x)
    else:
        y = torch_reference(name, params, torch)(t)
        (grad,) = torch.autograd.grad(y.sum(), t)
        expected_f, expected_df = y.detach().numpy(), grad.numpy()
    f, df = act.f_df(x)
    # PyTorch's hardsigmoid backward uses 1/6 rounded to float32; ours is the float64 1/6.
    rtol = 1e-7 if name == "hard_sigmoid" else 1e-12
    # PyTorch's GELU-tanh rounds 1 + tanh(u) to 0 in the left tail; ours keeps ~1e-15 there.
    atol = 1e-14 if name == "gelu_tanh" else 1e-15
    np.testing.assert_allclose(f, expected_f, rtol=1e-12, atol=atol)
    np.testing.assert_allclose(df, expected_df, rtol=rtol, atol=atol)


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extremes_finite_without_warnings(name, params, dtype):
    act = get_activation(name, **params)
    big = 1e300 if dtype == np.float64 else 1e30
    x = np.array([0.0, 1e4, -1e4, 1e6, -1e6, big, -big], dtype=dtype)
    # Underflow to 0 (e.g. sigmoid(-1e4)) is the correct answer, so it is not trapped.
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        outputs = [act.f(x), act.df(x), *act.f_df(x)]
    for out in outputs:
        assert out.dtype == dtype
        assert np.all(np.isfinite(out))


@pytest.mark.parametrize(("name", "params"), CASES, ids=CASE_IDS)
def test_dtype_shape_and_f_df_consistency(name, params):
    act = get_activation(name, **params)
    x64 = np.random.default_rng(0).normal(scale=4.0, size=(3, 4, 5))
    f, df = act.f_df(x64)
    assert f.shape == df.shape == x64.shape
    assert f.dtype == df.dtype == np.float64
    np.testing.assert_array_equal(f, act.f(x64))
    np.testing.assert_array_equal(df, act.df(x64))
    x32 = x64.astype(np.float32)
    f32, df32 = act.f_df(x32)
    assert f32.dtype == df32.dtype == act.f(x32).dtype == act.df(x32).dtype == np.float32
    np.testing.assert_allclose(f32, f, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(df32, df, rtol=1e-5, atol=1e-6)
    scalar_f, scalar_df = act.f_df(1.5)
    assert scalar_f.shape == scalar_df.shape == ()
    assert act.f([0, 1, 2]).dtype == np.float64  # integers are promoted


def test_silu_is_swish_with_beta_one():
    x = np.linspace(-10, 10, 1001)
    silu, swish = get_activation("silu"), get_activation("swish", beta=1.0)
    assert silu == swish and silu.name == "swish"
    np.testing.assert_array_equal(silu.f_df(x)[1], swish.f_df(x)[1])
    assert activation_info("silu") is activation_info("swish")


def test_sigmoid_derivative_peaks_at_quarter():
    act = get_activation("sigmoid")
    x = np.linspace(-10, 10, 20001)
    s = act.f(x)
    np.testing.assert_allclose(act.df(x), s * (1 - s), rtol=1e-15)  # not s * (1 + s)
    assert act.df(0.0) == 0.25
    assert act.df(x).max() == 0.25


def test_kink_conventions():
    assert get_activation("relu").df(0.0) == 0.0
    assert get_activation("leaky_relu", alpha=0.1).df(0.0) == pytest.approx(0.1)
    assert get_activation("elu", alpha=2.0).df(0.0) == 2.0
    np.testing.assert_array_equal(get_activation("hard_sigmoid").df([-3.0, 3.0]), [0.0, 0.0])
    np.testing.assert_array_equal(get_activation("hard_swish").df([-3.0, 3.0]), [0.0, 1.0])
    np.testing.assert_array_equal(get_activation("binary_step").f([-1e-9, 0.0]), [0.0, 1.0])


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("relu6", {}, "choose one of: linear, binary_step"),
        ("relu", {"alpha": 0.1}, "relu takes no parameters"),
        ("leaky_relu", {"beta": 1.0}, "its parameters are: alpha"),
        ("leaky_relu", {"alpha": 1.5}, "'alpha' must be a number in [0, 0.99]"),
        ("elu", {"alpha": float("nan")}, "'alpha' must be a number in [0.1, 5]"),
        ("softplus", {"beta": float("inf")}, "'beta' must be a number in [0.1, 10]"),
        ("swish", {"beta": "2"}, "'beta' must be a number"),
        ("silu", {"beta": 2.0}, "silu takes no parameters"),
    ],
)
def test_bad_names_and_params_raise_clear_errors(name, params, message):
    with pytest.raises(ActivationError, match=None) as excinfo:
        get_activation(name, **params)
    assert isinstance(excinfo.value, ValueError)
    assert message in str(excinfo.value)
    with pytest.raises(ValueError, match="choose one of"):
        activation_info("nope")


def test_names_are_the_sixteen_in_display_order():
    assert NAMES == [
        "linear", "binary_step", "sigmoid", "tanh", "relu", "leaky_relu", "swish", "elu", "selu",
        "gelu", "gelu_tanh", "softplus", "mish", "softsign", "hard_sigmoid", "hard_swish",
    ]
    assert get_activation("Leaky-ReLU").name == "leaky_relu"


@pytest.mark.parametrize("name", NAMES)
def test_metadata_complete_and_consistent(name):
    info = activation_info(name)
    assert info.name == name
    for text in (info.display_name, info.formula, info.derivative, info.formula_html,
                 info.derivative_html, info.output_range, info.max_abs_derivative):
        assert text.strip()
    assert info.formula.startswith("f(x)") and info.derivative.startswith("f'(x)")
    assert 2 <= info.notes.count(". ") + 1 <= 5 and len(info.notes) > 120
    act = get_activation(name)
    assert set(act.params) == {spec.name for spec in info.params}
    for spec in info.params:
        assert spec.low <= spec.default <= spec.high and spec.description
        assert act.params[spec.name] == spec.default
    # The flags must describe the curve at the default parameters.
    x = np.linspace(-10, 10, 20001)
    f, df = act.f_df(x)
    assert np.all(np.diff(f) >= 0) == info.monotonic
    jump = max(np.abs(np.diff(f)).max(), np.abs(np.diff(df)).max())
    assert (jump < 1e-2) == info.smooth


@pytest.mark.parametrize(
    ("name", "max_abs_df", "min_f"),
    [("sigmoid", 0.25, 0.0), ("tanh", 1.0, -1.0), ("swish", 1.0998, -0.2785),
     ("gelu", 1.1289, -0.1700), ("gelu_tanh", 1.1290, -0.1700), ("mish", 1.0885, -0.3088),
     ("hard_swish", 1.5, -0.375), ("selu", 1.7581, -1.7581), ("hard_sigmoid", 1 / 6, 0.0)],
)
def test_quoted_extremes_match_the_curves(name, max_abs_df, min_f):
    act = get_activation(name)
    x = np.linspace(-30, 30, 600001)
    f, df = act.f_df(x)
    assert np.abs(df).max() == pytest.approx(max_abs_df, abs=1e-3)
    assert f.min() == pytest.approx(min_f, abs=1e-3)
    quoted = re.search(r"\d+(\.\d+)?", activation_info(name).max_abs_derivative)
    assert float(quoted.group()) == pytest.approx(max_abs_df, abs=2e-3)


def test_erfc_matches_math_erfc_everywhere():
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.uniform(-27, 27, 20000), rng.normal(size=20000),
                        [0.0, 0.75, -0.75, 26.0, -26.0, 25.99, 1e300, -1e300, np.inf, -np.inf]])
    expected = np.array([math.erfc(v) for v in z])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        got = erfc(z)
    np.testing.assert_allclose(got, expected, rtol=5e-14, atol=1e-290)
    assert np.isnan(erfc(np.nan)) and erfc(0.5).shape == ()
    np.testing.assert_allclose(normal_cdf(np.array([-1.0, 0.0, 2.0])),
                               [0.15865525393145707, 0.5, 0.9772498680518208], rtol=5e-14)
