"""Every StepStats scalar and per-layer field over time, in bounded memory.

Each step becomes one packed float64 row (loss, accuracies, then the per-layer arrays) in a ring
of the `recent` newest steps. A row pushed out of the ring is offered to the `older` buffer, which
keeps every stride-th one; when that buffer fills, every other row is dropped and the stride
doubles. So old history thins out (every 2^k-th step kept) while recent history stays complete.
"""

from __future__ import annotations

import numpy as np

# Per-layer fields and which layer count they follow.
_WEIGHT_LAYER_FIELDS = ("grad_norms", "signal_norms", "update_ratio")
_HIDDEN_FIELDS = ("dead_fraction", "dead_fraction_dataset", "saturated_fraction")
_SCALAR_FIELDS = ("loss", "train_accuracy", "test_accuracy")
# Column names used by table(): per-layer fields get a 1-based "_L{i}" suffix.
_COLUMN_STEMS = {
    "loss": "loss", "train_accuracy": "train_accuracy", "test_accuracy": "test_accuracy",
    "grad_norms": "grad_norm", "signal_norms": "signal_norm", "update_ratio": "update_ratio",
    "dead_fraction": "dead_batch", "dead_fraction_dataset": "dead_dataset",
    "saturated_fraction": "saturated_batch",
}
DEFAULT_MAX_BYTES = 160 * 2**20


class History:
    """Every StepStats scalar/per-layer field over time; bounded memory.

    Keeps all of the last `recent` steps; older steps are decimated (every 2^k-th kept).
    When a record is wide (very deep nets) both capacities shrink so the buffers stay within
    `max_bytes`.
    """

    FIELDS = ("loss", "train_accuracy", "test_accuracy", "grad_norms", "signal_norms",
              "dead_fraction", "dead_fraction_dataset", "saturated_fraction", "update_ratio")

    def __init__(self, n_weight_layers: int, n_hidden: int, recent: int = 20000,
                 older: int = 20000, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        """Allocate the buffers (pages are only touched as they fill)."""
        if n_weight_layers < 1 or n_hidden < 0 or recent < 1 or older < 2:
            raise ValueError("History needs >= 1 weight layer, >= 0 hidden layers, "
                             "recent >= 1 and older >= 2.")
        self.n_weight_layers = n_weight_layers
        self.n_hidden = n_hidden
        self._slices: dict[str, slice] = {}
        start = 0
        for name in self.FIELDS:
            width = (1 if name in _SCALAR_FIELDS else
                     n_weight_layers if name in _WEIGHT_LAYER_FIELDS else n_hidden)
            self._slices[name] = slice(start, start + width)
            start += width
        self._row_width = start
        row_bytes = 8 * (start + 1)
        scale = min(1.0, max_bytes / (row_bytes * (recent + older)))
        self.recent = max(1, int(recent * scale))
        self.older = max(2, int(older * scale) // 2 * 2)     # even, so halving keeps alignment
        self._recent_rows = np.empty((self.recent, start))
        self._recent_steps = np.empty(self.recent, dtype=np.int64)
        self._older_rows = np.empty((self.older, start))
        self._older_steps = np.empty(self.older, dtype=np.int64)
        self._appended = 0        # total records ever appended
        self._n_older = 0         # rows held in the older buffer
        self._evicted = 0         # records pushed out of the ring so far
        self.stride = 1           # the older buffer keeps evicted records whose index % stride == 0

    def append(self, stats) -> None:
        """Record one step; `stats` needs StepStats' attribute names (step, loss, ... arrays)."""
        slot = self._appended % self.recent
        if self._appended >= self.recent:
            self._evict(slot)
        row = self._recent_rows[slot]
        pieces = [(stats.loss, stats.train_accuracy, stats.test_accuracy),
                  stats.grad_norms, stats.signal_norms, stats.dead_fraction,
                  stats.dead_fraction_dataset, stats.saturated_fraction, stats.update_ratio]
        try:
            np.concatenate([np.ravel(piece) for piece in pieces], out=row, casting="unsafe")
        except ValueError:
            raise ValueError(self._shape_mismatch(stats)) from None
        self._recent_steps[slot] = stats.step
        self._appended += 1

    def _shape_mismatch(self, stats) -> str:
        """Which per-layer field of `stats` has the wrong length (a programming error)."""
        for name in self.FIELDS[3:]:
            want = self._slices[name].stop - self._slices[name].start
            got = np.size(getattr(stats, name))
            if got != want:
                return f"History expected {want} values for {name}, got {got}."
        return "History could not store this step's statistics."

    def _evict(self, slot: int) -> None:
        """Offer the ring's oldest record (about to be overwritten) to the decimated buffer."""
        if self._evicted % self.stride == 0:
            if self._n_older == self.older:
                half = self.older // 2
                self._older_rows[:half] = self._older_rows[::2]
                self._older_steps[:half] = self._older_steps[::2]
                self._n_older = half
                self.stride *= 2
            if self._evicted % self.stride == 0:
                self._older_rows[self._n_older] = self._recent_rows[slot]
                self._older_steps[self._n_older] = self._recent_steps[slot]
                self._n_older += 1
        self._evicted += 1

    def __len__(self) -> int:
        """Records held (recent ones plus the decimated older ones)."""
        return self._n_older + min(self._appended, self.recent)

    def _ordered(self, recent: np.ndarray, older: np.ndarray) -> np.ndarray:
        """Older rows then the ring's rows, oldest first (a new array)."""
        n_recent = min(self._appended, self.recent)
        start = self._appended % self.recent if self._appended > self.recent else 0
        ring = np.roll(recent[:n_recent], -start, axis=0) if start else recent[:n_recent]
        return np.concatenate([older[:self._n_older], ring])

    def steps(self) -> np.ndarray:
        """Step numbers of the held records, (T,) int64, increasing."""
        return self._ordered(self._recent_steps, self._older_steps)

    def series(self, name: str) -> np.ndarray:
        """One field over time: (T,) for scalars, (T, L) for per-layer fields (float64 copy)."""
        if name not in self._slices:
            raise ValueError(f"Unknown history field '{name}'; valid fields are "
                             f"{', '.join(self.FIELDS)}.")
        columns = self._slices[name]
        values = self._ordered(self._recent_rows[:, columns], self._older_rows[:, columns])
        return values[:, 0] if name in _SCALAR_FIELDS else values

    def rows_since(self, step: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Steps (k,) and values ((k,) or (k, L)) of the held records after `step`, oldest first.

        Copies only those rows (the ring's segments are searched, not reordered), so a reader
        that keeps what it read before pays per new record rather than per held record.
        """
        if name not in self._slices:
            raise ValueError(f"Unknown history field '{name}'; valid fields are "
                             f"{', '.join(self.FIELDS)}.")
        columns = self._slices[name]
        n_recent = min(self._appended, self.recent)
        newest = (self._appended - 1) % self.recent
        if n_recent >= 2 and self._recent_steps[newest - 1] <= step < self._recent_steps[newest]:
            # the common case: one record since (slot newest - 1 wraps to the ring's end)
            values = self._recent_rows[newest:newest + 1, columns].copy()
            return (self._recent_steps[newest:newest + 1].copy(),
                    values[:, 0] if name in _SCALAR_FIELDS else values)
        start = self._appended % self.recent if self._appended > self.recent else 0
        # the ring in order is slots [start, n_recent) then [0, start): two sorted segments
        segments = [(start, n_recent), (0, start)] if start else [(0, n_recent)]
        step_parts, row_parts = [], []
        if self._n_older and (not n_recent or step < self._recent_steps[segments[0][0]]):
            older = self._older_steps[:self._n_older]
            first = int(np.searchsorted(older, step, side="right"))
            step_parts.append(older[first:])
            row_parts.append(self._older_rows[first:self._n_older, columns])
        for low, high in segments:
            first = low + int(np.searchsorted(self._recent_steps[low:high], step, side="right"))
            step_parts.append(self._recent_steps[first:high])
            row_parts.append(self._recent_rows[first:high, columns])
        steps = np.concatenate(step_parts) if step_parts else np.zeros(0, np.int64)
        values = (np.concatenate(row_parts) if row_parts
                  else np.zeros((0, columns.stop - columns.start)))
        return steps, (values[:, 0] if name in _SCALAR_FIELDS else values)

    def last(self, name: str) -> np.ndarray | float | None:
        """The newest value of a field (None when empty)."""
        if not self._appended:
            return None
        slot = (self._appended - 1) % self.recent
        value = self._recent_rows[slot, self._slices[name]].copy()
        return float(value[0]) if name in _SCALAR_FIELDS else value

    def table(self, columns: list[str] | None = None) -> tuple[list[str], np.ndarray]:
        """(header, rows (T, 1 + C) float64): step, then the fields asked for (default all).

        Per-layer fields expand to one column per layer with a 1-based suffix: grad_norm_L1,
        signal_norm_L1, update_ratio_L1 (weight layers), dead_batch_L1, dead_dataset_L1,
        saturated_batch_L1 (hidden layers).
        """
        names = list(self.FIELDS if columns is None else columns)
        header = ["step"]
        blocks = [self.steps().astype(np.float64)[:, None]]
        for name in names:
            values = self.series(name)
            if values.ndim == 1:
                header.append(_COLUMN_STEMS[name])
                blocks.append(values[:, None])
            else:
                header += [f"{_COLUMN_STEMS[name]}_L{i + 1}" for i in range(values.shape[1])]
                blocks.append(values)
        return header, np.concatenate(blocks, axis=1)

    def clear(self) -> None:
        """Forget every record (buffers are kept)."""
        self._appended = self._n_older = self._evicted = 0
        self.stride = 1

    def nbytes(self) -> int:
        """Bytes held by the buffers (their full allocated capacity)."""
        return sum(a.nbytes for a in (self._recent_rows, self._recent_steps,
                                      self._older_rows, self._older_steps))
