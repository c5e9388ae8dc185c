"""The probe's own bookkeeping: AMP scale watching, backward and nested-step detection (the budget:
budget.py)."""

from __future__ import annotations

import inspect
import sys
from typing import Any

import torch


def in_backward() -> bool:
    """True while the autograd engine runs (a checkpoint recompute), via a private torch API."""
    try:
        return torch._C._current_graph_task_id() != -1
    except AttributeError:  # older or newer torch without it: count every grad-enabled forward
        return False


class StepNesting:
    """Tells an optimizer step's hooks from those of a step nested in it.

    An optimizer subclass whose `step` calls `super().step()` runs the step hooks twice per step
    once the parent class's `step` has been wrapped too (any instance of it patches it): outer
    pre, inner pre, inner post, outer post. Only the outer pair counts. A pre-hook is nested when
    the frame that called the outer pre-hook (torch's step wrapper) is still on the stack.
    """

    def __init__(self) -> None:
        """No step open."""
        self._outer: Any = None   # frame of the open outer step's wrapper
        self._nested = 0          # nested pre-hooks whose post-hook has not run yet

    def enter(self) -> bool:
        """In a step pre-hook: True for the outer step, False for a nested one."""
        caller = sys._getframe(2)
        frame = caller.f_back
        while frame is not None:
            if frame is self._outer:
                self._nested += 1
                return False
            frame = frame.f_back
        self._outer, self._nested = caller, 0  # also after a step that raised
        return True

    def leave(self) -> bool:
        """In a step post-hook: True for the outer step, False for a nested one."""
        if self._nested:
            self._nested -= 1
            return False
        self._outer = None
        return True


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
