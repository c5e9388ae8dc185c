"""The Lab's phase diagram: computed off the GUI thread, drawn right, clicks choose an init."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from core.config import ExperimentConfig
from core.runs import TrainerRun
from core.trainer import Trainer
from gui.lab.views import phase_diagram
from gui.lab.views.phase_diagram import PhaseDiagramView, compute_phase, init_point

SMALL = dict(depth=4, width=32, n_samples=100, batch_size=32, activation="tanh",
             init="normal", init_std=math.sqrt(1.76 / 32), bias_std=math.sqrt(0.05))


def make(qtbot, **changes) -> tuple[PhaseDiagramView, Trainer]:
    view = PhaseDiagramView()
    qtbot.addWidget(view)
    view.resize(620, 460)
    view.show()
    trainer = Trainer(ExperimentConfig(**{**SMALL, **changes}))
    view.reset_view(TrainerRun(trainer))
    qtbot.waitUntil(lambda: view.result is not None, timeout=20000)
    return view, trainer


def test_map_of_tanh_is_right(qtbot, tmp_path) -> None:
    view, _ = make(qtbot)
    result = view.result
    assert result.log_chi.shape == (60, 60)
    # At σ_b² = 0.05 the critical line of tanh is 1.761 (Schoenholz et al.)
    row = np.argmin(np.abs(result.sigma_b2 - 0.05))
    assert result.line_w[row] == pytest.approx(1.761, abs=0.02)
    left = result.sigma_w2 < 1.5
    right = result.sigma_w2 > 2.0
    assert np.all(result.log_chi[row, left] < 0) and np.all(result.log_chi[row, right] > 0)
    assert view.point == pytest.approx((1.76, 0.05))
    assert list(view.dot.data["x"]) == pytest.approx([1.76])
    assert any(label.textItem.toPlainText() == "ξ_c=10" for label in view.labels)
    assert len(view.contours[1].xData) > 5
    assert "σ_w² = 1.76" in view.note.text()
    image = view.grab().toImage()
    view.grab().save(str(tmp_path / "phase.png"))
    colours = {image.pixelColor(x, y).name() for x in range(0, 600, 7) for y in range(0, 400, 7)}
    assert len(colours) > 40
    headers, rows = view.export_targets()[0].csv()
    assert headers[0] == "sigma_w2" and rows.shape == (3600, 4)


def test_worker_never_touches_qt_and_result_arrives_on_the_gui_thread(qtbot, monkeypatch) -> None:
    threads = {}
    real = phase_diagram.compute_phase

    def spy(key, act):
        threads["worker"] = threading.current_thread()
        return real(key, act)

    monkeypatch.setattr(phase_diagram, "compute_phase", spy)
    view, _ = make(qtbot)
    assert threads["worker"] is not threading.main_thread()
    assert threads["worker"].name == "actiscope-phase"


def test_stale_result_is_ignored_when_the_activation_changes(qtbot) -> None:
    view, _ = make(qtbot)
    tanh = view.result
    relu = Trainer(ExperimentConfig(**{**SMALL, "activation": "relu"}))
    view.reset_view(TrainerRun(relu))
    assert view.result is None
    view._on_result(tanh)                 # a late tanh result arrives: dropped
    assert view.result is None
    qtbot.waitUntil(lambda: view.result is not None, timeout=20000)
    assert view.result.key[0] == "relu"
    # ReLU: χ = σ_w²/2 at every σ_b², so the line sits at 2
    finite = np.isfinite(view.result.line_w)
    assert np.allclose(view.result.line_w[finite], 2.0, atol=0.05)
    # Same activation, other init: the map is kept, only the dot moves
    same = Trainer(ExperimentConfig(**{**SMALL, "activation": "relu", "init": "he_normal"}))
    kept = view.result
    view.reset_view(TrainerRun(same))
    assert view.result is kept and view.point == pytest.approx((2.0, 0.05))


def test_click_emits_the_init_at_that_point(qtbot) -> None:
    view, _ = make(qtbot)
    vb = view.plot.getViewBox()
    scene_pos = vb.mapViewToScene(QPointF(3.0, 0.4))
    widget_pos = view.graphics.mapFromScene(scene_pos)
    with qtbot.waitSignal(view.sigInitChosen, timeout=2000) as blocker:
        qtbot.mouseClick(view.graphics.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos)
    w, b = blocker.args
    assert w == pytest.approx(3.0, abs=0.05) and b == pytest.approx(0.4, abs=0.02)


def test_notes_and_errors(qtbot) -> None:
    view, _ = make(qtbot, residual=True, bias_std=0.0, bias_init=0.1)
    assert "residual" in view.note.text() and "constant bias 0.1" in view.note.text()
    broken = compute_phase(("x",), object())
    assert broken.error.startswith("no phase diagram")


def test_close_drops_a_computation_in_flight(qtbot) -> None:
    view = PhaseDiagramView()
    qtbot.addWidget(view)
    view.reset_view(TrainerRun(Trainer(ExperimentConfig(**SMALL))))
    view.close()                      # joins the worker; nothing is emitted afterwards
    assert view._worker.closed
    assert view._worker.thread is None or not view._worker.thread.is_alive()


def test_init_point_uses_the_hidden_fan_in() -> None:
    config = ExperimentConfig(**SMALL).validate()
    assert init_point(config, [2, 32, 32, 1]) == pytest.approx((1.76, 0.05))


def test_config_at_point() -> None:
    from gui.lab.views.phase_diagram import config_at_point
    config = config_at_point(ExperimentConfig(width=64, init="he_normal"), 4.0, 0.05)
    assert config.init == "normal" and config.init_std == pytest.approx(0.25)
    assert config.bias_std == pytest.approx(math.sqrt(0.05))
    assert init_point(config, [2, 64, 64, 1]) == pytest.approx((4.0, 0.05))


def test_lab_click_sets_the_init_and_resets(qtbot) -> None:
    from gui.lab.lab_view import LabView
    lab = LabView()
    qtbot.addWidget(lab)
    lab.set_config(ExperimentConfig(**SMALL))
    lab.advance(3)
    view = next(v for v in lab.views if isinstance(v, PhaseDiagramView))
    view.sigInitChosen.emit(4.0, 0.2)
    config = lab.config()
    assert config.init == "normal" and config.init_std == pytest.approx(math.sqrt(4.0 / 32))
    assert config.bias_std == pytest.approx(math.sqrt(0.2))
    assert lab.trainer.step_count == 0
    assert view.point == pytest.approx((4.0, 0.2))
    lab.shutdown()
