"""StepWorker: one background thread that trains batches of lockstep steps, handed over as jobs.

The GUI thread owns the trainers except while a job is in flight: it submits a StepJob, the worker
runs its steps (checking `cancel` between steps), marks it done and calls `on_done(job_id)` (the
controller turns that into a queued Qt signal). The worker then waits for the next job, so trainer
state is only ever touched by one thread at a time. numpy's BLAS releases the GIL, so the GUI thread
keeps handling events while a step computes. No Qt here: the thread is a plain threading.Thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

THREAD_NAME = "actiscope-training"


@dataclass
class StepJob:
    """Up to `limit` lockstep steps of `trainers`, stopping once `budget_s` would be exceeded."""

    job_id: int
    trainers: list
    limit: int                       # most steps to run (at least one always runs)
    budget_s: float                  # stop before the next step would end past this much time
    step_estimate_s: float           # expected seconds per lockstep step (0 = unknown)
    cancel: bool = False             # set by the GUI thread: stop after the current step
    done: bool = False               # set by the worker when it no longer touches the trainers
    steps: int = 0                   # lockstep steps completed
    step_seconds: list[float] = field(default_factory=list)   # duration of each completed step
    diverged: tuple[int, object] | None = None   # (trainer index, its StepStats) if one diverged
    error: BaseException | None = None           # an exception raised by a trainer's step()
    stats: list[tuple[int, object]] = field(default_factory=list)  # (trainer index, StepStats)
    started_at: float = 0.0          # perf_counter() when the worker began / finished the job
    finished_at: float = 0.0

    def run(self) -> None:
        """Train (on the calling thread) until the limit, the budget, a cancel or a divergence."""
        start = self.started_at = time.perf_counter()
        estimate = self.step_estimate_s
        try:
            while self.steps < self.limit and not self.cancel:
                step_start = time.perf_counter()
                for index, trainer in enumerate(self.trainers):
                    stats = trainer.step()
                    if stats is not None:
                        self.stats.append((index, stats))
                    if stats is not None and stats.diverged:
                        self.diverged = (index, stats)
                        return
                seconds = time.perf_counter() - step_start
                self.steps += 1
                self.step_seconds.append(seconds)
                estimate = seconds if estimate == 0.0 else 0.8 * estimate + 0.2 * seconds
                if time.perf_counter() - start + estimate > self.budget_s:
                    return
        except Exception as exc:  # noqa: BLE001  (re-raised on the GUI thread by the controller)
            self.error = exc


class StepWorker:
    """A lazily started daemon thread running one StepJob at a time."""

    def __init__(self, on_done: Callable[[int], None]) -> None:
        self._on_done = on_done
        self._condition = threading.Condition()
        self._job: StepJob | None = None
        self._quit = False
        self._thread: threading.Thread | None = None

    def submit(self, job: StepJob) -> None:
        """Hand `job` to the worker (the caller must not touch its trainers until it is done)."""
        with self._condition:
            if self._quit:
                raise RuntimeError("The training worker was stopped.")
            if self._job is not None:
                raise RuntimeError("The training worker is still busy with another job.")
            self._job = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=THREAD_NAME, daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def wait_done(self, job: StepJob, timeout: float | None = None) -> bool:
        """Ask `job` to stop after its current step; wait (up to `timeout` s) until done."""
        with self._condition:
            job.cancel = True
            return self._condition.wait_for(lambda: job.done, timeout)

    def is_alive(self) -> bool:
        """True while the worker thread exists (started and not yet stopped)."""
        return self._thread is not None and self._thread.is_alive()

    def request_stop(self) -> None:
        """Tell the thread to end after its current step, without waiting."""
        with self._condition:
            self._quit = True
            if self._job is not None:
                self._job.cancel = True
            self._condition.notify_all()

    def stop(self, timeout: float) -> bool:
        """End the thread (after its current step) and join it; False if it outlived `timeout`."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.is_alive()

    def _loop(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._job is not None or self._quit)
                job = self._job
                if job is None:
                    return
            job.run()
            job.finished_at = time.perf_counter()
            with self._condition:
                job.done = True
                self._job = None
                self._condition.notify_all()
                quitting = self._quit
            if quitting:
                return
            try:
                self._on_done(job.job_id)
            except RuntimeError:    # the receiving Qt object is gone (window closed): stop
                return
