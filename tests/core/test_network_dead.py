"""Dead and saturated unit accounting on crafted weights."""

from __future__ import annotations

import numpy as np
import pytest

from core.network import Network


def _data(n=64, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=n)


def test_relu_layer_with_huge_negative_bias_is_dead_and_blocks_every_gradient_below():
    net = Network([3, 8, 8, 8, 1], "relu", "he_normal", "mse", seed=1)
    net.biases[1][:] = -1e3  # hidden layer 2 (index 1) can never fire on these inputs
    X, y = _data()
    result = net.backward_stats(X, y)
    assert result.dead_mask[1].all()
    assert net.dead_fraction(X)[1] == 1.0
    assert net.dead_units(X)[1].all()
    # Nothing flows below the dead layer: weight layers 0 and 1 and the input get exactly zero.
    for i in (0, 1):
        assert np.count_nonzero(result.dW[i]) == 0
        assert np.count_nonzero(result.db[i]) == 0
    assert result.signal_norms[0] == 0.0 and result.signal_norms[1] == 0.0
    assert np.count_nonzero(result.unit_grad[0]) == 0
    assert np.count_nonzero(result.unit_grad[2]) == 0  # pre-activations of the dead layer
    assert np.count_nonzero(result.dW[2]) == 0  # its inputs are all zero
    assert np.count_nonzero(result.dW[3]) == 0
    assert result.db[3].any()  # the output bias still learns


def test_dead_mask_is_per_unit_on_this_batch():
    net = Network([2, 4, 1], "relu", "he_normal", "mse", seed=0)
    net.biases[0][:] = [-1e3, 1e3, 0.0, -1e3]
    X, y = _data(d=2)
    mask = net.backward_stats(X, y).dead_mask[0]
    np.testing.assert_array_equal(mask[[0, 1, 3]], [True, False, True])
    assert net.dead_fraction(X)[0] == pytest.approx(0.5 + 0.25 * mask[2])


def test_residual_connection_carries_gradient_past_a_dead_layer():
    net = Network([3, 8, 8, 8, 1], "relu", "he_normal", "mse", seed=1, residual=True)
    net.biases[1][:] = -1e3
    X, y = _data()
    result = net.backward_stats(X, y)
    assert result.dead_mask[1].all()
    assert np.abs(result.dW[0]).sum() > 0  # the skip path bypasses the dead layer


def test_saturated_units_of_a_sigmoid_layer():
    net = Network([2, 6, 1], "sigmoid", "zeros", "bce", seed=0)
    net.biases[0][:] = [30.0, -30.0, 0.0, 0.0, 30.0, 1.0]  # sigmoid'(±30) ≈ 9e-14
    X = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    y = (X[:, 0] > 0).astype(float)
    result = net.backward_stats(X, y)
    np.testing.assert_array_equal(result.saturated_mask[0], [1, 1, 0, 0, 1, 0])
    assert not result.dead_mask[0].any()
    assert net.saturated_fraction(X)[0] == pytest.approx(0.5)
    assert net.dead_fraction(X)[0] == 0.0


def test_dead_fraction_on_a_big_set_is_chunked_and_exact():
    net = Network([2, 16, 16, 1], "relu", "he_normal", "mse", seed=2)
    X = np.random.default_rng(1).normal(size=(10_000, 2))
    fractions = net.dead_fraction(X)
    # The same computed in one shot without chunking:
    a = X
    expected = []
    for w, b in zip(net.weights[:-1], net.biases[:-1], strict=True):
        z = a @ w + b
        expected.append(float((z <= 0).all(axis=0).mean()))
        a = np.maximum(z, 0)
    assert fractions == expected


@pytest.mark.parametrize("name,params", [("relu", {}), ("leaky_relu", {"alpha": 0.2}),
                                         ("tanh", {})])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inplace_kernels_equal_the_activation_module(name, params, dtype):
    from core.activations import get_activation
    from core.network_buffers import activate_into

    act = get_activation(name, **params)
    z = np.concatenate([np.random.default_rng(0).normal(scale=3, size=200), [0.0, -0.0, 50.0]])
    z = z.astype(dtype).reshape(-1, 1)
    h, d = activate_into(act, z, np.empty_like(z), np.empty_like(z), np.empty(z.shape, bool))
    f, df = act.f_df(z)
    np.testing.assert_array_equal(h, f)
    np.testing.assert_array_equal(d, df)


@pytest.mark.parametrize("activation", [
    "relu", ["relu", "tanh", "relu", "relu", "sigmoid"], ["linear", "relu", "relu", "elu", "relu"],
])
def test_batch_peaks_and_unit_means_match_a_per_layer_reference(activation):
    # Equal-width hidden layers are batched per run; mixed widths and activations must not matter.
    net = Network([3, 5, 5, 4, 4, 4, 2], activation, "he_normal", "mse", seed=4)
    net.biases[1][:2] = -50.0  # two dead units in a ReLU layer inside a run
    X, y = _data(n=11)
    result = net.backward_stats(X, np.stack([y, -y], axis=1))
    a, peaks = X, []
    for i, (w, b) in enumerate(zip(net.weights[:-1], net.biases[:-1], strict=True)):
        h, df = net.activations[i].f_df(a @ w + b)
        peaks.append(np.abs(df).max(axis=0))
        a = h
    np.testing.assert_allclose(result.max_abs_derivative, np.concatenate(peaks), rtol=1e-12)
    assert result.dead_mask[1][:2].all()
    np.testing.assert_array_equal(np.concatenate(result.dead_mask), np.concatenate(peaks) == 0)
    again = net.backward_stats(X, np.stack([y, -y], axis=1))  # fresh buffers, same numbers
    for mine, other in zip(result.unit_grad, again.unit_grad, strict=True):
        np.testing.assert_array_equal(mine, other)


def test_relu_peaks_on_a_set_with_nan_and_infinite_rows_count_only_positive_inputs():
    # The forward-only ReLU path reads peaks off column sums; NaN rows must not hide live units.
    net = Network([2, 4, 3, 1], "relu", "he_normal", "mse", seed=5)
    net.weights[0][...] = [[1.0, -1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]]
    net.biases[0][...] = [0.0, 0.0, -1.0, 0.0]
    X = np.array([[1.0, 0.0], [np.nan, 0.0], [-np.inf, 0.0], [-2.0, 0.0]])
    peaks = net.max_abs_derivative(X)
    np.testing.assert_array_equal(peaks[0], [1.0, 1.0, 0.0, 1.0])
    assert net.dead_units(X)[0].tolist() == [False, False, True, False]
