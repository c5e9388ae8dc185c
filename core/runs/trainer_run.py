"""TrainerRun: the live built-in Trainer seen through the Run protocol (what every view reads).

Statistics come from the trainer's History (every step, decimated after its `recent` rows) and are
published up to the newest step handed to append(); per-unit arrays come from snapshots kept here.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from actiscope_probe.runformat import PARAM_COLUMNS, PER_UNIT_COLUMNS, SITE_COLUMNS, Topology

from core.boundary import decision_grid
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
from core.runs.unit_snapshots import UnitSnapshot, UnitSnapshots

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
        self._n_units = self._topology.n_units
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
        self._newest_stats: Any = None     # the newest StepStats: its record needs no reads
        self._diverged: tuple[int, str] | None = None
        self._polled = self._appended = 0
        self._cache: dict[str, np.ndarray] = {}
        self._records: dict[int, StepRecord] = {}   # record(i) of the views of one frame
        self._steps_read = GrowingArray(np.int64)    # steps() as last read
        self._head: UnitSnapshot | None = None   # the newest appended step's per-unit arrays
        # History fields read so far: steps and values, extended by the rows of later appends
        self._fields: dict[str, tuple[GrowingArray, GrowingArray]] = {}

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
            saturated = getattr(stats, "saturated_units_dataset", None)
            snapshot = UnitSnapshot(step, np.concatenate(stats.unit_grad, dtype=np.float64),
                                    tuple(stats.dead_units_dataset),
                                    None if saturated is None else tuple(saturated))
            if new_window or step <= ALWAYS_PER_UNIT or step % self.unit_grad_every == 0:
                self._snapshots.add(snapshot)
            self._head = snapshot     # the newest step always has its own per-unit arrays
            if stats.diverged:
                self._diverged = (step, str(stats.message))
            self._newest = step
            self._newest_stats = stats
            self._appended += 1
            self._cache = {}
            self._records = {}

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
            if len(self._snapshots) or self._head is not None:
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
            return self._held_steps()
        n = len(self.steps())
        if name in _FROM_HISTORY:
            return self._field(_FROM_HISTORY[name])
        if name in ("input_signal_norm", "signal_norm"):
            signal = self._field("signal_norms")
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

    def _held_steps(self) -> np.ndarray:
        """Steps of the History's rows up to the newest appended step; extended by the rows
        since the last call while the History only appended, else read again in full."""
        history, known = self._history, self._steps_read
        if known.n:
            new_steps, _ = history.rows_since(int(known.view()[-1]), "loss")
            if len(history) == known.n + len(new_steps):      # nothing thinned out
                known.extend(new_steps[:np.searchsorted(new_steps, self._newest, side="right")])
                return known.view()
        steps = history.steps()
        self._steps_read = known = GrowingArray(np.int64, capacity=max(len(steps), 64))
        known.extend(steps[:np.searchsorted(steps, self._newest, side="right")])
        return known.view()

    def _field(self, field: str) -> np.ndarray:
        """History field `field` at the records (read-only), copying only rows new since the
        last read while the History has only appended (it thins out only past `recent` rows)."""
        held = self.steps()
        kept = self._fields.get(field)
        if kept is not None:
            known_steps, values = kept
            known = known_steps.n
            if known and (len(held) < known or held[known - 1] != known_steps.view()[-1]):
                kept = None   # the History dropped (thinned) rows we held: read it again
        if kept is None:
            values = self._history.series(field)[:len(held)]
            known_steps = GrowingArray(np.int64, capacity=max(len(held), 64))
            known_steps.extend(held)
            kept = (known_steps, GrowingArray(np.float64, None if values.ndim == 1
                                              else values.shape[1], max(len(held), 64)))
            kept[1].extend(values)
            self._fields[field] = kept
        elif known_steps.n < len(held):
            steps, rows = self._history.rows_since(int(known_steps.view()[-1]), field)
            new = len(held) - known_steps.n
            known_steps.extend(steps[:new])
            values.extend(rows[:new])
        return kept[1].view()

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
        """Every field of record `index`; per-unit fields from the newest snapshot at or before.

        Its arrays are read-only: the record is shared by every reader until the next append.
        """
        with self._lock:
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"Record {index} is out of range for a run of {n} records.")
            index %= n
            found = self._records.get(index)
            if found is None:
                found = self._records[index] = self._make_record(index)
                if len(self._records) > 64:
                    self._records = {index: found}
            return found

    def _make_record(self, index: int) -> StepRecord:
        """Record `index` (0 <= index < len) built from the History (the newest one from its
        StepStats, the same numbers as the History's row) and the snapshots."""
        values: dict[str, Any] = dict.fromkeys(_UNMEASURED)
        step = int(self.steps()[index])
        values.update(step=step, rank=0, skipped=False, weight_norm=None,
                      diverged=self._diverged is not None and self._diverged[0] == step,
                      window_step=self._window_at(step))
        stats = self._newest_stats if step == self._newest else None
        for name, field in _FROM_HISTORY.items():
            if stats is not None:
                row = np.array(getattr(stats, field), np.float64)
            else:
                row = self._field(field)[index]      # read-only rows, never rewritten
            values[name] = row if name in _LISTS else float(row)
        signal = (np.array(stats.signal_norms, np.float64) if stats is not None
                  else self._field("signal_norms")[index])
        values["input_signal_norm"] = float(signal[0])
        values["signal_norm"] = signal[1:]
        values["message"] = self._diverged[1] if values["diverged"] else ""
        values["scalars"] = {}
        values.update(self._unit_values(values["step"]))
        for value in values.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        return StepRecord.from_columns(values)

    def _window_at(self, step: int) -> int | None:
        """The dataset_stats_step in force at `step` (None before the first append)."""
        if not self._window_from.n:
            return None
        found = int(np.searchsorted(self._window_from.view(), step, side="right")) - 1
        return int(self._window_step.view()[found]) if found >= 0 else None

    def _snapshot_at(self, step: int) -> UnitSnapshot | None:
        """The newest-step snapshot if it is `step`'s, else the newest kept at or before it."""
        head = self._head
        if head is not None and head.step == step:
            return head
        return self._snapshots.at_or_before(step)

    def _unit_values(self, step: int) -> dict[str, np.ndarray | None]:
        """The per-unit columns of the newest snapshot at or before `step` (None: none yet)."""
        snapshot = self._snapshot_at(step)
        if snapshot is None:
            return dict.fromkeys(PER_UNIT_COLUMNS)
        topology = self._topology
        grads = snapshot.unit_grad
        inputs, hidden = topology.input_width, self._n_units
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
            snapshot = self._snapshot_at(int(steps[index]))
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

    # ----- the live model (capability BOUNDARY only) ----------------------------------------------
    def boundary_points(self) -> tuple[np.ndarray, np.ndarray, str, int]:
        """(X_train (n, 2), y_train, task, n_classes) of the trainer's 2-D data (BOUNDARY)."""
        if not self._boundary:
            raise ValueError("This run has no 2-D data to draw a decision boundary over.")
        dataset = self._trainer.dataset
        return dataset.X_train, dataset.y_train, dataset.task, dataset.n_classes

    def boundary_grid(self, n: int, bounds: tuple[float, float, float, float]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs, ys, values) of the trainer's network over an n x n grid (core.boundary)."""
        if not self._boundary:
            raise ValueError("This run has no 2-D data to draw a decision boundary over.")
        return decision_grid(self._trainer.network, n=n, bounds=bounds)
