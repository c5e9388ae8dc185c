"""Trainer and Network refuse what ExperimentConfig.validate() refuses, with the same sentence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.config import ConfigError, ExperimentConfig
from core.network import Network, NetworkError
from core.trainer import Trainer

SMALL = dict(depth=2, width=8, dataset="moons", n_samples=100, batch_size=16)


def _validate_message(**settings: object) -> str:
    """The sentence ExperimentConfig.validate() gives for these settings."""
    with pytest.raises(ConfigError) as caught:
        ExperimentConfig(**settings).validate()
    return str(caught.value)


TRAINER_INVALID = [
    {"lr": -1.0},
    {"lr": math.nan},
    {"depth": 0},
    {"width": 2000},
    {"activation": "relux"},
    {"activation": ["relu"]},
    {"init": "glorot"},
    {"init_std": 0.0},
    {"optimizer": "rmsprop"},
    {"momentum": 1.0},
    {"batch_size": 0},
    {"dead_refresh_every": 0},
    {"saturation_threshold": 0.0},
    {"dtype": "float16"},
    {"dataset": "spirals", "loss": "bce"},
    {"dataset": "csv"},
]


@pytest.mark.parametrize("changes", TRAINER_INVALID, ids=[str(c) for c in TRAINER_INVALID])
def test_trainer_refuses_what_validate_refuses(changes: dict) -> None:
    settings = {**SMALL, **changes}
    expected = _validate_message(**settings)
    with pytest.raises(ConfigError) as caught:
        Trainer(ExperimentConfig(**settings))
    assert str(caught.value) == expected


def test_negative_learning_rate_never_trains() -> None:
    """Gradient ascent used to run: the trainer must stop at construction, not at a step."""
    with pytest.raises(ConfigError, match=r"lr must be in \(0, 1e\+06\], got -1"):
        Trainer(ExperimentConfig(lr=-1.0)).step()


def test_trainer_refuses_a_non_config() -> None:
    with pytest.raises(ConfigError, match="needs an ExperimentConfig, got dict"):
        Trainer({"lr": 0.1})  # type: ignore[arg-type]


def test_trainer_keeps_a_validated_copy() -> None:
    config = ExperimentConfig(**SMALL, lr=1)
    trainer = Trainer(config)
    assert trainer.config == config.replace() and isinstance(trainer.config.lr, float)
    config.lr = -1.0  # a later edit of the caller's object does not reach the trainer
    assert trainer.config.lr == 1.0


def test_live_change_to_an_invalid_config_is_refused_and_changes_nothing() -> None:
    trainer = Trainer(ExperimentConfig(**SMALL))
    before = trainer.config
    bad = ExperimentConfig(**SMALL, lr=-1.0)
    with pytest.raises(ConfigError) as caught:
        trainer.apply_live_changes(bad)
    assert str(caught.value) == _validate_message(**SMALL, lr=-1.0)
    assert trainer.config == before and trainer.optimizer.lr == before.lr


# (Network keyword arguments, the same fact as ExperimentConfig settings)
NETWORK_INVALID = [
    ({"init": "glorot"}, {"init": "glorot"}),
    ({"loss": "hinge"}, {"loss": "hinge"}),
    ({"dtype": "float16"}, {"dtype": "float16"}),
    ({"init_std": 0.0}, {"init_std": 0.0}),
    ({"init_std": -1.0}, {"init_std": -1.0}),
    ({"bias_init": math.nan}, {"bias_init": math.nan}),
    ({"bias_init": 11.0}, {"bias_init": 11.0}),
    ({"residual": 1}, {"residual": 1}),
    ({"seed": -1}, {"seed": -1}),
    ({"activation": "relux"}, {"activation": "relux"}),
    ({"activation": ["relu", "relux"]}, {"activation": ["relu", "relux"]}),
    ({"activation": ["relu"]}, {"activation": ["relu"]}),
    ({"activation_params": {"alpha": 0.1}}, {"activation_params": {"alpha": 0.1}}),
    ({"activation": "leaky_relu", "activation_params": {"alpha": 5.0}},
     {"activation": "leaky_relu", "activation_params": {"alpha": 5.0}}),
    ({"activation": ["relu", "elu"], "activation_params": {"beta": 1.0}},
     {"activation": ["relu", "elu"], "activation_params": {"beta": 1.0}}),
    ({"activation_params": [1]}, {"activation_params": [1]}),
]


@pytest.mark.parametrize(("arguments", "settings"), NETWORK_INVALID,
                         ids=[str(a) for a, _ in NETWORK_INVALID])
def test_network_refuses_what_validate_refuses(arguments: dict, settings: dict) -> None:
    """Same ConfigError and sentence for the same bad value, via Network or via the config."""
    expected = _validate_message(hidden_sizes=[4, 4], **settings)
    with pytest.raises(ConfigError) as caught:
        Network([2, 4, 4, 1], **arguments)
    assert str(caught.value) == expected


def test_network_hidden_sizes_follow_the_field_table() -> None:
    expected = _validate_message(hidden_sizes=[8, 2000])
    with pytest.raises(ConfigError) as caught:
        Network([2, 8, 2000, 1])
    assert str(caught.value) == expected
    too_deep = [4] * 201
    with pytest.raises(ConfigError) as caught:
        Network([2, *too_deep, 1])
    assert str(caught.value) == _validate_message(hidden_sizes=too_deep)


def test_network_accepts_what_validate_accepts() -> None:
    net = Network([2, 4, 4, 1], ["leaky_relu", "relu"], "normal", "bce", 5,
                  activation_params={"alpha": 0.2}, init_std=3.0, bias_init=-10.0,
                  residual=True, dtype="float32")
    assert net.activations[0].params == {"alpha": 0.2}
    assert Network([2, 1], []).n_hidden == 0  # no hidden layer: no config describes it, but fine


def test_error_classes_are_value_errors_with_distinct_jobs() -> None:
    """ConfigError: a bad setting (either path). NetworkError: sizes or inputs that do not fit."""
    assert issubclass(ConfigError, ValueError) and issubclass(NetworkError, ValueError)
    assert not issubclass(NetworkError, ConfigError) and not issubclass(ConfigError, NetworkError)
    with pytest.raises(NetworkError, match="at least two positive integers"):
        Network([2])
    with pytest.raises(NetworkError, match=r"\(n, 2\)"):
        Network([2, 3, 1]).forward(np.zeros((1, 3)))
