"""The probe's host side: a writer thread turns copied statistics into run records (RunWriter)."""

from __future__ import annotations

import math
import queue
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from actiscope_probe.runformat import Manifest, RunWriteError, RunWriter
from actiscope_probe.sites import SiteState


@dataclass
class Pending:
    """One recorded step on its way to the disk: a host copy of its statistics plus plain values."""

    step: int
    spec: list[tuple[str, int]]           # (part name, length) of `host`, in order; "-" unused
    host: torch.Tensor | None             # flat float64 copy (pinned on CUDA) or None
    event: Any = None                     # CUDA event the copy waits on
    grad_index: list[int] = field(default_factory=list)   # params with a gradient
    sites: list[SiteState] = field(default_factory=list)  # forward order, at this step
    values: dict[str, Any] = field(default_factory=dict)  # plain columns
    logs: dict[str, Any] = field(default_factory=dict)    # from Probe.log()
    units: bool = False
    unit_counts: list[float] = field(default_factory=list)  # elements summed per unit, per site


class Sink:
    """Owns the RunWriter and a thread that serialises Pending records in order."""

    def __init__(self, path: str, manifest: Manifest, rank: int, overwrite: bool,
                 on_failure: Callable[[], None]) -> None:
        """Create the run (rank 0 writes the manifest) and start the writer thread."""
        self.writer = RunWriter(path, manifest, rank=rank, overwrite=overwrite)
        self.n_params = len(manifest.topology.params)
        self._on_failure = on_failure
        self._queue: queue.Queue[Pending | None] = queue.Queue()
        self.failed = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"actiscope-probe-rank{rank}")
        self._thread.start()

    def put(self, pending: Pending) -> None:
        """Queue a record (dropped once the disk has failed)."""
        if not self.failed:
            self._queue.put(pending)

    def close(self) -> None:
        """Write what is queued, then close the stream (one warning if the disk failed)."""
        self._queue.put(None)
        self._thread.join()
        try:
            self.writer.close()
        except RunWriteError as error:
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        if not self.failed:
            self.failed = True
            warnings.warn(f"Actiscope probe stopped recording: {error}", RuntimeWarning,
                          stacklevel=2)
            self._on_failure()

    def _run(self) -> None:
        while True:
            pending = self._queue.get()
            if pending is None:
                return
            if self.failed:
                continue
            try:
                self.writer.append(**self.record(pending))
            except RunWriteError as error:
                self._fail(error)
            except Exception as error:  # a probe bug must never stop the training
                self._fail(RunWriteError(f"could not build the record of step "
                                         f"{pending.step} ({error})"))

    def record(self, p: Pending) -> dict[str, Any]:
        """The run-format columns of one pending record."""
        row: dict[str, Any] = {"step": p.step, **p.values}
        parts: dict[str, np.ndarray] = {}
        if p.host is not None:
            if p.event is not None:
                p.event.synchronize()
            flat = p.host.float().numpy().astype(np.float64)  # cat promoted to one dtype
            offset = 0
            for name, length in p.spec:
                parts[name] = flat[offset:offset + length]
                offset += length
        if "scale" in parts:
            row["amp_scale"] = float(parts["scale"][0])
        if "wn" in parts:
            grad = np.full(self.n_params, np.nan)
            grad[p.grad_index] = parts.get("gn", np.zeros(0))
            weight, delta = parts["wn"], parts["dn"]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(weight > 0, delta / weight, np.nan)
            row.update(grad_norm=grad, weight_norm=weight, update_ratio=ratio)
            if not np.all(np.isfinite(grad[p.grad_index])) and not row.get("skipped"):
                row.update(diverged=True, message="A gradient norm is not finite.")
        self._site_columns(p, parts, row)
        self._logged(p.logs, row)
        return row

    def _site_columns(self, p: Pending, parts: dict[str, np.ndarray],
                      row: dict[str, Any]) -> None:
        if not p.sites or f"w{p.sites[0].index}" not in parts:
            return
        n = len(p.sites)
        signal, dead_b, sat_b, dead_w = (np.full(n, np.nan) for _ in range(4))
        unit_grad, dead_u, sat_u = [], [], []
        for i, site in enumerate(p.sites):
            window = parts[f"w{i}"]
            dead_w[i], _, dead_mask, sat_mask = site.fractions(window)
            if f"b{i}" in parts:
                dead_b[i], sat_b[i], _, _ = site.fractions(parts[f"b{i}"])
            if f"s{i}" in parts:
                signal[i] = float(parts[f"s{i}"][0])  # already a norm
            if p.units:
                count = p.unit_counts[i] if i < len(p.unit_counts) else 0.0
                grads = parts.get(f"u{i}")
                unit_grad.append(grads / count if grads is not None and count
                                 else np.full(site.width, np.nan))
                false = np.zeros(site.width, bool)
                dead_u.append(dead_mask if dead_mask is not None else false)
                sat_u.append(sat_mask if sat_mask is not None else false)
        row.update(signal_norm=signal, dead_batch=dead_b, saturated_batch=sat_b,
                   dead_window=dead_w)
        if p.units:
            row.update(unit_grad=unit_grad, dead_units=dead_u, saturated_units=sat_u)

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
