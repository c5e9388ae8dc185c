"""Activation sites: which modules are watched and how a unit's derivative is read from its output.

Dead and saturated follow the Lab's one definition (core/network.py `dead_and_saturated`): per unit,
take the peak |f'(z)| over the samples; dead = the peak is 0, saturated = the peak is below 0.01 yet
not dead. The probe sees only the output a = f(z) (an inplace activation has overwritten z), so
each kind below reads the peak from a:

- relu: f' = 0 exactly where a == 0, so the peak's stand-in is max(a) (zero iff dead; never
  saturated). hardswish: max |a| (a == 0 for z <= -3). hardtanh: clamped outputs (a at min or
  max) have f' = 0, so a unit clamped on every sample is *dead* (not saturated), as in the Lab.
- tanh (1 - a²), sigmoid (a(1 - a)), softplus (1 - e^(-a)), elu (a + α below 0), selu
  (a + λα below 0): f' is a function of a, so both dead and saturated are exact.
- leaky_relu, gelu, silu, mish: f' is not a function of a. LeakyReLU never dies; for gelu, silu
  and mish the probe does not measure dead or saturated units (recorded as NaN) — a stated
  limitation until the opt-in pre-activation pass exists.
Functional calls (`F.relu`, `torch.tanh`, `x.relu()`) are seen only through the opt-in torch.fx
pass (fx.py: `attach(..., trace_functional=True)` or `watch_functional(model)`), which wraps each
call in a small module that these hooks then watch like any activation module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

SATURATION_THRESHOLD = 0.01  # |f'| below this for every sample: saturated (as the Lab)

KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.ReLU, "relu"), (nn.LeakyReLU, "leaky_relu"), (nn.ELU, "elu"), (nn.SELU, "selu"),
    (nn.GELU, "gelu"), (nn.SiLU, "silu"), (nn.Mish, "mish"), (nn.Tanh, "tanh"),
    (nn.Sigmoid, "sigmoid"), (nn.Softplus, "softplus"), (nn.Hardswish, "hardswish"),
    (nn.Hardtanh, "hardtanh"),  # after ReLU6's parent check below: ReLU6 is a Hardtanh
)
NO_DEATH = frozenset({"leaky_relu"})                   # f' > 0 everywhere: never dead
UNMEASURED = frozenset({"gelu", "silu", "mish"})       # f' not a function of a: NaN
SATURATING = frozenset({"tanh", "sigmoid", "softplus", "elu", "selu"})
_SELU_SCALE, _SELU_ALPHA = 1.0507009873554805, 1.6732632423543772


def activation_kind(module: nn.Module) -> str | None:
    """The activation name of a watched module, or None if it is not an activation site."""
    if isinstance(module, nn.ReLU6):
        return "hardtanh"
    for cls, kind in KINDS:
        if type(module) is cls or isinstance(module, cls):
            return kind
    return None


def channel_dims(ndim: int) -> tuple[int, ...]:
    """Dimensions reduced over for a per-unit statistic: all but the unit (channel) axis.

    2-D (N, F) and 3-D (N, S, F) outputs have their units last (Linear, transformer); 4-D and
    5-D outputs are convolutions with channels at dim 1 (a unit = a channel over N·H·W).
    """
    if ndim <= 1:
        return (0,) if ndim == 1 else ()
    if ndim <= 3:
        return tuple(range(ndim - 1))
    return (0, *range(2, ndim))


def unit_axis(ndim: int) -> int:
    """The unit (channel) axis of an output of `ndim` dimensions."""
    return 1 if ndim >= 4 else ndim - 1


def unit_reduce(fn: Any, x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """fn (torch.amax, amin or sum) over `dims`; for convolutions H·W first (contiguous, faster)."""
    if x.ndim >= 4 and dims == (0, *range(2, x.ndim)):
        return fn(fn(x, dim=tuple(range(2, x.ndim))), dim=0)
    return fn(x, dim=dims)


def peak_derivative(kind: str, module: nn.Module, a: torch.Tensor,
                    dims: tuple[int, ...]) -> torch.Tensor:
    """(width,) per-unit peak |f'| over the batch (or a stand-in that is 0 exactly when dead)."""
    a = a.detach()
    if kind == "relu":
        return unit_reduce(torch.amax, a, dims)  # a >= 0 already
    if kind == "hardswish":
        return unit_reduce(torch.amax, a.abs(), dims)
    if kind == "hardtanh":
        lo, hi = float(module.min_val), float(module.max_val)
        return unit_reduce(torch.amax, torch.minimum(a - lo, hi - a), dims).clamp_(min=0)
    if kind == "tanh":
        return (1.0 - unit_reduce(torch.amin, a * a, dims)).clamp_(min=0)
    if kind == "sigmoid":
        return unit_reduce(torch.amax, a * (1.0 - a), dims).clamp_(min=0)
    if kind == "softplus":
        beta = float(module.beta)  # f' = 1 - exp(-beta·a), increasing in a
        return (-torch.expm1(-beta * unit_reduce(torch.amax, a, dims))).clamp_(min=0)
    if kind in ("elu", "selu"):
        top = unit_reduce(torch.amax, a, dims)  # f' increases with a below 0 and is constant above
        if kind == "elu":
            alpha = float(module.alpha)
            return torch.where(top > 0, 1.0, top + alpha).clamp_(min=0)
        return torch.where(top > 0, _SELU_SCALE, top + _SELU_SCALE * _SELU_ALPHA).clamp_(min=0)
    # leaky_relu (never dead) and gelu/silu/mish (unmeasured): a constant 1 per unit
    return torch.ones(a.shape[unit_axis(a.ndim)] if a.ndim else 1, device=a.device)


@dataclass
class SiteState:
    """One watched activation module and its device accumulators.

    The accumulators are views into flat per-device buffers the probe owns (one batched op per
    step for all sites): `window` and `batch` (width,), `signal` (a 0-d view), `unit` (width,).
    `batch`, `signal` and `unit` hold this step's values only when their counters are non-zero.
    """

    name: str
    module: nn.Module
    kind: str
    origin: str = "module"               # "module" or "functional" (an fx-wrapped F.relu call)
    index: int = -1                      # position in forward order (-1: not seen yet)
    width: int = 0
    window: torch.Tensor | None = None   # (width,) max peak since the window start
    batch: torch.Tensor | None = None    # (width,) max peak over this step's micro-batches
    signal: torch.Tensor | None = None   # () ‖∂L/∂a‖ over this step's backward passes
    unit: torch.Tensor | None = None     # (width,) sum |∂L/∂a| on a per-unit step
    batch_n: int = 0                     # forwards folded into `batch` this step
    grad_n: int = 0                      # backward passes folded into `signal` this step
    unit_n: int = 0                      # backward passes folded into `unit` this step
    unit_count: float = 0.0              # elements per unit summed into `unit`
    pending: int = 0                     # counted forwards whose checkpoint recompute is due
    disabled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def measured(self) -> bool:
        """False for kinds whose dead/saturated state cannot be read from the output."""
        return self.kind not in UNMEASURED

    def fractions(self, peaks: Any) -> tuple[float, float, Any, Any]:
        """(dead fraction, saturated fraction, dead mask, saturated mask) from host peaks."""
        if not self.measured:
            return math.nan, math.nan, None, None
        dead = peaks == 0
        share = 1.0 / max(dead.size, 1)
        if self.kind not in SATURATING:  # never saturated: no mask (a row has False)
            return np.count_nonzero(dead) * share, 0.0, dead, None
        saturated = (peaks < SATURATION_THRESHOLD) & ~dead
        return np.count_nonzero(dead) * share, np.count_nonzero(saturated) * share, dead, \
            saturated


def find_sites(model: nn.Module) -> list[SiteState]:
    """Every activation module of `model` (named_modules order; forward order comes later)."""
    sites, seen = [], set()
    for name, module in model.named_modules(remove_duplicate=False):
        functional = getattr(module, "actiscope_kind", None)
        kind = functional or activation_kind(module)
        if kind is None or id(module) in seen:
            continue
        seen.add(id(module))
        sites.append(SiteState(name=clean_name(name) or kind, module=module, kind=kind,
                               origin="functional" if functional else "module"))
    return sites


_PREFIXES = ("module.", "_orig_mod.", "_forward_module.")


def clean_name(name: str) -> str:
    """A parameter or module name without wrapper prefixes (DDP `module.`, compile `_orig_mod.`)."""
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                name, changed = name[len(prefix):], True
    return name.replace("._orig_mod.", ".")
