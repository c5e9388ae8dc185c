"""Initialiser statistics (PyTorch's formulas: Xavier Var = 2/(fan_in + fan_out), He 2/fan_in,
LeCun 1/fan_in, nn.Linear default U(±1/√fan_in)) and seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.initializers import available_initializers, init_bias, init_weight
from core.network import Network

FAN_IN, FAN_OUT = 1000, 400


def _w(name: str, fan_in: int = FAN_IN, fan_out: int = FAN_OUT, **kw) -> np.ndarray:
    return init_weight(name, fan_in, fan_out, np.random.default_rng(0), **kw)


@pytest.mark.parametrize("name,expected_std", [
    ("he_normal", math.sqrt(2 / FAN_IN)),
    ("he_uniform", math.sqrt(2 / FAN_IN)),
    ("xavier_normal", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("xavier_uniform", math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("lecun_normal", math.sqrt(1 / FAN_IN)),
    ("pytorch_default", 1 / math.sqrt(FAN_IN) / math.sqrt(3)),
    ("normal", 0.05),
    ("uniform", 0.05 / math.sqrt(3)),
])
def test_weight_std_matches_formula(name, expected_std):
    w = _w(name, std=0.05)
    assert w.shape == (FAN_IN, FAN_OUT)
    assert abs(w.mean()) < 0.1 * expected_std
    assert w.std() == pytest.approx(expected_std, rel=0.02)


def test_uniform_limits():
    assert np.abs(_w("he_uniform")).max() <= math.sqrt(6 / FAN_IN)
    assert np.abs(_w("xavier_uniform")).max() <= math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(_w("uniform", std=0.3)).max() <= 0.3
    assert np.abs(_w("uniform", std=0.3)).max() > 0.29


@pytest.mark.parametrize("fan_in,fan_out", [(300, 100), (100, 300), (64, 64)])
def test_orthogonal_is_orthonormal(fan_in, fan_out):
    w = _w("orthogonal", fan_in, fan_out)
    gram = w.T @ w if fan_in >= fan_out else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(fan_in, fan_out)), atol=1e-12)


def test_zeros_and_biases():
    assert not _w("zeros").any()
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(init_bias("he_normal", 4, 3, rng, bias_init=-0.5), [-0.5] * 3)
    b = init_bias("pytorch_default", 100, 5000, rng)
    assert np.abs(b).max() <= 0.1 and b.std() == pytest.approx(0.1 / math.sqrt(3), rel=0.05)


def test_network_initialisation_is_seeded_and_dtype_aware():
    a = Network([2, 32, 32, 1], init="orthogonal", seed=7)
    b = Network([2, 32, 32, 1], init="orthogonal", seed=7)
    c = Network([2, 32, 32, 1], init="orthogonal", seed=8)
    f32 = Network([2, 32, 32, 1], init="orthogonal", seed=7, dtype="float32")
    for wa, wb, wc, w32 in zip(a.weights, b.weights, c.weights, f32.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
        assert not np.array_equal(wa, wc)
        assert w32.dtype == np.float32
        np.testing.assert_array_equal(w32, wa.astype(np.float32))
    g = Network([2, 32, 1], seed=0, rng=np.random.default_rng(7))
    h = Network([2, 32, 1], seed=99, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(g.weights[0], h.weights[0])


def test_unknown_initialiser_lists_choices():
    with pytest.raises(ValueError) as err:
        _w("kaiming")
    for name in available_initializers():
        assert name in str(err.value)
