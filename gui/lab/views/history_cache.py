"""Shared, throttled reads of History series for the views.

History.series copies the whole (T, L) array; for a 200-layer net that is ~6 ms per field. Views
reading the same field in one frame share one copy, and big series are re-read at most every
BIG_REFRESH_SECONDS (the newest step is always drawn live from trainer.last).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

import numpy as np

BIG_SERIES_VALUES = 300_000      # a series with more values than this is "big"
BIG_REFRESH_SECONDS = 0.2


class HistoryCache:
    """(steps, values) of history fields, cached per trainer step and throttled when big."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # (id(history), field) -> (history ref, step, read time, steps, values)
        self._entries: dict[tuple[int, str], tuple] = {}

    def read(self, trainer, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Steps (T,) and history.series(name) ((T,) or (T, L)) of this trainer's history."""
        history = trainer.history
        key = (id(history), name)
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0]() is history:
            _, step, read_at, steps, values = entry
            fresh = step == trainer.step_count and len(steps) == len(history)
            big = values.size > BIG_SERIES_VALUES and step <= trainer.step_count
            recent = now - read_at < BIG_REFRESH_SECONDS and len(history) >= len(steps)
            if fresh or (big and recent):
                return steps, values
        steps, values = history.steps(), history.series(name)
        if entry is not None or len(self._entries) >= 32:
            # a reset/rebuild made a new History: drop copies of histories that are gone
            self._entries = {k: e for k, e in self._entries.items() if e[0]() is not None}
        self._entries[key] = (weakref.ref(history), trainer.step_count, now, steps, values)
        if len(self._entries) > 64:
            self._entries = {key: self._entries[key]}
        return steps, values


shared_history = HistoryCache()
