"""Save run as… writes what the Lab trained (reopens equal); Record to file appends every step
trained while on and closes on switch-off, Reset and rebuild."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from core.config import ExperimentConfig
from core.history import History
from core.runs import FileRun, save_run
from gui.lab.lab_view import LabView

CONFIG = dict(depth=3, width=12, n_samples=200, batch_size=32, dead_refresh_every=4, seed=5)
SERIES = ("loss", "train_accuracy", "test_accuracy", "grad_norm", "update_ratio",
          "signal_norm", "input_signal_norm", "dead_batch", "dead_window", "saturated_batch",
          "window_step", "diverged")


@pytest.fixture
def lab(qtbot):
    view = LabView()
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    view.set_config(ExperimentConfig(**CONFIG))
    yield view
    view.shutdown()


def assert_same_run(saved: FileRun, live) -> None:
    np.testing.assert_array_equal(saved.steps(), live.steps())
    for name in SERIES:
        np.testing.assert_array_equal(saved.series(name), live.series(name), err_msg=name)
    for index in range(len(live)):
        for name in ("unit_grad", "dead_units", "saturated_units"):
            assert saved.per_unit_index(index, name) == live.per_unit_index(index, name)
        own = live.per_unit_index(index)
        if own is not None:
            mine, theirs = saved.record(saved.per_unit_index(index)), live.record(index)
            for name in ("unit_grad", "input_unit_grad", "output_unit_grad", "dead_units"):
                np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name))
    assert saved.config == live.config
    assert saved.topology == live.topology


def test_save_run_reopens_with_the_trainer_runs_series(lab, tmp_path):
    lab.advance(60)
    path = tmp_path / "saved.actirun"
    assert lab.save_run(path) == len(lab.run) == 60
    assert_same_run(FileRun(path), lab.run)
    assert not FileRun(path).growing
    assert [p.name for p in tmp_path.iterdir()] == ["saved.actirun"]   # no staging left


def test_save_run_refuses_an_existing_path_and_a_wrong_name(lab, tmp_path):
    lab.advance(3)
    (tmp_path / "taken.actirun").mkdir()
    with pytest.raises(FileExistsError, match="already exists"):
        lab.save_run(tmp_path / "taken.actirun")
    with pytest.raises(ValueError, match=".actirun"):
        lab.save_run(tmp_path / "wrong.folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.actirun"]


def test_save_run_of_a_thinned_history_keeps_its_per_unit_records(lab, tmp_path):
    old = lab.trainer.history           # a History that thins out rows older than 40 steps
    lab.trainer.history = History(old.n_weight_layers, old.n_hidden, recent=40, older=16)
    lab.advance(300)
    assert len(lab.run) < 300
    save_run(lab.run, tmp_path / "thin.actirun")
    assert_same_run(FileRun(tmp_path / "thin.actirun"), lab.run)


def test_save_run_action_asks_for_a_path(lab, tmp_path, monkeypatch):
    lab.advance(4)
    assert lab.save_run_action.shortcut().toString() == "Ctrl+Alt+S"
    assert lab.file_actions() == [lab.save_run_action]
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "picked"), ""))
    lab.save_run_action.trigger()
    assert len(FileRun(tmp_path / "picked.actirun")) == 4
    lab.save_run_action.trigger()                       # now it exists: one sentence, no crash
    assert "already exists" in lab.status_text


def test_record_to_file_writes_every_step_while_on(lab, tmp_path, qtbot):
    lab.advance(5)                                      # before: not recorded
    path = tmp_path / "rec.actirun"
    lab.start_recording(path)
    assert lab.is_recording() and lab.record_action.isChecked()
    lab.advance(30)
    for _ in range(3):
        lab.step_once()
        lab.controller.wait_idle()
    lab.play()
    qtbot.waitUntil(lambda: lab.run.newest_step >= 80, timeout=20000)
    lab.pause()
    lab.controller.wait_idle()
    trained = lab.run.newest_step - 5
    lab.record_action.trigger()                         # switch off: flushed and closed
    assert not lab.is_recording() and not lab.record_action.isChecked()
    run = FileRun(path)
    assert not run.growing
    assert len(run) == lab.recorded_steps == trained
    np.testing.assert_array_equal(run.steps(), np.arange(6, lab.run.newest_step + 1))
    live = lab.run.series("loss")[lab.run.step_index(6):]
    np.testing.assert_array_equal(run.series("loss"), live)
    lab.advance(5)                                      # off: nothing more written
    assert len(FileRun(path)) == trained


def test_reset_and_rebuild_close_the_recording(lab, tmp_path):
    lab.start_recording(tmp_path / "a.actirun")
    lab.advance(7)
    lab.reset()
    assert not lab.is_recording() and not lab.record_action.isChecked()
    assert len(FileRun(tmp_path / "a.actirun")) == 7
    assert not FileRun(tmp_path / "a.actirun").growing
    lab.start_recording(tmp_path / "b.actirun")
    lab.advance(4)
    lab.set_config(ExperimentConfig(**{**CONFIG, "depth": 2}))
    assert not lab.is_recording()
    assert len(FileRun(tmp_path / "b.actirun")) == 4


def test_record_toggle_asks_for_a_folder_and_refuses_an_existing_one(lab, tmp_path,
                                                                      monkeypatch):
    chosen = iter([("", ""), (str(tmp_path / "t"), ""), (str(tmp_path / "t.actirun"), "")])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: next(chosen))
    lab.record_action.trigger()                         # cancelled: stays off
    assert not lab.is_recording() and not lab.record_action.isChecked()
    lab.record_action.trigger()
    assert lab.is_recording() and lab.record_action.isChecked()
    assert lab.record_button.defaultAction() is lab.record_action
    assert lab.record_action.toolTip()
    lab.advance(2)
    lab.record_action.trigger()
    assert not lab.is_recording()
    lab.record_action.trigger()                         # t.actirun exists now
    assert not lab.is_recording() and not lab.record_action.isChecked()
    assert "already exists" in lab.status_text
    assert len(FileRun(tmp_path / "t.actirun")) == 2


def test_shutdown_closes_the_recording(qtbot, tmp_path):
    view = LabView()
    qtbot.addWidget(view)
    view.set_config(ExperimentConfig(**CONFIG))
    view.start_recording(tmp_path / "s.actirun")
    view.advance(3)
    view.shutdown()
    run = FileRun(tmp_path / "s.actirun")
    assert len(run) == 3 and not run.growing
