"""Network gradients vs central finite differences and vs torch.autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from core.network import Network, NetworkError

CASES = [
    # sizes, activation, loss, residual
    ([3, 5, 4, 2], "tanh", "mse", False),
    ([2, 6, 6, 6, 1], "sigmoid", "bce", True),
    ([4, 5, 5, 3], "gelu", "cross_entropy", True),
    ([3, 7, 5, 1], "softplus", "mse", False),
    ([2, 4, 4, 4, 3], ["relu", "swish", "elu"], "cross_entropy", True),
    ([3, 6, 1], "leaky_relu", "bce", False),
]


def _batch(sizes: list[int], loss: str, n: int = 7, seed: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], n)
    elif loss == "bce":
        y = rng.integers(0, 2, n).astype(float)
    else:
        y = rng.normal(size=(n, sizes[-1])) if sizes[-1] > 1 else rng.normal(size=n)
    return X, y


def _net(sizes, activation, loss, residual) -> Network:
    net = Network(sizes, activation, "xavier_normal", loss, seed=3, residual=residual)
    rng = np.random.default_rng(5)
    for b in net.biases:
        b[:] = rng.normal(scale=0.3, size=b.shape)  # nonzero biases exercise db
    return net


@pytest.mark.parametrize("sizes,activation,loss,residual", CASES)
def test_gradients_match_central_finite_differences(sizes, activation, loss, residual):
    net = _net(sizes, activation, loss, residual)
    X, y = _batch(sizes, loss)
    _, dW, db = net.loss_and_gradients(X, y)
    h = 1e-6
    for params, grads in ((net.weights, dW), (net.biases, db)):
        for p, g in zip(params, grads, strict=True):
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + h
                up = net.loss_and_gradients(X, y)[0]
                p[idx] = old - h
                down = net.loss_and_gradients(X, y)[0]
                p[idx] = old
                numeric[idx] = (up - down) / (2 * h)
            np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def _torch_reference(net: Network, X: np.ndarray, y: np.ndarray, torch_act):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    Ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    a = torch.tensor(X, requires_grad=True)
    inputs, pre = [a], []
    for i, (w, b) in enumerate(zip(Ws, bs, strict=True)):
        z = inputs[-1] @ w + b
        z.retain_grad()
        pre.append(z)
        if i == len(Ws) - 1:
            break
        h = torch_act[i](z)
        if net.skip[i]:
            h = h + inputs[-1]
        h.retain_grad()
        inputs.append(h)
    logits = pre[-1]
    if net.loss == "mse":
        target = torch.tensor(y.reshape(logits.shape))
        loss = F.mse_loss(logits, target)
    elif net.loss == "bce":
        loss = F.binary_cross_entropy_with_logits(logits[:, 0], torch.tensor(y))
    else:
        loss = F.cross_entropy(logits, torch.tensor(y))
    loss.backward()
    return loss, Ws, bs, inputs, pre


def _torch_activation(name: str):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    table = {
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu": F.gelu, "softplus": F.softplus,
        "relu": F.relu, "swish": F.silu, "elu": F.elu, "leaky_relu": F.leaky_relu,
    }
    return table[name]


@pytest.mark.parametrize("sizes,activation,loss,residual", CASES)
def test_backward_stats_match_torch_autograd(sizes, activation, loss, residual):
    net = _net(sizes, activation, loss, residual)
    X, y = _batch(sizes, loss, n=9)
    names = [activation] * net.n_hidden if isinstance(activation, str) else activation
    t_loss, Ws, bs, inputs, pre = _torch_reference(net, X, y, [_torch_activation(a) for a in names])
    result = net.backward_stats(X, y)
    assert result.loss == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(result.logits, pre[-1].detach().numpy(), rtol=1e-12, atol=1e-14)
    for mine, theirs in zip(result.dW, Ws, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-13)
    for mine, theirs in zip(result.db, bs, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-13)
    signal = [np.linalg.norm(t.grad.numpy()) for t in inputs]
    np.testing.assert_allclose(result.signal_norms, signal, rtol=1e-10)
    unit = [np.abs(inputs[0].grad.numpy()).mean(axis=0)]
    unit += [np.abs(z.grad.numpy()).mean(axis=0) for z in pre]
    assert len(result.unit_grad) == len(sizes)
    for mine, theirs in zip(result.unit_grad, unit, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-15)
    # loss_and_gradients is the same computation without the statistics
    loss_value, dW, db = net.loss_and_gradients(X, y)
    assert loss_value == result.loss
    for a, b in zip(dW + db, result.dW + result.db, strict=True):
        np.testing.assert_array_equal(a, b)


def test_cross_entropy_and_bce_are_stable_for_huge_logits():
    net = Network([1, 2], [], "zeros", "cross_entropy")
    net.weights[0][:] = [[1e4, -1e4]]
    loss, dW, _ = net.loss_and_gradients(np.array([[1.0], [-1.0]]), np.array([1, 1]))
    assert loss == pytest.approx(1e4)  # half the samples are wrong by a 2e4 logit gap
    assert np.isfinite(dW[0]).all()
    bce = Network([1, 1], [], "zeros", "bce")
    bce.weights[0][:] = 1e4
    loss, dW, _ = bce.loss_and_gradients(np.array([[1.0], [-1.0]]), np.array([0.0, 0.0]))
    assert loss == pytest.approx(5e3)
    np.testing.assert_allclose(dW[0], [[0.5]])


def test_float32_network_stays_float32_and_close_to_float64():
    sizes = [3, 16, 16, 2]
    net64 = Network(sizes, "tanh", "he_normal", "cross_entropy", seed=4)
    net32 = Network(sizes, "tanh", "he_normal", "cross_entropy", seed=4, dtype="float32")
    X, y = _batch(sizes, "cross_entropy", n=32)
    r32, r64 = net32.backward_stats(X, y), net64.backward_stats(X, y)
    assert all(g.dtype == np.float32 for g in r32.dW + r32.db + [r32.logits])
    for a, b in zip(r32.dW, r64.dW, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)


def test_bad_inputs_raise_one_clear_error():
    net = Network([2, 3, 1], loss="bce")
    with pytest.raises(NetworkError, match=r"\(n, 2\)"):
        net.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="bce targets"):
        net.loss_and_gradients(np.zeros((4, 2)), np.zeros(5))
    with pytest.raises(ValueError, match="one activation per hidden layer"):
        Network([2, 3, 3, 1], ["relu"])
    with pytest.raises(ValueError, match="Unknown init 'glorot'; valid choices are zeros"):
        Network([2, 3, 1], init="glorot")
    ce = Network([2, 3, 3], loss="cross_entropy")
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        ce.loss_and_gradients(np.zeros((2, 2)), np.array([0, 3]))
