"""Per-parameter statistics read at the optimizer step: ‖grad‖, ‖W‖ and ‖ΔW‖.

The optimizer's step pre-hook sees the gradients accumulated, DDP-averaged and AMP-unscaled: it
takes their norms (one `_foreach_norm`) and copies the weights into a preallocated snapshot. The
post-hook turns the snapshot into -ΔW in place and takes ‖W‖ and ‖ΔW‖ in one `_foreach_norm`. A
parameter without a gradient (frozen) has no gradient norm (NaN in the run).
"""

from __future__ import annotations

import torch


class ParamStats:
    """The watched parameters (named as the run names them) and their step statistics."""

    def __init__(self, params: list[tuple[str, torch.Tensor]]) -> None:
        """`params`: (clean name, parameter) in named_parameters() order."""
        self.params = params
        self.before: list[torch.Tensor] | None = None  # the weights before the step
        self.snapped = False
        self.grad_norms: list[torch.Tensor] = []
        self.grad_index: list[int] = []

    def snapshot(self) -> None:
        """At the step pre-hook: gradient norms, and the weights copied into the snapshot."""
        with torch.no_grad():
            index = [i for i, (_, p) in enumerate(self.params) if p.grad is not None]
            grads = [self.params[i][1].grad for i in index]
            self.grad_index = index
            self.grad_norms = list(torch._foreach_norm(grads)) if grads else []
            params = [p.detach() for _, p in self.params]
            if self.before is None:  # kept between steps only while every step is recorded
                self.before = [torch.empty_like(p) for p in params]
            torch._foreach_copy_(self.before, params)
            self.snapped = True

    def norms(self) -> tuple[list[tuple[str, int]], torch.Tensor]:
        """At the step post-hook: (spec, one tensor of ‖grad‖ (if any), ‖W‖ then ‖ΔW‖)."""
        with torch.no_grad():
            params = [p.detach() for _, p in self.params]
            torch._foreach_sub_(self.before, params)       # -ΔW, in place
            norms = torch._foreach_norm(params + self.before)  # ‖W‖ then ‖ΔW‖
            n = len(params)
            spec = [("gn", len(self.grad_norms))] if self.grad_norms else []
            spec += [("wn", n), ("dn", n)]
            return spec, torch.stack([*self.grad_norms, *norms])

    def done(self, keep: bool) -> None:
        """After a record (or a skipped step): drop the gradient norms; keep the snapshot or not."""
        if not keep:
            self.before = None  # sparse records: no copy of the weights kept between them
        self.snapped, self.grad_norms = False, []
