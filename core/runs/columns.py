"""Column storage for runs read from files: doubling numpy buffers and chunked list columns.

Plain columns (step, loss, ...) are copied once into preallocated numpy buffers that double when
full. List columns stay in the Arrow record batches they were read in (memory-mapped from the file
for large runs, so opening copies nothing); each batch is turned into a (rows, width) numpy view
only when a read touches it, and a column read in full is kept in a doubling buffer from then on.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class GrowingArray:
    """A 1-D or 2-D numpy buffer that doubles its capacity when full (append-only)."""

    def __init__(self, dtype: np.dtype | type, width: int | None = None, capacity: int = 64):
        """Empty buffer of rows of `width` values (None: scalars)."""
        shape = (capacity,) if width is None else (capacity, width)
        self._data = np.empty(shape, dtype)
        self.n = 0

    def extend(self, values: np.ndarray) -> None:
        """Append rows (k,) or (k, width)."""
        k = len(values)
        if self.n + k > len(self._data):
            capacity = max(2 * len(self._data), self.n + k)
            bigger = np.empty((capacity, *self._data.shape[1:]), self._data.dtype)
            bigger[:self.n] = self._data[:self.n]
            self._data = bigger
        self._data[self.n:self.n + k] = values
        self.n += k

    def view(self, stop: int | None = None) -> np.ndarray:
        """The first `stop` (default all) rows as a read-only view (appends never change it)."""
        view = self._data[:self.n if stop is None else min(stop, self.n)]
        view.flags.writeable = False
        return view


def list_rows(array: pa.Array, width: int, dtype: type = np.float64) -> np.ndarray:
    """A list chunk as (rows, width): zero-copy when no row is null, else null rows NaN/False."""
    n = len(array)
    offsets = array.offsets.to_numpy()
    values = array.values.to_numpy(zero_copy_only=False)
    if array.null_count == 0:
        start = int(offsets[0])
        return values[start:start + n * width].reshape(n, width)
    fill = np.nan if dtype is np.float64 else False
    rows = np.full((n, width), fill, dtype)
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    if valid.any():
        starts = offsets[:-1][valid].astype(np.int64)
        rows[valid] = values[starts[:, None] + np.arange(width)]
    return rows


class ListColumn:
    """One list column over a rank's record batches: row reads, gathers, and full reads."""

    def __init__(self, name: str, width: int, dtype: type = np.float64) -> None:
        """Empty column whose rows hold `width` values."""
        self.name = name
        self.width = width
        self.dtype = dtype
        self._chunks: list[pa.Array] = []
        self._views: list[np.ndarray | None] = []
        self._full: GrowingArray | None = None   # set once the column was read in full
        self.any_valid = False

    def add_chunks(self, chunks: list[pa.Array]) -> None:
        """Append the column's arrays of newly read batches (aligned with the rank's chunks)."""
        self._chunks.extend(chunks)
        self._views.extend([None] * len(chunks))
        self.any_valid = self.any_valid or any(c.null_count < len(c) for c in chunks)
        if self._full is not None:
            for index in range(len(self._chunks) - len(chunks), len(self._chunks)):
                self._full.extend(self._view(index))

    def _view(self, index: int) -> np.ndarray:
        view = self._views[index]
        if view is None:
            view = list_rows(self._chunks[index], self.width, self.dtype)
            view.flags.writeable = False
            self._views[index] = view
        return view

    def row(self, chunk: int, offset: int) -> np.ndarray | None:
        """One row's values (a copy), or None where it is null."""
        array = self._chunks[chunk]
        if not array[offset].is_valid:
            return None
        if self._views[chunk] is None and array.null_count:
            # sparse columns: read just this row, do not expand the whole chunk
            return array[offset].values.to_numpy(zero_copy_only=False).astype(self.dtype)
        return self._view(chunk)[offset].copy()

    def gather(self, chunk_ids: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Rows (k, width) given each row's chunk and offset (or record index when read in full)."""
        if self._full is not None:
            return self._full.view()[rows]
        out = np.empty((len(rows), self.width), self.dtype)
        if not len(rows):
            return out
        order = np.argsort(chunk_ids, kind="stable")
        bounds = np.flatnonzero(np.diff(chunk_ids[order])) + 1
        for group in np.split(order, bounds):
            out[group] = self._view(int(chunk_ids[group[0]]))[offsets[group]]
        return out

    def rows(self, chunk_ids: np.ndarray, offsets: np.ndarray, start: int, stop: int
             ) -> np.ndarray:
        """Records [start, stop) (k, width), given the chunk and offset of `start` and of
        `stop` - 1: a read-only view within one chunk (or of the full read), else one copy."""
        if self._full is not None:
            return self._full.view()[start:stop]
        first, last = int(chunk_ids[0]), int(chunk_ids[1])
        begin, end = int(offsets[0]), int(offsets[1]) + 1
        if first == last:
            return self._view(first)[begin:end]
        parts = [self._view(first)[begin:]]
        parts += [self._view(index) for index in range(first + 1, last)]
        parts.append(self._view(last)[:end])
        return np.concatenate(parts)

    def full(self) -> np.ndarray:
        """Every row (T, width), kept in a doubling buffer from now on (read-only view)."""
        if self._full is None:
            full = GrowingArray(self.dtype, self.width, max(64, sum(map(len, self._chunks))))
            for index in range(len(self._chunks)):
                full.extend(self._view(index))
            self._full = full
        return self._full.view()
