"""Trainer: learning, divergence handling, determinism, gradient-flow phenomena, optimizers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.boundary import decision_grid
from core.config import ExperimentConfig
from core.network import Network
from core.optimizers import make_optimizer
from core.trainer import Trainer


def _config(**changes) -> ExperimentConfig:
    base = dict(depth=2, width=16, dataset="moons", n_samples=400, noise=0.1, lr=0.1,
                batch_size=64, seed=3)
    base.update(changes)
    return ExperimentConfig(**base).validate()


def test_loss_decreases_and_stats_have_the_right_shapes():
    trainer = Trainer(_config(activation="tanh", init="xavier_normal"))
    first = trainer.step()
    last = trainer.run(400)
    assert last.step == 401 and trainer.step_count == 401
    losses = trainer.history.series("loss")
    assert losses[-50:].mean() < 0.5 * losses[:10].mean()
    assert last.test_accuracy > 0.85
    n_layers, n_hidden = 3, 2
    assert first.grad_norms.shape == (n_layers,) and first.signal_norms.shape == (n_layers,)
    assert first.dead_fraction.shape == (n_hidden,)
    assert first.saturated_fraction.shape == (n_hidden,)
    assert first.update_ratio.shape == (n_layers,) and np.all(first.update_ratio > 0)
    assert [u.shape for u in first.unit_grad] == [(2,), (16,), (16,), (1,)]
    assert first.dataset_stats_step == 1 and not first.diverged and first.message == ""
    assert last.dataset_stats_step == 400  # refreshed every 10 steps
    # update ratio is ‖lr·dW‖ / ‖W‖ measured before this step's update
    assert first.accuracy == first.train_accuracy


def test_stats_are_copies_the_gui_may_keep():
    trainer = Trainer(_config())
    first = trainer.step()
    kept = [first.grad_norms.copy(), first.signal_norms.copy(), first.unit_grad[1].copy()]
    trainer.run(5)
    np.testing.assert_array_equal(first.grad_norms, kept[0])
    np.testing.assert_array_equal(first.signal_norms, kept[1])
    np.testing.assert_array_equal(first.unit_grad[1], kept[2])


@pytest.mark.parametrize("changes", [
    dict(lr=1e6, dataset="sine", activation="tanh"),  # regression: the squared error explodes
    dict(init="normal", init_std=1e3, depth=8, activation="relu"),
])
def test_divergence_stops_training_cleanly_without_touching_the_weights(changes):
    trainer = Trainer(_config(**changes))
    before = None
    for _ in range(200):
        before = [w.copy() for w in trainer.network.weights]
        stats = trainer.step()
        if stats.diverged:
            break
    assert stats.diverged and trainer.diverged
    assert "diverged" in stats.message and "learning rate" in stats.message
    assert stats.message.count(".") <= 2  # one sentence (the rate may print with a dot)
    for w, old in zip(trainer.network.weights, before, strict=True):
        np.testing.assert_array_equal(w, old)
    again = trainer.step()
    assert again is stats and trainer.step_count == stats.step


def test_same_config_gives_bit_identical_history_and_weights():
    config = _config(optimizer="adam", lr=0.01, activation="swish", dead_refresh_every=3)
    a, b = Trainer(config), Trainer(config)
    a.run(60)
    b.run(60)
    for name in a.history.FIELDS:
        np.testing.assert_array_equal(a.history.series(name), b.history.series(name))
    for wa, wb in zip(a.network.weights, b.network.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
    a.reset()
    a.run(60)
    np.testing.assert_array_equal(a.history.series("loss"), b.history.series("loss"))


def test_deep_sigmoid_gradients_vanish_layer_by_layer():
    trainer = Trainer(_config(depth=10, width=32, activation="sigmoid", init="xavier_normal",
                              dataset="spirals", n_classes=3, batch_size=128))
    stats = trainer.step()
    norms = stats.grad_norms
    assert norms[0] * 100 <= norms[-1]
    assert norms[0] < norms[len(norms) // 2] < norms[-1]


def test_live_changes_apply_without_reset_and_others_are_refused():
    trainer = Trainer(_config())
    trainer.run(3)
    assert trainer.apply_live_changes(trainer.config.replace(lr=0.5, batch_size=32))
    assert trainer.optimizer.lr == 0.5
    assert trainer.step().step == 4
    assert trainer.apply_live_changes(trainer.config.replace(optimizer="adam"))
    assert trainer.optimizer.name == "adam"
    assert not trainer.apply_live_changes(trainer.config.replace(depth=5))
    assert trainer.config.depth == 2


def test_dead_units_on_the_dataset_after_a_negative_bias():
    trainer = Trainer(_config(activation="relu", bias_init=-10.0))
    stats = trainer.step()
    assert np.all(stats.dead_fraction_dataset == 1.0)
    assert all(d.all() for d in stats.dead_units_dataset)
    assert np.all(stats.dead_fraction == 1.0)


def test_saturated_units_on_the_dataset_follow_the_dead_unit_cadence():
    """Per-unit saturation comes from the trainer's dataset pass, every dead_refresh_every steps."""
    trainer = Trainer(_config(activation="sigmoid", init="normal", init_std=3.0,
                              saturation_threshold=0.05, dead_refresh_every=4))
    first = trainer.step()
    X = trainer.dataset.X_train
    expected = [float(f) for f in trainer.network.saturated_fraction(X, 0.05)]
    assert [float(m.mean()) for m in first.saturated_units_dataset] == expected
    assert max(expected) > 0  # the test can fail: this net does saturate
    for masks in (first.saturated_units_dataset, first.dead_units_dataset):
        assert [m.shape for m in masks] == [(16,), (16,)] and not masks[0].flags.writeable
    later = trainer.run(2)  # steps 2, 3: no refresh, the same arrays as of step 1
    assert later.dataset_stats_step == 1
    assert all(a is b for a, b in zip(later.saturated_units_dataset,
                                      first.saturated_units_dataset, strict=True))
    refreshed = trainer.step()  # step 4 refreshes
    assert refreshed.dataset_stats_step == 4
    now = trainer.network.saturated_fraction(X, 0.05)
    assert [float(m.mean()) for m in refreshed.saturated_units_dataset] == now
    for dead, saturated in zip(refreshed.dead_units_dataset, refreshed.saturated_units_dataset,
                               strict=True):
        assert not (dead & saturated).any()


def test_float32_training_runs_in_float32():
    trainer = Trainer(_config(dtype="float32", activation="leaky_relu"))
    stats = trainer.run(30)
    assert trainer.network.weights[0].dtype == np.float32
    assert math.isfinite(stats.loss) and stats.grad_norms.dtype == np.float64


def _torch_optimizer_reference(name, hyper, params, grads_per_step):
    torch = pytest.importorskip("torch")
    tensors = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    n_weights = len(params) // 2
    groups = [{"params": tensors[:n_weights], "weight_decay": hyper["l2"]},
              {"params": tensors[n_weights:], "weight_decay": 0.0}]
    if name == "adam":
        opt = torch.optim.Adam(groups, lr=hyper["lr"], betas=(hyper["beta1"], hyper["beta2"]),
                               eps=hyper["eps"])
    else:
        opt = torch.optim.SGD(groups, lr=hyper["lr"],
                              momentum=hyper["momentum"] if name == "momentum" else 0.0)
    for grads in grads_per_step:
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(g)
        opt.step()
    return [t.detach().numpy() for t in tensors]


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_optimizers_match_torch(name):
    rng = np.random.default_rng(0)
    hyper = dict(lr=0.05, l2=0.01, momentum=0.8, beta1=0.85, beta2=0.99, eps=1e-6)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    biases = [rng.normal(size=4), rng.normal(size=2)]
    steps = [[rng.normal(size=p.shape) for p in weights + biases] for _ in range(5)]
    expected = _torch_optimizer_reference(name, hyper, weights + biases, steps)
    opt = make_optimizer(name, **hyper)
    for i, grads in enumerate(steps):
        if i == 3:
            opt.lr = hyper["lr"]  # hyper-parameters are re-read each step
        before = [w.copy() for w in weights]
        norms = opt.step(weights, biases, [g.copy() for g in grads[:2]],
                         [g.copy() for g in grads[2:]])
        np.testing.assert_allclose(norms, [np.linalg.norm(w - b) for w, b in
                                           zip(weights, before, strict=True)], rtol=1e-12)
    for mine, theirs in zip(weights + biases, expected, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


def test_decision_grid_shapes_and_values():
    net = Network([2, 8, 1], "tanh", "xavier_normal", "bce", seed=0)
    xs, ys, probs = decision_grid(net, n=30, bounds=(-1, 1, -2, 2))
    assert xs.shape == (30,) and ys.shape == (30,) and probs.shape == (30, 30)
    assert xs[0] == -1 and ys[-1] == 2
    assert np.all((probs > 0) & (probs < 1)) and probs.std() > 0
    np.testing.assert_allclose(probs[4, 7], net.predict(np.array([[xs[7], ys[4]]]))[0])
    multi = Network([2, 8, 3], "relu", "he_normal", "cross_entropy", seed=0)
    _, _, classes = decision_grid(multi, n=20)
    assert set(np.unique(classes)) <= {0.0, 1.0, 2.0}
    with pytest.raises(ValueError, match="2 inputs"):
        decision_grid(Network([3, 4, 1]), n=10)
