"""BatchNorm and LayerNorm before the activation vs torch.autograd (float64), and their plumbing."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ConfigError, ExperimentConfig
from core.network import Network
from core.trainer import Trainer

CASES = [
    # sizes, activation, loss, residual
    ([3, 5, 4, 2], "tanh", "mse", False),
    ([2, 6, 6, 6, 1], "sigmoid", "bce", True),
    ([4, 5, 5, 3], "gelu", "cross_entropy", True),
    ([3, 7, 5, 1], "relu", "mse", False),
    ([2, 4, 4, 4, 3], ["relu", "swish", "elu"], "cross_entropy", True),
    ([3, 6, 1], "leaky_relu", "bce", False),
]
KINDS = ["batchnorm", "layernorm"]


def _batch(sizes: list[int], loss: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], n)
    elif loss == "bce":
        y = rng.integers(0, 2, n).astype(float)
    else:
        y = rng.normal(size=(n, sizes[-1])) if sizes[-1] > 1 else rng.normal(size=n)
    return X, y


def _net(sizes, activation, loss, residual, kind) -> Network:
    net = Network(sizes, activation, "xavier_normal", loss, seed=3, residual=residual,
                  normalization=kind)
    rng = np.random.default_rng(5)
    for params in (net.biases, net.betas):
        for p in params:
            p[:] = rng.normal(scale=0.3, size=p.shape)  # nonzero biases and β exercise them
    for g in net.gammas:
        g[:] = rng.uniform(0.5, 1.5, size=g.shape)
    return net


class TorchTwin:
    """The same network in torch: Linear -> BatchNorm1d/LayerNorm (functional) -> act (+ skip)."""

    def __init__(self, net: Network, activations) -> None:
        self.torch = pytest.importorskip("torch")
        t = self.torch
        self.net, self.acts = net, activations
        self.Ws = [t.tensor(w.copy(), requires_grad=True) for w in net.weights]
        self.bs = [t.tensor(b.copy(), requires_grad=True) for b in net.biases]
        self.gammas = [t.tensor(g.copy(), requires_grad=True) for g in net.gammas]
        self.betas = [t.tensor(b.copy(), requires_grad=True) for b in net.betas]
        widths = net.sizes[1:-1]
        self.running_mean = [t.zeros(w, dtype=t.float64) for w in widths]
        self.running_var = [t.ones(w, dtype=t.float64) for w in widths]

    def params(self):
        return self.Ws + self.bs + self.gammas + self.betas

    def forward(self, X: np.ndarray, training: bool):
        """(logits, inputs of each weight layer, activation inputs u) with grads retained."""
        F = self.torch.nn.functional
        a = self.torch.tensor(X, requires_grad=True)
        inputs, us = [a], []
        last = len(self.Ws) - 1
        for i, (w, b) in enumerate(zip(self.Ws, self.bs, strict=True)):
            z = inputs[-1] @ w + b
            if i == last:
                return _keep(z), inputs, us
            if self.net.normalization == "batchnorm":
                u = F.batch_norm(z, self.running_mean[i], self.running_var[i], self.gammas[i],
                                 self.betas[i], training=training, momentum=0.1, eps=1e-5)
            else:
                u = F.layer_norm(z, (z.shape[1],), self.gammas[i], self.betas[i], eps=1e-5)
            us.append(_keep(u))
            h = self.acts[i](u)
            if self.net.skip[i]:
                h = h + inputs[-1]
            inputs.append(_keep(h))
        raise AssertionError("unreachable")

    def loss(self, logits, y: np.ndarray):
        F, t = self.torch.nn.functional, self.torch
        if self.net.loss == "mse":
            return F.mse_loss(logits, t.tensor(y.reshape(logits.shape)))
        if self.net.loss == "bce":
            return F.binary_cross_entropy_with_logits(logits[:, 0], t.tensor(y))
        return F.cross_entropy(logits, t.tensor(y))


def _keep(tensor):
    """tensor, its .grad kept after backward (when it takes part in autograd)."""
    if tensor.requires_grad:
        tensor.retain_grad()
    return tensor


def _torch_activation(name: str):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    return {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu": F.gelu, "relu": F.relu,
            "swish": F.silu, "elu": F.elu, "leaky_relu": F.leaky_relu}[name]


def _twin(net: Network, activation) -> TorchTwin:
    names = [activation] * net.n_hidden if isinstance(activation, str) else activation
    return TorchTwin(net, [_torch_activation(a) for a in names])


def _close(mine, theirs, atol=1e-13) -> None:
    np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-10, atol=atol)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sizes,activation,loss,residual", CASES)
def test_gradients_match_torch_autograd(sizes, activation, loss, residual, kind):
    net = _net(sizes, activation, loss, residual, kind)
    twin = _twin(net, activation)
    X, y = _batch(sizes, loss, n=9, seed=1)
    logits, inputs, us = twin.forward(X, training=True)
    t_loss = twin.loss(logits, y)
    t_loss.backward()
    result = net.backward_stats(X, y)
    assert result.loss == pytest.approx(t_loss.item(), rel=1e-12)
    _close(result.logits, logits, atol=1e-14)
    for mine, theirs in zip(result.dW + result.db, twin.Ws + twin.bs, strict=True):
        _close(mine, theirs.grad)
    assert len(result.dgamma) == len(result.dbeta) == net.n_hidden
    for mine, theirs in zip(result.dgamma + result.dbeta, twin.gammas + twin.betas, strict=True):
        _close(mine, theirs.grad)
    np.testing.assert_allclose(result.signal_norms,
                               [np.linalg.norm(t.grad.numpy()) for t in inputs], rtol=1e-10)
    # unit_grad, dead and saturated masks are taken at the activation's input u (after γ, β)
    unit = [np.abs(inputs[0].grad.numpy()).mean(axis=0)]
    unit += [np.abs(u.grad.numpy()).mean(axis=0) for u in us]
    unit += [np.abs(logits.grad.numpy()).mean(axis=0)]
    for mine, theirs in zip(result.unit_grad, unit, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-15)
    for i, (act, u) in enumerate(zip(net.activations, us, strict=True)):
        peak = np.abs(act.df(u.detach().numpy())).max(axis=0)
        np.testing.assert_allclose(np.split(result.max_abs_derivative,
                                            np.cumsum(sizes[1:-2]))[i], peak, rtol=1e-12)
        np.testing.assert_array_equal(result.dead_mask[i], peak == 0)
    # the flat gradient is dW, db, then all dγ, then all dβ: the packed parameters' layout
    flat = np.concatenate([g.ravel() for g in result.dW + result.db + result.dgamma
                           + result.dbeta])
    np.testing.assert_array_equal(result.grad_flat, flat)
    assert net.packed_parameters().size == flat.size
    loss_value, dW, db = net.loss_and_gradients(X, y)
    assert loss_value == pytest.approx(result.loss, rel=1e-14)
    for a, b in zip(dW + db, result.dW + result.db, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", [CASES[1], CASES[2], CASES[4]])
def test_running_statistics_and_eval_outputs_match_torch_after_steps(case, kind):
    sizes, activation, loss, residual = case
    net = _net(sizes, activation, loss, residual, kind)
    twin = _twin(net, activation)
    lr = 0.1
    for step in range(4):
        X, y = _batch(sizes, loss, n=8 + step, seed=10 + step)  # unequal batch sizes
        logits, _, _ = twin.forward(X, training=True)
        twin.loss(logits, y).backward()
        result = net.backward_stats(X, y)
        with twin.torch.no_grad():
            for p in twin.params():
                p -= lr * p.grad
                p.grad = None
        for p, g in zip(net.weights + net.biases + net.gammas + net.betas,
                        result.dW + result.db + result.dgamma + result.dbeta, strict=True):
            p -= lr * g
    if kind == "batchnorm":
        for mine, theirs in zip(net.running_mean + net.running_var,
                                twin.running_mean + twin.running_var, strict=True):
            _close(mine, theirs)
        assert all(np.abs(m).max() > 1e-3 for m in net.running_mean)  # they did move
    else:
        assert net.running_mean == net.running_var == []
    X, _ = _batch(sizes, loss, n=2000, seed=99)  # more rows than one forward chunk
    with twin.torch.no_grad():
        logits, _, us = twin.forward(X, training=False)
    _close(net.forward(X), logits)
    peaks = net.max_abs_derivative(X)
    for act, u, peak in zip(net.activations, us, peaks, strict=True):
        np.testing.assert_allclose(peak, np.abs(act.df(u.numpy())).max(axis=0), rtol=1e-12)


def test_forward_passes_use_running_statistics_and_training_updates_them():
    net = Network([2, 16, 1], "relu", loss="bce", seed=0, normalization="batchnorm")
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 2))  # far from mean 0, var 1
    before = net.forward(X)
    np.testing.assert_array_equal(net.running_mean[0], 0)  # forward-only: nothing learned
    np.testing.assert_array_equal(net.forward(X), before)  # and nothing changed
    for _ in range(60):
        net.loss_and_gradients(X, np.ones(64))
    z = X @ net.weights[0] + net.biases[0]
    np.testing.assert_allclose(net.running_mean[0], z.mean(axis=0), rtol=1e-2)
    np.testing.assert_allclose(net.running_var[0], z.var(axis=0, ddof=1), rtol=1e-2)
    # in eval mode the whole set now normalizes nearly as the batch did (the running variance
    # is the unbiased one: 64/63 larger), and far from the untrained running statistics
    train_logits = net.backward_stats(X, np.ones(64)).logits
    np.testing.assert_allclose(net.forward(X), train_logits, rtol=2e-2, atol=1e-2)
    assert np.abs(before - train_logits).max() > 0.5


def test_layernorm_is_per_sample_so_one_row_gives_the_same_output_alone():
    net = Network([3, 8, 8, 2], "tanh", loss="mse", seed=1, normalization="layernorm")
    X = np.random.default_rng(2).normal(size=(10, 3))
    full = net.forward(X)
    np.testing.assert_allclose(net.forward(X[3:4]), full[3:4], rtol=1e-14)
    train = net.backward_stats(X, np.zeros((10, 2))).logits
    np.testing.assert_allclose(train, full, rtol=1e-13)  # no train/eval difference


def test_batchnorm_bias_gradient_is_exactly_zero_and_a_single_sample_stays_finite():
    net = Network([2, 5, 5, 1], "tanh", loss="mse", seed=0, normalization="batchnorm")
    result = net.backward_stats(np.ones((1, 2)), np.ones(1))
    assert np.isfinite(result.loss) and result.statistics_finite
    assert all(np.all(db == 0) for db in result.db[:-1])
    assert np.isfinite(np.concatenate(net.running_var)).all()


def test_gamma_and_beta_start_at_one_and_zero_in_the_packed_parameters():
    net = Network([2, 4, 3, 1], normalization="layernorm")
    assert [g.shape for g in net.gammas] == [(4,), (3,)]
    assert all(np.all(g == 1) for g in net.gammas) and all(np.all(b == 0) for b in net.betas)
    assert net.running_mean == [] and net.normalization == "layernorm"
    flat = net.packed_parameters()
    net.gammas[1][:] = 7.0
    assert flat[-10:-7].tolist() == [7.0] * 3  # tail: γ0 (4), γ1 (3), β0 (4), β1 (3)
    net.betas[0] = np.zeros(4)  # replacing an array unpacks, as for weights and biases
    assert net.packed_parameters() is None
    plain = Network([2, 4, 3, 1])
    assert plain.normalization == "none" and plain.gammas == [] and plain.betas == []


def test_bad_normalization_is_one_config_sentence():
    with pytest.raises(ConfigError, match="Unknown normalization 'batch'; valid choices are "
                                          "none, batchnorm, layernorm."):
        Network([2, 3, 1], normalization="batch")
    with pytest.raises(ConfigError, match="normalization"):
        ExperimentConfig(normalization="groupnorm").validate()


def test_session_round_trip_and_old_sessions_load_without_the_field():
    config = ExperimentConfig(normalization="batchnorm", depth=3).validate()
    again = ExperimentConfig.from_json(config.to_json())
    assert again == config and again.normalization == "batchnorm"
    data = config.to_dict()
    del data["normalization"]
    assert ExperimentConfig.from_dict(data).normalization == "none"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_trainer_updates_gamma_and_beta_packed_and_unpacked(kind, optimizer):
    config = ExperimentConfig(depth=3, width=8, dataset="moons", n_samples=200, lr=0.05,
                              batch_size=32, optimizer=optimizer, normalization=kind, seed=1)
    packed, unpacked = Trainer(config), Trainer(config)
    net = unpacked.network
    net.weights[0] = net.weights[0].copy()  # forces the per-array optimizer path
    assert net.packed_parameters() is None
    for trainer in (packed, unpacked):
        trainer.run(15)
        assert not trainer.diverged
        assert not np.allclose(np.concatenate(trainer.network.gammas), 1.0)
        assert not np.allclose(np.concatenate(trainer.network.betas), 0.0)
    for a, b in zip(packed.network.gammas + packed.network.betas,
                    unpacked.network.gammas + unpacked.network.betas, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert packed.last.loss == pytest.approx(unpacked.last.loss, rel=1e-12)


def test_float32_normalized_network_stays_float32_and_close_to_float64():
    sizes = [3, 16, 16, 2]
    X, y = _batch(sizes, "cross_entropy", n=32, seed=4)
    for kind in KINDS:
        nets = [Network(sizes, "tanh", "he_normal", "cross_entropy", seed=4, dtype=dtype,
                        normalization=kind) for dtype in ("float32", "float64")]
        r32, r64 = (n.backward_stats(X, y) for n in nets)
        assert all(g.dtype == np.float32 for g in r32.dW + r32.dgamma + [r32.logits])
        for a, b in zip(r32.dW + r32.dgamma, r64.dW + r64.dgamma, strict=True):
            np.testing.assert_allclose(a, b, rtol=2e-3, atol=1e-5)
        assert nets[0].forward(X).dtype == np.float32
