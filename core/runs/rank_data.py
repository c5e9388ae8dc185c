"""Everything read so far from one rank's stream, in numpy buffers and chunked list columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from actiscope_probe.runformat import (
    COLUMNS,
    INPUT,
    OUTPUT,
    PARAMS,
    PER_UNIT_COLUMNS,
    RECORD,
    SITES,
    UNITS,
    Topology,
)

from core.runs.columns import GrowingArray, ListColumn

# Plain columns by how they are held (derived from the schema, so a new column lands somewhere).
FLOAT_COLUMNS = tuple(c.name for c in COLUMNS if c.axis == RECORD and pa.types.is_floating(c.type))
INT_COLUMNS = tuple(c.name for c in COLUMNS if c.axis == RECORD and pa.types.is_integer(c.type))
BOOL_COLUMNS = tuple(c.name for c in COLUMNS if c.axis == RECORD and pa.types.is_boolean(c.type))
LIST_COLUMNS = tuple(c.name for c in COLUMNS if pa.types.is_list(c.type))
NULLABLE = frozenset(c.name for c in COLUMNS if c.nullable)
INT_NULL = -1  # what a null integer (window_step) reads as in a series


class RankData:
    """One rank's records: plain columns in doubling buffers, list columns per Arrow chunk."""

    def __init__(self, topology: Topology) -> None:
        """Empty store for records of this topology."""
        widths = {PARAMS: len(topology.params), SITES: len(topology.sites),
                  UNITS: topology.n_units, INPUT: topology.input_width,
                  OUTPUT: topology.output_width}
        self.n = 0
        self.plain: dict[str, GrowingArray] = {
            **{name: GrowingArray(np.float64) for name in FLOAT_COLUMNS},
            **{name: GrowingArray(np.int64) for name in INT_COLUMNS},
            **{name: GrowingArray(bool) for name in BOOL_COLUMNS},
        }
        self.valid = {name: GrowingArray(bool) for name in self.plain if name in NULLABLE}
        self.lists = {c.name: ListColumn(c.name, widths[c.axis],
                                         bool if pa.types.is_boolean(c.type.value_type)
                                         else np.float64)
                      for c in COLUMNS if c.name in LIST_COLUMNS}
        self.unit_rows = {name: GrowingArray(np.int64) for name in PER_UNIT_COLUMNS}
        self.chunk_starts = GrowingArray(np.int64)
        self._messages: list[pa.Array] = []
        self._maps: list[pa.Array] = []
        self.scalar_names: set[str] = set()

    @property
    def steps(self) -> np.ndarray:
        """(n,) int64 step numbers, increasing (read-only view)."""
        return self.plain["step"].view()

    def ingest(self, table: pa.Table) -> None:
        """Append a validated table of new rows (one chunk per record batch)."""
        lengths = np.array([len(chunk) for chunk in table.column("step").chunks], np.int64)
        self.chunk_starts.extend(self.n + np.concatenate([[0], np.cumsum(lengths)[:-1]]))
        for name, buffer in self.plain.items():
            column = table.column(name)
            nulls = column.null_count
            if name in self.valid:
                self.valid[name].extend(
                    np.full(len(column), nulls == 0) if nulls in (0, len(column))
                    else column.is_valid().to_numpy(zero_copy_only=False))
            if nulls == len(column) and name in FLOAT_COLUMNS:
                buffer.extend(np.full(len(column), np.nan))  # e.g. amp_scale of a built-in run
            elif nulls and name in INT_COLUMNS:
                buffer.extend(pc.fill_null(column, INT_NULL).to_numpy())
            else:
                buffer.extend(column.to_numpy())
        for name, list_column in self.lists.items():
            column = table.column(name)
            list_column.add_chunks(column.chunks)
            if name in self.unit_rows and column.null_count < len(column):
                present = np.flatnonzero(column.is_valid().to_numpy(zero_copy_only=False))
                self.unit_rows[name].extend(self.n + present)
        self._messages.extend(table.column("message").chunks)
        maps = table.column("scalars").chunks
        self._maps.extend(maps)
        keys = [chunk.keys for chunk in maps if len(chunk.keys)]
        if keys:
            self.scalar_names.update(pc.unique(pa.chunked_array(keys, pa.string())).to_pylist())
        self.n += len(table)

    def locate(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(chunk index, offset in chunk) of each record index in `rows`."""
        starts = self.chunk_starts.view()
        chunks = np.searchsorted(starts, rows, side="right") - 1
        return chunks, rows - starts[chunks]

    def plain_series(self, name: str, rows: np.ndarray | slice) -> np.ndarray:
        """A plain column at `rows` (nulls: NaN for floats, -1 for integers)."""
        return self.plain[name].view()[rows]

    def list_series(self, name: str, rows: np.ndarray) -> np.ndarray:
        """A list column at record indices `rows`: (k, width)."""
        chunks, offsets = self.locate(rows)
        return self.lists[name].gather(chunks, offsets, rows)

    def list_rows(self, name: str, start: int, stop: int) -> np.ndarray:
        """A list column's records [start, stop): (stop - start, width), a read-only view
        when they lie in one record batch."""
        if stop <= start:
            return np.empty((0, self.lists[name].width), self.lists[name].dtype)
        chunks, offsets = self.locate(np.array([start, stop - 1]))
        return self.lists[name].rows(chunks, offsets, start, stop)

    def logged(self, name: str) -> np.ndarray:
        """(n,) the logged scalar `name` per record, NaN where it was not logged."""
        if name not in self.scalar_names:
            return np.full(self.n, np.nan)
        found = pc.map_lookup(pa.chunked_array(self._maps, self._maps[0].type), name, "last")
        return found.to_numpy()

    def record(self, i: int) -> dict[str, Any]:
        """Every column of record i: Python numbers (None for null) and numpy arrays."""
        chunks, offsets = self.locate(np.array([i]))
        chunk, offset = int(chunks[0]), int(offsets[0])
        values: dict[str, Any] = {}
        for name, buffer in self.plain.items():
            value = buffer.view()[i].item()
            valid = self.valid.get(name)
            values[name] = None if valid is not None and not valid.view()[i] else value
        for name, column in self.lists.items():
            values[name] = column.row(chunk, offset)
        values["message"] = self._messages[chunk][offset].as_py() or ""
        values["scalars"] = dict(self._maps[chunk][offset].as_py() or [])
        return values
