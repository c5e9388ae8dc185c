"""Peak-keeping decimation of long series for drawing: the min and max of each bucket of records.

A line through T points drawn into W pixel columns (T >> W) looks the same as each column's
vertical min..max segment joined to the next one, so a plot needs about 2 W points and every
spike stays. `peak_decimate` does this for a whole array; `PeakEnvelope` keeps the min and max
of a growing (T, k) series per block of BASE * 2^j records (j = 0, 1, ...), so the envelope of
any prefix, or of any span of records (a zoomed-in plot), at about `target` buckets costs
O(target) instead of O(T) (a scrubber redraws a prefix of a 1,000,000-record run every frame).

Minima and maxima ignore NaN (a bucket of NaN only is NaN): replace values beforehand when a
NaN must be drawn somewhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.runs.columns import GrowingArray

BASE = 32    # records per block of the finest level


def bucket_extremes(values: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi): NaN-ignoring min and max of values[starts[i]:starts[i + 1]] for each i
    (the last bucket runs to the end); values (T,) or (T, k), starts (B,) increasing, < T."""
    with np.errstate(invalid="ignore"):
        return (np.fmin.reduceat(values, starts, axis=0),
                np.fmax.reduceat(values, starts, axis=0))


def peak_points(starts: np.ndarray, sizes: np.ndarray, lo: np.ndarray, hi: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """(index (P,), values (P,) or (P, k)) to draw buckets: a bucket of one record is that
    record's point; a bigger one is two points at its first record, its min then its max."""
    counts = np.where(sizes > 1, 2, 1)
    first = np.cumsum(counts) - counts
    index = np.repeat(np.asarray(starts, np.int64), counts)
    values = np.empty((len(index), *lo.shape[1:]), np.result_type(lo, hi))
    values[first] = lo
    pairs = counts == 2
    values[first[pairs] + 1] = hi[pairs]
    return index, values


def peak_decimate(values: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """(index (P,), values (P,) or (P, k)) of `values` (T,) or (T, k) in at most `target`
    buckets of consecutive records (all T points when T <= 2 * target): every bucket's min and
    max are kept, so are all peaks."""
    n = len(values)
    if n <= 2 * target:
        return np.arange(n), np.asarray(values)
    starts = np.unique(np.linspace(0, n, target + 1)[:-1].astype(np.int64))
    lo, hi = bucket_extremes(values, starts)
    return peak_points(starts, np.diff(np.append(starts, n)), lo, hi)


class PeakEnvelope:
    """Min and max per block of BASE * 2^j records (j = 0, 1, ...) of a growing series.

    extend() folds in whole blocks of records in order; envelope() draws any prefix that ends
    within BASE records past what was folded in (the caller passes those last raw records).
    """

    BASE = BASE

    def __init__(self) -> None:
        """Empty envelope of a (T,) or (T, k) series (its shape comes with the first records)."""
        self._lo: list[GrowingArray] = []
        self._hi: list[GrowingArray] = []

    @property
    def covered(self) -> int:
        """Records folded in (a multiple of BASE)."""
        return self._lo[0].n * BASE if self._lo else 0

    def extend(self, values: np.ndarray) -> None:
        """Fold in the next records, (m * BASE,) or (m * BASE, width) values."""
        if len(values) % BASE:
            raise ValueError(f"Records come in whole blocks of {BASE}, not {len(values)}.")
        if not len(values):
            return
        blocks = np.asarray(values).reshape(len(values) // BASE, BASE, *np.shape(values)[1:])
        with np.errstate(invalid="ignore"):
            lo, hi = np.fmin.reduce(blocks, axis=1), np.fmax.reduce(blocks, axis=1)
        level = 0
        while len(lo):
            if level == len(self._lo):
                width = lo.shape[1] if lo.ndim == 2 else None
                self._lo.append(GrowingArray(lo.dtype, width))
                self._hi.append(GrowingArray(hi.dtype, width))
            self._lo[level].extend(lo)
            self._hi[level].extend(hi)
            # the next level's new blocks: pairs of this level's blocks not yet paired
            below_lo, below_hi = self._lo[level].view(), self._hi[level].view()
            done = self._lo[level + 1].n * 2 if level + 1 < len(self._lo) else 0
            pairs = (len(below_lo) - done) // 2
            span = slice(done, done + 2 * pairs)
            lo = np.fmin(below_lo[span][0::2], below_lo[span][1::2])
            hi = np.fmax(below_hi[span][0::2], below_hi[span][1::2])
            level += 1

    def envelope(self, stop: int, target: int, tail: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(index (P,), values) of records [0, stop) in about target / 2 to `target` buckets
        (the last few finer); `tail` holds the raw records [stop - stop % BASE, stop)."""
        whole = stop - stop % BASE
        if len(tail) != stop - whole:
            raise ValueError(f"The tail has {len(tail)} records, not {stop - whole}.")
        return self.span(0, stop, target, lambda a, b: np.asarray(tail)[a - whole:b - whole])

    def span(self, start: int, stop: int, target: int,
             raw: Callable[[int, int], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(index (P,), values) of records [start, stop) in about target / 2 to `target`
        buckets of one level's blocks, finer blocks towards both ends (one per level) and the
        raw records of the partial blocks at the ends, which raw(a, b) returns (records
        [a, b), fewer than BASE at each end). Costs O(target + levels), whatever the span."""
        head, whole = -(-start // BASE) * BASE, stop - stop % BASE
        if head >= whole:                 # no whole block inside: the records themselves
            values = np.asarray(raw(start, stop))
            return np.arange(start, stop), values
        if whole > self.covered:
            raise ValueError(f"The envelope covers {self.covered} records, not {whole}.")
        level = 0
        while level + 1 < len(self._lo) and (whole - head) // (BASE << level) > target:
            level += 1
        pieces = [(start, head, None)] if head > start else []   # (start, stop, level or None)
        position = head
        for j in range(level):           # up the levels until aligned to the chosen one
            size = BASE << j
            if position % (2 * size) and position + size <= whole:
                pieces.append((position, position + size, j))
                position += size
        if position % (BASE << level) == 0:
            size = BASE << level
            count = (whole - position) // size
            if count:
                pieces.append((position, position + count * size, level))
                position += count * size
        for j in range(level - 1, -1, -1):   # down again to the last whole block
            size = BASE << j
            if position + size <= whole:
                pieces.append((position, position + size, j))
                position += size
        if stop > position:
            pieces.append((position, stop, None))
        starts, sizes, lows, highs = [], [], [], []
        for a, b, j in pieces:
            if j is None:
                values = np.asarray(raw(a, b))
                starts.append(np.arange(a, b))
                sizes.append(np.ones(b - a, np.int64))
                lows.append(values)
                highs.append(values)
                continue
            size = BASE << j
            starts.append(np.arange(a, b, size))
            sizes.append(np.full((b - a) // size, size))
            lows.append(self._lo[j].view()[a // size:b // size])
            highs.append(self._hi[j].view()[a // size:b // size])
        return peak_points(np.concatenate(starts), np.concatenate(sizes),
                           np.concatenate(lows), np.concatenate(highs))
