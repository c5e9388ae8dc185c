"""The per-site and per-unit columns of one record, from the host copy of its site buffers.

Runs on the writer thread, so it is vectorised over all units (a few numpy calls per record, not
per site): the interpreter time it takes is time the training thread may wait for. Dead and
saturated follow sites.py: a unit is dead when its peak |f'| stand-in is 0, saturated when it is
below SATURATION_THRESHOLD yet not dead (saturating kinds only); kinds whose derivative cannot be
read from the output have NaN fractions and no masks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from actiscope_probe.sites import SATURATING, SATURATION_THRESHOLD, SiteState


class Layout:
    """Where each site's units lie in the forward-order unit axis, and what can be measured."""

    def __init__(self, sites: list[SiteState]) -> None:
        """`sites` in forward order (the run's topology)."""
        self.n = len(sites)
        self.widths = np.array([s.width for s in sites], np.int64)
        self.ends = np.cumsum(self.widths)
        self.starts = self.ends - self.widths
        self.measured = np.array([s.measured for s in sites], bool)
        saturating = np.array([s.measured and s.kind in SATURATING for s in sites], bool)
        self.unit_measured = np.repeat(self.measured, self.widths)
        self.unit_saturating = np.repeat(saturating, self.widths)
        self.saturating = saturating
        self._zeros = [np.zeros(w) for w in self.widths]
        self._share = 1.0 / np.maximum(self.widths, 1)

    def per_site(self, mask: np.ndarray) -> np.ndarray:
        """(sites,) fraction of each site's units where `mask` (units,) is True."""
        counts = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
        return (counts[self.ends] - counts[self.starts]) * self._share

    def gather(self, parts: dict[str, np.ndarray], letter: str) -> tuple[np.ndarray, np.ndarray]:
        """(units,) values of the parts `letter`0, 1, … (0 where absent) and (sites,) present."""
        present = np.array([f"{letter}{i}" in parts for i in range(self.n)], bool)
        values = np.concatenate([parts.get(f"{letter}{i}", self._zeros[i])
                                 for i in range(self.n)]) if self.n else np.zeros(0)
        return values, present

    def dead_saturated(self, peaks: np.ndarray) -> tuple[np.ndarray, ...]:
        """(dead fraction, saturated fraction) per site and (dead, saturated) masks per unit."""
        dead = (peaks == 0) & self.unit_measured
        saturated = (peaks < SATURATION_THRESHOLD) & ~dead & self.unit_saturating
        dead_f, sat_f = self.per_site(dead), self.per_site(saturated)
        dead_f[~self.measured] = np.nan
        sat_f[~self.measured] = np.nan
        return dead_f, sat_f, dead, saturated


def site_columns(layout: Layout, parts: dict[str, np.ndarray], units: bool,
                 unit_counts: list[float], row: dict[str, Any]) -> None:
    """Add signal_norm, dead_batch, saturated_batch, dead_window (and per-unit columns) to `row`."""
    if not layout.n or "w0" not in parts:
        return
    window, _ = layout.gather(parts, "w")
    dead_w, _, dead_mask, sat_mask = layout.dead_saturated(window)
    batch, has_batch = layout.gather(parts, "b")
    dead_b, sat_b, _, _ = layout.dead_saturated(batch)
    dead_b[~has_batch] = np.nan
    sat_b[~has_batch] = np.nan
    signal = np.array([parts[f"s{i}"][0] if f"s{i}" in parts else np.nan
                       for i in range(layout.n)])
    row.update(signal_norm=signal, dead_batch=dead_b, saturated_batch=sat_b, dead_window=dead_w)
    if units:
        grads, has_grads = layout.gather(parts, "u")
        counts = np.zeros(layout.n)
        counts[:len(unit_counts)] = unit_counts[:layout.n]
        usable = has_grads & (counts > 0)
        per_unit = np.repeat(np.where(usable, counts, 1.0), layout.widths)
        unit_grad = np.where(np.repeat(usable, layout.widths), grads / per_unit, np.nan)
        row.update(unit_grad=unit_grad, dead_units=dead_mask, saturated_units=sat_mask)
