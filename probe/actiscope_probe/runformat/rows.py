"""Rows buffered between flushes, column by column in numpy arrays, turned into record batches.

Plain and per-parameter/per-site columns live in preallocated arrays (doubling when full); the
per-unit columns, recorded only now and then, are kept as {row: array}. Building a batch is a few
numpy slices per column, with no per-row Python work except for the sparse columns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa

from actiscope_probe.runformat.manifest import Topology
from actiscope_probe.runformat.schema import (
    COLUMN_NAMES,
    COLUMNS,
    INPUT,
    OUTPUT,
    PARAMS,
    SCHEMA,
    SITES,
    UNITS,
    WRITER_MESSAGE_BYTES,
)

_FLOATS = ("wall_time", "loss", "train_accuracy", "test_accuracy", "amp_scale", "step_seconds",
           "probe_hook_seconds", "probe_copy_seconds", "input_signal_norm")
_BOOLS = ("diverged", "skipped")


class RowBuffer:
    """Appended rows of one writer not yet written (not thread-safe: the writer locks)."""

    def __init__(self, topology: Topology, rank: int, capacity: int = 64) -> None:
        """Empty buffer for this topology; arrays hold `capacity` rows and double when full."""
        self.rank = rank
        self.n = 0
        self._capacity = capacity
        self._widths = {PARAMS: len(topology.params), SITES: len(topology.sites),
                        UNITS: topology.n_units, INPUT: topology.input_width,
                        OUTPUT: topology.output_width}
        self._steps = np.zeros(capacity, np.int64)
        self._floats = {name: np.zeros(capacity) for name in _FLOATS}
        self._window = np.zeros(capacity, np.int64)
        self._bools = {name: np.zeros(capacity, bool) for name in _BOOLS}
        self._dense = {c.name: np.zeros((capacity, self._widths[c.axis])) for c in COLUMNS
                       if c.axis in (PARAMS, SITES)}
        # valid[name][row]: the value was given (False = null). Non-nullable floats stay True.
        self._valid = {name: np.zeros(capacity, bool)
                       for name in (*_FLOATS, "window_step", *self._dense)}
        self._sparse: dict[str, dict[int, np.ndarray]] = {
            c.name: {} for c in COLUMNS if c.axis in (UNITS, INPUT, OUTPUT)}
        self._messages: dict[int, str] = {}
        self._scalars: dict[int, dict[str, float]] = {}
        self._setters: dict[str, Callable[[int, object], None]] = {
            "step": self._set_step, "window_step": self._set_window, "message": self._set_message,
            "scalars": self._set_scalars, "rank": self._set_rank,
            **{name: self._float_setter(name) for name in _FLOATS},
            **{name: self._bool_setter(name) for name in _BOOLS},
            **{name: self._dense_setter(name) for name in self._dense},
            **{c.name: self._sparse_setter(c.name, c.axis) for c in COLUMNS
               if c.name in self._sparse},
        }
        assert set(self._setters) == set(COLUMN_NAMES), "every schema column has a setter"

    def __len__(self) -> int:
        """Rows buffered."""
        return self.n

    @property
    def capacity(self) -> int:
        """Rows the arrays hold before they double."""
        return self._capacity

    # ----- appending ---------------------------------------------------------------------------
    def append(self, values: Mapping[str, object]) -> None:
        """Add one row; missing columns are null (wall_time: now; diverged/skipped: False)."""
        if "step" not in values:
            raise ValueError("A run record needs its 'step'.")
        if self.n == self._capacity:
            self._grow()
        row = self.n  # a fresh row: every valid flag and bool is still False (zeros)
        setters = self._setters
        for name, value in values.items():
            setter = setters.get(name)
            if setter is None:
                raise ValueError(f"'{name}' is not a run column; the columns are "
                                 f"{', '.join(COLUMN_NAMES)}.")
            if value is not None:
                setter(row, value)
        if not self._valid["wall_time"][row]:
            self._floats["wall_time"][row] = time.time()
            self._valid["wall_time"][row] = True
        self.n += 1

    def _grow(self) -> None:
        self._capacity *= 2
        cap = self._capacity

        def grown(array: np.ndarray) -> np.ndarray:
            bigger = np.zeros((cap, *array.shape[1:]), array.dtype)
            bigger[:len(array)] = array
            return bigger

        self._steps, self._window = grown(self._steps), grown(self._window)
        for table in (self._floats, self._bools, self._dense, self._valid):
            for name in table:
                table[name] = grown(table[name])

    def _set_step(self, row: int, value: object) -> None:
        self._steps[row] = int(value)  # type: ignore[call-overload]

    def _set_rank(self, row: int, value: object) -> None:
        if int(value) != self.rank:  # type: ignore[call-overload]
            raise ValueError(f"This writer records rank {self.rank}, not rank {value}.")

    def _set_window(self, row: int, value: object) -> None:
        self._window[row] = int(value)  # type: ignore[call-overload]
        self._valid["window_step"][row] = True

    def _set_message(self, row: int, value: object) -> None:
        if value != "":
            self._messages[row] = str(value)

    def _set_scalars(self, row: int, value: object) -> None:
        if not isinstance(value, Mapping):
            raise ValueError("'scalars' must map names to numbers.")
        if value:
            self._scalars[row] = {str(k): float(v) for k, v in value.items()}

    def _float_setter(self, name: str) -> Callable[[int, object], None]:
        values, valid = self._floats, self._valid

        def set_float(row: int, value: object) -> None:
            values[name][row] = value
            valid[name][row] = True
        return set_float

    def _bool_setter(self, name: str) -> Callable[[int, object], None]:
        def set_bool(row: int, value: object) -> None:
            self._bools[name][row] = bool(value)
        return set_bool

    def _dense_setter(self, name: str) -> Callable[[int, object], None]:
        axis = next(c.axis for c in COLUMNS if c.name == name)
        width = self._widths[axis]

        def set_dense(row: int, value: object) -> None:
            if np.shape(value) != (width,):
                raise ValueError(f"'{name}' needs {width} values (one per {axis[:-1]}), "
                                 f"got shape {np.shape(value)}.")
            self._dense[name][row] = value
            self._valid[name][row] = True
        return set_dense

    def _sparse_setter(self, name: str, axis: str) -> Callable[[int, object], None]:
        width = self._widths[axis]
        dtype = bool if name in ("dead_units", "saturated_units") else np.float64

        def set_sparse(row: int, value: object) -> None:
            if isinstance(value, list | tuple) and value:
                array = np.concatenate([np.ravel(part) for part in value], dtype=dtype)
            else:
                array = np.array(value, dtype=dtype, copy=True).ravel()  # the caller may reuse it
            if array.shape != (width,):
                raise ValueError(f"'{name}' needs {width} values ({axis}), got {array.size}.")
            self._sparse[name][row] = array
        return set_sparse

    # ----- record batches ----------------------------------------------------------------------
    def to_batches(self) -> list[pa.RecordBatch]:
        """The buffered rows as record batches of about WRITER_MESSAGE_BYTES each."""
        n = self.n
        if n == 0:
            return []
        dense_width = sum(array.shape[1] for array in self._dense.values())
        total = 8 * n * (len(COLUMNS) + dense_width) + sum(
            8 * array.size for rows in self._sparse.values() for array in rows.values())
        per_batch = max(1, int(n * WRITER_MESSAGE_BYTES // max(total, 1)))
        return [self._batch(start, min(start + per_batch, n)) for start in range(0, n, per_batch)]

    def _batch(self, a: int, b: int) -> pa.RecordBatch:
        columns: dict[str, pa.Array] = {
            "step": pa.array(self._steps[a:b]),
            "rank": pa.array(np.full(b - a, self.rank, np.int32)),
            "window_step": _masked(self._window[a:b], self._valid["window_step"][a:b]),
            "message": pa.array([self._messages.get(row) for row in range(a, b)], pa.string()),
            "scalars": self._scalar_map(a, b),
        }
        for name, values in self._floats.items():
            columns[name] = _masked(values[a:b], self._valid[name][a:b])
        for name, values in self._bools.items():
            columns[name] = pa.array(values[a:b])
        for name, values in self._dense.items():
            columns[name] = _dense_list(values[a:b], self._valid[name][a:b])
        for name, rows in self._sparse.items():
            dtype = SCHEMA.field(name).type.value_type
            columns[name] = _sparse_list(rows, a, b, dtype)
        return pa.RecordBatch.from_arrays([columns[name] for name in COLUMN_NAMES], schema=SCHEMA)

    def _scalar_map(self, a: int, b: int) -> pa.Array:
        counts = np.zeros(b - a, np.int32)
        keys: list[str] = []
        items: list[float] = []
        for row in range(a, b):
            logged = self._scalars.get(row)
            if logged:
                counts[row - a] = len(logged)
                keys.extend(logged)
                items.extend(logged.values())
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        return pa.MapArray.from_arrays(offsets, pa.array(keys, pa.string()),
                                       pa.array(items, pa.float64()))


def _masked(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A plain column; rows not valid are null."""
    return pa.array(values) if valid.all() else pa.array(values, mask=~valid)


def _dense_list(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """(n, width) rows as a list column; rows not valid are null (and empty)."""
    n, width = values.shape
    if valid.all():
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
        return pa.ListArray.from_arrays(offsets, pa.array(values.ravel()))
    lengths = np.where(valid, width, 0)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(offsets, pa.array(values[valid].ravel()),
                                    mask=pa.array(~valid))


def _sparse_list(rows: dict[int, np.ndarray], a: int, b: int, dtype: pa.DataType) -> pa.Array:
    """Rows a..b of a sparse per-unit column: the recorded ones as lists, the others null."""
    present = sorted(row for row in rows if a <= row < b)
    lengths = np.zeros(b - a, np.int64)
    for row in present:
        lengths[row - a] = rows[row].size
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    flat = (np.concatenate([rows[row] for row in present]) if present
            else np.empty(0, dtype.to_pandas_dtype()))
    valid = np.zeros(b - a, bool)
    valid[[row - a for row in present]] = True
    return pa.ListArray.from_arrays(offsets, pa.array(flat, dtype), mask=pa.array(~valid))
