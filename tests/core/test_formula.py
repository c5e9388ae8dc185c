"""Formula activations: f' against central differences, built-ins written as formulas, stability,
dtype, texts and the registry (hostile input is in test_formula_hostile.py)."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.activations import (
    ActivationError,
    activation_info,
    available_activations,
    get_activation,
    is_formula_name,
)
from core.formula import compile_formula

ROOT = Path(__file__).resolve().parents[2]

# (built-in, its params, the same function as a formula, the formula's params)
EQUIVALENT = [
    ("linear", {"c": 3.0}, "c*x; c=1 in [0.1, 5]", {"c": 3.0}),
    ("binary_step", {}, "where(x >= 0, 1, 0)", {}),
    ("sigmoid", {}, "1/(1 + exp(-x))", {}),
    ("tanh", {}, "2*sigmoid(2*x) - 1", {}),
    ("relu", {}, "maximum(x, 0)", {}),
    ("leaky_relu", {"alpha": 0.2}, "maximum(x, a*x); a=0.01 in [0, 0.99]", {"a": 0.2}),
    ("swish", {}, "x*sigmoid(x)", {}),
    ("swish", {}, "x/(1 + exp(-x))", {}),
    ("swish", {"beta": 2.5}, "x*sigmoid(b*x); b=1 in [0.1, 10]", {"b": 2.5}),
    ("elu", {}, "where(x > 0, x, a*(exp(x) - 1)); a=1", {}),
    ("elu", {"alpha": 0.5}, "where(x > 0, x, a*(exp(x) - 1)); a=1 in [0.1, 5]", {"a": 0.5}),
    ("selu", {}, "1.0507009873554805*where(x > 0, x, 1.6732632423543772*(exp(x) - 1))", {}),
    ("gelu", {}, "x*(1 + erf(x/sqrt(2)))/2", {}),
    ("gelu_tanh", {}, "0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3)))", {}),
    ("softplus", {"beta": 2.0}, "log(1 + exp(b*x))/b; b=1 in [0.1, 10]", {"b": 2.0}),
    ("mish", {}, "x*tanh(log(1 + exp(x)))", {}),
    ("softsign", {}, "x/(1 + abs(x))", {}),
    ("hard_sigmoid", {}, "minimum(maximum(x/6 + 0.5, 0), 1)", {}),
    ("hard_swish", {}, "x*minimum(maximum(x/6 + 0.5, 0), 1)", {}),
]
EQUIVALENT_IDS = [f"{name}:{text}" for name, _, text, _ in EQUIVALENT]
# Kinks on the grid on purpose: the formulas must pick PyTorch's derivative there too.
GRID = np.concatenate([np.linspace(-9.0, 9.0, 7201), [-3.0, 0.0, 3.0]])
EXTREMES = np.array([-1e4, -1000.0, -710.0, -50.0, -1e-300, 0.0, 1e-300, 50.0, 710.0, 1000.0,
                     1e4])


@pytest.mark.parametrize(("name", "params", "text", "formula_params"), EQUIVALENT,
                         ids=EQUIVALENT_IDS)
def test_builtin_written_as_formula_matches_it(name, params, text, formula_params):
    builtin = get_activation(name, **params)
    formula = get_activation("formula:" + text, **formula_params)
    f, df = formula.f_df(GRID)
    np.testing.assert_allclose(f, builtin.f(GRID), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(df, builtin.df(GRID), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(formula.f(GRID), f)
    np.testing.assert_array_equal(formula.df(GRID), df)


@pytest.mark.parametrize(("name", "params", "text", "formula_params"), EQUIVALENT,
                         ids=EQUIVALENT_IDS)
def test_builtins_as_formulas_stay_finite_at_extremes(name, params, text, formula_params):
    f, df = get_activation("formula:" + text, **formula_params).f_df(EXTREMES)
    assert np.isfinite(f).all() and np.isfinite(df).all(), (f, df)


@pytest.mark.parametrize(("name", "text"), [(name, text) for name, params, text, _ in EQUIVALENT
                                             if not params])  # the catalog is for defaults
def test_measured_properties_agree_with_the_catalog(name, text):
    written, measured = activation_info(name), activation_info("formula:" + text)
    assert (measured.zero_centred, measured.monotonic, measured.smooth) == \
        (written.zero_centred, written.monotonic, written.smooth)


def test_the_issue_example_is_finite_at_plus_minus_1000():
    act = get_activation("formula:x * tanh(log(1 + exp(x)))")
    f, df = act.f_df(np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(f, [0.0, 1000.0], atol=1e-300)
    np.testing.assert_allclose(df, [0.0, 1.0], atol=1e-300)
    assert act.info.notes.count("softplus(x)") == 1  # says what it evaluates


@pytest.mark.parametrize(("text", "stable"), [
    ("log(1 + exp(x))", "softplus(x)"),
    ("log1p(exp(-x))", "softplus(-x)"),
    ("1/(1 + exp(-x))", "sigmoid(x)"),
    ("exp(x)/(1 + exp(x))", "sigmoid(x)"),
    ("exp(x)/(2 + exp(x))", "sigmoid(x - log(2))"),
    ("log(3 + exp(2*x))", "softplus(2*x - log(3)) + log(3)"),
    ("log(sigmoid(x))", "-softplus(-x)"),
    ("log(exp(x))", "x"),
    ("sqrt(x**2)", "abs(x)"),
])
def test_overflow_prone_patterns_are_rewritten(text, stable):
    compiled = compile_formula(text)
    assert compiled.stable_text == stable
    # log(exp(x)) and sqrt(x**2) are simplified by sympy itself, not by our rewrites.
    assert compiled.rewritten == (text not in ("log(exp(x))", "sqrt(x**2)"))
    x = np.linspace(-1e4, 1e4, 2001)
    f, df = compiled.f_df(x, {})
    assert np.isfinite(f).all() and np.isfinite(df).all()


@pytest.mark.parametrize(("text", "x", "expected"), [
    ("maximum(x, 0)", 0.0, 0.0),             # ties take the second argument: relu'(0) = 0
    ("maximum(0, x)", 0.0, 1.0),
    ("maximum(x, 0.3*x)", 0.0, 0.3),         # leaky_relu'(0) = alpha
    ("minimum(x, 1)", 1.0, 0.0),
    ("abs(x)", 0.0, 0.0),
    ("sign(x)*5", 2.0, 0.0),
    ("where(x >= 1, x**2, 0)", 1.0, 2.0),
    ("where(x > 1, x**2, 0)", 1.0, 0.0),
    ("minimum(x, exp(x))", 1000.0, 1.0),     # exp'(1000) = inf in the branch not taken
])
def test_derivative_conventions_at_kinks(text, x, expected):
    assert get_activation("formula:" + text).df(np.array([x]))[0] == expected


def test_nan_where_not_real_and_values_where_real():
    act = get_activation("formula:sqrt(x) + log(x)")
    f, df = act.f_df(np.array([-1.0, 4.0]))
    assert np.isnan(f[0]) and np.isnan(df[0])
    np.testing.assert_allclose([f[1], df[1]], [2.0 + math.log(4.0), 0.25 + 0.25], rtol=1e-15)


def test_a_constant_is_a_legal_activation():
    act = get_activation("formula:0.5")
    f, df = act.f_df(np.zeros((2, 3)))
    np.testing.assert_array_equal(f, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(df, np.zeros((2, 3)))


def test_dtype_and_shape_like_a_builtin():
    act = get_activation("formula:x*sigmoid(x)")
    swish = get_activation("swish")
    x64 = np.linspace(-4.0, 4.0, 24).reshape(2, 3, 4)
    for dtype in (np.float16, np.float32, np.float64):
        x = x64.astype(dtype)
        # Computed in float64 and rounded once: within one rounding of the float64 values.
        exact = swish.f_df(x.astype(np.float64))
        for mine, theirs in zip(act.f_df(x), exact, strict=True):
            assert mine.dtype == dtype and mine.shape == x.shape
            np.testing.assert_allclose(mine, theirs, rtol=max(np.finfo(dtype).eps, 1e-12),
                                       atol=1e-15)
    assert act.f(np.arange(3)).dtype == np.float64          # integers become float64
    assert act.f(2.0).shape == () and act.df(np.float32(2.0)).dtype == np.float32


def test_results_are_new_arrays_even_for_the_identity():
    x = np.linspace(-1.0, 1.0, 5)
    f, df = get_activation("formula:x").f_df(x)
    assert f is not x and not np.shares_memory(f, x) and not np.shares_memory(f, df)
    f[:] = 7.0
    np.testing.assert_array_equal(x, np.linspace(-1.0, 1.0, 5))


def test_float32_overflow_becomes_inf_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, df = get_activation("formula:exp(x)").f_df(np.array([100.0, 1.0], dtype=np.float32))
    assert f.dtype == np.float32 and np.isinf(f[0]) and np.isinf(df[0])
    assert f[1] == np.float32(math.e)


def test_erf_kernel_matches_math_erf():
    from core.formula.numeric import erf

    z = np.concatenate([np.linspace(-30.0, 30.0, 20001), [0.0, 1e-300, -1e-10, 2.0, -2.0,
                                                          np.inf, -np.inf]])
    np.testing.assert_allclose(erf(z), [math.erf(v) for v in z], rtol=2e-15, atol=0.0)
    assert erf(np.float64(0.3)).shape == () and erf(0.3) == math.erf(0.3)


# ---- 50 random formulas from the grammar: f against an independent numpy reference,
# ---- f' against central differences.

Formula = tuple[str, Callable[[np.ndarray, float], np.ndarray], bool]
_ERF = np.vectorize(math.erf, otypes=[float])
_UNARY: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "tanh": ("tanh({})", np.tanh),
    "sigmoid": ("sigmoid({})", lambda u: 1.0 / (1.0 + np.exp(-u))),
    "sigmoid_exp": ("1/(1 + exp(-({})))", lambda u: 1.0 / (1.0 + np.exp(-u))),
    "softplus": ("softplus({})", lambda u: np.logaddexp(0.0, u)),
    "softplus_log": ("log(1 + exp({}))", lambda u: np.logaddexp(0.0, u)),
    "sin": ("sin({})", np.sin),
    "cos": ("cos({})", np.cos),
    "erf": ("erf({})", _ERF),
    "exp_tanh": ("exp(tanh({}))", lambda u: np.exp(np.tanh(u))),
    "log_square": ("log(1 + ({})**2)", lambda u: np.log(1.0 + u * u)),
    "log1p_square": ("log1p(({})**2)", lambda u: np.log1p(u * u)),
    "sqrt_square": ("sqrt(1 + ({})**2)", lambda u: np.sqrt(1.0 + u * u)),
    "abs": ("abs({})", np.abs),
    "neg": ("-({})", np.negative),
    "square": ("({})**2", np.square),
}
_BINARY: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "add": ("({}) + ({})", np.add),
    "sub": ("({}) - ({})", np.subtract),
    "mul": ("({})*({})", np.multiply),
    "div": ("({})/(1 + ({})**2)", lambda u, v: u / (1.0 + v * v)),
    "maximum": ("maximum({}, {})", lambda u, v: np.where(u > v, u, v)),
    "minimum": ("minimum({}, {})", lambda u, v: np.where(u < v, u, v)),
    "where": ("where({} > 0, {}, x)", lambda u, v: None),  # built in random_formula
}


def random_formula(rng: np.random.Generator, depth: int) -> Formula:
    """(text, reference f(x, a) in plain numpy, uses the parameter a) from the grammar."""
    if depth == 0 or rng.random() < 0.2:
        leaf = rng.integers(4)
        if leaf <= 1:
            return "x", lambda x, a: x, False
        if leaf == 2:
            return "a", lambda x, a: np.full_like(x, a), True
        c = float(rng.choice([0.25, 0.5, 1.5, 2.0, 3.0]))
        return repr(c), lambda x, a: np.full_like(x, c), False
    if rng.random() < 0.5:
        template, fn = _UNARY[str(rng.choice(list(_UNARY)))]
        text, ref, uses = random_formula(rng, depth - 1)
        return template.format(text), lambda x, a: fn(ref(x, a)), uses
    kind = str(rng.choice(list(_BINARY)))
    (t1, r1, u1), (t2, r2, u2) = random_formula(rng, depth - 1), random_formula(rng, depth - 1)
    if kind == "where":
        return (f"where({t1} > 0, {t2}, x)",
                lambda x, a: np.where(r1(x, a) > 0, r2(x, a), x), u1 or u2)
    template, fn = _BINARY[kind]
    return template.format(t1, t2), lambda x, a: fn(r1(x, a), r2(x, a)), u1 or u2


def generated_formulas(count: int = 50) -> list[Formula]:
    rng = np.random.default_rng(20261202)
    formulas: list[Formula] = []
    while len(formulas) < count:
        text, ref, uses_a = random_formula(rng, 4)
        text += "; a=1 in [0.5, 2]" if uses_a else ""
        # f' must not be trivially 0, and every formula is a new one.
        if "x" in text.replace("exp", "") and all(text != known for known, _, _ in formulas):
            formulas.append((text, ref, uses_a))
    return formulas


GENERATED = generated_formulas()


@pytest.mark.parametrize("index", range(len(GENERATED)))
def test_random_formula_value_and_derivative(index):
    text, reference, uses_a = GENERATED[index]
    rng = np.random.default_rng(index)
    a = float(rng.uniform(0.5, 2.0)) if uses_a else 1.0
    act = get_activation("formula:" + text, **({"a": a} if uses_a else {}))
    x = rng.uniform(-2.0, 2.0, 40)
    f, df = act.f_df(x)
    expected = reference(x, a)
    np.testing.assert_allclose(f, expected, rtol=1e-10, atol=1e-12, err_msg=text)
    h = 1e-5

    def central(step: float) -> np.ndarray:
        return (act.f(x + step) - act.f(x - step)) / (2.0 * step)

    coarse, fine = central(h), central(h / 2.0)
    # Where the two steps disagree a kink (where/abs/maximum) lies within h: skip that point.
    smooth = np.abs(coarse - fine) <= 1e-6 * (1.0 + np.abs(fine))
    assert smooth.sum() >= 30, text
    np.testing.assert_allclose(df[smooth], fine[smooth], rtol=1e-5, atol=1e-6, err_msg=text)


def test_generated_formulas_are_varied():
    texts = [text for text, _, _ in GENERATED]
    assert len(set(texts)) == 50
    for word in ("where", "maximum", "sigmoid", "log(1 + exp", "erf", "abs", "/(1 +"):
        assert any(word in text for text in texts), word
    assert sum(uses for _, _, uses in GENERATED) >= 10


# ---- texts

@pytest.mark.parametrize("text", [
    "x*sigmoid(x)", "where(x > 0, x, a*(exp(x) - 1)); a=1 in [0.1, 5]", "abs(x)*tanh(x)",
    "x*(1 + erf(x/sqrt(2)))/2", "minimum(maximum(x/6 + 0.5, 0), 1)", "x**3 - 2*x + k; k=1",
    "sqrt(1 + x**2) - k*log(1 + exp(-m*x)); k=2; m=3", "b*x*softplus(-x)/(1 + x**2); b=0.5",
    "maximum(x, exp(x) - 2)*sin(x)", "x/(2 + exp(x))",
])
def test_derivative_text_is_a_formula_with_the_same_values(text):
    compiled = compile_formula(text)
    used = {symbol.name for symbol in compiled.df_expr.free_symbols}
    declarations = "".join(f"; {spec.name}={spec.default!r}" for spec in compiled.params
                           if spec.name in used)
    derivative = compile_formula(compiled.derivative_text + declarations)
    x = np.linspace(-5.0, 5.0, 1001) + 1e-3  # off the kinks
    params = compiled.defaults()
    np.testing.assert_allclose(derivative.f(x, params), compiled.df(x, params), rtol=1e-13,
                               atol=1e-15)


def test_normalised_text_reads_back_to_itself():
    messy = "  x*sigmoid( b*x )/ 2 ;b = 1.50 in [ 0.10 , 5.0 ] ; "
    compiled = compile_formula(messy)
    assert compiled.text == "x * sigmoid(b * x) / 2; b=1.5 in [0.1, 5]"
    assert compile_formula(compiled.text).text == compiled.text
    act = get_activation("FORMULA:" + messy, b=2)
    assert act.name == "formula:" + compiled.text
    assert act == get_activation(act.name, b=2.0) and hash(act) == hash(get_activation(act.name,
                                                                                         b=2.0))
    assert act != get_activation(act.name, b=2.5) and act != get_activation(act.name)
    assert eval(repr(act), {"get_activation": get_activation}) == act  # noqa: S307 (our repr)


def test_html_for_qt_labels():
    info = activation_info("formula:x**3*sigmoid(beta*x); beta=1")
    assert "<sup>3</sup>" in info.formula_html and "&beta;" in info.formula_html
    assert info.derivative_html.startswith("<i>f</i>&prime;(<i>x</i>) = ")
    assert "<sup>2</sup>" in info.derivative_html
    assert "<i>x</i>" in info.formula_html and "sigmoid(" in info.formula_html


# ---- registry

def test_registry_keeps_the_16_builtins_and_knows_formulas():
    names = available_activations()
    assert len(names) == 16 and not any(is_formula_name(name) for name in names)
    assert is_formula_name("formula:x") and is_formula_name(" Formula:x")
    assert not is_formula_name("relu") and not is_formula_name(None)


def test_info_describes_the_formula():
    info = activation_info("formula:where(x > 0, x, a*(exp(x) - 1)); a=1 in [0.1, 5]")
    assert info.name == "formula:where(x > 0, x, a * (exp(x) - 1)); a=1 in [0.1, 5]"
    assert info.formula == "f(x) = where(x > 0, x, a * (exp(x) - 1))"
    assert info.derivative == "f'(x) = where(x > 0, 1, a*exp(x))"
    (spec,) = info.params
    assert (spec.name, spec.default, spec.low, spec.high) == ("a", 1.0, 0.1, 5.0)
    assert info.output_range == "about [-1, 10] for −10 ≤ x ≤ 10"
    assert info.max_abs_derivative.startswith("about 1 ")
    assert (info.zero_centred, info.monotonic, info.smooth) == (True, True, True)
    (free,) = activation_info("formula:x*k; k=2").params
    assert (free.low, free.high) == (-10.0, 10.0)
    (wide,) = activation_info("formula:x*k; k=50").params
    assert (wide.low, wide.high) == (-10.0, 50.0)


@pytest.mark.parametrize(("params", "fragment"), [
    ({"a": 7.0}, "[0.1, 5]"), ({"a": float("nan")}, "[0.1, 5]"), ({"a": True}, "[0.1, 5]"),
    ({"a": "1"}, "[0.1, 5]"), ({"b": 1.0}, "its parameters are: a"),
])
def test_bad_parameter_values(params, fragment):
    with pytest.raises(ActivationError, match=None) as excinfo:
        get_activation("formula:a*x; a=1 in [0.1, 5]", **params)
    assert fragment in str(excinfo.value)
    with pytest.raises(ActivationError, match="declares no parameters"):
        get_activation("formula:x", a=1.0)


def test_network_with_a_formula_trains_like_the_builtin():
    from core.network import Network

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 2)), (rng.random(32) > 0.5).astype(float)
    runs = []
    # Instances: ExperimentConfig/Network name validation learns "formula:" separately.
    for activation in (get_activation("swish"), get_activation("formula:x*sigmoid(x)")):
        net = Network([2, 8, 8, 1], activation=activation, loss="bce", seed=3)
        runs.append(net.loss_and_gradients(X, y))
    assert runs[0][0] == pytest.approx(runs[1][0], rel=1e-13)
    for mine, theirs in zip(runs[1][1] + runs[1][2], runs[0][1] + runs[0][2], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-14)
    formula = get_activation("formula:x*sigmoid(b*x); b=1 in [0.1, 5]", b=2.0)
    mixed = Network([2, 4, 4, 1], activation=[get_activation("relu"), formula], seed=0)
    assert mixed.activations[1] is formula


def test_registry_import_stays_light_and_formulas_load_no_qt():
    code = ("import sys, core.activations; assert 'sympy' not in sys.modules; "
            "from core.activations import get_activation; get_activation('formula:x*exp(x)'); "
            "import core.formula.printing, core.formula.properties; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'shiboken6', 'torch', 'scipy', 'matplotlib', 'IPython')]; "
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
