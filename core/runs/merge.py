"""How the ranks of a distributed run combine into one record per step.

Rank 0 defines the records and supplies everything except the death and saturation statistics:
under DDP the parameter statistics are the same on every rank. A unit is dead (saturated) on the
global batch or window only if it is so on every rank, so per-unit masks are ANDed, and per-site
fractions take the minimum over the ranks that recorded that step (the closest bound fractions
alone allow). Ranks that have not recorded a step are left out of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_MERGED = ("dead_batch", "dead_window", "saturated_batch")
AND_MERGED = ("dead_units", "saturated_units")


def matching_rows(other_steps: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(present (k,) bool, index (k,) into other_steps) for each of `steps` (both increasing)."""
    if not len(other_steps):
        return np.zeros(len(steps), bool), np.zeros(len(steps), np.int64)
    index = np.minimum(np.searchsorted(other_steps, steps), len(other_steps) - 1)
    return other_steps[index] == steps, index


def merge_fraction(values: np.ndarray, present: np.ndarray, other: np.ndarray) -> None:
    """In place: values[present] = min(values[present], other), NaN meaning "not recorded"."""
    values[present] = np.fmin(values[present], other)


def merge_record(values: dict[str, Any], other: dict[str, Any]) -> None:
    """In place: fold another rank's record of the same step into `values`."""
    for name in MIN_MERGED:
        mine, theirs = values[name], other[name]
        if theirs is not None:
            values[name] = theirs if mine is None else np.fmin(mine, theirs)
    for name in AND_MERGED:
        mine, theirs = values[name], other[name]
        if theirs is not None:
            values[name] = theirs if mine is None else mine & theirs
