"""Pending records to run-format rows: the host copy split by its spec, sites in a few numpy ops.

A record's host copy is one flat array laid out by its spec (probe.py `_capture`): parameter
norms, then per device the sites' window peaks, batch peaks, ‖∂L/∂a‖ and per-unit sum |∂L/∂a|.
`SiteLayout` turns a spec into index arrays once, so each record's per-site columns (dead and
saturated fractions, masks, signal, unit gradients) are whole-array operations, not a loop over
sites. Dead and saturated follow `SiteState.fractions` (the Lab's definition, see sites.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from actiscope_probe.sites import SATURATING, SATURATION_THRESHOLD, SiteState


@dataclass
class Pending:
    """One recorded step on its way to the disk: a host copy of its statistics plus plain values."""

    step: int
    spec: list[tuple[str, int]]           # (part name, length) of `host`, in order; "-" unused
    host: torch.Tensor | None             # flat float copy (pinned on CUDA) or None
    event: Any = None                     # CUDA event the copy waits on
    grad_index: list[int] = field(default_factory=list)   # params with a gradient
    sites: list[SiteState] = field(default_factory=list)  # forward order, at this step
    values: dict[str, Any] = field(default_factory=dict)  # plain columns
    logs: dict[str, Any] = field(default_factory=dict)    # from Probe.log()
    units: bool = False
    unit_counts: list[float] = field(default_factory=list)  # elements summed per unit, per site


class SiteLayout:
    """Where each site's values sit in a flat host copy with a given spec (built once per spec)."""

    def __init__(self, spec: list[tuple[str, int]], sites: list[SiteState]) -> None:
        """Index arrays for `sites` (forward order) into a flat copy laid out by `spec`."""
        where: dict[str, tuple[int, int]] = {}
        offset = 0
        for name, length in spec:
            if name != "-":
                where[name] = (offset, length)
            offset += length
        self.parts = where
        n = len(sites)
        self.widths = np.array([s.width for s in sites], np.int64)
        self.starts = np.cumsum(self.widths) - self.widths
        self.has_sites = n > 0 and f"w{sites[0].index}" in where
        self.measured = np.array([s.measured for s in sites], bool)
        saturating = np.array([s.kind in SATURATING for s in sites], bool)
        self.unit_measured = np.repeat(self.measured, self.widths)
        self.unit_saturating = np.repeat(saturating & self.measured, self.widths)
        self.window = self._units(where, "w", sites)
        self.batch, self.has_batch = self._units(where, "b", sites), self._present(where, "b", n)
        self.unit, self.has_unit = self._units(where, "u", sites), self._present(where, "u", n)
        self.signal = np.array([where.get(f"s{i}", (0, 0))[0] for i in range(n)], np.int64)
        self.has_signal = self._present(where, "s", n)

    @staticmethod
    def _units(where: dict[str, tuple[int, int]], prefix: str,
               sites: list[SiteState]) -> np.ndarray | slice:
        """Where every unit's value of part `prefix` is, sites in order (index 0 if absent): a
        slice when they are contiguous (one device, every site present), else an index array."""
        pieces = []
        for i, site in enumerate(sites):
            start, length = where.get(f"{prefix}{i}", (0, 0))
            pieces.append(start + np.arange(site.width) if length == site.width
                          else np.zeros(site.width, np.int64))
        index = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
        if len(index) and np.array_equal(index, np.arange(index[0], index[0] + len(index))):
            return slice(int(index[0]), int(index[0]) + len(index))
        return index

    @staticmethod
    def _present(where: dict[str, tuple[int, int]], prefix: str, n: int) -> np.ndarray:
        return np.array([f"{prefix}{i}" in where for i in range(n)], bool)

    def per_site(self, flags: np.ndarray) -> np.ndarray:
        """Fraction of each site's units for which `flags` (records, units) is set: (records,
        sites). Sites of width 0 (none in practice) count 0."""
        flags = flags.view(np.uint8)
        if not len(self.starts) or self.starts[-1] >= flags.shape[1]:  # sites of width 0 last
            flags = np.pad(flags, ((0, 0), (0, 1)))  # reduceat's indices must lie inside
        counts = np.add.reduceat(flags, self.starts, axis=1, dtype=np.int32)
        return np.where(self.widths > 0, counts, 0) / np.maximum(self.widths, 1)

    def fractions(self, peaks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                     np.ndarray]:
        """(dead fraction, saturated fraction) per site and (dead, saturated) masks per unit, of
        peaks (records, units)."""
        dead = (peaks == 0) & self.unit_measured
        saturated = (peaks < SATURATION_THRESHOLD) & ~dead & self.unit_saturating
        nan = np.where(self.measured, 0.0, math.nan)  # unmeasured kinds: NaN fractions
        return self.per_site(dead) + nan, self.per_site(saturated) + nan, dead, saturated


class RowBuilder:
    """Builds the run-format row of a Pending record (keeps one SiteLayout per spec)."""

    def __init__(self, n_params: int) -> None:
        """`n_params`: parameters in the run's topology."""
        self.n_params = n_params
        self._layouts: dict[tuple, SiteLayout] = {}

    def row(self, p: Pending) -> dict[str, Any]:
        """The run-format columns of one pending record."""
        return self.rows([p])[0]

    def rows(self, pending: list[Pending]) -> list[dict[str, Any]]:
        """The rows of many records; runs of records with one layout are computed together."""
        rows: list[dict[str, Any]] = []
        start = 0
        while start < len(pending):
            first = pending[start]
            key = self._key(first)
            end = start + 1
            while end < len(pending) and self._key(pending[end]) == key:
                end += 1
            rows += self._run_of(pending[start:end])
            start = end
        return rows

    @staticmethod
    def _key(p: Pending) -> tuple:
        return (p.host is not None, p.units, tuple(p.spec), tuple(map(id, p.sites)),
                tuple(p.grad_index))

    def _run_of(self, pending: list[Pending]) -> list[dict[str, Any]]:
        """Rows of records that share host presence, per-unit flag, spec, sites and the
        parameters with a gradient."""
        rows = [{"step": p.step, **p.values} for p in pending]
        first = pending[0]
        if first.host is not None:
            for p in pending:
                if p.event is not None:
                    p.event.synchronize()
            # (records, values) in float64; cat promoted each record to one dtype
            flat = np.stack([p.host.float().numpy() for p in pending]).astype(np.float64)
            layout = self._layout(first)
            self._params(pending, layout, flat, rows)
            if layout.has_sites:
                self._sites(pending, layout, flat, rows)
        for p, row in zip(pending, rows, strict=True):
            self._logged(p.logs, row)
        return rows

    def _layout(self, p: Pending) -> SiteLayout:
        key = (tuple(p.spec), tuple(map(id, p.sites)))
        layout = self._layouts.get(key)
        if layout is None:
            if len(self._layouts) > 64:  # specs change only while sites appear or AMP toggles
                self._layouts.clear()
            layout = self._layouts[key] = SiteLayout(p.spec, p.sites)
        return layout

    def _params(self, pending: list[Pending], layout: SiteLayout, flat: np.ndarray,
                rows: list[dict[str, Any]]) -> None:
        parts = layout.parts
        if "scale" in parts:
            for row, scale in zip(rows, flat[:, parts["scale"][0]].tolist(), strict=True):
                row["amp_scale"] = scale
        if "wn" not in parts:
            return
        (w0, wl), (d0, dl) = parts["wn"], parts["dn"]
        weight, delta = flat[:, w0:w0 + wl], flat[:, d0:d0 + dl]
        grad = np.full((len(pending), self.n_params), np.nan)
        index = pending[0].grad_index
        if "gn" in parts:
            g0, gl = parts["gn"]
            grad[:, index] = flat[:, g0:g0 + gl]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(weight > 0, delta / weight, np.nan)
        finite = np.isfinite(grad[:, index]).all(axis=1)
        for i, row in enumerate(rows):
            row.update(grad_norm=grad[i], weight_norm=weight[i], update_ratio=ratio[i])
            if not finite[i] and not row.get("skipped"):
                row.update(diverged=True, message="A gradient norm is not finite.")

    @staticmethod
    def _sites(pending: list[Pending], layout: SiteLayout, flat: np.ndarray,
               rows: list[dict[str, Any]]) -> None:
        dead_w, _, dead_mask, sat_mask = layout.fractions(flat[:, layout.window])
        dead_b, sat_b, _, _ = layout.fractions(flat[:, layout.batch])
        missing = np.where(layout.has_batch, 0.0, math.nan)
        dead_b, sat_b = dead_b + missing, sat_b + missing
        signal = np.where(layout.has_signal, flat[:, layout.signal], math.nan)
        units = pending[0].units
        if units:
            counts = np.zeros((len(pending), len(layout.widths)))
            for i, p in enumerate(pending):
                counts[i, :len(p.unit_counts)] = p.unit_counts[:counts.shape[1]]
            per_unit = np.repeat(np.where(layout.has_unit & (counts > 0), counts, math.nan),
                                 layout.widths, axis=1)
            unit_grad = flat[:, layout.unit] / per_unit
        for i, row in enumerate(rows):
            row.update(signal_norm=signal[i], dead_batch=dead_b[i], saturated_batch=sat_b[i],
                       dead_window=dead_w[i])
            if units:
                row.update(unit_grad=unit_grad[i], dead_units=dead_mask[i],
                           saturated_units=sat_mask[i])

    @staticmethod
    def _logged(logs: dict[str, Any], row: dict[str, Any]) -> None:
        scalars: dict[str, float] = {}
        for name, value in logs.items():
            number = float(value.detach().float().cpu()) if isinstance(value, torch.Tensor) \
                else float(value)
            if name == "loss":
                row["loss"] = number
                if not math.isfinite(number) and not row.get("skipped"):
                    row.update(diverged=True, message="The loss is not finite.")
            elif name in ("accuracy", "train_accuracy"):
                row["train_accuracy"] = number
            else:
                scalars[name] = number
        row["scalars"] = scalars
