"""FileRun: a run folder read from disk, merged over ranks, followed as writers append to it."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from actiscope_probe.runformat import (
    PARAM_COLUMNS,
    PER_UNIT_COLUMNS,
    SITE_COLUMNS,
    Manifest,
    RunReader,
    Topology,
)

from core.runs.merge import MIN_MERGED, matching_rows, merge_fraction, merge_record
from core.runs.model import (
    ACCURACY,
    LOGGED_SCALARS,
    LOSS,
    PARAM_STATS,
    PER_UNIT,
    SITE_STATS,
    StepRecord,
)
from core.runs.rank_data import RankData

_LIST_SERIES = frozenset(PARAM_COLUMNS + SITE_COLUMNS)
RECORDS_KEPT = 16       # records kept after a read: every view of a frame reads the same few


class FileRun:
    """A run folder (NAME.actirun): opened read-only, merged over ranks; implements Run.

    Opening reads every complete record now in the folder (RunFormatError on damage, nothing
    written). poll() reads what was appended since; call it from one worker thread while any
    thread reads (reads and the end of a poll take a lock).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        """Open the run and read what it holds so far."""
        self.path = Path(folder)
        self._reader = RunReader(self.path)
        self.manifest: Manifest = self._reader.manifest
        self._ranks = {rank: RankData(self.manifest.topology) for rank in self._reader.streams}
        self._base = self._ranks[0]
        self._lock = threading.RLock()
        self._n = 0
        self._records: dict[int, StepRecord] = {}   # read records (final: index < _n)
        self._capabilities: frozenset[str] = frozenset()
        self.poll()

    # ----- Run protocol: what the run is ---------------------------------------------------------
    @property
    def topology(self) -> Topology:
        """Activation sites in forward order and parameter layers, from the manifest."""
        return self.manifest.topology

    @property
    def config(self) -> dict[str, Any] | None:
        """The ExperimentConfig dict of a built-in run (None for probe runs)."""
        return self.manifest.config

    @property
    def growing(self) -> bool:
        """True until every rank's writer has closed its stream."""
        return self._reader.growing

    @property
    def capabilities(self) -> frozenset[str]:
        """What the records so far can show (a file run never has a decision boundary)."""
        return self._capabilities

    @property
    def newest_step(self) -> int | None:
        """Step of the newest record, or None when there is none yet."""
        with self._lock:
            return int(self._base.steps[self._n - 1]) if self._n else None

    def __len__(self) -> int:
        """Number of (merged) records."""
        return self._n

    # ----- reading -------------------------------------------------------------------------------
    def poll(self) -> int:
        """Read what the writers appended since the last poll; returns the new record count.

        A torn last message is left for a later poll; other damage raises RunFormatError and
        leaves the run as it was.
        """
        tables = self._reader.poll()
        with self._lock:
            for rank, table in tables.items():
                self._ranks[rank].ingest(table)
            if any(rank != 0 for rank in tables):
                self._records.clear()     # a rank that started late may merge into old steps
            before = self._n
            self._n = max(self._n, self._merged_count())
            if tables:
                self._capabilities = self._find_capabilities()
            return self._n - before

    def _merged_count(self) -> int:
        """Rank-0 records up to the newest step every still-writing rank has reached."""
        limit = None
        for rank, stream in self._reader.streams.items():
            if rank == 0 or stream.ended or not stream.exists:
                continue
            data = self._ranks[rank]
            if not data.n:
                return 0
            last = int(data.steps[-1])
            limit = last if limit is None else min(limit, last)
        if limit is None:
            return self._base.n
        return int(np.searchsorted(self._base.steps, limit, side="right"))

    def _find_capabilities(self) -> frozenset[str]:
        base, n = self._base, self._n
        found = set()
        if base.valid["loss"].view(n).any():
            found.add(LOSS)
        accuracy = np.concatenate([base.plain_series("train_accuracy", slice(0, n)),
                                   base.plain_series("test_accuracy", slice(0, n))])
        if np.isfinite(accuracy).any():
            found.add(ACCURACY)
        if base.lists["grad_norm"].any_valid:
            found.add(PARAM_STATS)
        if any(data.lists[name].any_valid for data in self._ranks.values()
               for name in SITE_COLUMNS):
            found.add(SITE_STATS)
        if base.unit_rows["unit_grad"].n or base.unit_rows["dead_units"].n:
            found.add(PER_UNIT)
        if base.scalar_names:
            found.add(LOGGED_SCALARS)
        return frozenset(found)

    def steps(self) -> np.ndarray:
        """(T,) int64 steps of the records, increasing (read-only view)."""
        with self._lock:
            return self._base.plain["step"].view(self._n)

    def _indices(self, rows: slice | np.ndarray | None) -> np.ndarray | slice:
        if rows is None:
            return slice(0, self._n)
        if isinstance(rows, slice):
            return slice(*rows.indices(self._n))
        index = np.asarray(rows, np.int64)
        if index.size and (index.min() < -self._n or index.max() >= self._n):
            raise IndexError(f"Record index out of range for a run of {self._n} records.")
        return np.where(index < 0, index + self._n, index)

    def series(self, name: str, rows: slice | np.ndarray | None = None) -> np.ndarray:
        """A plain (k,), per-parameter (k, n_params) or per-site (k, n_sites) column.

        Floats are NaN where not recorded, window_step -1. Whole or sliced plain columns, and
        slices of a single-rank list column that lie in one record batch, are read-only views;
        anything else is a new array.
        """
        with self._lock:
            index = self._indices(rows)
            base = self._base
            if name in base.plain:
                return base.plain_series(name, index)
            if name not in _LIST_SERIES:
                per_unit = " (per-unit columns are read with record())" * (
                    name in PER_UNIT_COLUMNS)
                raise ValueError(f"'{name}' is not a run series{per_unit}; the series are "
                                 f"{', '.join([*base.plain, *PARAM_COLUMNS, *SITE_COLUMNS])}.")
            if len(self._ranks) == 1:
                if rows is None:
                    return base.lists[name].full()[:self._n]
                if isinstance(index, slice) and index.step == 1:
                    return base.list_rows(name, index.start, max(index.stop, index.start))
            if isinstance(index, slice):
                index = np.arange(index.start, index.stop, index.step)
            values = base.list_series(name, index)
            if name in MIN_MERGED and len(self._ranks) > 1:
                values = values.copy() if not values.flags.writeable else values
                steps = base.steps[index]
                for data in list(self._ranks.values())[1:]:
                    present, where = matching_rows(data.steps, steps)
                    if present.any():
                        merge_fraction(values, present,
                                       data.list_series(name, where[present]))
            return values

    def record(self, index: int) -> StepRecord:
        """Every field of record `index` (negative counts from the newest), ranks merged; its
        arrays are read-only (the record is shared by every reader)."""
        with self._lock:
            if not -self._n <= index < self._n:
                raise IndexError(f"Record {index} is out of range for a run of "
                                 f"{self._n} records.")
            index %= self._n
            found = self._records.get(index)
            if found is not None:
                return found
            values = self._base.record(index)
            step = values["step"]
            for data in list(self._ranks.values())[1:]:
                present, where = matching_rows(data.steps, np.array([step]))
                if present[0]:
                    merge_record(values, data.record(int(where[0])))
            for value in values.values():
                if isinstance(value, np.ndarray):
                    value.flags.writeable = False      # shared by every view that reads it
            record = StepRecord.from_columns(values)
            if len(self._records) >= RECORDS_KEPT:
                self._records.clear()
            self._records[index] = record
            return record

    def step_index(self, step: int) -> int:
        """Index of the newest record at or before `step` (0 if `step` precedes them all)."""
        with self._lock:
            if not self._n:
                raise IndexError("The run has no records yet.")
            found = np.searchsorted(self._base.steps[:self._n], step, side="right") - 1
            return max(int(found), 0)

    def per_unit_index(self, index: int, name: str = "unit_grad") -> int | None:
        """Index of the newest record at or before `index` holding per-unit column `name`."""
        if name not in PER_UNIT_COLUMNS:
            raise ValueError(f"'{name}' is not a per-unit column; they are "
                             f"{', '.join(PER_UNIT_COLUMNS)}.")
        with self._lock:
            if not -self._n <= index < self._n:
                return None
            rows = self._base.unit_rows[name].view()
            found = int(np.searchsorted(rows, index % self._n, side="right")) - 1
            return int(rows[found]) if found >= 0 else None

    def logged_names(self) -> list[str]:
        """Names passed to probe.log() on rank 0, sorted."""
        with self._lock:
            return sorted(self._base.scalar_names)

    def logged(self, name: str) -> np.ndarray:
        """(T,) float64 logged scalar `name` per record, NaN where it was not logged."""
        with self._lock:
            return self._base.logged(name)[:self._n]
