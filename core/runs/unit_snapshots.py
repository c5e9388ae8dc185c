"""Per-unit snapshots of the live trainer: the newest ones in full, older ones thinned."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from operator import attrgetter

import numpy as np


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
