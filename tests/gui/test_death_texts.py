"""The Death view's texts for a run that does not record what the big number, the grid or the
lines count (a probe-style run: dead fractions on each batch only): never "None", one line why."""

from __future__ import annotations

import re

import numpy as np

from core.config import ExperimentConfig
from core.runs import FileRun, TrainerRun
from core.trainer import Trainer
from gui.lab.views import DeathView
from gui.lab.views.death import LINES_NOT_RECORDED, MASKS_NOT_RECORDED
from tests.gui.param_run_samples import write_param_run
from tests.gui.shown import shown_view


def _shown(qtbot, run) -> DeathView:
    return shown_view(qtbot, DeathView, run)


def test_a_run_without_dead_masks_says_so(qtbot, tmp_path):
    run = FileRun(write_param_run(tmp_path / "probe.actirun"))
    assert np.isnan(run.series("dead_window")).all()       # only dead_batch is recorded
    view = _shown(qtbot, run)
    assert view.big_number.text == "total dead: –"
    definition = view.definition.text
    assert "None" not in definition and MASKS_NOT_RECORDED in definition
    assert definition.startswith("big number, grid and lines")    # all three: not recorded
    assert all(len(line.drawn()[0]) == 0 for line in view._dead_lines)   # not drawn at 0 %
    assert view.grid.plot.titleLabel.text.endswith(MASKS_NOT_RECORDED)    # not "not measured yet"
    view.batch_definition.setChecked(True)
    view.show_record(run)
    definition = view.definition.text
    assert "None" not in definition and MASKS_NOT_RECORDED in definition
    assert LINES_NOT_RECORDED not in definition                    # dead_batch is recorded
    x, y = view._dead_lines[0].drawn()
    np.testing.assert_array_equal(x, run.steps())
    np.testing.assert_array_equal(y, 100.0 * run.series("dead_batch")[:, 0])
    view.grab().save(str(tmp_path / "death_probe_batch.png"))


def test_a_trainer_run_says_as_of_which_step(qtbot):
    trainer = Trainer(ExperimentConfig(depth=3, width=8, n_samples=100, batch_size=16, seed=1,
                                       activation="relu"))
    run = TrainerRun(trainer)
    for _ in range(3):
        run.append(trainer.step())
    view = _shown(qtbot, run)
    assert re.search(r"as of step \d+", view.definition.text)
    assert "None" not in view.definition.text and re.search(r"\d %", view.big_number.text)
    assert LINES_NOT_RECORDED not in view.definition.text
