"""Probe: hooks on a user's model and optimizer that stream statistics into an Actiscope run.

- Parameters: ‖grad‖, ‖W‖ and ‖ΔW‖/‖W‖ (W after the step) come from the optimizer's step pre/post
  hooks, where gradients are accumulated, DDP-averaged and AMP-unscaled; one `_foreach_norm`
  each. A parameter without a gradient (frozen) has a NaN gradient norm.
- Activation sites (sites.py): a forward hook per activation module and `output.register_hook`
  for ‖∂L/∂a‖; never a full backward hook. Per-unit `unit_grad` is mean |∂L/∂a| at the site's
  output (the inplace-safe quantity), recorded every `units_every`-th record.
- Sampling: the first 20 optimizer steps, then every `every` steps, or (every=None) a stride
  chosen from the probe's own timers to stay inside `budget`. If even the dead-since-window masks
  exceed half the budget, they too are updated only every `window_stride` steps (dead since the
  window start then means dead on every sampled batch).
- Windows: `epoch()` starts one (Lightning: each epoch); until it is first called, every
  `window_steps` steps.
- Checkpointing: no-grad forwards are ignored (reentrant checkpoints' first pass), and a forward
  inside the backward pass that repeats a counted one (non-reentrant recompute) is skipped.
- AMP: a GradScaler passed as `scaler=` or found beside the attach() call is watched; a drop of
  its scale means the step was skipped, written as a record with `skipped` set (on CUDA the scale
  is read through a non-blocking copy, so the flag can land one step late).
- Functional activations: `trace_functional=True` routes the model's training forward through a
  torch.fx GraphModule whose `F.relu`-style calls are small modules (fx.py); detach() removes it.
- Host: one `torch.cat` and one copy (pinned, non-blocking on CUDA) per recorded step; a writer
  thread builds the row and appends it. A failing disk stops recording with one warning.
"""

from __future__ import annotations

import functools
import os
import time
import warnings
from types import TracebackType
from typing import Any

import torch
from torch import nn

from actiscope_probe.runformat import Manifest, ParamLayer, Site, Topology
from actiscope_probe.sink import Pending, Sink
from actiscope_probe.sites import (
    SiteState,
    channel_dims,
    clean_name,
    find_sites,
    peak_derivative,
    unit_reduce,
)
from actiscope_probe.timing import Budget, ScaleWatch, find_scaler, in_backward

ALWAYS_FIRST = 20


def _unwrap(model: nn.Module) -> nn.Module:
    """The module hooks go on: DDP's and torch.compile's wrapped module."""
    while True:
        inner = getattr(model, "_orig_mod", None) or (
            model.module if isinstance(model, nn.parallel.DistributedDataParallel) else None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


class _Group:
    """Flat buffers of the sites on one device; each site's accumulators are views into them."""

    def __init__(self, sites: list[SiteState], device: torch.device) -> None:
        """Allocate the buffers and rebind the sites' views (keeping their current values)."""
        self.sites, self.device = sites, device
        total = sum(s.width for s in sites)
        self.window = torch.zeros(total, device=device)
        self.batch = torch.zeros(total, device=device)
        self.unit = torch.zeros(total, device=device)
        self.signal = torch.zeros(len(sites), device=device)
        offset = 0
        for i, site in enumerate(sites):
            views = (self.window[offset:offset + site.width],
                     self.batch[offset:offset + site.width], self.signal[i],
                     self.unit[offset:offset + site.width])
            for view, old in zip(views, (site.window, site.batch, site.signal, site.unit),
                                 strict=True):
                if old is not None:
                    view.copy_(old)
            site.window, site.batch, site.signal, site.unit = views
            offset += site.width

    @staticmethod
    def merge(groups: list[_Group]) -> list[_Group]:
        """One group per device (sites in forward order)."""
        by_device: dict[torch.device, list[SiteState]] = {}
        for group in groups:
            by_device.setdefault(group.device, []).extend(group.sites)
        return [_Group(sorted(sites, key=lambda s: s.index), device)
                for device, sites in by_device.items()]

    def fold_window(self) -> None:
        """window = max(window, this step's batch peaks): one op for every site of the group."""
        for site in self.sites:
            if site.batch_n == 0 and site.measured:  # not run this step: 0 leaves the max as is
                site.batch.zero_()
        torch.maximum(self.window, self.batch, out=self.window)


class Probe:
    """Watches one model and optimizer; see attach(). Close it (or use `with`) to finish the run."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, run: str,
                 every: int | None = None, *, scaler: Any = None, budget: float = 0.03,
                 units_every: int = 10, window_steps: int = 500, overwrite: bool = False,
                 rank: int | None = None, world_size: int | None = None,
                 trace_functional: bool = False) -> None:
        """Register the hooks; nothing is written before the first optimizer step."""
        if every is not None and (not isinstance(every, int) or every < 1):
            raise ValueError(f"'every' must be None (adaptive) or a positive integer, "
                             f"not {every!r}.")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError("attach() needs the torch.optim.Optimizer that trains the model.")
        if type(model).__name__ == "OptimizedModule" or getattr(model, "_compiled_call_impl", None):
            warnings.warn("attach() was called on a torch.compile'd model: hooks added after "
                          "compiling may never fire; attach before torch.compile.",
                          UserWarning, stacklevel=3)
        self.model, self.optimizer, self.run = model, optimizer, os.fspath(run)
        self.every, self.units_every, self.window_steps = every, units_every, window_steps
        self.scaler = scaler if scaler is not None else find_scaler()
        self._overwrite = overwrite
        dist = torch.distributed
        ready = dist.is_available() and dist.is_initialized()
        self.rank = rank if rank is not None else (dist.get_rank() if ready else 0)
        self.world_size = world_size if world_size is not None else (
            dist.get_world_size() if ready else 1)
        root = _unwrap(model)
        self._params = [(clean_name(n), p) for n, p in root.named_parameters()]
        self._routed = None
        if trace_functional:  # F.relu-style calls as sites: root's training forward goes via fx
            from actiscope_probe.fx import Routed
            self._routed = Routed(root)
        self._sites = find_sites(self._routed.traced if self._routed else root)
        self._order: list[SiteState] = []
        self.forwards = 0              # activation forwards counted (checkpoint recomputes not)
        self.step = 0                  # optimizer steps so far (skipped ones included)
        self.window_step = 1           # first step of the current dead-since window
        self._epoch_mode = False
        self._records = 0
        self._record_next = True
        self._window_next = True       # update the dead-since-window masks on this step
        self._units_next = True
        self._stopped = False
        self._sink: Sink | None = None
        self._open: Pending | None = None      # last record, still taking log() values
        self._logs: dict[str, Any] = {}        # log() values for the coming step
        self._after_step = False
        self._hook_s = 0.0
        self._before: list[torch.Tensor] | None = None   # the weights before the step
        self._snapped = False
        self._groups: list[_Group] = []        # flat per-device site buffers
        self._regroup = False
        self._peaks_taken = False              # some site's batch peak was taken this step
        self._scratch: dict[Any, torch.Tensor] = {}  # |∂L/∂a| buffers by shape, reused
        self._grad_norms: list[torch.Tensor] = []
        self._grad_index: list[int] = []
        self._last_step_t = time.perf_counter()
        self._budget = Budget(budget)
        self._scale = ScaleWatch(self.scaler)
        disable = getattr(torch.compiler, "disable", lambda f, **_: f)
        self._handles = [s.module.register_forward_hook(disable(self._forward_hook_for(s)))
                         for s in self._sites]
        self._handles.append(root.register_forward_pre_hook(disable(self._root_pre_hook)))
        self._handles.append(optimizer.register_step_pre_hook(self._step_pre_hook))
        self._handles.append(optimizer.register_step_post_hook(self._step_post_hook))

    # ----- public API --------------------------------------------------------------------------
    def log(self, **values: Any) -> None:
        """Record loss=, lr= and any scalars with the current step (tensors are read later)."""
        clean = {k: (v.detach() if isinstance(v, torch.Tensor) else float(v))
                 for k, v in values.items() if v is not None}
        if self._after_step and self._open is not None:
            self._open.logs.update(clean)
        elif not self._after_step:
            self._logs.update(clean)

    def epoch(self) -> None:
        """Start a new dead-since window here (call at each epoch start or end)."""
        self._epoch_mode = True
        self._reset_window()

    def detach(self) -> None:
        """Remove every hook; the model and optimizer are left exactly as they were."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        if self._routed is not None:
            self._routed.remove()
            self._routed = None
        self._scratch.clear()
        self._stopped = True

    def close(self) -> None:
        """Detach, write what is pending and close the run file."""
        if self._handles:
            self._check_skipped()
        self.detach()
        self._flush_open()
        if self._sink is not None:
            self._sink.close()

    def __enter__(self) -> Probe:
        """The probe itself."""
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """close()."""
        self.close()

    @property
    def stride(self) -> int:
        """Current sampling stride in optimizer steps (after the first 20)."""
        return self.every or self._budget.stride

    @property
    def window_stride(self) -> int:
        """Every how many steps the dead-since-window masks are updated (1 unless over budget)."""
        return 1 if self.every is not None else self._budget.window_stride

    @property
    def sites(self) -> list[Site]:
        """Activation sites seen so far, in forward order."""
        return [Site(s.name, s.origin, s.width, s.kind) for s in self._order]

    # ----- hooks -------------------------------------------------------------------------------
    def _forward_hook_for(self, site: SiteState):  # noqa: ANN202
        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            if self._stopped or site.disabled or not torch.is_grad_enabled():
                return  # no-grad passes: evaluation, or a reentrant checkpoint's first forward
            if in_backward():
                if site.pending > 0:  # a non-reentrant checkpoint recomputing a counted forward
                    site.pending -= 1
                    return
            else:
                site.pending += 1
                if self._after_step or site.index == 0:
                    self._begin_forward()  # also when the root's forward is not called (Lightning)
            self.forwards += 1
            start = time.perf_counter()
            out = output[0] if isinstance(output, tuple | list) else output
            if isinstance(out, torch.Tensor) and out.is_floating_point() and out.ndim >= 1:
                self._observe(site, module, out)
            self._hook_s += time.perf_counter() - start
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
        if site.measured and (self._window_next or self._record_next):
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
        if self._record_next and out.requires_grad:
            out.register_hook(functools.partial(self._grad_hook, site, dims,
                                                out.numel() / max(site.width, 1),
                                                self._units_next))

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
            if site.unit_n == 0 and 2 <= g.ndim <= 3:  # |g| into a reused buffer, then summed
                key = (g.shape, g.dtype, g.device)
                scratch = self._scratch.get(key)
                if scratch is None:
                    scratch = self._scratch[key] = torch.empty_like(g)
                torch.sum(torch.abs(g, out=scratch), dim=dims, dtype=torch.float32,
                          out=site.unit)
            else:
                mag = unit_reduce(torch.sum, g.abs(), dims).float()
                if site.unit_n == 0:
                    site.unit.copy_(mag)
                else:
                    site.unit.add_(mag)
            site.unit_n += 1
            site.unit_count += per_unit
        self._hook_s += time.perf_counter() - start

    def _register_site(self, site: SiteState, width: int, device: torch.device) -> bool:
        if self._sink is not None:  # the manifest is written: the topology is fixed
            site.disabled = True
            warnings.warn(f"Actiscope probe: site '{site.name}' first ran after the run started; "
                          "it is not recorded.", RuntimeWarning, stacklevel=5)
            return False
        site.index, site.width = len(self._order), int(width)
        self._order.append(site)
        self._groups.append(_Group([site], device))  # merged per device after this step
        self._regroup = True
        return True

    def _root_pre_hook(self, module: nn.Module, inputs: Any) -> None:
        if self._stopped or not torch.is_grad_enabled() or in_backward():
            return
        self._begin_forward()

    def _begin_forward(self) -> None:
        """A training forward starts: close the last record and look for an AMP-skipped step."""
        if self._after_step:
            self._after_step = False
            self._flush_open()
        if self._scale.scaler is not None:
            self._check_skipped()

    def _step_pre_hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if self._stopped or not self._record_next:
            return
        start = time.perf_counter()
        with torch.no_grad():
            index = [i for i, (_, p) in enumerate(self._params) if p.grad is not None]
            grads = [self._params[i][1].grad for i in index]
            self._grad_index = index
            self._grad_norms = list(torch._foreach_norm(grads)) if grads else []
            params = [p.detach() for _, p in self._params]
            if self._before is None:  # kept between steps only while every step is recorded
                self._before = [torch.empty_like(p) for p in params]
            torch._foreach_copy_(self._before, params)
            self._snapped = True
        self._hook_s += time.perf_counter() - start

    def _step_post_hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if self._stopped:
            return
        self._check_skipped(stepped=True)
        self.step += 1
        now = time.perf_counter()
        wall, self._last_step_t = now - self._last_step_t, now
        recorded = self._record_next and self._snapped
        if self._regroup:
            self._groups, self._regroup = _Group.merge(self._groups), False
        if self._peaks_taken:
            start = time.perf_counter()
            for group in self._groups:
                group.fold_window()
            self._hook_s += time.perf_counter() - start
        copy_s = 0.0
        if recorded:
            start = time.perf_counter()
            self._flush_open()
            self._open = self._capture(wall)
            copy_s = time.perf_counter() - start
            self._open.values["probe_copy_seconds"] = copy_s
        hook_s, self._hook_s = self._hook_s, 0.0
        if recorded:
            self._open.values["probe_hook_seconds"] = hook_s
        self._budget.observe(wall, hook_s + copy_s, recorded, self._window_next)
        self._logs.clear()
        for site in self._order:
            site.pending = site.batch_n = 0
        self._peaks_taken = False
        if not self._epoch_mode and self.window_steps and self.step % self.window_steps == 0:
            self._reset_window()
        self._after_step = True
        self._plan(self.step + 1)

    # ----- recording ---------------------------------------------------------------------------
    def _plan(self, step: int) -> None:
        """Decide whether `step` is recorded (and with per-unit data)."""
        due = step <= ALWAYS_FIRST or (step - ALWAYS_FIRST) % self.stride == 0
        self._record_next = due
        self._units_next = due and self._records % max(self.units_every, 1) == 0
        self._window_next = self.every is not None or step % self._budget.window_stride == 0

    def _capture(self, wall: float) -> Pending:
        """Stack this step's statistics into one tensor and start its copy to the host."""
        if self._sink is None:
            self._open_sink()
        units = self._units_next
        with torch.no_grad():
            params = [p.detach() for _, p in self._params]
            torch._foreach_sub_(self._before, params)       # -ΔW, in place
            norms = torch._foreach_norm(params + self._before)  # ‖W‖ then ‖ΔW‖
            n = len(params)
            spec = [("gn", len(self._grad_norms))] if self._grad_norms else []
            spec += [("wn", n), ("dn", n)]
            parts = [torch.stack([*self._grad_norms, *norms])]
            counts = [0.0] * len(self._order)
            for group in self._groups:
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
            scale = self._scale.tensor()
            if scale is not None:
                parts.append(scale)
                spec.append(("scale", 1))
            device = parts[0].device
            flat = torch.cat([p if p.device == device else p.to(device) for p in parts])
            host, event = self._to_host(flat)
        if self.stride > 1:
            self._before = None  # sparse records: no copy of the weights kept between them
        self._snapped, self._grad_norms = False, []
        self._records += 1
        values = {"step_seconds": wall, "window_step": self.window_step, "rank": self.rank}
        return Pending(step=self.step, spec=spec, host=host, event=event,
                       grad_index=self._grad_index, sites=list(self._order), values=values,
                       logs=dict(self._logs), units=units, unit_counts=counts)

    @staticmethod
    def _to_host(flat: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """One copy to the host: a pinned buffer and a non-blocking copy on CUDA."""
        if flat.device.type != "cuda":
            return flat.cpu(), None
        host = torch.empty(flat.shape, dtype=flat.dtype, pin_memory=True)
        host.copy_(flat, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        return host, event

    def _check_skipped(self, stepped: bool = False) -> None:
        """Write a flagged record for each optimizer step GradScaler skipped (scale went down)."""
        old = self._scale.skipped()
        if old is None or stepped:
            return
        self.step += 1
        self._flush_open()
        if self._sink is None:
            self._open_sink()
        self._open = Pending(step=self.step, spec=[], host=None,
                             values={"skipped": True, "amp_scale": old, "rank": self.rank,
                                     "window_step": self.window_step},
                             logs=dict(self._logs))
        self._logs.clear()
        for site in self._order:
            site.batch_n = site.grad_n = site.unit_n = 0
            site.unit_count = 0.0
        self._peaks_taken = False
        self._snapped, self._grad_norms = False, []
        self._flush_open()
        self._plan(self.step + 1)

    def _flush_open(self) -> None:
        if self._open is not None and self._sink is not None:
            self._sink.put(self._open)
        self._open = None

    def _open_sink(self) -> None:
        topology = Topology(sites=tuple(self.sites),
                            params=tuple(ParamLayer(n, tuple(p.shape)) for n, p in self._params))
        manifest = Manifest(topology, world_size=self.world_size)
        for site in self._sites:
            if site.index < 0:
                site.disabled = True
        self._sink = Sink(self.run, manifest, self.rank, self._overwrite, self._on_failure)

    def _on_failure(self) -> None:
        self._stopped = True

    def _reset_window(self) -> None:
        for group in self._groups:
            group.window.zero_()
        self.window_step = self.step + 1


def attach(model: nn.Module, optimizer: torch.optim.Optimizer,
           run: str | os.PathLike[str] = "runs/exp1.actirun", every: int | None = None,
           **options: Any) -> Probe:
    """Watch `model` trained by `optimizer`, writing the run folder `run` (see Probe options)."""
    return Probe(model, optimizer, os.fspath(run), every, **options)

