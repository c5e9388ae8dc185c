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

from core.runs import PeakEnvelope, Run, peak_decimate

BIG_SERIES_VALUES = 300_000      # a series with more values than this is "big"
BIG_REFRESH_SECONDS = 0.2
DIRECT_RECORDS = 65_536          # up to this many records a series is read whole (throttled)
READ_PIECE = 8_192               # records per read while an envelope is folded in
MIN_BUCKETS = 256                # a line is drawn in at least this many buckets


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


    def tail(self, run: Run, name: str, index: int, count: int
             ) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of the last `count` records up to record `index` (inclusive): from
        the shared read for short runs, else read from the run alone (a scrubber over a long
        file run must not copy the whole series)."""
        n = len(run)
        if n <= DIRECT_RECORDS:
            steps, values = self.read(run, name, index)
            return steps[-count:], values[-count:]
        stop = _stop(n, index)
        rows = slice(max(0, stop - count), stop)
        return run.steps()[rows], run.series(name, rows)


def bands(x: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x (B,), lo, hi) per bucket of EnvelopeCache.read's points (a bucket of one record has
    lo == hi): the band a decimated line covers, to draw as a fill between two edges."""
    if not len(x):
        return x, values, values
    first = np.flatnonzero(np.diff(x, prepend=x[0] - 1.0) != 0)
    last = np.append(first[1:], len(x)) - 1
    return x[first], values[first], values[last]


def _stop(n: int, index: int) -> int:
    """End (exclusive) of the records up to `index` (negative counts from the newest)."""
    return min(max(index + n if index < 0 else index, -1), n - 1) + 1


def _prepared(values: np.ndarray, columns: tuple[int, ...] | None, fill: float | None
              ) -> np.ndarray:
    """The `columns` of (T, L) values (all when None), non-finite ones replaced by `fill`."""
    if columns is not None:
        values = values[:, list(columns)]
    if fill is not None:
        values = np.where(np.isfinite(values), values, fill)
    return values


class EnvelopeCache:
    """Peak-keeping envelopes of run series for line plots (see core.runs.decimate).

    A series of at most DIRECT_RECORDS records is decimated from the shared (throttled) read,
    and so is a short span of a longer one (too few whole blocks for `target` buckets); else
    the series is folded once into a PeakEnvelope per (run, series, columns, fill), so drawing
    any prefix of it (the scrubber) or any span (a zoomed-in plot) costs about `target`
    buckets.
    """

    def __init__(self, series: SeriesCache) -> None:
        self._series = series
        # (id(run), name, columns, fill) -> (run ref, PeakEnvelope, step of its last record)
        self._entries: dict[tuple, tuple] = {}

    def read(self, run: Run, name: str, index: int, target: int,
             columns: tuple[int, ...] | None = None, fill: float | None = None,
             first: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(steps (P,) float64, values (P,) or (P, k)) of records [first, index] in at most
        about 2 * target buckets, each bucket's min and max kept (so every spike; the records
        themselves when there are at most 2 * target); values are the series' `columns` with
        non-finite ones replaced by `fill` (None: kept; NaN is ignored by the min and max)."""
        n = len(run)
        stop = _stop(n, index)
        first = min(max(first, 0), stop)
        if n <= DIRECT_RECORDS:
            steps, values = self._series.read(run, name, index)
            where, drawn = peak_decimate(_prepared(values[first:], columns, fill), target)
            return steps[first:][where].astype(np.float64), drawn
        if stop - first <= PeakEnvelope.BASE * target:   # too few whole blocks for `target`
            rows = slice(first, stop)
            where, drawn = peak_decimate(_prepared(run.series(name, rows), columns, fill),
                                         target)
            return run.steps()[rows][where].astype(np.float64), drawn
        envelope = self._envelope(run, name, columns, fill)
        where, drawn = envelope.span(
            first, stop, target,
            lambda a, b: _prepared(run.series(name, slice(a, b)), columns, fill))
        return run.steps()[where].astype(np.float64), drawn

    def _envelope(self, run: Run, name: str, columns: tuple[int, ...] | None,
                  fill: float | None) -> PeakEnvelope:
        """The run's envelope, folded in up to its newest whole block (rebuilt when the run's
        records changed under it)."""
        key = (id(run), name, columns, None if fill is None else repr(fill))
        entry = self._entries.get(key)
        steps = run.steps()
        envelope = None
        if entry is not None and entry[0]() is run:
            _, envelope, last_step = entry
            covered = envelope.covered
            if covered > len(steps) or (covered and steps[covered - 1] != last_step):
                envelope = None
        if envelope is None:
            self._entries = {k: e for k, e in self._entries.items() if e[0]() is not None}
            envelope = PeakEnvelope()
        end = len(steps) - len(steps) % PeakEnvelope.BASE
        for start in range(envelope.covered, end, READ_PIECE):
            rows = slice(start, min(start + READ_PIECE, end))
            envelope.extend(_prepared(run.series(name, rows), columns, fill))
        if envelope.covered:
            self._entries[key] = (weakref.ref(run), envelope, int(steps[envelope.covered - 1]))
        return envelope


def _flag_counts(values: np.ndarray) -> np.ndarray:
    """(k, 2) int64: per record of (k,) values, 1 where finite and <= 0, 1 where not finite."""
    finite = np.isfinite(values)
    return np.stack([finite & (values <= 0), ~finite], axis=1).astype(np.int64)


class ClampCounts:
    """How many values of a (T,) series up to a record are <= 0 and how many are not finite
    (what a log axis clamps), from running totals kept per run for long runs: O(1) a frame."""

    def __init__(self, series: SeriesCache) -> None:
        self._series = series
        # (id(run), name) -> (run ref, running totals (GrowingArray (T, 2)), step of the last)
        self._entries: dict[tuple, tuple] = {}

    def read(self, run: Run, name: str, index: int) -> tuple[int, int]:
        """(finite values <= 0, non-finite values) among records [0, index]."""
        n = len(run)
        stop = _stop(n, index)
        if not stop:
            return 0, 0
        if n <= DIRECT_RECORDS:
            counts = _flag_counts(self._series.read(run, name, index)[1]).sum(axis=0)
            return int(counts[0]), int(counts[1])
        key = (id(run), name)
        steps = run.steps()
        entry = self._entries.get(key)
        totals, count = np.zeros((0, 2), np.int64), 0
        if entry is not None and entry[0]() is run:
            _, totals, count, last_step = entry
            if count > n or (count and steps[count - 1] != last_step):
                totals, count = np.zeros((0, 2), np.int64), 0
        if count < n:
            if len(totals) < n:                   # room for twice what is there (appends)
                bigger = np.empty((max(n, 2 * count), 2), np.int64)
                bigger[:count] = totals[:count]
                totals = bigger
            for start in range(count, n, 1 << 18):
                stop_piece = min(n, start + (1 << 18))
                flags = _flag_counts(run.series(name, slice(start, stop_piece)))
                totals[start:stop_piece] = np.cumsum(flags, axis=0) + (
                    totals[start - 1] if start else 0)
            count = n
            self._entries = {k: e for k, e in self._entries.items() if e[0]() is not None}
            self._entries[key] = (weakref.ref(run), totals, count, int(steps[n - 1]))
        found = totals[stop - 1]
        return int(found[0]), int(found[1])


shared_series = SeriesCache()
shared_envelopes = EnvelopeCache(shared_series)
shared_clamp_counts = ClampCounts(shared_series)
