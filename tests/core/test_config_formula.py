"""Formula activations and bias_std in ExperimentConfig, Network, sessions and the theory map."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.activations import get_activation
from core.config import ExperimentConfig
from core.config_fields import ConfigError
from core.network import Network
from core.theory import sigma_b2_for_init
from core.trainer import Trainer

SWISH_B = "formula:x*sigmoid(b*x); b=1.0 in [0.1, 5]"
ELU_A = "formula:where(x>0, x, a*(exp(x)-1)); a=1 in [0.1, 5]"


def test_formula_is_stored_as_its_canonical_text() -> None:
    config = ExperimentConfig(depth=2, width=4, activation=SWISH_B,
                              activation_params={"b": 2}).validate()
    assert config.activation == "formula:x * sigmoid(b * x); b=1 in [0.1, 5]"
    assert config.validate().activation == config.activation   # normalising twice: same text


def test_per_layer_lists_mix_formulas_and_built_ins() -> None:
    config = ExperimentConfig(depth=3, width=4, activation=["relu", ELU_A, "leaky_relu"],
                              activation_params={"a": 0.5, "alpha": 0.2}).validate()
    assert config.activation[1].startswith("formula:where(x > 0, x, a * (exp(x) - 1))")
    trainer = Trainer(config.replace(n_samples=64))
    acts = trainer.network.activations
    assert [a.params for a in acts] == [{}, {"a": 0.5}, {"alpha": 0.2}]
    x = np.array([-1.0, 2.0])
    np.testing.assert_allclose(acts[1].f(x), get_activation("elu", alpha=0.5).f(x), rtol=1e-12)
    assert np.isfinite(trainer.step().loss)


@pytest.mark.parametrize(("activation", "params", "match"), [
    ("formula:__import__('os')", {}, "cannot appear in a formula"),
    ("formula:x.real", {}, "Attribute access"),
    ("formula:" + "(" * 100_000 + "x" + ")" * 100_000, {}, "at most 2,000"),
    ("formula:x*q", {}, "Unknown name 'q'"),
    ("formula:9**9**9", {}, "."),
    (SWISH_B, {"b": 50.0}, "b"),
    (SWISH_B, {"alpha": 0.1}, "alpha"),
])
def test_bad_formulas_are_one_sentence(activation: str, params: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as caught:
        ExperimentConfig(activation=activation, activation_params=params).validate()
    message = str(caught.value)
    assert message.endswith(".") and "\n" not in message and len(message) < 400


def test_network_refuses_what_validate_refuses_for_formulas() -> None:
    with pytest.raises(ConfigError, match="Attribute access"):
        Network([2, 4, 1], "formula:x.real")
    net = Network([2, 4, 4, 1], ["tanh", SWISH_B], activation_params={"b": 3.0})
    assert net.activations[1].params == {"b": 3.0}


def test_session_keeps_formula_text_and_rechecks_it(tmp_path) -> None:
    config = ExperimentConfig(activation=ELU_A, activation_params={"a": 2.0}).validate()
    path = tmp_path / "s.actiscope.json"
    config.save(path)
    saved = json.loads(path.read_text())["config"]
    assert saved["activation"] == config.activation and saved["bias_std"] == 0.0
    assert ExperimentConfig.load(path) == config
    hostile = json.loads(path.read_text())
    hostile["config"]["activation"] = "formula:x.__class__"
    path.write_text(json.dumps(hostile))
    with pytest.raises(ConfigError) as caught:
        ExperimentConfig.load(path)
    assert str(caught.value).count(".") >= 1 and "\n" not in str(caught.value)
    assert "Attribute access" in str(caught.value)


def test_old_session_without_bias_std_loads_with_the_default() -> None:
    data = ExperimentConfig().to_dict()
    del data["bias_std"]
    assert ExperimentConfig.from_dict(data).bias_std == 0.0


@pytest.mark.parametrize("bad", [-0.1, float("nan"), 11.0, "0.1"])
def test_bias_std_range(bad: object) -> None:
    with pytest.raises(ConfigError, match="bias_std"):
        ExperimentConfig(bias_std=bad).validate()


def test_bias_std_zero_keeps_constant_biases_and_the_same_weights() -> None:
    plain = Network([2, 64, 64, 1], "tanh", "normal", init_std=0.1, bias_init=0.3)
    assert all(np.all(b == 0.3) for b in plain.biases)
    same = Network([2, 64, 64, 1], "tanh", "normal", init_std=0.1, bias_init=0.3, bias_std=0.0)
    for a, b in zip(plain.weights, same.weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_bias_std_draws_normal_biases() -> None:
    net = Network([2, *[1000] * 4, 1], "tanh", "normal", init_std=0.01, bias_init=0.3,
                  bias_std=0.5, dtype="float32")
    b = np.concatenate(net.biases[:4]).astype(np.float64)
    assert abs(b.mean() - 0.3) < 0.03 and abs(b.std() - 0.5) < 0.02
    torch_default = Network([2, 100, 1], "tanh", "pytorch_default", bias_std=5.0)
    assert np.abs(torch_default.biases[0]).max() <= 1 / np.sqrt(2)   # keeps U(±1/√fan_in)


def test_theory_sigma_b2_follows_bias_std() -> None:
    assert sigma_b2_for_init("normal", 64, bias_std=np.sqrt(0.05)) == pytest.approx(0.05)
    assert sigma_b2_for_init("he_normal", 64) == 0.0
    assert sigma_b2_for_init("pytorch_default", 64, bias_std=3.0) == pytest.approx(1 / 192)
