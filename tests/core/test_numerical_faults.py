"""Numerical faults: huge lr, huge init, depth-200 sigmoid. Detected in the step, never noisy."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from core.config import ExperimentConfig
from core.trainer import Trainer, decision_grid

LRS = (1e2, 1e4, 1e6)
STDS = (1.0, 1e2, 1e3)
ACTIVATIONS = ("relu", "tanh", "linear", "softplus")
DTYPES = ("float64", "float32")
GRID = list(itertools.product(DTYPES, LRS, STDS, ACTIVATIONS))


def _config(dtype: str, lr: float, std: float, activation: str, **extra) -> ExperimentConfig:
    """A small net that the extreme setting will blow up within a few steps."""
    base = dict(depth=4, width=16, n_samples=96, batch_size=32, lr=lr, init="normal",
                init_std=std, dtype=dtype, activation=activation, dataset="spirals",
                dead_refresh_every=1)
    base.update(extra)
    return ExperimentConfig(**base).validate()


def _params(trainer: Trainer) -> list[np.ndarray]:
    """Copies of every weight and bias."""
    net = trainer.network
    return [w.copy() for w in net.weights] + [b.copy() for b in net.biases]


def _run_strict(trainer: Trainer, steps: int):
    """Step under warnings-as-errors; yield (params before, stats) per step until divergence."""
    for _ in range(steps):
        before = _params(trainer)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            stats = trainer.step()
        yield before, stats
        if stats.diverged:
            return


def _non_finite_fields(stats) -> list[str]:
    """Names of StepStats fields holding inf/nan (update_ratio may be nan where W_i = 0)."""
    bad = [name for name in ("grad_norms", "signal_norms", "dead_fraction",
                             "dead_fraction_dataset", "saturated_fraction")
           if not np.isfinite(getattr(stats, name)).all()]
    if not math.isfinite(stats.loss):
        bad.append("loss")
    if np.isinf(stats.update_ratio).any():
        bad.append("update_ratio")
    if not all(np.isfinite(u).all() for u in stats.unit_grad):
        bad.append("unit_grad")
    return bad


@pytest.mark.parametrize("dtype, lr, std, activation", GRID)
def test_divergence_is_caught_in_its_step_and_weights_stay(dtype, lr, std, activation):
    trainer = Trainer(_config(dtype, lr, std, activation))
    for before, stats in _run_strict(trainer, 60):
        if stats.diverged:
            for old, new in zip(before, _params(trainer), strict=True):
                np.testing.assert_array_equal(old, new)
            assert trainer.diverged and stats.message and "\n" not in stats.message
            count = trainer.step_count
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                again = trainer.step()
            assert again.diverged and trainer.step_count == count
            for old, new in zip(before, _params(trainer), strict=True):
                np.testing.assert_array_equal(old, new)
            return
        # An update that overflowed the weights must be caught by the very next step.
        weights_finite = all(np.isfinite(p).all() for p in _params(trainer))
        if not weights_finite:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert trainer.step().diverged


def test_steps_not_flagged_diverged_hold_only_finite_statistics():
    # The GUI draws unflagged steps as they are; inf there is an unmarked hole in a log plot.
    problems = []
    for dtype, lr, std, activation in GRID:
        trainer = Trainer(_config(dtype, lr, std, activation))
        problems += [((dtype, lr, std, activation), stats.step, _non_finite_fields(stats))
                     for _, stats in _run_strict(trainer, 40)
                     if not stats.diverged and _non_finite_fields(stats)]
    assert not problems, (f"{len(problems)} unflagged steps with non-finite statistics, e.g. "
                          f"{problems[:3]}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_history_is_finite_or_marked(dtype):
    trainer = Trainer(_config(dtype, 1e2, 1e2, "relu"))
    flagged = [stats.step for _, stats in _run_strict(trainer, 40) if stats.diverged]
    history = trainer.history
    steps = history.steps()
    for name in ("loss", "grad_norms", "signal_norms"):
        values = history.series(name).reshape(len(steps), -1)
        bad_steps = steps[~np.isfinite(values).all(axis=1)]
        assert set(bad_steps.tolist()) <= set(flagged), (name, bad_steps[:5], flagged)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reset_recovers_after_divergence(dtype):
    trainer = Trainer(_config(dtype, 1e6, 1e3, "relu"))
    list(_run_strict(trainer, 30))
    assert trainer.diverged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.config = trainer.config.replace(lr=1e-3, init_std=0.1)
        trainer.reset()
        assert not trainer.diverged and trainer.step_count == 0 and len(trainer.history) == 0
        stats = trainer.run(20)
    assert not stats.diverged and np.isfinite(stats.loss) and stats.step == 20


@pytest.mark.parametrize("dtype", DTYPES)
def test_diverged_network_queries_raise_no_warnings(dtype):
    trainer = Trainer(_config(dtype, 1e6, 1e3, "relu"))
    list(_run_strict(trainer, 30))
    net = trainer.network
    X = trainer.dataset.X_train
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.network.forward(X)
        net.predict(X)
        net.dead_fraction(X)
        net.saturated_fraction(X)
        xs, ys, values = decision_grid(net, n=20)
        trainer.history.table()
    assert values.shape == (20, 20)


def test_weights_blown_to_inf_by_hand_are_caught_next_step():
    trainer = Trainer(_config("float64", 1e-3, 0.1, "tanh"))
    trainer.step()
    trainer.network.weights[1][0, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = trainer.step()
    assert stats.diverged and "\n" not in stats.message


@pytest.mark.parametrize("dtype", DTYPES)
def test_depth_200_sigmoid_underflow_is_zero_not_nan(dtype):
    config = ExperimentConfig(depth=200, width=4, activation="sigmoid", init="normal",
                              init_std=0.02, n_samples=64, batch_size=32, dataset="moons",
                              dtype=dtype, lr=0.1).validate()
    trainer = Trainer(config)
    for _, stats in _run_strict(trainer, 5):
        assert not stats.diverged, stats.message
        for name in ("grad_norms", "signal_norms", "update_ratio"):
            values = getattr(stats, name)
            assert np.isfinite(values).all(), (name, values)
            assert (values >= 0).all()
        assert all(np.isfinite(u).all() for u in stats.unit_grad)
    grad = stats.grad_norms
    # The phenomenon: the gradient vanishes towards the input, reaching exact zero in float.
    assert grad[0] == 0.0 or grad[-1] / grad[0] > 1e30
    assert (grad == 0).any(), "expected the first layers' gradients to underflow to exactly 0"
    zero = grad == 0
    np.testing.assert_array_equal(stats.update_ratio[zero], 0.0)
    history = trainer.history.series("grad_norms")
    assert np.isfinite(history).all() and (history[:, 0] == 0).all()


def test_adam_with_zero_gradients_stays_finite():
    # Adam divides by sqrt(v) + eps: dead layers (gradient exactly 0) must give a 0 update.
    config = ExperimentConfig(depth=60, width=4, activation="sigmoid", init="normal",
                              init_std=0.02, n_samples=64, batch_size=32, dataset="moons",
                              optimizer="adam", lr=0.1).validate()
    trainer = Trainer(config)
    for _, stats in _run_strict(trainer, 5):
        assert not stats.diverged
        assert np.isfinite(stats.update_ratio).all()


@pytest.mark.parametrize("bias", [-10.0, 10.0])
def test_all_dead_or_saturated_network_is_reported_not_nan(bias):
    config = ExperimentConfig(depth=5, width=8, activation="relu", bias_init=bias,
                              n_samples=64, batch_size=16, dataset="xor",
                              dead_refresh_every=1).validate()
    trainer = Trainer(config)
    for _, stats in _run_strict(trainer, 5):
        assert not stats.diverged
        assert np.isfinite(stats.grad_norms).all() and (stats.grad_norms >= 0).all()
        assert np.isfinite(stats.dead_fraction_dataset).all()
    if bias < 0:
        assert stats.dead_fraction_dataset.min() == 1.0
        assert stats.grad_norms[0] == 0.0
