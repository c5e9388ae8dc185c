"""Actiscope's PyTorch probe: writes run files the Actiscope app opens and follows live.

    probe = actiscope_probe.attach(model, optimizer, run="runs/exp1.actirun")
    ...  # the training loop, unchanged; optionally probe.log(loss=loss, lr=lr)
    probe.close()

Importing this package loads neither torch nor anything of the desktop app: `attach` and `Probe`
import torch on first use. Functional activations (`F.relu(x)`) are watched through an opt-in
torch.fx pass: `attach(..., trace_functional=True)` or `actiscope_probe.fx.watch_functional`.
The run format lives in `actiscope_probe.runformat` (numpy + pyarrow).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Probe", "attach", "__version__"]


def __getattr__(name: str) -> Any:
    """Lazy `attach` and `Probe` (they need torch)."""
    if name in ("attach", "Probe"):
        from actiscope_probe import probe
        return getattr(probe, name)
    raise AttributeError(f"module 'actiscope_probe' has no attribute '{name}'")
