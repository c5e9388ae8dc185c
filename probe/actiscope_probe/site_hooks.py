"""The activation sites' hooks: a forward hook per activation module, `output.register_hook` for
‖∂L/∂a‖ and per-unit |∂L/∂a| (never a full backward hook), all written into device buffers.

- Checkpointing: no-grad forwards are ignored (reentrant checkpoints' first pass), and a forward
  inside the backward pass that repeats a counted one (non-reentrant recompute) is skipped.
- Sites are numbered in forward order the first time they run; one that first runs after the run
  file was started (the topology is fixed then), or whose width changes, is no longer recorded.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from actiscope_probe.buffers import SiteBuffers
from actiscope_probe.sites import SiteState, channel_dims, find_sites, peak_derivative, unit_reduce
from actiscope_probe.timing import in_backward


class SiteWatch:
    """Every activation site of a model, its hooks and its flat per-device buffers."""

    def __init__(self, model: nn.Module, begin_forward: Callable[[bool], None]) -> None:
        """Find the sites of `model`; `begin_forward(first)` runs as a training forward starts."""
        self.sites = find_sites(model)
        self.order: list[SiteState] = []      # sites seen so far, in forward order
        self.groups: list[SiteBuffers] = []   # flat per-device site buffers
        self.forwards = 0          # activation forwards counted (checkpoint recomputes not)
        self.record = True         # this step is recorded: take ‖∂L/∂a‖
        self.window = True         # update the dead-since-window masks on this step
        self.units = True          # this record has per-unit data
        self.stopped = False
        self.frozen = False        # the run file is started: the topology is fixed
        self.hook_s = 0.0          # seconds spent in hooks since the last take_hook_seconds()
        self._begin_forward = begin_forward
        self._regroup = False
        self._peaks_taken = False  # some site's batch peak was taken this step
        self._scratch: dict[Any, torch.Tensor] = {}  # |∂L/∂a| buffers by shape, reused

    def hooks(self) -> list[Callable[..., None]]:
        """One forward hook per site, in `self.sites` order."""
        return [self._forward_hook_for(site) for site in self.sites]

    def clear(self) -> None:
        """Forget the reused scratch buffers (detach)."""
        self._scratch.clear()

    # ----- hooks -------------------------------------------------------------------------------
    def _forward_hook_for(self, site: SiteState):  # noqa: ANN202
        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            if self.stopped or site.disabled or not torch.is_grad_enabled():
                return  # no-grad passes: evaluation, or a reentrant checkpoint's first forward
            if in_backward():
                if site.pending > 0:  # a non-reentrant checkpoint recomputing a counted forward
                    site.pending -= 1
                    return
            else:
                site.pending += 1
                self._begin_forward(site.index == 0)  # also when the root's forward is not run
            self.forwards += 1
            if site.index >= 0 and not (self.window or self.record):
                return  # an idle step (sampled): nothing to measure
            start = time.perf_counter()
            out = output[0] if isinstance(output, tuple | list) else output
            if isinstance(out, torch.Tensor) and out.is_floating_point() and out.ndim >= 1:
                self._observe(site, module, out)
            self.hook_s += time.perf_counter() - start
        return hook

    def _observe(self, site: SiteState, module: nn.Module, out: torch.Tensor) -> None:
        axis = 1 if out.ndim >= 4 else out.ndim - 1
        if site.index < 0 and not self._register_site(site, out.shape[axis], out.device):
            return
        if out.shape[axis] != site.width:
            site.disabled = True
            warnings.warn(f"Actiscope probe: site '{site.name}' changed width "
                          f"({site.width} -> {out.shape[axis]}); it is no longer recorded.",
                          RuntimeWarning, stacklevel=4)
            return
        dims = channel_dims(out.ndim)
        if site.measured and (self.window or self.record):
            # this step's peak goes into `batch`; all sites' windows take it in one op at the step
            a = out.detach()
            if site.batch_n == 0 and site.kind == "relu" and 2 <= out.ndim <= 3 \
                    and a.dtype == site.batch.dtype:
                torch.amax(a, dim=dims, out=site.batch)
            else:
                peak = peak_derivative(site.kind, module, a, dims)
                if site.batch_n == 0:
                    site.batch.copy_(peak)
                else:
                    torch.maximum(site.batch, peak, out=site.batch)
            site.batch_n += 1
            self._peaks_taken = True
        if self.record and out.requires_grad:
            out.register_hook(functools.partial(self._grad_hook, site, dims,
                                                out.numel() / max(site.width, 1), self.units))

    def _grad_hook(self, site: SiteState, dims: tuple[int, ...], per_unit: float, units: bool,
                   grad: torch.Tensor) -> None:
        """‖∂L/∂a‖ (and per-unit sum |∂L/∂a|) at a site's output, written into its views."""
        start = time.perf_counter()
        g = grad.detach()
        if site.grad_n == 0:
            torch.linalg.vector_norm(g, dtype=torch.float32, out=site.signal)
        else:  # another micro-batch: sqrt(a² + b²)
            torch.hypot(site.signal, torch.linalg.vector_norm(g, dtype=torch.float32),
                        out=site.signal)
        site.grad_n += 1
        if units:
            # |g| into a reused buffer (a fresh one per call costs page faults), then summed
            key = (g.shape, g.dtype, g.device)
            scratch = self._scratch.get(key)
            if scratch is None:
                scratch = self._scratch[key] = torch.empty_like(g)
            torch.abs(g, out=scratch)
            if site.unit_n == 0 and 2 <= g.ndim <= 3:
                torch.sum(scratch, dim=dims, dtype=torch.float32, out=site.unit)
            else:
                mag = unit_reduce(torch.sum, scratch, dims).float()
                if site.unit_n == 0:
                    site.unit.copy_(mag)
                else:
                    site.unit.add_(mag)
            site.unit_n += 1
            site.unit_count += per_unit
        self.hook_s += time.perf_counter() - start

    def _register_site(self, site: SiteState, width: int, device: torch.device) -> bool:
        if self.frozen:
            site.disabled = True
            warnings.warn(f"Actiscope probe: site '{site.name}' first ran after the run started; "
                          "it is not recorded.", RuntimeWarning, stacklevel=5)
            return False
        site.index, site.width = len(self.order), int(width)
        self.order.append(site)
        self.groups.append(SiteBuffers([site], device))  # merged per device after this step
        self._regroup = True
        return True

    # ----- at the optimizer step ---------------------------------------------------------------
    def fold(self) -> None:
        """Merge new sites' buffers per device and fold this step's peaks into the windows."""
        if self._regroup:
            self.groups, self._regroup = SiteBuffers.merge(self.groups), False
        if self._peaks_taken:
            start = time.perf_counter()
            for group in self.groups:
                group.fold_window()
            self.hook_s += time.perf_counter() - start

    def parts(self, units: bool) -> tuple[list[tuple[str, int]], list[torch.Tensor], list[float]]:
        """(spec, tensors, elements per unit of each site) of a record; resets the grad counters."""
        spec: list[tuple[str, int]] = []
        parts: list[torch.Tensor] = []
        counts = [0.0] * len(self.order)
        for group in self.groups:
            parts.append(group.window)
            spec += [(f"w{x.index}", x.width) for x in group.sites]
            parts.append(group.batch)
            spec += [(f"b{x.index}" if x.batch_n else "-", x.width) for x in group.sites]
            parts.append(group.signal)
            spec += [(f"s{x.index}" if x.grad_n else "-", 1) for x in group.sites]
            if units:
                parts.append(group.unit)
                spec += [(f"u{x.index}" if x.unit_n else "-", x.width) for x in group.sites]
            for site in group.sites:
                counts[site.index] = site.unit_count
                site.grad_n = site.unit_n = 0
                site.unit_count = 0.0
        return spec, parts, counts

    def end_step(self, skipped: bool = False) -> None:
        """Reset the per-step counters (a skipped step also drops its gradient statistics)."""
        for site in self.order:
            site.batch_n = 0
            if skipped:
                site.grad_n = site.unit_n = 0
                site.unit_count = 0.0
            else:
                site.pending = 0
        self._peaks_taken = False

    def take_hook_seconds(self) -> float:
        """Seconds spent in hooks since the last call."""
        seconds, self.hook_s = self.hook_s, 0.0
        return seconds

    def reset_window(self) -> None:
        """Start a new dead-since window: every site's window max back to 0."""
        for group in self.groups:
            group.window.zero_()
