"""What the network diagram draws, as plain numpy: dot layout and per-dot aggregated statistics.

Every layer is a column; a layer wider than `max_dots` is drawn as `max_dots` dots, each standing
for a consecutive group of units (mean |grad| of the group, dead/saturated fractions of the group).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gui.lab.views.safe_values import (
    LogBounds,
    aggregate_groups,
    log10_safe,
    log_bounds,
)

MAX_DOTS_PER_COLUMN = 32
MIN_DOTS_PER_COLUMN = 8
DOT_BUDGET = 2400           # total dots: recolouring cost grows with it (~3 µs per dot per step)
DEAD_GROUP_FRACTION = 0.5   # an aggregated dot is drawn dead when at least half its units are dead


def dots_per_column(n_columns: int) -> int:
    """Most dots one column may hold: 32, fewer for very deep nets so the total stays ~2400."""
    return int(np.clip(DOT_BUDGET // max(n_columns, 1), MIN_DOTS_PER_COLUMN, MAX_DOTS_PER_COLUMN))


class DiagramModel:
    """Layout (fixed per architecture) and per-step dot statistics of the network diagram."""

    def __init__(self, sizes: Sequence[int], max_dots: int = MAX_DOTS_PER_COLUMN) -> None:
        """Lay out len(sizes) columns; column c holds min(sizes[c], max_dots) dots."""
        self.sizes = [int(s) for s in sizes]
        self.max_dots = int(max_dots)
        self.n_columns = len(self.sizes)
        self.group_starts = [aggregate_groups(w, max_dots) for w in self.sizes]
        counts = np.array([len(s) - 1 for s in self.group_starts])
        self.dots_per_column = counts
        self.column_offsets = np.concatenate([[0], np.cumsum(counts)])
        self.n_dots = int(self.column_offsets[-1])
        unit_offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        # one reduceat over all units at once: group starts in the concatenated unit vector
        self._flat_starts = np.concatenate([s[:-1] + o for s, o in
                                            zip(self.group_starts, unit_offsets, strict=False)])
        self._flat_counts = np.concatenate([np.diff(s) for s in self.group_starts])
        hidden_starts = self._flat_starts[counts[0]:self.column_offsets[-2]] - self.sizes[0]
        self._hidden_starts = hidden_starts
        self._hidden_counts = self._flat_counts[counts[0]:self.column_offsets[-2]]
        self.spot_column = np.repeat(np.arange(self.n_columns), counts)          # (n_dots,)
        self.spot_unit_start = np.concatenate([s[:-1] for s in self.group_starts])
        self.spot_unit_stop = np.concatenate([s[1:] for s in self.group_starts])
        within = np.arange(self.n_dots) - self.column_offsets[self.spot_column]
        self.x = self.spot_column.astype(np.float64)                             # (n_dots,)
        self.y = within - (counts[self.spot_column] - 1) / 2.0                  # centred columns
        self.mean_grad = np.zeros(self.n_dots)
        self.log_grad = np.zeros(self.n_dots)
        self.grad_underflow = np.zeros(self.n_dots, bool)
        self.grad_nonfinite = np.zeros(self.n_dots, bool)
        self.dead_fraction = np.zeros(self.n_dots)
        self.saturated_fraction = np.zeros(self.n_dots)
        self.column_log_grad = np.zeros(self.n_columns)
        self.bounds = LogBounds(1e-12, 1e12)

    @property
    def is_dead(self) -> np.ndarray:
        """(n_dots,) bool: the dot is drawn dead (all its units, or at least half of a group)."""
        return self.dead_fraction >= DEAD_GROUP_FRACTION

    @property
    def is_saturated(self) -> np.ndarray:
        """(n_dots,) bool: drawn with the saturation ring (not dead, at least half saturated)."""
        return ~self.is_dead & (self.saturated_fraction >= DEAD_GROUP_FRACTION)

    def update(self, unit_grad: Sequence[np.ndarray], dead_units: Sequence[np.ndarray],
               saturated_units: Sequence[np.ndarray] | None) -> None:
        """Aggregate one step: unit_grad has len(sizes) arrays (width,); dead/saturated masks have
        one bool array (width,) per hidden layer (saturated may be None: nothing marked)."""
        units = np.concatenate(unit_grad).astype(np.float64, copy=False)
        flat = np.add.reduceat(units, self._flat_starts) / self._flat_counts
        self.bounds = log_bounds(flat)
        safe = log10_safe(flat, self.bounds)
        self.mean_grad = flat
        self.log_grad = safe.values
        self.grad_underflow = safe.underflow
        self.grad_nonfinite = safe.nonfinite
        self.dead_fraction = self._hidden_fractions(dead_units)
        self.saturated_fraction = (self._hidden_fractions(saturated_units)
                                   if saturated_units is not None else np.zeros(self.n_dots))
        column_mean = [np.mean(g) for g in unit_grad]
        self.column_log_grad = log10_safe(np.array(column_mean, np.float64), self.bounds).values

    def _hidden_fractions(self, masks: Sequence[np.ndarray]) -> np.ndarray:
        """(n_dots,) fraction of each dot's units set in per-hidden-layer masks (0 for in/out)."""
        out = np.zeros(self.n_dots)
        if len(masks):
            units = np.concatenate(masks).astype(np.float64)
            hidden = np.add.reduceat(units, self._hidden_starts) / self._hidden_counts
            out[self.dots_per_column[0]:self.column_offsets[-2]] = hidden
        return out

    def color_levels(self) -> tuple[float, float]:
        """Integer log10 range (low, high) of the colour scale, at least one decade wide."""
        finite = self.log_grad[~self.grad_nonfinite & ~self.grad_underflow]
        if finite.size == 0:
            finite = self.log_grad
        low, high = float(np.floor(finite.min())), float(np.ceil(finite.max()))
        return (low, high) if high > low else (low - 0.5, high + 0.5)

    def color_index(self, n_levels: int) -> np.ndarray:
        """(n_dots,) int in [0, n_levels) along the colour scale (clamped)."""
        low, high = self.color_levels()
        t = (self.log_grad - low) / (high - low)
        return np.clip((t * (n_levels - 1)).round(), 0, n_levels - 1).astype(np.int64)

    def column_strength(self) -> np.ndarray:
        """(n_columns,) each column's mean |grad| on the colour scale, 0 (weakest) .. 1."""
        low, high = self.color_levels()
        return np.clip((self.column_log_grad - low) / (high - low), 0.0, 1.0)

    def edge_segments(self, max_segments: int) -> np.ndarray | None:
        """(2 * n_segments, 2) x/y pairs joining every dot to every dot of the next column, or
        None when that would exceed max_segments (big nets are drawn without edges)."""
        counts = self.dots_per_column
        total = int(np.sum(counts[:-1] * counts[1:]))
        if total == 0 or total > max_segments:
            return None
        points = []
        for c in range(self.n_columns - 1):
            a = np.arange(self.column_offsets[c], self.column_offsets[c + 1])
            b = np.arange(self.column_offsets[c + 1], self.column_offsets[c + 2])
            aa, bb = np.meshgrid(a, b, indexing="ij")
            pairs = np.stack([aa.ravel(), bb.ravel()], axis=1).ravel()
            points.append(np.stack([self.x[pairs], self.y[pairs]], axis=1))
        return np.concatenate(points)
