"""TrainingController: steps trainers in lockstep, k steps per frame, off the paint path.

A single-shot QTimer is re-armed after each frame (train k steps, emit sigFrame so the views
redraw once), so frames never pile up and input events are handled between two frames. k adapts
so one frame's training stays within a time budget (about 30 ms); at least one step always runs.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QObject, Qt, QTimer, Signal

FRAME_MS = 16            # target frame period: ~60 redraws per second when steps are cheap
TRAIN_BUDGET_S = 0.030   # training time per frame; leaves room for redraw within 50 ms latency
LATENCY_S = 0.045        # training + redraw should stay under this so events wait < 50 ms
_RATE_WINDOW_S = 1.0     # steps/s is averaged over this much wall time


class TrainingController(QObject):
    """Drive `trainers` (objects with step(), step_count, diverged, last) from a frame timer."""

    sigFrame = Signal(object)           # the first trainer's newest StepStats after a frame
    sigDiverged = Signal(int, object)   # index of the trainer that diverged, its StepStats
    sigRunningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._trainers: list = []
        self._running = False
        self._requested_k = 0           # 0 = automatic
        self._step_seconds = 0.0        # exponential average of one lockstep step (all trainers)
        self._redraw_seconds = 0.0      # exponential average of the sigFrame handlers' time
        self._last_k = 0
        self._rate_marks: deque[tuple[float, int]] = deque()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_frame)

    # -- configuration ---------------------------------------------------------------------
    @property
    def trainers(self) -> list:
        """The trainers stepped in lockstep (the first one drives sigFrame)."""
        return list(self._trainers)

    def set_trainers(self, trainers: list) -> None:
        """Replace the trainers (after a reset/rebuild); keeps the running state."""
        self._trainers = list(trainers)
        self._rate_marks.clear()
        self._step_seconds = 0.0

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
        """True while the frame timer drives training."""
        return self._running

    def play(self) -> None:
        """Start (or keep) running; no-op when a trainer has diverged or there is none."""
        if self._running or not self._trainers or self._any_diverged():
            return
        self._running = True
        self._rate_marks.clear()
        self._timer.start(0)
        self.sigRunningChanged.emit(True)

    def pause(self) -> None:
        """Stop after the current frame (the timer is not re-armed)."""
        if not self._running:
            return
        self._running = False
        self._timer.stop()
        self.sigRunningChanged.emit(False)

    def step_once(self) -> None:
        """Run exactly one lockstep step and redraw (only while paused)."""
        if not self._running:
            self.advance(1)

    def advance(self, n_steps: int) -> None:
        """Run `n_steps` lockstep steps synchronously (stops at divergence), then redraw once."""
        if not self._trainers or self._any_diverged():
            return
        for _ in range(max(0, int(n_steps))):
            if self._step_all():
                break
        self._emit_frame()

    # -- the frame loop ----------------------------------------------------------------------
    def _any_diverged(self) -> bool:
        return any(trainer.diverged for trainer in self._trainers)

    def _step_all(self) -> bool:
        """One step of every trainer; returns True (and pauses) if one diverged."""
        start = time.perf_counter()
        for index, trainer in enumerate(self._trainers):
            stats = trainer.step()
            if stats is not None and stats.diverged:
                self.pause()
                self.sigDiverged.emit(index, stats)
                return True
        elapsed = time.perf_counter() - start
        self._step_seconds = (
            elapsed if self._step_seconds == 0.0 else 0.8 * self._step_seconds + 0.2 * elapsed
        )
        return False

    def _frame_budget(self) -> float:
        """Training time allowed this frame: 30 ms, less if redrawing is slow (min 5 ms)."""
        return max(0.005, min(TRAIN_BUDGET_S, LATENCY_S - self._redraw_seconds))

    def _on_frame(self) -> None:
        if not self._running:
            return
        frame_start = time.perf_counter()
        budget = self._frame_budget()
        limit = self._requested_k or 1_000_000
        done = 0
        while done < limit:
            diverged = self._step_all()
            done += 1
            elapsed = time.perf_counter() - frame_start
            if diverged or elapsed + self._step_seconds > budget:
                break
        self._last_k = done
        now = time.perf_counter()
        self._rate_marks.append((now, self._trainers[0].step_count if self._trainers else 0))
        while len(self._rate_marks) > 2 and now - self._rate_marks[0][0] > _RATE_WINDOW_S:
            self._rate_marks.popleft()
        self._emit_frame()
        redraw = time.perf_counter() - now
        self._redraw_seconds = 0.8 * self._redraw_seconds + 0.2 * redraw
        if self._running:
            spent_ms = (time.perf_counter() - frame_start) * 1000.0
            self._timer.start(max(1, int(FRAME_MS - spent_ms)))

    def _emit_frame(self) -> None:
        if self._trainers:
            self.sigFrame.emit(self._trainers[0].last)
