"""Every preset shows its phenomenon, checked with numbers after running the real Trainer."""

from __future__ import annotations

import numpy as np
import pytest

from core.presets import Preset, available_presets, get_preset
from core.trainer import StepStats, Trainer


def train(preset: Preset, **changes) -> tuple[Trainer, StepStats]:
    """Run a preset's config (optionally changed) for its steps; (trainer, first step's stats)."""
    trainer = Trainer(preset.config.replace(**changes))
    first = trainer.step()
    trainer.run(preset.steps - 1)
    assert not trainer.diverged, trainer.last.message
    assert trainer.step_count == preset.steps
    return trainer, first


def test_catalogue() -> None:
    names = available_presets()
    assert names[:8] == ["sigmoid-vanishing", "dying-relu", "leaky-relu-rescue",
                         "he-vs-xavier-he", "he-vs-xavier-xavier", "tanh-tiny-init",
                         "swish-vs-relu", "residual-fix"]
    for name in names:
        preset = get_preset(name)
        assert preset.name == name and preset.title and preset.steps > 0
        assert len(preset.explanation.split()) > 40 and preset.explanation.endswith((".", ")"))
        assert preset.config.validate() is preset.config


def test_get_preset_returns_a_private_copy() -> None:
    get_preset("dying-relu").config.lr = 123.0
    assert get_preset("dying-relu").config.lr == 2.0


def test_unknown_preset_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="Unknown preset 'dead'; valid presets are "
                                         "sigmoid-vanishing, dying-relu"):
        get_preset("dead")


def test_sigmoid_vanishing() -> None:
    trainer, first = train(get_preset("sigmoid-vanishing"))
    for stats in (first, trainer.last):      # "about six orders of magnitude below"
        assert 1e-8 < stats.grad_norms[0] / stats.grad_norms[-1] < 1e-5
    # The decay is layer by layer, not a single bad layer: the hidden weight layers' norms fall
    # steadily towards the input.
    hidden = first.grad_norms[1:-1]
    assert np.count_nonzero(np.diff(hidden) > 0) >= len(hidden) - 2
    assert trainer.last.loss > 0.95 * first.loss


def test_dying_relu() -> None:
    """The text's story in numbers: dies, briefly fits, collapses; layer 1 never revives."""
    trainer, first = train(get_preset("dying-relu"))
    steps = trainer.history.steps()
    dead = trainer.history.series("dead_fraction_dataset")      # (T, 4) dead on the dataset
    accuracy = trainer.history.series("test_accuracy")
    assert 0.1 <= first.dead_fraction_dataset.mean() <= 0.3     # "about a fifth start dead"
    by_150 = dead[steps <= 150]
    assert by_150.mean(axis=1).max() >= 0.55                    # "about two thirds by step 150"
    assert by_150[:, -1].max() >= 0.85                          # "almost all of the last layer"
    assert np.nanmax(accuracy[steps <= 150]) >= 0.8             # "climbs to nearly 90 %"
    assert trainer.last.test_accuracy <= 0.6                    # "collapses to a constant guess"
    assert trainer.last.dead_fraction_dataset.mean() >= 0.40
    assert np.all(np.diff(dead[:, 0]) >= 0)                     # layer 1: dead for good
    revived = [np.any(np.diff(dead[:, layer]) < 0) for layer in (1, 2, 3)]
    assert any(revived)                                         # "deeper units revive"


def test_dying_relu_kept_running_revives_then_dies_again() -> None:
    trainer = Trainer(get_preset("dying-relu").config)
    trainer.run(4000)
    assert not trainer.diverged
    steps = trainer.history.steps()
    dead = trainer.history.series("dead_fraction_dataset")
    accuracy = trainer.history.series("test_accuracy")
    late = (steps > 400) & (steps <= 2500)
    assert np.nanmax(accuracy[late]) >= 0.95                     # "about 98 % near step 2,000"
    assert dead[late][:, 1:].mean(axis=1).min() < dead[steps <= 400][-1, 1:].mean()  # revived
    assert np.all(np.diff(dead[:, 0]) >= 0)
    assert trainer.last.test_accuracy <= 0.8                     # "and then dies again"


def test_leaky_relu_rescue() -> None:
    preset = get_preset("leaky-relu-rescue")
    trainer, _ = train(preset)
    assert trainer.history.series("dead_fraction_dataset").max() == 0.0
    assert trainer.last.test_accuracy >= 0.95
    relu = Trainer(preset.config.replace(activation="relu", activation_params={}))
    assert relu.step().dead_fraction_dataset.mean() >= 0.1      # "about 16 % ... with ReLU"


@pytest.mark.slow
def test_leaky_relu_rescue_stays_healthy_for_20000_steps() -> None:
    trainer = Trainer(get_preset("leaky-relu-rescue").config)
    trainer.run(20_000)
    assert not trainer.diverged and trainer.step_count == 20_000
    steps = trainer.history.steps()
    accuracy = trainer.history.series("test_accuracy")
    assert trainer.history.series("dead_fraction_dataset").max() == 0.0
    assert np.nanmin(accuracy[steps >= 400]) >= 0.9
    assert np.isfinite(trainer.last.loss) and trainer.last.test_accuracy >= 0.95


def test_leaky_relu_at_learning_rate_2_diverges_late() -> None:
    """The text's reason for the lower rate: at lr 2 it stays alive but overflows near 2,400."""
    trainer = Trainer(get_preset("leaky-relu-rescue").config.replace(lr=2.0))
    trainer.run(400)
    assert trainer.last.test_accuracy >= 0.9
    trainer.run(4000)
    assert trainer.diverged and 1500 <= trainer.step_count <= 3500
    assert trainer.history.series("dead_fraction_dataset").max() == 0.0


def test_he_versus_xavier_on_deep_relu() -> None:
    he, he_first = train(get_preset("he-vs-xavier-he"))
    xavier, xavier_first = train(get_preset("he-vs-xavier-xavier"))
    assert he_first.grad_norms.max() > 1e3 * xavier_first.grad_norms.max()
    assert xavier_first.grad_norms.max() < 1e-4
    assert 1e-8 < xavier_first.grad_norms.min() <= xavier_first.grad_norms.max() < 1e-5  # "~1e-6"
    # "the error reaching layer 1 is a few millionths of the one leaving the output"
    assert 1e-7 < xavier_first.signal_norms[0] / xavier_first.signal_norms[-1] < 1e-5
    # He: "the signal keeps its size through all thirty layers in both directions"
    assert 1 / 10 < he_first.signal_norms[0] / he_first.signal_norms[-1] < 10
    assert 1 / 10 < he_first.grad_norms[0] / he_first.grad_norms[-1] < 10
    assert he_first.signal_norms[0] > 1e3 * xavier_first.signal_norms[0]
    assert abs(xavier.last.loss - xavier_first.loss) < 0.02
    assert he.last.loss < 0.7 * he_first.loss
    assert he.last.test_accuracy >= 0.8 > 0.6 > xavier.last.test_accuracy


def test_tanh_tiny_init() -> None:
    preset = get_preset("tanh-tiny-init")
    trainer, first = train(preset)
    assert first.grad_norms.max() < 1e-20   # "gradients reaching the weights are below 1e-20"
    assert first.signal_norms[0] < 1e-20
    # The output stays at uniform class probabilities (batch loss ln 3) and the early layers
    # still get no gradient at the end.
    assert abs(trainer.last.loss - np.log(3)) < 0.01
    assert trainer.last.grad_norms[:5].max() < 1e-12
    assert trainer.last.test_accuracy < 0.4
    assert trainer.last.dead_fraction_dataset.max() == 0.0
    assert trainer.last.saturated_fraction.max() == 0.0
    healthy, healthy_first = train(preset, init="xavier_normal")
    assert healthy.last.loss < 0.7 * healthy_first.loss


def test_swish_versus_relu() -> None:
    preset = get_preset("swish-vs-relu")
    swish, _ = train(preset)
    assert swish.history.series("dead_fraction_dataset").max() == 0.0
    assert swish.last.test_accuracy >= 0.9
    relu = Trainer(preset.config.replace(activation="relu"))
    assert relu.step().dead_fraction_dataset.mean() >= 0.2


def test_residual_fix() -> None:
    plain, plain_first = train(get_preset("sigmoid-vanishing"))
    residual, residual_first = train(get_preset("residual-fix"))
    ratio = lambda stats: stats.grad_norms[0] / stats.grad_norms[-1]  # noqa: E731
    assert ratio(residual_first) > 1e3 * ratio(plain_first)
    assert ratio(residual.last) > 1e3 * ratio(plain.last)
    assert residual.last.test_accuracy > plain.last.test_accuracy + 0.15
    assert residual.last.loss < 0.5 * residual_first.loss
    # "within a few orders of magnitude of the last one's instead of six"
    assert 1e-4 < ratio(residual_first) < 1e-1
    assert residual_first.loss > plain_first.loss    # "the initial loss is higher"
