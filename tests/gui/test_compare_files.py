"""Compare A/B on run files: two files, or a file beside the live trainer, aligned by step;
a damaged folder is one sentence; a growing file side is followed; Compare runs… asks twice."""

from __future__ import annotations

import numpy as np
import pytest
from actiscope_probe.runformat import Manifest, ParamLayer, RunWriter, Site, Topology
from PySide6.QtWidgets import QFileDialog

from core.config import ExperimentConfig
from core.runs import FileRun, TrainerRecorder
from core.trainer import Trainer
from tests.gui.shown import shown_lab

CONFIG = dict(depth=3, width=12, n_samples=200, batch_size=32, dead_refresh_every=4, seed=5)


@pytest.fixture
def lab(qtbot):
    yield from shown_lab(qtbot, ExperimentConfig(**{**CONFIG, "depth": 2}))


def write_run(path, steps: int, close: bool = True, **config):
    """A built-in run of `steps` steps (left open for writing when not `close`)."""
    trainer = Trainer(ExperimentConfig(**{**CONFIG, **config}))
    recorder = TrainerRecorder(path, trainer, flush_seconds=0.05)
    for _ in range(steps):
        recorder.append(trainer.step())
    if close:
        recorder.close()
    return trainer, recorder


def write_probe_run(path, steps: int) -> None:
    """A probe-style run of another topology: 2 sites, 2 weight layers, no dead_window."""
    topology = Topology(
        sites=(Site("act1", "module", 5, "relu"), Site("act2", "module", 3, "gelu")),
        params=(ParamLayer("fc1.weight", (5, 2)), ParamLayer("fc2.weight", (3, 5))),
        input_width=2, output_width=3)
    writer = RunWriter(path, Manifest(topology=topology, writer_name="actiscope_probe"))
    rng = np.random.default_rng(0)
    for step in range(1, steps + 1):
        writer.append(step=step, loss=1.0 / step, grad_norm=rng.random(2),
                      dead_batch=rng.random(2), signal_norm=rng.random(2))
    writer.close()


def dialog_answers(monkeypatch, *folders) -> list:
    """The folder dialog answers `folders` in turn; returns the titles it was asked with."""
    answers, asked = iter(folders), []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda parent, title, *a, **k: asked.append(title) or str(next(answers)))
    return asked


def loss_of(plots, side: int):
    curve = plots._loss_curves[side]
    return curve.xData, curve.yData


def test_two_files_picked_in_the_page_draw_both_runs_numbers(lab, tmp_path, monkeypatch):
    write_run(tmp_path / "relu.actirun", 30, activation="relu")
    write_run(tmp_path / "tanh.actirun", 20, activation="tanh")
    lab.set_comparing(True)
    sources = lab.compare.sources
    asked = dialog_answers(monkeypatch, tmp_path / "relu.actirun", tmp_path / "tanh.actirun")
    sources.boxes[0].activated.emit(1)              # A: "Run file…" asks for A, then B
    assert len(asked) == 2 and "for A" in asked[0] and "for B" in asked[1]
    run_a, run_b = sources.files
    assert isinstance(run_a, FileRun) and isinstance(run_b, FileRun)
    assert lab.run is run_a and len(run_a) == 30 and len(run_b) == 20
    assert len(lab.controller.trainers) == 1        # nothing extra trains
    plots = lab.compare.plots
    for side, run in enumerate((run_a, run_b)):     # newest of each: B stopped at 20
        steps, loss = loss_of(plots, side)
        np.testing.assert_array_equal(steps, run.steps())
        np.testing.assert_array_equal(loss, run.series("loss"))
        np.testing.assert_array_equal(plots._grad_curves[side].yData, run.record(-1).grad_norm)
    legend = lab.compare._legend.text()
    assert "relu.actirun" in legend and "tanh.actirun" in legend and "30 records" in legend
    assert "relu.actirun" in plots._grid_plots[0].titleLabel.text
    assert not lab.compare._form.isVisible()        # B is a file: no "vary" form
    lab.scrubber.slider.setValue(9)                 # the scrubber runs over A: both at step 10
    assert "step 10 of" in lab.scrubber.label.text()
    for side, run in enumerate((run_a, run_b)):
        np.testing.assert_array_equal(loss_of(plots, side)[1], run.series("loss")[:10])
    lab.step_once()                                 # Step replays A's next record
    assert loss_of(plots, 0)[0][-1] == 11 and lab.trainer.step_count == 0
    image = lab.render_image(1100, 700)
    colours = set(np.frombuffer(image.constBits().tobytes(), np.uint32)[::5].tolist())
    assert len(colours) > 30


def test_a_file_beside_the_live_trainer(lab, tmp_path, monkeypatch):
    write_run(tmp_path / "saved.actirun", 40, depth=2)
    lab.set_comparing(True)
    lab.advance(5)
    dialog_answers(monkeypatch, tmp_path / "saved.actirun")
    lab.compare.sources.boxes[1].activated.emit(1)    # B: "Run file…"
    file_b = lab.compare.sources.files[1]
    assert lab.compare.sources.files[0] is None and lab.run is lab.live_run
    assert len(lab.controller.trainers) == 1 and lab.trainer.step_count == 5   # A kept going
    lab.advance(10)
    plots = lab.compare.plots
    np.testing.assert_array_equal(loss_of(plots, 0)[1], lab.run.series("loss"))
    # B at the newest record at or before A's step 15
    np.testing.assert_array_equal(loss_of(plots, 1)[1], file_b.series("loss")[:15])
    lab.compare.sources.boxes[1].activated.emit(0)    # B: vary A's settings again
    assert len(lab.controller.trainers) == 2 and lab.trainer.step_count == 0
    assert lab.compare._form.isVisible()


def test_a_damaged_folder_is_one_sentence_and_keeps_the_comparison(lab, tmp_path, monkeypatch):
    write_run(tmp_path / "a.actirun", 12)
    write_run(tmp_path / "b.actirun", 8)
    (tmp_path / "bad.actirun").mkdir()
    (tmp_path / "bad.actirun" / "manifest.json").write_text("{not json")
    lab.compare_runs(tmp_path / "a.actirun", tmp_path / "b.actirun")
    assert lab.is_comparing()
    before = lab.compare.sources.files
    dialog_answers(monkeypatch, tmp_path / "bad.actirun")
    lab.compare.sources.boxes[1].activated.emit(1)
    error = lab.compare.error_text()
    assert error and error.count(".") <= 2 and "\n" not in error
    assert lab.compare.sources.files == before
    assert lab.compare.sources.boxes[1].currentText() == "b.actirun"
    np.testing.assert_array_equal(loss_of(lab.compare.plots, 1)[1], before[1].series("loss"))
    with pytest.raises(ValueError):
        lab.compare_runs(tmp_path / "a.actirun", tmp_path / "bad.actirun")
    assert lab.compare.sources.files == before


def test_a_growing_file_side_redraws_when_it_grows(lab, tmp_path, qtbot):
    write_run(tmp_path / "done.actirun", 30)
    trainer, recorder = write_run(tmp_path / "live.actirun", 21, close=False)
    try:
        qtbot.waitUntil(lambda: len(FileRun(tmp_path / "live.actirun")) == 21, timeout=5000)
        lab.compare_runs(tmp_path / "done.actirun", tmp_path / "live.actirun")
        growing = lab.compare.sources.files[1]
        assert growing.growing and lab._compare_followers[1].following
        plots = lab.compare.plots
        assert loss_of(plots, 1)[0][-1] == 21
        for _ in range(9):
            recorder.append(trainer.step())
        qtbot.waitUntil(lambda: loss_of(plots, 1)[0][-1] == 30, timeout=5000)
        np.testing.assert_array_equal(loss_of(plots, 1)[1], growing.series("loss"))
        assert "30 records" in lab.compare._legend.text()
    finally:
        recorder.close()
    lab.set_comparing(False)
    assert not any(f.following for f in lab._compare_followers)


def test_compare_runs_action_asks_for_two_folders(lab, tmp_path, monkeypatch):
    write_run(tmp_path / "x.actirun", 6)
    write_probe_run(tmp_path / "probe.actirun", 9)
    action = next(a for a in lab.menu_actions() if a.text() == "Compare runs…")
    assert action.shortcut().toString() == "Ctrl+Shift+K"
    asked = dialog_answers(monkeypatch, tmp_path / "x.actirun", tmp_path / "probe.actirun")
    action.trigger()
    assert len(asked) == 2 and lab.is_comparing() and lab.compare.isVisible()
    run_a, run_b = lab.compare.sources.files
    plots = lab.compare.plots
    np.testing.assert_array_equal(loss_of(plots, 1)[1], run_b.series("loss"))
    assert "actiscope_probe" in lab.compare._legend.text()
    # different topologies: each plot that cannot pair them says why in its title
    assert "layers" in plots._grad.titleLabel.text
    assert "not recorded" in plots._dead.titleLabel.text
    assert "not recorded" in plots._grid_plots[1].titleLabel.text     # no per-unit dead masks
    assert plots._grid_plots[0].viewRange()[1][1] >= run_a.topology.sites[0].width   # A whole
    lab.set_comparing(False)
    assert lab.plots.isVisible() and lab.run is lab.live_run


def test_play_replays_two_files_and_leaving_a_replay_for_compare(lab, tmp_path, qtbot,
                                                                   monkeypatch):
    write_run(tmp_path / "a.actirun", 12)
    write_run(tmp_path / "b.actirun", 12, activation="tanh")
    lab.open_run(tmp_path / "a.actirun")               # a replay: Compare runs… takes over
    assert lab.is_replaying()
    lab.compare_runs(tmp_path / "a.actirun", tmp_path / "b.actirun")
    assert not lab.is_replaying() and lab.is_comparing() and lab.compare.isVisible()
    lab.scrubber.slider.setValue(0)
    lab.play()                                         # Play replays A's records, B beside
    plots = lab.compare.plots
    qtbot.waitUntil(lambda: loss_of(plots, 0)[0][-1] == 12, timeout=5000)
    qtbot.waitUntil(lambda: not lab._replay_timer.isActive(), timeout=5000)
    assert loss_of(plots, 1)[0][-1] == 12 and lab.trainer.step_count == 0
    lab.reset()                                        # Reset keeps the two files
    assert lab.compare.sources.files[0] is not None and lab.run is lab.compare.sources.files[0]
    dialog_answers(monkeypatch)
    lab.compare.sources.boxes[0].activated.emit(0)     # A: Lab training again, B stays a file
    assert lab.run is lab.live_run and lab.compare.sources.is_file(1)
    lab.advance(3)
    np.testing.assert_array_equal(loss_of(plots, 1)[1],
                                  lab.compare.sources.files[1].series("loss")[:3])
