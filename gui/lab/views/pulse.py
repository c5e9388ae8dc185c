"""The backward pulse's timing: a band sweeping from the output column to the input column.

A pulse in flight always finishes (otherwise a fast training loop would restart it every frame and
it would never leave the output); a step arriving meanwhile is queued and starts the next pulse.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

PULSE_SECONDS = 0.5


class BackwardPulse:
    """Time-based phase of one sweep plus the per-column brightness it carries."""

    def __init__(self, duration: float = PULSE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.duration = duration
        self._clock = clock
        self._n_columns = 0
        self._started: float | None = None
        self._strength = np.zeros(0)
        self._queued: np.ndarray | None = None

    def reset(self, n_columns: int) -> None:
        """Forget any pulse (new architecture)."""
        self._n_columns = n_columns
        self._started = None
        self._queued = None
        self._strength = np.zeros(n_columns)

    def new_step(self, strength: np.ndarray) -> None:
        """A step arrived with per-column strengths (n_columns,) in [0, 1]."""
        if self.active():
            self._queued = np.asarray(strength, np.float64)
            return
        self._strength = np.asarray(strength, np.float64)
        self._started = self._clock()

    def active(self) -> bool:
        """True while a sweep is running or one is queued."""
        if self._started is None:
            return False
        if self._clock() - self._started < self.duration:
            return True
        if self._queued is not None:
            self._strength, self._queued = self._queued, None
            self._started = self._clock()
            return True
        self._started = None
        return False

    def position(self) -> tuple[float | None, float]:
        """(column x of the band, brightness 0..1), or (None, 0) when no pulse is running."""
        if not self.active() or self._n_columns == 0:
            return None, 0.0
        phase = min((self._clock() - self._started) / self.duration, 1.0)
        x = (self._n_columns - 1) * (1.0 - phase)
        columns = np.arange(self._n_columns)
        return float(x), float(np.interp(x, columns, self._strength))
