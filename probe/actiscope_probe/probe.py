"""Probe: hooks on a user's model and optimizer that stream statistics into an Actiscope run.

- Parameters (params.py): ‖grad‖, ‖W‖ and ‖ΔW‖/‖W‖ (W after the step) from the optimizer's step
  pre/post hooks, where gradients are accumulated, DDP-averaged and AMP-unscaled.
- Activation sites (site_hooks.py, sites.py): a forward hook per activation module and
  `output.register_hook` for ‖∂L/∂a‖; never a full backward hook. Per-unit `unit_grad` is mean
  |∂L/∂a| at the site's output (the inplace-safe quantity), recorded every `units_every`-th record.
- Sampling: the first 20 optimizer steps, then every `every` steps, or (every=None) a stride
  chosen from measured step times to stay inside `budget` (budget.py). The dead-since-window
  masks are updated on every step, unless they alone take over half the budget; then
  every `window_stride` steps (dead since the window start then means dead on every sampled batch).
- Windows: `epoch()` starts one (Lightning: each epoch); until it is first called, every
  `window_steps` steps.
- AMP: a GradScaler passed as `scaler=` or found beside the attach() call is watched; a drop of
  its scale means the step was skipped, written as a record with `skipped` set (on CUDA the scale
  is read through a non-blocking copy, so the flag can land one step late).
- Functional activations: `trace_functional=True` routes the model's training forward through a
  torch.fx GraphModule whose `F.relu`-style calls are small modules (fx.py); detach() removes it.
- Host: one `torch.cat` and one copy (pinned, non-blocking on CUDA) per recorded step; a writer
  thread builds the rows of what came every 0.25 s (sink.py, records.py) and writes them. A
  failing disk stops recording with one warning; a probe never closed is closed at exit.
"""

from __future__ import annotations

import atexit
import os
import time
import warnings
import weakref
from types import TracebackType
from typing import Any

import torch
from torch import nn

from actiscope_probe.budget import Budget
from actiscope_probe.params import ParamStats
from actiscope_probe.records import Pending
from actiscope_probe.runformat import Manifest, ParamLayer, Site, Topology
from actiscope_probe.sink import Sink
from actiscope_probe.site_hooks import SiteWatch
from actiscope_probe.sites import clean_name
from actiscope_probe.timing import ScaleWatch, StepNesting, find_scaler, in_backward

ALWAYS_FIRST = 20
_OPEN_PROBES: weakref.WeakSet[Probe] = weakref.WeakSet()


def _unwrap(model: nn.Module) -> nn.Module:
    """The module hooks go on: DDP's and torch.compile's wrapped module."""
    while True:
        inner = getattr(model, "_orig_mod", None) or (
            model.module if isinstance(model, nn.parallel.DistributedDataParallel) else None)
        if not isinstance(inner, nn.Module):
            return model
        model = inner


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
        self._param_stats = ParamStats([(clean_name(n), p) for n, p in root.named_parameters()],
                                       optimizer)
        self._routed = None
        if trace_functional:  # F.relu-style calls as sites: root's training forward goes via fx
            from actiscope_probe.fx import Routed
            self._routed = Routed(root)
        self._watch = SiteWatch(self._routed.traced if self._routed else root,
                                self._on_site_forward)
        self.step = 0                  # optimizer steps so far (skipped ones included)
        self.window_step = 1           # first step of the current dead-since window
        self._epoch_mode = False
        self._records = 0
        self._record_next = True
        self._stopped = False
        self._sink: Sink | None = None
        self._open: Pending | None = None      # last record, still taking log() values
        self._logs: dict[str, Any] = {}        # log() values for the coming step
        self._after_step = False
        self._hook_s = 0.0
        self._last_step_t = time.perf_counter()
        self._budget = Budget(budget)
        self._scale = ScaleWatch(self.scaler)
        self._nesting = StepNesting()
        disable = getattr(torch.compiler, "disable", lambda f, **_: f)
        self._handles = [s.module.register_forward_hook(disable(hook))
                         for s, hook in zip(self._watch.sites, self._watch.hooks(), strict=True)]
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
        self._watch.clear()
        self._stopped = self._watch.stopped = True

    def close(self) -> None:
        """Detach, write what is pending and close the run file."""
        _OPEN_PROBES.discard(self)
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
        return [Site(s.name, s.origin, s.width, s.kind) for s in self._watch.order]

    @property
    def forwards(self) -> int:
        """Activation forwards counted so far (checkpoint recomputes not)."""
        return self._watch.forwards

    # ----- hooks -------------------------------------------------------------------------------
    def _on_site_forward(self, first: bool) -> None:
        if self._after_step or first:
            self._begin_forward()  # also when the root's forward is not called (Lightning)

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
        if not self._nesting.enter() or self._stopped or not self._record_next:
            return
        start = time.perf_counter()
        self._param_stats.snapshot()
        self._hook_s += time.perf_counter() - start

    def _step_post_hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if not self._nesting.leave() or self._stopped:
            return
        self._check_skipped(stepped=True)
        self.step += 1
        now = time.perf_counter()
        wall, self._last_step_t = now - self._last_step_t, now
        recorded = self._record_next and self._param_stats.snapped
        self._watch.fold()
        copy_s = 0.0
        if recorded:
            start = time.perf_counter()
            self._flush_open()
            self._open = self._capture(wall)
            copy_s = time.perf_counter() - start
            self._open.values["probe_copy_seconds"] = copy_s
        hook_s, self._hook_s = self._hook_s + self._watch.take_hook_seconds(), 0.0
        if recorded:
            self._open.values["probe_hook_seconds"] = hook_s
        self._budget.observe(wall, hook_s + copy_s, recorded, self._watch.window)
        self._logs.clear()
        self._watch.end_step()
        if not self._epoch_mode and self.window_steps and self.step % self.window_steps == 0:
            self._reset_window()
        self._after_step = True
        self._plan(self.step + 1)

    # ----- recording ---------------------------------------------------------------------------
    def _plan(self, step: int) -> None:
        """Decide whether `step` is recorded (and with per-unit data)."""
        due = step <= ALWAYS_FIRST or (step - ALWAYS_FIRST) % self.stride == 0
        self._record_next = self._watch.record = due
        self._watch.units = due and self._records % max(self.units_every, 1) == 0
        self._watch.window = self.every is not None or step % self._budget.window_stride == 0

    def _capture(self, wall: float) -> Pending:
        """Stack this step's statistics into one tensor and start its copy to the host."""
        if self._sink is None:
            self._open_sink()
        units = self._watch.units
        stats = self._param_stats
        with torch.no_grad():
            spec, norms = stats.norms()
            site_spec, parts, counts = self._watch.parts(units)
            spec += site_spec
            parts.insert(0, norms)
            scale = self._scale.tensor()
            if scale is not None:
                parts.append(scale)
                spec.append(("scale", 1))
            device = parts[0].device
            flat = torch.cat([p if p.device == device else p.to(device) for p in parts])
            host, event = self._to_host(flat)
        grad_index = stats.grad_index
        stats.done(keep=self.stride <= 1)
        self._records += 1
        values = {"step_seconds": wall, "window_step": self.window_step, "rank": self.rank}
        return Pending(step=self.step, spec=spec, host=host, event=event,
                       grad_index=grad_index, sites=list(self._watch.order), values=values,
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
        self._watch.end_step(skipped=True)
        self._param_stats.done(keep=True)
        self._flush_open()
        self._plan(self.step + 1)

    def _flush_open(self) -> None:
        if self._open is not None and self._sink is not None:
            self._sink.put(self._open)
        self._open = None

    def _open_sink(self) -> None:
        params = self._param_stats.params
        topology = Topology(sites=tuple(self.sites),
                            params=tuple(ParamLayer(n, tuple(p.shape)) for n, p in params))
        manifest = Manifest(topology, world_size=self.world_size)
        for site in self._watch.sites:
            if site.index < 0:
                site.disabled = True
        self._watch.frozen = True
        self._sink = Sink(self.run, manifest, self.rank, self._overwrite, self._on_failure)
        self._pid = os.getpid()
        _OPEN_PROBES.add(self)

    def _on_failure(self) -> None:
        self._stopped = self._watch.stopped = True

    def _reset_window(self) -> None:
        self._watch.reset_window()
        self.window_step = self.step + 1


def attach(model: nn.Module, optimizer: torch.optim.Optimizer,
           run: str | os.PathLike[str] = "runs/exp1.actirun", every: int | None = None,
           **options: Any) -> Probe:
    """Watch `model` trained by `optimizer`, writing the run folder `run` (see Probe options)."""
    return Probe(model, optimizer, os.fspath(run), every, **options)


@atexit.register
def _close_open_probes() -> None:
    """Close the probes a program never closed, their last record included (runs before the
    sinks' and writers' own exit hooks: registered after them)."""
    for probe in list(_OPEN_PROBES):
        if probe._pid == os.getpid():  # a forked child must not finish its parent's run
            try:
                probe.close()
            except Exception:  # noqa: BLE001 - at exit nothing can be reported any more
                pass
