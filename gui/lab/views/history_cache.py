"""Shared, throttled reads of a Run's series for the views.

A series of a growing run is a new array after every record; for a 200-layer net that is ~6 ms
per field. Views reading the same series in one frame share one read, and big series are re-read
at most every BIG_REFRESH_SECONDS while the run grows (the shown record itself is always drawn
from run.record(index)). A read for an older record (the scrubber) is cut at that record's step.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

import numpy as np

from core.runs import Run

BIG_SERIES_VALUES = 300_000      # a series with more values than this is "big"
BIG_REFRESH_SECONDS = 0.2


class SeriesCache:
    """(steps, values) of run series, cached per newest record and throttled when big."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # (id(run), name) -> (run ref, records, newest step, read time, steps, values)
        self._entries: dict[tuple[int, str], tuple] = {}

    def read(self, run: Run, name: str, index: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Steps (T,) and run.series(name) ((T,) or (T, L)) up to record `index` (inclusive)."""
        key = (id(run), name)
        now = self._clock()
        n, newest = len(run), run.newest_step
        entry = self._entries.get(key)
        steps = values = None
        if entry is not None and entry[0]() is run:
            _, count, step, read_at, steps, values = entry
            fresh = count == n and step == newest
            big = values.size > BIG_SERIES_VALUES and now - read_at < BIG_REFRESH_SECONDS
            if not (fresh or (big and count <= n)):
                steps = values = None
        if steps is None:
            steps, values = run.steps(), run.series(name)
            if entry is not None or len(self._entries) >= 32:
                # a rebuilt run replaced this one: drop reads of runs that are gone
                self._entries = {k: e for k, e in self._entries.items() if e[0]() is not None}
            self._entries[key] = (weakref.ref(run), n, newest, now, steps, values)
            if len(self._entries) > 64:
                self._entries = {key: self._entries[key]}
        if n and index < 0:
            index += n
        if 0 <= index < n - 1:        # an older record: its step and everything before
            stop = int(np.searchsorted(steps, run.steps()[index], side="right"))
            return steps[:stop], values[:stop]
        return steps, values


shared_series = SeriesCache()
