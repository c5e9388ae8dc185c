"""TrainingController: the worker thread trains, the GUI thread stays free, one owner at a time."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from core.config import ExperimentConfig
from core.trainer import Trainer
from gui.lab import controller as controller_module
from gui.lab.controller import TrainingController
from gui.lab.step_worker import THREAD_NAME

SMALL = ExperimentConfig(depth=3, width=16, n_samples=200, batch_size=32, dataset="moons")


class CheckedTrainer:
    """A real Trainer whose step() records its thread and fails loudly on concurrent use."""

    def __init__(self, config: ExperimentConfig = SMALL, delay_s: float = 0.0) -> None:
        self.inner = Trainer(config)
        self.delay_s = delay_s
        self.busy = False
        self.overlaps = 0
        self.threads: set[int] = set()

    def step(self):
        """One step of the wrapped trainer, flagged busy while it runs."""
        if self.busy:
            self.overlaps += 1
        self.busy = True
        self.threads.add(threading.get_ident())
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            return self.inner.step()
        finally:
            self.busy = False

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


@pytest.fixture
def controller(qtbot):
    made = TrainingController()
    yield made
    made.shutdown()


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def test_play_trains_on_the_worker_and_pause_stops(controller, qtbot):
    trainer = CheckedTrainer()
    controller.set_trainers([trainer])
    refreshed_while_busy: list[bool] = []
    controller.sigFrame.connect(
        lambda _stats: refreshed_while_busy.append(trainer.busy or controller.is_worker_busy()))
    controller.play()
    assert controller.is_running()
    qtbot.waitUntil(lambda: trainer.step_count >= 200, timeout=10000)
    controller.pause()
    assert not controller.is_running() and not controller.is_worker_busy()
    stopped_at = trainer.step_count
    qtbot.wait(100)
    assert trainer.step_count == stopped_at
    assert threading.get_ident() not in trainer.threads          # trained off the GUI thread
    assert trainer.overlaps == 0
    assert refreshed_while_busy and not any(refreshed_while_busy)
    assert controller.step_seconds > 0 and controller.steps_per_frame >= 1


def test_steps_per_second_counts_real_steps(controller, qtbot):
    trainer = CheckedTrainer(delay_s=0.02)
    controller.set_trainers([trainer])
    controller.set_steps_per_frame(1)
    rates: list[float] = []
    controller.sigFrame.connect(lambda _s: rates.append(controller.steps_per_second))
    controller.play()
    qtbot.waitUntil(lambda: trainer.step_count >= 15, timeout=10000)
    controller.pause()
    assert controller.steps_per_frame == 1
    # Each step sleeps 20 ms, so more than 50 steps/s would count steps that did not happen.
    assert 0 < max(rates) <= 50


def test_step_once_and_advance_run_on_the_gui_thread_after_the_worker(controller, qtbot):
    trainer = CheckedTrainer()
    controller.set_trainers([trainer])
    controller.step_once()
    assert trainer.step_count == 1 and trainer.threads == {threading.get_ident()}
    controller.play()
    qtbot.waitUntil(lambda: trainer.step_count >= 10, timeout=10000)
    controller.advance(5)                    # allowed while running: waits for the worker first
    controller.pause()
    assert trainer.overlaps == 0
    controller.step_once()
    assert trainer.overlaps == 0 and not controller.is_running()


def test_call_when_idle_runs_between_two_steps(controller, qtbot):
    trainer = CheckedTrainer(delay_s=0.01)
    controller.set_trainers([trainer])
    seen: list[tuple[bool, int]] = []
    controller.play()
    qtbot.waitUntil(lambda: trainer.step_count >= 3, timeout=10000)
    controller.call_when_idle(lambda: seen.append((trainer.busy, trainer.step_count)))
    qtbot.waitUntil(lambda: bool(seen), timeout=10000)
    controller.pause()
    assert seen[0][0] is False and seen[0][1] >= 3


def test_reset_while_running_swaps_trainers_and_keeps_running(controller, qtbot):
    first, second = CheckedTrainer(), CheckedTrainer()
    controller.set_trainers([first])
    controller.play()
    qtbot.waitUntil(lambda: first.step_count >= 20, timeout=10000)
    controller.set_trainers([second])
    after_swap = first.step_count
    assert controller.is_running() and controller.trainers == [second]
    qtbot.waitUntil(lambda: second.step_count >= 20, timeout=10000)
    assert first.step_count == after_swap                     # the old trainer is left alone
    controller.pause()
    assert first.overlaps == second.overlaps == 0


def test_lockstep_pair_steps_together(controller, qtbot):
    a, b = CheckedTrainer(), CheckedTrainer(SMALL.replace(activation="tanh"))
    controller.set_trainers([a, b])
    controller.play()
    qtbot.waitUntil(lambda: a.step_count >= 30, timeout=10000)
    controller.pause()
    assert a.step_count == b.step_count


def test_shutdown_while_running_joins_the_worker(qtbot):
    controller = TrainingController()
    trainer = CheckedTrainer(delay_s=0.05)
    controller.set_trainers([trainer])
    controller.play()
    qtbot.waitUntil(lambda: trainer.busy, timeout=10000)      # a step is in flight
    assert _worker_threads()
    controller.shutdown()
    assert not _worker_threads() and not trainer.busy
    assert not controller.is_running()
    stopped_at = trainer.step_count
    controller.play()                                          # closed for good
    qtbot.wait(50)
    assert not controller.is_running() and trainer.step_count == stopped_at


def test_divergence_pauses_and_reports_once(controller, qtbot):
    trainer = Trainer(SMALL.replace(dataset="sine", lr=1e6, init="normal", init_std=10.0))
    controller.set_trainers([trainer])
    diverged: list[tuple[int, object]] = []
    running: list[bool] = []
    controller.sigDiverged.connect(lambda index, stats: diverged.append((index, stats)))
    controller.sigRunningChanged.connect(running.append)
    controller.play()
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=10000)
    qtbot.wait(50)
    assert len(diverged) == 1 and diverged[0][0] == 0 and diverged[0][1].diverged
    assert "diverged" in diverged[0][1].message and trainer.diverged
    assert running == [True, False]
    controller.play()                                          # refused until a reset
    assert not controller.is_running() and len(diverged) == 1


def test_a_step_that_raises_pauses_and_reports_instead_of_raising(controller, qtbot):
    trainer = CheckedTrainer()

    def failing_step():
        raise MemoryError

    trainer.step = failing_step
    failures: list[str] = []
    controller.sigFailed.connect(failures.append)
    controller.set_trainers([trainer])
    controller.play()
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert not controller.is_running()
    assert failures == ["there is not enough memory for this network."]


def test_slow_steps_leave_the_gui_thread_free(controller, qtbot):
    trainer = CheckedTrainer(delay_s=0.3)
    controller.set_trainers([trainer])
    ticks_during_steps: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: trainer.busy and ticks_during_steps.append(trainer.step_count))
    timer.start()
    controller.play()
    qtbot.waitUntil(lambda: trainer.step_count >= 2, timeout=10000)
    controller.pause()                       # returns without waiting for a 0.3 s step
    timer.stop()
    # A 10 ms timer fired many times while 300 ms steps ran: the GUI thread was not blocked.
    assert len(ticks_during_steps) >= 10
    assert set(ticks_during_steps) >= {0, 1}
    qtbot.waitUntil(lambda: not controller.is_worker_busy(), timeout=10000)
    assert trainer.overlaps == 0


def test_the_batch_leaves_room_for_the_frames_serial_part(controller, qtbot):
    """A slow redraw (the views read the trainers, so the worker sits it out) shortens Auto's
    batch so that batch + redraw stay near FRAME_PERIOD_S; a quick one leaves the full budget,
    and so does a number of steps per frame asked for."""
    trainer = CheckedTrainer(delay_s=0.001)
    controller.set_trainers([trainer])
    budgets: list[float] = []          # of each batch handed to the worker
    submit = controller._worker.submit

    def recorded(job) -> None:
        budgets.append(job.budget_s)
        submit(job)

    controller._worker.submit = recorded
    redraw_s = {"value": 0.0}
    controller.sigFrame.connect(lambda _stats: time.sleep(redraw_s["value"]))
    controller.play()
    qtbot.waitUntil(lambda: len(budgets) >= 15, timeout=10000)
    assert budgets[-1] == pytest.approx(controller_module.TRAIN_BUDGET_S)   # quick redraws
    redraw_s["value"] = 0.012
    start = len(budgets)
    qtbot.waitUntil(lambda: len(budgets) >= start + 25, timeout=10000)
    assert controller_module.MIN_TRAIN_BUDGET_S <= budgets[-1] \
        <= controller_module.FRAME_PERIOD_S - 0.011 < controller_module.TRAIN_BUDGET_S
    controller.set_steps_per_frame(1000)
    start = len(budgets)
    qtbot.waitUntil(lambda: len(budgets) >= start + 3, timeout=10000)
    controller.pause()
    assert budgets[-1] == pytest.approx(controller_module.TRAIN_BUDGET_S)
    assert trainer.overlaps == 0


def test_lab_applies_live_changes_and_resets_while_training(qtbot):
    from gui.lab.lab_view import LabView

    lab = LabView()
    qtbot.addWidget(lab)
    lab.resize(1200, 800)
    lab.show()
    lab.set_config(SMALL)
    trainer = lab.trainer
    lab.play()
    qtbot.waitUntil(lambda: trainer.step_count >= 20, timeout=10000)
    lab.panel.sigConfigEdited.emit(SMALL.replace(lr=0.123), "lr")
    qtbot.waitUntil(lambda: trainer.config.lr == 0.123, timeout=10000)
    assert lab.trainer is trainer and trainer.optimizer.lr == 0.123 and lab.is_running()
    lab.reset()
    assert lab.trainer.step_count == 0 and lab.is_running()
    qtbot.waitUntil(lambda: lab.trainer.step_count >= 10, timeout=10000)
    lab.shutdown()
    assert not _worker_threads() and not lab.is_running()
