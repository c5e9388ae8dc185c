"""Edge-of-chaos and SELU presets: each phenomenon in numbers on the real Trainer."""

from __future__ import annotations

import numpy as np
import pytest

from core.activations import get_activation
from core.presets import available_presets, get_preset
from core.theory import critical_sigma_w2, depth_scales, sigma_b2_for_init, sigma_w2_for_init
from core.trainer import Trainer

EDGE = ("edge-of-chaos-ordered", "edge-of-chaos-critical", "edge-of-chaos-chaotic")


def at_init(name: str):
    """(trainer, first step's stats): grad norms measured on the initial weights."""
    trainer = Trainer(get_preset(name).config)
    return trainer, trainer.step()


def hidden_ratio(stats) -> float:
    """‖dW‖ of weight layer 2 over weight layer L-1 (hidden to hidden, no data or logits)."""
    return float(stats.grad_norms[1] / stats.grad_norms[-2])


def test_presets_are_listed_after_the_older_ones() -> None:
    names = available_presets()
    assert names[:8][0] == "sigmoid-vanishing"
    assert [n for n in names if n in (*EDGE, "selu-self-normalising")] == \
        [*EDGE, "selu-self-normalising"]


@pytest.mark.parametrize(("name", "sigma_w2", "chi"), [
    ("edge-of-chaos-ordered", 1.0, 0.76), ("edge-of-chaos-critical", 1.76, 1.0),
    ("edge-of-chaos-chaotic", 4.0, 1.34)])
def test_edge_presets_sit_where_the_text_says(name: str, sigma_w2: float, chi: float) -> None:
    config = get_preset(name).config
    assert config.activation == "tanh" and config.depth == 30 and config.bias_init == 0.0
    assert sigma_w2_for_init(config.init, 64, 64, config.init_std) == pytest.approx(sigma_w2)
    sigma_b2 = sigma_b2_for_init(config.init, 64, config.bias_std)
    assert sigma_b2 == pytest.approx(0.05)
    assert depth_scales(get_activation("tanh"), sigma_w2, sigma_b2).chi1 == \
        pytest.approx(chi, abs=0.01)
    assert critical_sigma_w2(get_activation("tanh"), 0.05) == pytest.approx(1.76, abs=0.01)


def test_ordered_vanishes_critical_keeps_chaotic_explodes_at_init() -> None:
    _, ordered = at_init("edge-of-chaos-ordered")
    _, critical = at_init("edge-of-chaos-critical")
    _, chaotic = at_init("edge-of-chaos-chaotic")
    first_last = [s.grad_norms[0] / s.grad_norms[-1] for s in (ordered, critical, chaotic)]
    assert first_last[0] < 0.03                   # "about a hundredth" (0.013)
    assert 0.1 < first_last[1] < 10               # O(1)
    assert 10 < first_last[2] < 40                # "about 20 times"
    assert hidden_ratio(ordered) < 0.05
    assert 0.4 < hidden_ratio(critical) < 1.5     # "about 0.7"
    assert 15 < hidden_ratio(chaotic) < 60        # "30 times"


def test_chaotic_depth_scale() -> None:
    scales = depth_scales(get_activation("tanh"), 4.0, 0.05)
    assert 6 < scales.xi_c < 8 and 3 < 30 / scales.xi_c < 5   # "ξ_c ≈ 7", "about four ξ_c"


def test_edge_of_chaos_training() -> None:
    """Critical trains fast, ordered barely moves, chaotic still fits at 30 layers."""
    results = {}
    for name in EDGE:
        trainer, first = at_init(name)
        trainer.run(get_preset(name).steps - 1)
        assert not trainer.diverged
        results[name] = (first.loss, trainer.last.loss, trainer.last.test_accuracy)
    start, end, _ = results["edge-of-chaos-ordered"]
    assert 0.7 < start < 0.75 and end > 0.85 * start            # "0.72 to about 0.65"
    start, end, accuracy = results["edge-of-chaos-critical"]
    assert end < 0.1 and accuracy >= 0.93                       # "about 0.03", "about 97 %"
    start, end, accuracy = results["edge-of-chaos-chaotic"]
    assert end < 0.1 and accuracy >= 0.9                        # "fits the spirals as well"


def preactivation_variances(trainer) -> np.ndarray:
    """Variance of every hidden layer's pre-activations over the training set (depth,)."""
    net = trainer.network
    a = trainer.dataset.X_train
    variances = []
    for weight, bias, act in zip(net.weights, net.biases, net.activations, strict=False):
        z = a @ weight + bias
        variances.append(z.var())
        a = act.f(z)
    return np.array(variances)


def test_selu_keeps_preactivation_variance_near_one() -> None:
    trainer = Trainer(get_preset("selu-self-normalising").config)
    variances = preactivation_variances(trainer)   # on the initial weights
    first = trainer.step()
    assert variances.size == 30
    assert 0.2 < variances[0] < 0.4                             # "the data's 0.3"
    assert np.all((variances[11:] > 0.7) & (variances[11:] < 1.1))   # "0.75 to 1", layers 12-30
    # χ ≈ 1.07: the gradient grows going back, ×2.4 from layer 29 to layer 2
    assert depth_scales(get_activation("selu"), 1.0, 0.0).chi1 == pytest.approx(1.07, abs=0.01)
    assert 1.8 < hidden_ratio(first) < 3.5
    per_layer = hidden_ratio(first) ** (1 / 27)
    assert 1.02 < per_layer < 1.05                              # "about 3 % per layer"


def test_selu_trains() -> None:
    trainer, first = at_init("selu-self-normalising")
    trainer.run(299)
    assert not trainer.diverged
    assert 0.5 < first.loss < 0.6 and trainer.last.loss < 0.06   # "0.55 to about 0.02"
