"""TrainerRun: the live built-in Trainer seen through the Run protocol (what every view reads).

Statistics come from the trainer's History (every step, decimated after its `recent` rows) and are
published up to the newest step handed to append(); per-unit arrays come from snapshots kept here.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
from actiscope_probe.runformat import PARAM_COLUMNS, PER_UNIT_COLUMNS, SITE_COLUMNS, Topology

from core.runs.columns import GrowingArray
from core.runs.from_trainer import ALWAYS_PER_UNIT, UNIT_GRAD_EVERY, trainer_topology
from core.runs.model import (
    ACCURACY,
    BOUNDARY,
    LOSS,
    PARAM_STATS,
    PER_UNIT,
    SITE_STATS,
    StepRecord,
)
from core.runs.rank_data import BOOL_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS, INT_NULL

RECENT_SNAPSHOTS = 2000          # per-unit snapshots kept in full
OLDER_SNAPSHOTS = 2000           # older ones, thinned to every 2^k-th
SNAPSHOT_BYTES = 64 * 2**20      # both sets together stay below this (deep, wide networks)

# Run column <- History field (signal_norms is split: [:, 0] inputs, [:, 1:] the sites).
_FROM_HISTORY = {"loss": "loss", "train_accuracy": "train_accuracy",
                 "test_accuracy": "test_accuracy", "grad_norm": "grad_norms",
                 "update_ratio": "update_ratio", "dead_batch": "dead_fraction",
                 "dead_window": "dead_fraction_dataset", "saturated_batch": "saturated_fraction"}
_PLAIN = FLOAT_COLUMNS + INT_COLUMNS + BOOL_COLUMNS
_UNMEASURED = ("wall_time", "amp_scale", "step_seconds", "probe_hook_seconds",
               "probe_copy_seconds")   # NaN in series, None in records
_LISTS = PARAM_COLUMNS + SITE_COLUMNS


@dataclass(frozen=True)
class UnitSnapshot:
    """Per-unit arrays as of one step; the masks are the trainer's, shared until it re-measures."""

    step: int
    unit_grad: np.ndarray                          # (input + hidden units + output,) float64
    dead: tuple[np.ndarray, ...]                   # per hidden layer bool (width,)
    saturated: tuple[np.ndarray, ...] | None       # same, None for a trainer without them


class UnitSnapshots:
    """The newest `recent` snapshots in full and older ones thinned (every 2^k-th evicted kept)."""

    def __init__(self, recent: int, older: int) -> None:
        """Empty store; `older` is rounded up to an even count so halving keeps alignment."""
        self.recent = max(int(recent), 1)
        self.older = max(int(older) + int(older) % 2, 2)
        self._recent: list[UnitSnapshot] = []
        self._older: list[UnitSnapshot] = []
        self._evicted = 0
        self.stride = 1

    def __len__(self) -> int:
        """Snapshots held."""
        return len(self._recent) + len(self._older)

    def steps(self) -> list[int]:
        """Steps of the held snapshots, increasing."""
        return [s.step for s in self._older + self._recent]

    def add(self, snapshot: UnitSnapshot) -> None:
        """Keep `snapshot` (steps increase); the oldest recent one moves to the thinned set."""
        self._recent.append(snapshot)
        if len(self._recent) <= self.recent:
            return
        evicted = self._recent.pop(0)
        if self._evicted % self.stride == 0:
            if len(self._older) == self.older:
                self._older = self._older[::2]
                self.stride *= 2
            if self._evicted % self.stride == 0:
                self._older.append(evicted)
        self._evicted += 1

    def at_or_before(self, step: int) -> UnitSnapshot | None:
        """The newest snapshot taken at or before `step` (None if there is none)."""
        for held in (self._recent, self._older):
            found = bisect_right(held, step, key=attrgetter("step"))
            if found:
                return held[found - 1]
        return None


class TrainerRun:
    """The built-in Trainer as a Run: series from its History, per-unit snapshots kept here.

    The controller calls append(stats) with the StepStats of every step (or at least of the last
    step of each batch of steps); the run shows the History's rows up to that step and never reads
    the trainer from a view. Reads share the History with the trainer, so make them while the
    trainer is not stepping (the GUI thread between jobs, as the Lab does today).

    Record indices follow the History: all of its newest rows, then every 2^k-th older one, so an
    index names a different step once the History thins out; keep steps, not indices. Per-unit
    arrays (unit_grad, dead_units, ...) are snapshots taken with the first ALWAYS_PER_UNIT steps,
    every `unit_grad_every`-th step and whenever the trainer re-measured its dataset statistics;
    record(i) carries the newest snapshot at or before its step. wall_time, weight_norm and the
    AMP/probe timing columns are not measured by the trainer: NaN in series, None in records.
    After Trainer.reset() (a new History) the run starts over at the next append.
    """

    def __init__(self, trainer: Any, *, unit_grad_every: int = UNIT_GRAD_EVERY,
                 recent_snapshots: int = RECENT_SNAPSHOTS,
                 older_snapshots: int = OLDER_SNAPSHOTS,
                 snapshot_bytes: int = SNAPSHOT_BYTES) -> None:
        """Wrap `trainer` (nothing is recorded until append())."""
        self._trainer = trainer
        self.unit_grad_every = max(int(unit_grad_every), 1)
        self._snapshot_limits = (recent_snapshots, older_snapshots, snapshot_bytes)
        self._lock = threading.RLock()
        self._restart()

    def _restart(self) -> None:
        """Forget every record and take the trainer's current network, History and dataset."""
        trainer = self._trainer
        sizes = [int(size) for size in trainer.network.sizes]
        self._topology = trainer_topology(sizes, [a.name for a in trainer.network.activations])
        self._history = trainer.history
        self._config_source = trainer.config
        self._config: dict[str, Any] = trainer.config.to_dict()
        dataset = trainer.dataset
        self._boundary = dataset.X_train.shape[1] == 2
        self._classifies = dataset.task != "regression"
        recent, older, budget = self._snapshot_limits
        snapshot_bytes = 8 * sum(sizes) + 2 * self._topology.n_units
        fit = max(budget // 2 // snapshot_bytes, ALWAYS_PER_UNIT)
        self._snapshots = UnitSnapshots(min(recent, fit), min(older, fit))
        self._window_from = GrowingArray(np.int64)   # first appended step of each window ...
        self._window_step = GrowingArray(np.int64)   # ... and its dataset_stats_step
        self._newest: int | None = None
        self._diverged: tuple[int, str] | None = None
        self._polled = self._appended = 0
        self._cache: dict[str, np.ndarray] = {}

    # ----- fed by the controller -----------------------------------------------------------------
    def append(self, stats: Any) -> None:
        """Publish the trainer's History up to `stats.step` and keep its per-unit snapshot."""
        with self._lock:
            if self._trainer.history is not self._history:
                self._restart()
            step = int(stats.step)
            if self._newest is not None and step <= self._newest:
                return  # a diverged trainer hands back its last StepStats again
            if self._trainer.config is not self._config_source:
                self._config_source = self._trainer.config
                self._config = self._config_source.to_dict()
            window = int(stats.dataset_stats_step)
            new_window = not self._window_step.n or self._window_step.view()[-1] != window
            if new_window:
                self._window_from.extend(np.array([step]))
                self._window_step.extend(np.array([window]))
            if new_window or step <= ALWAYS_PER_UNIT or step % self.unit_grad_every == 0:
                saturated = getattr(stats, "saturated_units_dataset", None)
                self._snapshots.add(UnitSnapshot(
                    step, np.concatenate(stats.unit_grad, dtype=np.float64),
                    tuple(stats.dead_units_dataset),
                    None if saturated is None else tuple(saturated)))
            if stats.diverged:
                self._diverged = (step, str(stats.message))
            self._newest = step
            self._appended += 1
            self._cache = {}

    # ----- Run protocol: what the run is ---------------------------------------------------------
    @property
    def topology(self) -> Topology:
        """Hidden layers as sites L1..Ln, weight layers L1..L(n+1)."""
        return self._topology

    @property
    def config(self) -> dict[str, Any] | None:
        """The trainer's ExperimentConfig as a dict (as of the newest append)."""
        return self._config

    @property
    def growing(self) -> bool:
        """Always True: the live trainer can take more steps."""
        return True

    @property
    def newest_step(self) -> int | None:
        """Step of the newest appended StepStats (None before the first)."""
        return self._newest

    @property
    def capabilities(self) -> frozenset[str]:
        """BOUNDARY for 2-D data, ACCURACY for classification, the rest once steps exist."""
        with self._lock:
            found = {BOUNDARY} if self._boundary else set()
            if self._newest is not None:
                found |= {LOSS, PARAM_STATS}
                found |= {ACCURACY} if self._classifies else set()
                found |= {SITE_STATS} if self._topology.sites else set()
            if len(self._snapshots):
                found.add(PER_UNIT)
            return frozenset(found)

    def __len__(self) -> int:
        """Records held: the History's rows up to the newest appended step."""
        return len(self.steps())

    def poll(self) -> int:
        """How many StepStats were appended since the last poll (appends come via append())."""
        with self._lock:
            count, self._polled = self._appended - self._polled, self._appended
            return count

    # ----- reading -------------------------------------------------------------------------------
    def steps(self) -> np.ndarray:
        """(T,) int64 steps of the records, increasing (read-only)."""
        return self._column("step")

    def _column(self, name: str) -> np.ndarray:
        """A whole column: (T,) or (T, width), cached until the next append (read-only)."""
        with self._lock:
            cached = self._cache.get(name)
            if cached is None:
                cached = self._compute(name)
                cached.flags.writeable = False
                self._cache[name] = cached
            return cached

    def _compute(self, name: str) -> np.ndarray:
        if name == "step":
            if self._newest is None:
                return np.zeros(0, np.int64)
            steps = self._history.steps()
            return steps[:np.searchsorted(steps, self._newest, side="right")]
        n = len(self.steps())
        if name in _FROM_HISTORY:
            return self._history.series(_FROM_HISTORY[name])[:n]
        if name in ("input_signal_norm", "signal_norm"):
            signal = self._history.series("signal_norms")[:n]
            return signal[:, 0] if name == "input_signal_norm" else signal[:, 1:]
        if name == "window_step":
            if not self._window_from.n:
                return np.full(n, INT_NULL, np.int64)
            found = np.searchsorted(self._window_from.view(), self.steps(), side="right") - 1
            return np.where(found >= 0, self._window_step.view()[np.maximum(found, 0)], INT_NULL)
        if name == "diverged":
            return self.steps() == (self._diverged[0] if self._diverged else -1)
        if name in INT_COLUMNS:       # rank
            return np.zeros(n, np.int64)
        if name in BOOL_COLUMNS:      # skipped
            return np.zeros(n, bool)
        if name == "weight_norm":
            return np.full((n, len(self._topology.params)), np.nan)
        return np.full(n, np.nan)     # wall_time, AMP and probe timings: not measured

    def series(self, name: str, rows: slice | np.ndarray | None = None) -> np.ndarray:
        """A plain (k,), per-parameter (k, n_params) or per-site (k, n_sites) column (NaN: none)."""
        if name not in _PLAIN and name not in _LISTS:
            per_unit = " (per-unit columns are read with record())" * (name in PER_UNIT_COLUMNS)
            raise ValueError(f"'{name}' is not a run series{per_unit}; the series are "
                             f"{', '.join([*_PLAIN, *_LISTS])}.")
        values = self._column(name)
        if rows is None:
            return values
        if isinstance(rows, slice):
            return values[rows]
        index = np.asarray(rows, np.int64)
        if index.size and (index.min() < -len(values) or index.max() >= len(values)):
            raise IndexError(f"Record index out of range for a run of {len(values)} records.")
        return values[index]

    def record(self, index: int) -> StepRecord:
        """Every field of record `index`; per-unit fields from the newest snapshot at or before."""
        with self._lock:
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"Record {index} is out of range for a run of {n} records.")
            index %= n
            values: dict[str, Any] = {}
            for name in _PLAIN:
                values[name] = None if name in _UNMEASURED else self._column(name)[index].item()
            if values["window_step"] == INT_NULL:
                values["window_step"] = None
            for name in _LISTS:
                values[name] = None if name == "weight_norm" else self._column(name)[index].copy()
            values["message"] = self._diverged[1] if values["diverged"] else ""
            values["scalars"] = {}
            values.update(self._unit_values(values["step"]))
            return StepRecord.from_columns(values)

    def _unit_values(self, step: int) -> dict[str, np.ndarray | None]:
        """The per-unit columns of the newest snapshot at or before `step` (None: none yet)."""
        snapshot = self._snapshots.at_or_before(step)
        if snapshot is None:
            return dict.fromkeys(PER_UNIT_COLUMNS)
        topology = self._topology
        grads = snapshot.unit_grad
        inputs, hidden = topology.input_width, topology.n_units
        empty = np.zeros(0, bool)
        return {
            "input_unit_grad": grads[:inputs].copy(),
            "unit_grad": grads[inputs:inputs + hidden].copy(),
            "output_unit_grad": grads[inputs + hidden:].copy(),
            "dead_units": np.concatenate([*snapshot.dead, empty]),
            "saturated_units": None if snapshot.saturated is None
            else np.concatenate([*snapshot.saturated, empty]),
        }

    def step_index(self, step: int) -> int:
        """Index of the newest record at or before `step` (0 if `step` precedes them all)."""
        steps = self.steps()
        if not len(steps):
            raise IndexError("The run has no records yet.")
        return max(int(np.searchsorted(steps, step, side="right")) - 1, 0)

    def per_unit_index(self, index: int, name: str = "unit_grad") -> int | None:
        """Index of the record at the snapshot record(index) uses, else `index` (None: no snapshot).

        The snapshot's own step may have been thinned out of the History; record(index) still
        carries that snapshot's arrays, so the answer is then `index` itself.
        """
        if name not in PER_UNIT_COLUMNS:
            raise ValueError(f"'{name}' is not a per-unit column; they are "
                             f"{', '.join(PER_UNIT_COLUMNS)}.")
        with self._lock:
            steps = self.steps()
            if not -len(steps) <= index < len(steps):
                return None
            index %= len(steps)
            snapshot = self._snapshots.at_or_before(int(steps[index]))
            if snapshot is None or (name == "saturated_units" and snapshot.saturated is None):
                return None
            found = int(np.searchsorted(steps, snapshot.step))
            return found if found < len(steps) and steps[found] == snapshot.step else index

    def logged_names(self) -> list[str]:
        """Always empty: the built-in trainer logs no extra scalars."""
        return []

    def logged(self, name: str) -> np.ndarray:
        """(T,) NaN: nothing is logged by the built-in trainer."""
        return np.full(len(self), np.nan)
