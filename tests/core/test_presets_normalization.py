"""The normalization presets show their phenomena on the real Trainer, checked with numbers."""

from __future__ import annotations

import numpy as np

from core.presets import available_presets, get_preset
from core.trainer import Trainer


def _run(config, steps: int) -> tuple[Trainer, object]:
    """Train `config` for `steps` steps; (trainer, first step's stats)."""
    trainer = Trainer(config)
    first = trainer.step()
    trainer.run(steps - 1)
    return trainer, first


def test_presets_are_listed_after_the_others() -> None:
    names = available_presets()
    assert "batchnorm-rescues-sigmoid" in names and "layernorm-residual" in names
    assert names.index("batchnorm-rescues-sigmoid") > names.index("residual-fix")
    assert get_preset("batchnorm-rescues-sigmoid").config.normalization == "batchnorm"
    layer = get_preset("layernorm-residual").config
    assert layer.normalization == "layernorm" and layer.residual


def test_batchnorm_rescues_the_deep_sigmoid_net() -> None:
    preset = get_preset("batchnorm-rescues-sigmoid")
    assert preset.config.replace(normalization="none") == get_preset("sigmoid-vanishing").config
    plain, plain_first = _run(get_preset("sigmoid-vanishing").config, preset.steps)
    normed, first = _run(preset.config, preset.steps)
    assert not normed.diverged, normed.last.message
    ratio_plain = plain_first.grad_norms[0] / plain_first.grad_norms[-1]
    ratio_normed = first.grad_norms[0] / first.grad_norms[-1]
    assert ratio_plain < 1e-5 and 0.1 < ratio_normed < 10  # measured: 8e-7 vs 3.9
    assert ratio_normed / ratio_plain > 1e4  # orders of magnitude, at the first step
    last = normed.last.grad_norms
    assert last[0] / last[-1] > 0.1  # and it stays so while training
    losses = normed.history.series("loss")
    assert losses[-50:].mean() < 0.5 * first.loss  # measured: 1.16 -> 0.39
    assert plain.history.series("loss")[-50:].mean() > 0.9 * plain_first.loss
    assert normed.last.test_accuracy > 0.65 > 0.4 > plain.last.test_accuracy  # 3 classes


def test_layernorm_keeps_the_deep_residual_relu_net_trainable() -> None:
    preset = get_preset("layernorm-residual")
    normed, first = _run(preset.config, preset.steps)
    assert not normed.diverged, normed.last.message
    assert first.loss < 100  # measured: 27 (the stream still grows, but linearly)
    ratio = first.grad_norms[0] / first.grad_norms[-1]
    assert 1e-2 < ratio < 1
    assert normed.history.series("loss")[-50:].mean() < 0.5  # measured: 0.17
    assert normed.last.test_accuracy > 0.85  # measured: 0.93
    # The same net without LayerNorm starts with a loss in the millions and diverges.
    plain = Trainer(preset.config.replace(normalization="none"))
    plain_first = plain.step()
    assert plain_first.loss > 1e5
    plain.run(preset.steps - 1)
    assert plain.diverged or not np.isfinite(plain.last.loss) or plain.last.loss > 1e3
