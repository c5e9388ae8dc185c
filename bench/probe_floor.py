"""The floor under the probe's every-step cost: its reductions alone, with no bookkeeping.

`Floor` hooks a model and an SGD-with-momentum optimizer the way the probe does with every=1,
units_every=1, and does on every step exactly the tensor work the probe does then, through the
probe's own helpers where it has them:
- each activation site's forward: the per-unit peak |f'| over the batch (gelu, silu, mish: none);
- at the site's output, `register_hook`: ‖∂L/∂a‖, and |∂L/∂a| summed per unit;
- the optimizer step: ‖grad‖ (pre-hook), ‖W‖ and ‖momentum buffer‖ (post-hook), ‖ΔW‖ = lr·‖buf‖,
  the window max, one `torch.cat` and one copy to the host.
Peaks, signals and unit sums are views into flat buffers, as the probe's (buffers.py).
Nothing else: no sampling, no checkpoint or AMP bookkeeping, no timers, no record, no writer. The
time ratio of a model with a Floor to the model without one is what any probe built from these
torch ops in Python hooks must pay at least; bench_probe.py prints it beside the real probe's.
"""

from __future__ import annotations

import functools

import torch
from actiscope_probe.sites import channel_dims, find_sites, peak_derivative, unit_reduce
from torch import nn


class Floor:
    """Bare hooks doing the probe's every-step reductions; detach() removes them."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.SGD) -> None:
        """Hook every activation site of `model` and the step of `optimizer`."""
        self.optimizer = optimizer
        self.params = [p for p in model.parameters()]
        self.sites = find_sites(model)
        self.peaks: list[torch.Tensor | None] = [None] * len(self.sites)  # views into batch
        self.signal = torch.zeros(len(self.sites))
        self.units: list[torch.Tensor | None] = [None] * len(self.sites)  # views into unit
        self.batch = self.unit = self.window = torch.zeros(0)
        self.scratch: dict[tuple, torch.Tensor] = {}
        self.grad_norms: tuple[torch.Tensor, ...] = ()
        self.host: list[torch.Tensor] = []
        self.handles = [s.module.register_forward_hook(functools.partial(self._forward, i))
                        for i, s in enumerate(self.sites)]
        self.handles.append(optimizer.register_step_pre_hook(self._pre))
        self.handles.append(optimizer.register_step_post_hook(self._post))

    def detach(self) -> None:
        """Remove the hooks."""
        for handle in self.handles:
            handle.remove()

    def _forward(self, i: int, module: nn.Module, inputs: object, out: torch.Tensor) -> None:
        dims = channel_dims(out.ndim)
        if self.peaks[i] is None:
            self._add_site(i, out.shape[1 if out.ndim >= 4 else -1])
        if not self.sites[i].measured:  # gelu, silu, mish: as the probe, gradients only
            pass
        elif self.sites[i].kind == "relu" and 2 <= out.ndim <= 3:  # as the probe: no temporary
            torch.amax(out.detach(), dim=dims, out=self.peaks[i])
        else:
            self.peaks[i].copy_(peak_derivative(self.sites[i].kind, module, out, dims))
        if out.requires_grad:
            out.register_hook(functools.partial(self._grad, i, dims))

    def _add_site(self, i: int, width: int) -> None:
        """Grow the flat buffers by site i's width; every site's values become views again."""
        old = [(j, p, u) for j, (p, u) in enumerate(zip(self.peaks, self.units, strict=True))
               if p is not None]
        total = sum(p.numel() for _, p, _ in old) + width
        self.batch, self.unit, self.window = (torch.zeros(total) for _ in range(3))
        offset = 0
        for j, peaks, units in [*old, (i, torch.zeros(width), torch.zeros(width))]:
            n = peaks.numel()
            self.peaks[j], self.units[j] = (self.batch[offset:offset + n],
                                            self.unit[offset:offset + n])
            self.peaks[j].copy_(peaks)
            self.units[j].copy_(units)
            offset += n

    def _grad(self, i: int, dims: tuple[int, ...], grad: torch.Tensor) -> None:
        g = grad.detach()
        torch.linalg.vector_norm(g, dtype=torch.float32, out=self.signal[i])
        key = (g.shape, g.dtype)
        scratch = self.scratch.get(key)
        if scratch is None:
            scratch = self.scratch[key] = torch.empty_like(g)
        torch.abs(g, out=scratch)
        if 2 <= g.ndim <= 3:
            torch.sum(scratch, dim=dims, dtype=torch.float32, out=self.units[i])
        else:
            self.units[i].copy_(unit_reduce(torch.sum, scratch, dims))

    @torch.no_grad()
    def _pre(self, optimizer: object, args: object, kwargs: object) -> None:
        self.grad_norms = torch._foreach_norm([p.grad for p in self.params])

    @torch.no_grad()
    def _post(self, optimizer: object, args: object, kwargs: object) -> None:
        state = self.optimizer.state
        params = [p.detach() for p in self.params]
        n = len(params)
        norms = torch._foreach_norm(params + [state[p]["momentum_buffer"] for p in self.params])
        lr = self.optimizer.param_groups[0]["lr"]
        delta = torch._foreach_mul(list(norms[n:]), [lr] * n)
        torch.maximum(self.window, self.batch, out=self.window)
        flat = torch.cat([torch.stack([*self.grad_norms, *norms[:n], *delta]), self.window,
                          self.batch, self.signal, self.unit])
        self.host.append(flat.cpu())
        del self.host[:-100]
