"""Per-parameter statistics read at the optimizer step: ‖grad‖, ‖W‖ and ‖ΔW‖.

The optimizer's step pre-hook sees the gradients accumulated, DDP-averaged and AMP-unscaled: it
takes their norms (one `_foreach_norm`). ‖ΔW‖ comes from where the step leaves it, cheapest first:
- a parameter without a gradient is not moved by the step: ‖ΔW‖ = 0;
- `torch.optim.SGD` with momentum (not Nesterov) moves W by exactly -lr·buf, where buf is the
  momentum buffer the step leaves in the optimizer state: ‖ΔW‖ = lr·‖buf‖;
- plain SGD (no momentum, no weight decay) moves W by -lr·grad: ‖ΔW‖ = lr·‖grad‖;
- any other optimizer (or a tensor lr): the pre-hook copies the weights into a preallocated
  snapshot and the post-hook turns it into -ΔW in place.
The post-hook then takes ‖W‖, the buffers' and the snapshots' norms in one `_foreach_norm`. A
parameter without a gradient (frozen) has no gradient norm (NaN in the run).
"""

from __future__ import annotations

import torch

_ZERO, _GRAD, _BUF, _DIFF = range(4)  # where a parameter's ‖ΔW‖ comes from


def _sources(exact_sgd: bool, groups: dict[int, dict], params: list[torch.Tensor],
             has_grad: list[bool]) -> tuple[list[int], list[float]]:
    """Per parameter: the source of its ‖ΔW‖ and the factor (lr) it is scaled by.

    `exact_sgd`: the optimizer is torch.optim.SGD itself; `groups`: param id -> its group.
    """
    kinds, scales = [], []
    for p, grad in zip(params, has_grad, strict=True):
        group = groups.get(id(p))
        if not grad or group is None:  # the step does not touch it
            kinds.append(_ZERO)
            scales.append(0.0)
            continue
        lr = group.get("lr")
        if exact_sgd and isinstance(lr, float | int) and not group.get("nesterov"):
            if group.get("momentum"):
                kinds.append(_BUF)
                scales.append(float(lr))
                continue
            if not group.get("weight_decay"):
                kinds.append(_GRAD)
                scales.append(float(lr))
                continue
        kinds.append(_DIFF)
        scales.append(1.0)
    return kinds, scales


class ParamStats:
    """The watched parameters (named as the run names them) and their step statistics."""

    def __init__(self, params: list[tuple[str, torch.Tensor]],
                 optimizer: torch.optim.Optimizer | None = None) -> None:
        """`params`: (clean name, parameter) in named_parameters() order; `optimizer` steps them."""
        self.params = params
        self.optimizer = optimizer
        self._exact_sgd = type(optimizer) is torch.optim.SGD  # a subclass may step differently
        self._group_key: tuple[int, ...] | None = None  # group sizes when _groups was built
        self._groups: dict[int, dict] = {}              # param id -> its param group
        self.before: list[torch.Tensor] | None = None  # snapshots of the _DIFF parameters
        self.snapped = False
        self.grad_norms: list[torch.Tensor] = []
        self.grad_index: list[int] = []
        self._kinds: list[int] = []
        self._scales: list[float] = []
        self._diff: list[int] = []

    def snapshot(self) -> None:
        """At the step pre-hook: gradient norms, and the weights that need it copied."""
        with torch.no_grad():
            tensors = [p for _, p in self.params]
            has_grad = [p.grad is not None for p in tensors]
            index = [i for i, g in enumerate(has_grad) if g]
            grads = [tensors[i].grad for i in index]
            self.grad_index = index
            self.grad_norms = list(torch._foreach_norm(grads)) if grads else []
            self._kinds, self._scales = _sources(self._exact_sgd, self._param_groups(), tensors,
                                                 has_grad)
            diff = [i for i, kind in enumerate(self._kinds) if kind == _DIFF]
            if diff != self._diff:
                self.before, self._diff = None, diff
            if diff:
                params = [tensors[i].detach() for i in diff]
                if self.before is None:  # kept between steps only while every step is recorded
                    self.before = [torch.empty_like(p) for p in params]
                torch._foreach_copy_(self.before, params)
            self.snapped = True

    def _param_groups(self) -> dict[int, dict]:
        """Param id -> its optimizer group, rebuilt only when the groups change (lr is read from
        the group at each step)."""
        groups = self.optimizer.param_groups if self.optimizer is not None else []
        key = tuple(len(group["params"]) for group in groups)
        if key != self._group_key:
            self._group_key = key
            self._groups = {id(p): group for group in groups for p in group["params"]}
        return self._groups

    def norms(self) -> tuple[list[tuple[str, int]], torch.Tensor]:
        """At the step post-hook: (spec, one tensor of ‖grad‖ (if any), ‖W‖ then ‖ΔW‖)."""
        with torch.no_grad():
            tensors = [p for _, p in self.params]
            params = [p.detach() for p in tensors]
            n = len(params)
            spec = [("gn", len(self.grad_norms))] if self.grad_norms else []
            spec += [("wn", n), ("dn", n)]
            if n == 0:
                return spec, torch.stack(self.grad_norms) if self.grad_norms else torch.zeros(0)
            buffers = [i for i, kind in enumerate(self._kinds) if kind == _BUF]
            state = self.optimizer.state if buffers else {}
            bufs = [state[tensors[i]]["momentum_buffer"] for i in buffers]
            if self._diff:
                torch._foreach_sub_(self.before, [params[i] for i in self._diff])  # -ΔW
            norms = torch._foreach_norm(params + bufs + (self.before if self._diff else []))
            source: list[torch.Tensor | None] = [None] * n
            for i, norm in zip(buffers, norms[n:n + len(bufs)], strict=True):
                source[i] = norm
            for i, norm in zip(self._diff, norms[n + len(bufs):], strict=True):
                source[i] = norm
            for i, norm in zip(self.grad_index, self.grad_norms, strict=True):
                if self._kinds[i] == _GRAD:
                    source[i] = norm
            zero = norms[0].new_zeros(())
            delta = torch._foreach_mul([zero if s is None else s for s in source], self._scales)
            return spec, torch.stack([*self.grad_norms, *norms[:n], *delta])

    def done(self, keep: bool) -> None:
        """After a record (or a skipped step): drop the gradient norms; keep the snapshot or not."""
        if not keep:
            self.before = None  # sparse records: no copy of the weights kept between them
        self.snapped, self.grad_norms = False, []
