"""Lab views drawn from a real Trainer as the Lab draws them (a TrainerRun fed each step)."""

from __future__ import annotations

import weakref

from core.config import ExperimentConfig
from core.runs import TrainerRun
from core.trainer import Trainer

SMALL = dict(depth=3, width=16, n_samples=200, batch_size=64, dead_refresh_every=1, seed=1)


def make_trainer(steps: int = 5, **changes) -> Trainer:
    """A real Trainer on a small problem, trained `steps` steps."""
    trainer = Trainer(ExperimentConfig(**{**SMALL, **changes}))
    trainer.run(steps)
    return trainer


def live_run(trainer: Trainer) -> TrainerRun:
    """The trainer as the Lab shows it: a TrainerRun that has seen its newest step."""
    run = TrainerRun(trainer)
    if trainer.last is not None:
        run.append(trainer.last)
    return run


def redraw(view, trainer: Trainer, force: bool = False) -> None:
    """What the Lab does after a frame: the view's run takes the newest step, the view draws."""
    run = VIEW_RUNS[view]
    if trainer.last is not None:
        run.append(trainer.last)
    view.show_record(run, -1, force=force)


VIEW_RUNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def make_view(qtbot, cls, trainer: Trainer):
    """Build, show, reset and draw one view from TrainerRun(trainer)."""
    view = cls()
    qtbot.addWidget(view)
    view.resize(640, 420)
    view.show()
    run = live_run(trainer)
    VIEW_RUNS[view] = run
    view.reset_view(run)
    view.show_record(run)
    return view
