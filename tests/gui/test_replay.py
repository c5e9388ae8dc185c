"""Replay mode: the Lab shows a run file (card, scrubber, Play/Step through records), follows a
file still being written, and renders a run at a step; Back to training restores the trainer."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ExperimentConfig
from core.runs import FileRun, TrainerRecorder
from core.trainer import Trainer
from gui.commands.render import render_run
from gui.lab.lab_view import LabView
from tests.gui.shown import shown_lab

CONFIG = dict(depth=3, width=12, n_samples=200, batch_size=32, dead_refresh_every=4, seed=5)


@pytest.fixture
def lab(qtbot):
    yield from shown_lab(qtbot, ExperimentConfig(**{**CONFIG, "depth": 2}))


def write_run(path, steps: int = 30, close: bool = True):
    """A built-in run of `steps` steps (left open for writing when not `close`)."""
    trainer = Trainer(ExperimentConfig(**CONFIG))
    recorder = TrainerRecorder(path, trainer, flush_seconds=0.05)
    for _ in range(steps):
        recorder.append(trainer.step())
    if close:
        recorder.close()
    return trainer, recorder


def views_of(lab: LabView) -> dict:
    return {type(v).__name__: v for v in lab.views}


def test_open_run_replays_it_and_back_to_training_restores_the_trainer(lab, tmp_path):
    lab.advance(5)
    live = lab.run
    write_run(tmp_path / "a.actirun")
    lab.open_run(tmp_path / "a.actirun")
    assert lab.is_replaying() and isinstance(lab.run, FileRun) and len(lab.run) == 30
    assert "a.actirun" in lab.run_card.text.text() and "30 records" in lab.run_card.text.text()
    assert lab.run_card.isVisible() and not lab.panel.isVisible()
    views = views_of(lab)
    np.testing.assert_array_equal(views["GradFlowView"].current.yData,
                                  lab.run.record(-1).grad_norm)
    assert not lab.scrubber.badge.isVisible()          # a closed run is not followed
    lab.step_once()                                    # at the newest record: nothing to do
    lab.scrubber.slider.setValue(3)
    assert views["GradFlowView"]._step == 4
    lab.step_once()                                    # Step replays the next record
    assert views["GradFlowView"]._step == 5
    lab.render_image(600, 400)
    lab.run_card.back.click()
    assert not lab.is_replaying() and lab.run is live and lab.panel.isVisible()
    assert views["GradFlowView"]._step == 5 == lab.trainer.step_count


def test_play_replays_the_records(lab, tmp_path, qtbot):
    write_run(tmp_path / "b.actirun", steps=12)
    lab.open_run(tmp_path / "b.actirun")
    lab.scrubber.slider.setValue(0)
    lab.play()
    flow = views_of(lab)["GradFlowView"]
    qtbot.waitUntil(lambda: flow._step == 12, timeout=5000)
    qtbot.waitUntil(lambda: not lab._replay_timer.isActive(), timeout=5000)
    assert lab.trainer.step_count == 0                 # the trainer did not train meanwhile


def test_a_growing_run_file_is_followed(lab, tmp_path, qtbot):
    trainer, recorder = write_run(tmp_path / "c.actirun", steps=21, close=False)
    try:
        qtbot.waitUntil(lambda: len(FileRun(tmp_path / "c.actirun")) == 21, timeout=5000)
        lab.open_run(tmp_path / "c.actirun")
        assert lab.scrubber.badge.isVisible() and lab.follower.following
        for _ in range(9):
            recorder.append(trainer.step())
        flow = views_of(lab)["GradFlowView"]
        qtbot.waitUntil(lambda: flow._step == 30, timeout=5000)
        assert len(lab.run) == 30
        assert "30 records" in lab.run_card.text.text()     # the card follows the file too
    finally:
        recorder.close()
    qtbot.waitUntil(lambda: not lab.scrubber.badge.isVisible(), timeout=5000)
    lab.back_to_training()
    assert not lab.follower.following


def test_open_run_refuses_a_damaged_folder_in_one_sentence(lab, tmp_path):
    (tmp_path / "bad.actirun").mkdir()
    (tmp_path / "bad.actirun" / "manifest.json").write_text("{not json")
    with pytest.raises(ValueError):
        lab.open_run(tmp_path / "bad.actirun")
    assert not lab.is_replaying()


def test_render_run_checks_the_step_before_drawing(tmp_path):
    write_run(tmp_path / "d.actirun", steps=5)
    with pytest.raises(ValueError, match="outside the run's steps 1–5"):
        render_run(str(tmp_path / "d.actirun"), tmp_path / "x.png", step=9)
    assert not (tmp_path / "x.png").exists()


def test_a_run_renders_at_a_step(lab, tmp_path):
    write_run(tmp_path / "e.actirun", steps=25)
    lab.show_run(FileRun(tmp_path / "e.actirun"), str(tmp_path / "e.actirun"))
    lab.show_step(7)
    image = lab.render_image(900, 600)
    assert not image.isNull()
    flow = views_of(lab)["GradFlowView"]
    assert flow._step == 7
    np.testing.assert_array_equal(flow.current.yData, lab.run.record(6).grad_norm)
