"""The gradient-flow theory band: at init the mean-field prediction matches the measured norms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.config import ExperimentConfig
from core.runs import TrainerRun
from core.trainer import Trainer
from gui.lab.views import theme
from gui.lab.views import theory_band as theory_band_module
from gui.lab.views.theory_band import TheoryBand, band_model

WIDTH = 256


def tanh_config(sigma_w2: float = 1.76, **changes) -> ExperimentConfig:
    """Deep wide tanh, normal init with σ_w² on the hidden layers, σ_b² = 0.05."""
    base = dict(depth=12, width=WIDTH, activation="tanh", init="normal",
                init_std=math.sqrt(sigma_w2 / WIDTH), bias_std=math.sqrt(0.05),
                dataset="spirals", n_samples=600, batch_size=128, seed=0)
    return ExperimentConfig(**{**base, **changes}).validate()


def seen(trainer: Trainer) -> TrainerRun:
    """The trainer as the Lab's views see it (a Run, through its newest step)."""
    run = TrainerRun(trainer)
    if trainer.last is not None:
        run.append(trainer.last)
    return run


@pytest.fixture
def band(qtbot):
    graphics = theme.make_graphics_widget()
    qtbot.addWidget(graphics)
    plot = theme.add_plot(graphics, "Gradient flow", "layer", "norm", row=0, col=0, log_y=True)
    return TheoryBand(plot, theme.add_legend(graphics, row=1, col=0))


@pytest.mark.parametrize("sigma_w2", [1.76, 1.0, 4.0])
def test_band_matches_measured_grad_norms_at_init(band, sigma_w2) -> None:
    """Critical, ordered, chaotic tanh: measured ‖dW_i‖ at init lie in the band (mean near it)."""
    errors = []
    for seed in range(4):
        trainer = Trainer(tanh_config(sigma_w2, seed=seed))
        stats = trainer.step()   # grad_norms are measured on the initial weights
        band.update(seen(trainer), stats.grad_norms)
        assert band.predicted[-1] == pytest.approx(stats.grad_norms[-1])
        error = np.log(stats.grad_norms / band.predicted)
        spread = band_model(seen(trainer)).log_spread
        assert np.isnan(band.predicted[0])   # layer 1 (the data's own geometry) is not drawn
        # within the drawn ±2σ band plus 0.2 (batch cross terms between correlated examples
        # are not modelled: up to ~1.7x at hidden layer 2 in the ordered phase)
        assert np.all(np.abs(error[1:]) <= spread[1:] + 0.2), (error, spread)
        errors.append(error)
    mean_error = np.mean(errors, axis=0)
    # Hidden layers: on average within 1.5x (batch cross terms, not modelled, pull the
    # measured norms of a correlated batch a little below the one-example prediction).
    assert np.abs(mean_error[1:]).max() < 0.4, mean_error
    # The band carries the phenomenon: its slope is the measured slope.
    assert abs(mean_error[1] - mean_error[-2]) < 0.3


def test_band_shows_vanishing_and_exploding(band) -> None:
    ordered = Trainer(tanh_config(1.0, depth=30))
    band.update(seen(ordered), ordered.step().grad_norms)
    assert band.predicted[1] / band.predicted[-2] < 0.05
    chaotic = Trainer(tanh_config(4.0, depth=30))
    band.update(seen(chaotic), chaotic.step().grad_norms)
    assert band.predicted[1] / band.predicted[-2] > 10
    assert np.all(np.diff(band.center.yData[4:]) < 0)   # drawn: falling towards layer L


def test_band_is_hidden_where_the_theory_does_not_apply(band) -> None:
    residual = Trainer(tanh_config(residual=True, depth=3, width=16))
    band.update(seen(residual), residual.step().grad_norms)
    assert band.predicted.size == 0 and "residual" in band.note
    assert band.center.xData is None or len(band.center.xData) == 0
    trainer = Trainer(tanh_config(depth=3, width=16, bias_std=0.0, bias_init=0.2))
    band.update(seen(trainer), np.array([1.0, np.nan, 1.0, 0.0]))   # no positive output norm
    assert band.predicted.size == 0
    band.update(seen(trainer), trainer.step().grad_norms)
    assert band.predicted.size == 4 and "constant bias 0.2 is not modelled" in band.note


def test_band_model_is_cached(band, monkeypatch) -> None:
    trainer = Trainer(tanh_config(depth=3, width=16))
    stats = trainer.step()
    band.update(seen(trainer), stats.grad_norms)
    monkeypatch.setattr(theory_band_module, "band_model", lambda t: pytest.fail("recomputed"))
    band.update(seen(trainer), stats.grad_norms * 2)
    assert band.predicted[-1] == pytest.approx(2 * stats.grad_norms[-1])
