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
    for stats in (first, trainer.last):
        assert stats.grad_norms[0] / stats.grad_norms[-1] < 1e-4
    # The decay is layer by layer, not a single bad layer: the hidden weight layers' norms fall
    # steadily towards the input.
    hidden = first.grad_norms[1:-1]
    assert np.count_nonzero(np.diff(hidden) > 0) >= len(hidden) - 2
    assert trainer.last.loss > 0.95 * first.loss


def test_dying_relu() -> None:
    trainer, first = train(get_preset("dying-relu"))
    dead_start = first.dead_fraction_dataset.mean()
    dead_end = trainer.last.dead_fraction_dataset.mean()
    assert dead_end >= 0.40
    assert dead_end > dead_start + 0.15        # training killed them, not just the init
    assert trainer.last.test_accuracy < 0.7


def test_leaky_relu_rescue() -> None:
    trainer, _ = train(get_preset("leaky-relu-rescue"))
    assert trainer.history.series("dead_fraction_dataset").max() == 0.0
    assert trainer.last.test_accuracy >= 0.9


def test_he_versus_xavier_on_deep_relu() -> None:
    he, he_first = train(get_preset("he-vs-xavier-he"))
    xavier, xavier_first = train(get_preset("he-vs-xavier-xavier"))
    assert he_first.grad_norms.max() > 1e3 * xavier_first.grad_norms.max()
    assert xavier_first.grad_norms.max() < 1e-4
    assert he_first.signal_norms[0] > 1e3 * xavier_first.signal_norms[0]
    assert abs(xavier.last.loss - xavier_first.loss) < 0.02
    assert he.last.loss < 0.7 * he_first.loss
    assert he.last.test_accuracy >= 0.8 > 0.6 > xavier.last.test_accuracy


def test_tanh_tiny_init() -> None:
    preset = get_preset("tanh-tiny-init")
    trainer, first = train(preset)
    assert first.grad_norms.max() < 1e-12
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
