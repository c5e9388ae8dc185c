"""The probe's own bookkeeping: overhead budget, AMP scale watching, backward detection."""

from __future__ import annotations

import inspect
import math
from typing import Any

import torch

MAX_STRIDE = 1000
_EMA = 0.2


def in_backward() -> bool:
    """True while the autograd engine runs (a checkpoint recompute), via a private torch API."""
    try:
        return torch._C._current_graph_task_id() != -1
    except AttributeError:  # older or newer torch without it: count every grad-enabled forward
        return False


class Budget:
    """Chooses the sampling strides so the probe's measured cost stays within `fraction`."""

    def __init__(self, fraction: float) -> None:
        """`fraction`: allowed probe time per unit of training time (0.03 = 3 %)."""
        if not 0 < fraction < 1:
            raise ValueError(f"The overhead budget must lie in (0, 1), not {fraction}.")
        self.fraction = fraction
        # plan for 60 % of the budget: the timers miss autograd's tensor-hook bookkeeping and the
        # allocator and cache effects of the probe's temporaries (a third of the cost, measured)
        self._plan = 0.6 * fraction
        self.train: float | None = None     # seconds per step without the probe
        self.recorded: float | None = None  # probe seconds on a recorded step
        self.base: float | None = None      # probe seconds on a plain step that updates the window
        self.stride = 1         # record every `stride` steps
        self.window_stride = 1  # update the dead-since-window masks every `window_stride` steps
        self._seen = 0

    def observe(self, wall: float, cost: float, recorded: bool, window: bool = True) -> None:
        """Fold in one step's wall time and probe cost, then update both strides."""
        self._seen += 1
        if self._seen == 1:
            return  # the first step also pays for building the run folder and the model warm-up
        self.train = _ema(self.train, max(wall - cost, 1e-9))
        if recorded:
            self.recorded = _ema(self.recorded, cost)
        elif window:
            self.base = _ema(self.base, cost)
        if self.recorded is None:
            return
        # until a plain step was seen, assume it costs a fifth of a recorded one (window masks)
        base = self.base if self.base is not None else 0.2 * self.recorded
        # the window masks may take half the budget; sparser updates if they need more
        half = 0.5 * self._plan * self.train
        self.window_stride = max(1, min(MAX_STRIDE, math.ceil(base / half)))
        room = self._plan * self.train - base / self.window_stride
        extra = max(self.recorded - base, 0.0)
        self.stride = MAX_STRIDE if room <= 0 else max(1, min(MAX_STRIDE, math.ceil(extra / room)))

    @property
    def overhead(self) -> float | None:
        """The expected probe overhead at the current strides (fraction of training time)."""
        if self.train is None or self.recorded is None:
            return None
        base = self.base or 0.0
        plain = base / self.window_stride
        return (plain + (self.recorded - plain) / self.stride) / self.train


def _ema(old: float | None, new: float) -> float:
    return new if old is None else (1 - _EMA) * old + _EMA * new


class ScaleWatch:
    """Reads a GradScaler's scale without a host sync and reports when it went down (a skip)."""

    def __init__(self, scaler: Any) -> None:
        """`scaler`: a torch.amp.GradScaler or None."""
        self.scaler = scaler
        self.last: float | None = None
        self._copy: tuple[torch.Tensor, Any] | None = None

    def tensor(self) -> torch.Tensor | None:
        """The scaler's scale as a device tensor (None without an enabled scaler)."""
        if self.scaler is None or not getattr(self.scaler, "is_enabled", lambda: False)():
            return None
        scale = getattr(self.scaler, "_scale", None)
        return scale.detach().reshape(1) if isinstance(scale, torch.Tensor) else None

    def _value(self) -> float | None:
        scale = self.tensor()
        if scale is None:
            return None
        if scale.device.type != "cuda":
            return float(scale)
        # CUDA: the value of the previous (finished) copy; a skip is seen one call later
        value = None
        if self._copy is not None and self._copy[1].query():
            value = float(self._copy[0])
            self._copy = None
        if self._copy is None:
            host = torch.empty(1, dtype=scale.dtype, pin_memory=True)
            host.copy_(scale, non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            self._copy = (host, event)
        return value

    def skipped(self) -> float | None:
        """The previous scale if the scale went down since the last call (a skipped step)."""
        value = self._value()
        if value is None:
            return None
        old, self.last = self.last, value
        return old if old is not None and value < old else None


def find_scaler(depth: int = 8) -> Any:
    """A GradScaler in the caller's frames (attach() called beside it), or None."""
    kinds = tuple(k for k in (getattr(torch.amp, "GradScaler", None),) if k is not None)
    frame = inspect.currentframe()
    try:
        for _ in range(depth):
            frame = frame.f_back if frame is not None else None
            if frame is None:
                return None
            for value in list(frame.f_locals.values()):
                if kinds and isinstance(value, kinds):
                    return value
        return None
    finally:
        del frame
