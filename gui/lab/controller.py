"""TrainingController: steps trainers in lockstep on a worker thread, one batch per frame.

Handshake: the worker trains a batch of k steps (k adapts so a batch takes 15-30 ms, at least
one step; see FRAME_PERIOD_S) and reports back through a queued signal; the GUI thread then
applies queued requests (call_when_idle), emits sigFrame so the views redraw once, and only then
hands the worker the next batch. So the trainers are never read by the GUI while the worker
mutates them, and the GUI thread stays free (events, animations, tooltips) while a step computes,
however slow the step is.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from gui.lab.step_worker import StepJob, StepWorker

TRAIN_BUDGET_S = 0.030   # training per batch: at most about 30 ms ...
FRAME_PERIOD_S = 1 / 31  # ... and less when the GUI's serial part would stretch a frame past this
MIN_TRAIN_BUDGET_S = 0.015  # (the training keeps at least this much of each frame)
MAX_BUDGET_S = 0.250     # ... longer while the GUI needs longer per frame, but >= 4 frames/s
PAUSE_WAIT_S = 0.040     # pause waits this long for the step in flight (keeps latency < 50 ms)
JOIN_TIMEOUT_S = 10.0    # shutdown: longest wait for the step in flight (a huge net's step)
# Frame pacing (issue 13, measured by bench/bench_app.py on a real X server). The worker's job
# runs while the GUI paints, and both need the GIL and a CPU: a longer job slowed the paint, the
# GUI answered later, and the old adaptive budget then made the next job longer still (up to
# MAX_BUDGET_S: 2-14 frames/s). With FRAME_PACING the budget stays at TRAIN_BUDGET_S and, while
# training runs, a thread waiting for the GIL gets it after GIL_SWITCH_S instead of Python's
# 5 ms (each Qt call of a paint releases and retakes the GIL). The GUI's part of a frame that the
# worker cannot overlap (collecting the batch, the views' refresh, which read the trainers) comes
# on top of the batch, so the batch is FRAME_PERIOD_S minus that part (measured, averaged): at
# 4 x 32 a 30 ms batch plus 6 ms gave 27.8 frames/s and 2,040 steps/s; a 25 ms one 32.3 and 1,710.
# False = the old behaviour; GIL_SWITCH_S = None keeps Python's interval.
FRAME_PACING = True
GIL_SWITCH_S = 0.0005
_saved_switch_interval: float | None = None   # Python's interval while a controller trains
_training_controllers = 0
_RATE_WINDOW_S = 1.0     # steps/s is averaged over this much wall time


class _DoneBridge(QObject):
    """Carries the worker's "job done" to the GUI thread (emitted from the worker thread)."""

    sigJobDone = Signal(int)


class TrainingController(QObject):
    """Drive `trainers` (objects with step(), step_count, diverged, last) from a worker thread."""

    sigSteps = Signal(object)           # [(trainer index, StepStats), ...] of every step, in
                                        # order, on the GUI thread, before its frame's sigFrame
                                        # (one emit per batch: ~8 µs each, 50+ steps a frame)
    sigFrame = Signal(object)           # the first trainer's newest StepStats after a frame
    sigDiverged = Signal(int, object)   # index of the trainer that diverged, its StepStats
    sigFailed = Signal(str)             # a step raised (e.g. MemoryError): training paused
    sigRunningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._trainers: list = []
        self._running = False
        self._closed = False
        self._requested_k = 0           # 0 = automatic
        self._step_seconds = 0.0        # exponential average of one lockstep step (all trainers)
        self._budget_s = TRAIN_BUDGET_S # grows while the worker waits for slow redraws
        self._serial_s = 0.0            # GUI time per frame with the worker idle (average)
        self._collect_started: float | None = None
        self._last_k = 0
        self._rate_marks: deque[tuple[float, int]] = deque()
        self._job: StepJob | None = None        # in flight, or done but not yet collected
        self._next_job_id = 0
        self._pending: list[Callable[[], object]] = []
        self._bridge = _DoneBridge(self)
        self._bridge.sigJobDone.connect(self._on_job_done, Qt.ConnectionType.QueuedConnection)
        self._worker = StepWorker(self._bridge.sigJobDone.emit)
        worker = self._worker     # not self: the lambda must not keep the controller alive
        self.destroyed.connect(lambda *_: worker.request_stop())
        self._submit_timer = QTimer(self)       # next batch from the event loop, never re-entrant
        self._submit_timer.setSingleShot(True)
        self._submit_timer.timeout.connect(self._submit)

    # -- configuration ---------------------------------------------------------------------
    @property
    def trainers(self) -> list:
        """The trainers stepped in lockstep (the first one drives sigFrame)."""
        return list(self._trainers)

    def set_trainers(self, trainers: list) -> None:
        """Replace the trainers (reset/rebuild): waits for the step in flight; keeps running."""
        self.wait_idle()
        self._trainers = list(trainers)
        self._rate_marks.clear()
        self._step_seconds = 0.0
        if self._running:
            self._mark_rate()
            self._submit_timer.start(0)

    def set_steps_per_frame(self, k: int) -> None:
        """Requested steps per frame; 0 = as many as fit the time budget (always capped by it)."""
        self._requested_k = max(0, int(k))

    @property
    def steps_per_frame(self) -> int:
        """Steps run in the most recent frame."""
        return self._last_k

    @property
    def step_seconds(self) -> float:
        """Measured seconds per lockstep step (moving average; 0 before the first step)."""
        return self._step_seconds

    @property
    def steps_per_second(self) -> float:
        """Measured steps per second over the last second of running (0 when paused)."""
        if not self._running or len(self._rate_marks) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._rate_marks[0], self._rate_marks[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    # -- run state ---------------------------------------------------------------------------
    def is_running(self) -> bool:
        """True while the worker trains batch after batch."""
        return self._running

    def is_worker_busy(self) -> bool:
        """True while a batch is in flight on the worker (the trainers must not be touched)."""
        return self._job is not None and not self._job.done

    def play(self) -> None:
        """Start (or keep) running; no-op when a trainer has diverged, there is none or after
        shutdown()."""
        if self._running or self._closed or not self._trainers or self._any_diverged():
            return
        self._set_running(True)
        self._rate_marks.clear()
        self._mark_rate()
        self._submit_timer.start(0)

    def pause(self) -> None:
        """Stop after the step in flight; waits for it briefly (a slow step reports on its own)."""
        if not self._running:
            return
        self._set_running(False)
        self._submit_timer.stop()
        self._finish_job(PAUSE_WAIT_S)

    def step_once(self) -> None:
        """Run exactly one lockstep step and redraw (only while paused)."""
        if not self._running:
            self.advance(1)

    def advance(self, n_steps: int) -> None:
        """Run `n_steps` lockstep steps synchronously (stops at divergence), then redraw once."""
        self.wait_idle()
        if not self._trainers or self._any_diverged():
            return
        for _ in range(max(0, int(n_steps))):
            if self._step_all():
                break
        self._emit_frame()

    def wait_idle(self) -> None:
        """Block until the worker no longer touches the trainers (stops its batch after the
        current step) and apply queued requests; returns at once when nothing is in flight."""
        self._finish_job(None)

    def call_when_idle(self, function: Callable[[], object]) -> None:
        """Run `function` on this (GUI) thread now if no batch is in flight, else right after
        the current step, before the next frame is drawn (requests keep their order)."""
        if self._job is None:
            function()
            return
        self._pending.append(function)
        self._job.cancel = True

    def shutdown(self) -> None:
        """Stop training for good and join the worker thread (waits for the step in flight)."""
        self._closed = True
        self._submit_timer.stop()
        if self._running:
            self._set_running(False)
        self._worker.stop(JOIN_TIMEOUT_S)
        if self._job is not None and self._job.done:
            self._job = None
        self._pending.clear()

    # -- the frame loop ----------------------------------------------------------------------
    def _set_running(self, running: bool) -> None:
        self._running = running
        self._set_switch_interval(running)
        self.sigRunningChanged.emit(running)

    @staticmethod
    def _set_switch_interval(running: bool) -> None:
        """A short GIL switch interval while any controller trains (restored when none does)."""
        global _saved_switch_interval, _training_controllers
        _training_controllers = max(0, _training_controllers + (1 if running else -1))
        if (_training_controllers and FRAME_PACING and GIL_SWITCH_S
                and _saved_switch_interval is None):
            _saved_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(GIL_SWITCH_S)
        elif not _training_controllers and _saved_switch_interval is not None:
            sys.setswitchinterval(_saved_switch_interval)
            _saved_switch_interval = None

    def _any_diverged(self) -> bool:
        return any(trainer.diverged for trainer in self._trainers)

    def _mark_rate(self) -> None:
        now = time.perf_counter()
        self._rate_marks.append((now, self._trainers[0].step_count if self._trainers else 0))
        while len(self._rate_marks) > 2 and now - self._rate_marks[0][0] > _RATE_WINDOW_S:
            self._rate_marks.popleft()

    def _record_step_time(self, seconds: float) -> None:
        self._step_seconds = (
            seconds if self._step_seconds == 0.0 else 0.8 * self._step_seconds + 0.2 * seconds
        )

    def _adapt_budget(self, job: StepJob) -> None:
        """Batch about as long as the GUI's frame (so the worker trains while Qt paints); the
        time the finished job waited for the GUI says how much longer that frame was."""
        if job.cancel or not job.steps:
            return
        if FRAME_PACING:
            self._budget_s = min(TRAIN_BUDGET_S, max(MIN_TRAIN_BUDGET_S,
                                                     FRAME_PERIOD_S - self._serial_s))
            return
        waited = time.perf_counter() - job.finished_at
        target = 0.9 * (job.finished_at - job.started_at) + waited
        self._budget_s = min(MAX_BUDGET_S, max(TRAIN_BUDGET_S,
                                               0.7 * self._budget_s + 0.3 * target))

    def _step_all(self) -> bool:
        """One synchronous step of every trainer; returns True (and pauses) if one diverged."""
        start = time.perf_counter()
        for index, trainer in enumerate(self._trainers):
            stats = trainer.step()
            if stats is not None:
                self.sigSteps.emit([(index, stats)])
            if stats is not None and stats.diverged:
                self._report_divergence(index, stats)
                return True
        self._record_step_time(time.perf_counter() - start)
        return False

    def _report_divergence(self, index: int, stats) -> None:
        """The one divergence path (a synchronous step or a worker's batch): stop running and
        emit sigDiverged once; the frame with the diverged step follows (sigFrame)."""
        if self._running:
            self._set_running(False)
            self._submit_timer.stop()
        self.sigDiverged.emit(index, stats)

    def _submit(self) -> None:
        """Hand the next batch to the worker (from the event loop, while running)."""
        if not self._running or self._job is not None or not self._trainers:
            return
        if self._collect_started is not None:  # the frame's part the worker sat out
            # (one long interruption, e.g. a reset, moves the average at most this far)
            serial = min(time.perf_counter() - self._collect_started, FRAME_PERIOD_S)
            self._serial_s = serial if not self._serial_s else 0.8 * self._serial_s + 0.2 * serial
            self._collect_started = None
        self._next_job_id += 1
        self._job = StepJob(self._next_job_id, list(self._trainers),
                            limit=self._requested_k or 1_000_000,
                            # Auto aims at the frame rate; a number asked for gets up to
                            # the full 30 ms (more steps/s, fewer frames/s)
                            budget_s=(TRAIN_BUDGET_S if self._requested_k and FRAME_PACING
                                      else self._budget_s),
                            step_estimate_s=self._step_seconds)
        self._worker.submit(self._job)

    def _on_job_done(self, job_id: int) -> None:
        """The worker's queued report; a job already collected by wait_idle() is ignored."""
        if self._job is not None and self._job.job_id == job_id and self._job.done:
            self._collect()
            # The views have read the trainers; Qt paints them (from the views' own copies)
            # while the worker already trains the next batch.
            self._submit_timer.stop()
            self._submit()

    def _finish_job(self, timeout: float | None) -> None:
        """Cancel the batch in flight, wait up to `timeout` s for it, collect it if it ended."""
        job = self._job
        if job is not None and self._worker.wait_done(job, timeout):
            self._collect()

    def _collect(self) -> None:
        """The worker is done with the trainers: account, run queued requests, draw the frame."""
        job, self._job = self._job, None
        self._collect_started = time.perf_counter() if self._running else None
        if self._same_trainers(job) and job.stats:
            self.sigSteps.emit(job.stats)      # the runs see every step, in order
        if job.error is not None:
            # Raising here would land in a Qt slot (a traceback, no message); pause, run what
            # was queued for this idle moment, and tell the Lab instead.
            if self._running:
                self._set_running(False)
            pending, self._pending = self._pending, []
            for function in pending:
                function()
            error = job.error
            text = str(error) or type(error).__name__
            if isinstance(error, MemoryError):
                text = "there is not enough memory for this network."
            self.sigFailed.emit(text)
            return
        for seconds in job.step_seconds:
            self._record_step_time(seconds)
        self._adapt_budget(job)
        steps = job.steps + (job.diverged is not None)
        if steps:
            self._last_k = steps
            self._mark_rate()
        if job.diverged is not None:
            self._report_divergence(*job.diverged)
        try:
            pending, self._pending = self._pending, []
            for function in pending:
                function()
            if self._same_trainers(job) and steps:
                self._emit_frame()
        finally:
            if self._running:
                self._submit_timer.start(0)

    def _same_trainers(self, job: StepJob) -> bool:
        """Whether `job` stepped the current trainers (a reset may have replaced them)."""
        return len(job.trainers) == len(self._trainers) and all(
            a is b for a, b in zip(job.trainers, self._trainers, strict=True))

    def _emit_frame(self) -> None:
        if self._trainers:
            self.sigFrame.emit(self._trainers[0].last)
