"""Compare mode: A and B stepped in lockstep on the same data; relu dies, leaky ReLU cannot."""

from __future__ import annotations

import numpy as np
import pytest

from gui.lab.lab_view import LabView


@pytest.fixture
def lab(qtbot):
    view = LabView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    yield view
    view.shutdown()


def test_compare_steps_both_and_relu_dies_while_leaky_does_not(lab):
    lab.presets.choose("dying-relu")
    assert lab.config().activation == "relu"
    lab.set_comparing(True)
    assert lab.compare.isVisible()
    assert lab.compare.variation() == {"activation": "leaky_relu",
                                       "activation_params": {"alpha": 0.1}}
    assert "not measured yet" in lab.compare.plots._grid_plots[0].titleLabel.text   # step 0
    trainer_a, trainer_b = lab.controller.trainers
    assert trainer_b.dataset is trainer_a.dataset
    assert trainer_b.config.seed == trainer_a.config.seed
    lab.advance(150)
    assert trainer_a.step_count == trainer_b.step_count == 150
    dead_a = trainer_a.last.dead_fraction_dataset
    dead_b = trainer_b.last.dead_fraction_dataset
    assert dead_a.max() > 0
    assert dead_b.max() == 0
    assert any(t.title.startswith("Compare") for t in lab.export_targets())


def test_compare_form_rebuilds_b_and_rejects_bad_lr(lab):
    lab.set_comparing(True)
    lab.advance(3)
    lab.compare.activation_box.setCurrentText("tanh")
    trainer_a, trainer_b = lab.controller.trainers
    assert trainer_b.config.activation == "tanh"
    assert trainer_a.step_count == trainer_b.step_count == 0
    lab.compare.lr_edit.setText("fast")
    lab.compare.lr_edit.editingFinished.emit()
    assert lab.controller.trainers[1] is trainer_b
    assert "learning rate" in lab.compare.error_text()
    assert trainer_b.config.lr == trainer_a.config.lr


def test_compare_off_returns_to_one_trainer_and_renders(lab):
    lab.set_comparing(True)
    lab.advance(5)
    image = lab.render_image(1000, 700)
    colours = set(np.frombuffer(image.constBits().tobytes(), np.uint32)[::5].tolist())
    assert len(colours) > 30
    lab.set_comparing(False)
    assert len(lab.controller.trainers) == 1
    assert lab.plots.isVisible()


def test_compare_form_sets_b_activation_parameters(lab):
    lab.set_comparing(True)
    spin = lab.compare._param_spins["alpha"]              # B is leaky ReLU: its slope is here
    assert spin.value() == pytest.approx(0.1)
    spin.setValue(0.3)
    trainer_b = lab.controller.trainers[1]
    assert trainer_b.config.activation == "leaky_relu"
    assert trainer_b.config.activation_params == {"alpha": pytest.approx(0.3)}
    assert trainer_b.network.activations[0].params["alpha"] == pytest.approx(0.3)
    lab.compare.activation_box.setCurrentText("elu")        # another activation: its own params
    assert set(lab.compare._param_spins) == {"alpha"}
    assert lab.controller.trainers[1].config.activation_params == {"alpha": 1.0}
    lab.compare.activation_box.setCurrentText("tanh")
    assert lab.compare._param_spins == {}
    assert lab.controller.trainers[1].config.activation_params == {}


def test_compare_draws_exact_zero_gradients_on_the_zero_band(lab):
    lab.set_comparing(True)
    lab.advance(2)
    trainer_a = lab.controller.trainers[0]
    trainer_a.network.biases[1][:] = -1e3          # A: weight layers 1-3 get exactly 0
    lab.advance(1)
    plots = lab.compare.plots
    zero_layers = np.flatnonzero(trainer_a.last.grad_norms == 0) + 1
    assert len(zero_layers) >= 2
    np.testing.assert_array_equal(plots._zeros.markers[0].xData, zero_layers)
    assert not np.isin(plots._grad_curves[0].xData, zero_layers).any()
    assert plots._grad.getAxis("left").zero_at is not None


def test_compare_plots_are_built_on_first_show_and_settings_still_restore(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from core.config import ExperimentConfig
    view = LabView()
    qtbot.addWidget(view)
    view.show()
    assert view.compare._plots is None                     # start-up builds no compare plot
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("lab/config", ExperimentConfig(activation="relu").to_json())
    settings.setValue("lab/compare_variation", '{"activation": "tanh"}')
    view.restore_settings(settings)
    assert view.compare.variation() == {"activation": "tanh"}
    assert view.compare._plots is None
    view.set_comparing(True)
    assert view.compare._plots is not None and view.compare.plots.isVisible()
    assert view.controller.trainers[1].config.activation == "tanh"
    assert "tanh" in view.compare.plots._grid_plots[1].titleLabel.text
    assert view.compare.export_targets()[0].widget is view.compare.plots
    view.shutdown()
