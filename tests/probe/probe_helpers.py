"""Shared helpers of the probe tests: small models and reading a run back per rank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from actiscope_probe.runformat import RunReader  # noqa: E402
from torch import nn  # noqa: E402


def mlp(inplace: bool = True, dead_bias: float = -50.0) -> nn.Sequential:
    """8 -> 16 ReLU -> 12 Tanh -> 1; the first four ReLU units have a very negative bias (dead)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(inplace=inplace), nn.Linear(16, 12), nn.Tanh(),
                          nn.Linear(12, 1))
    with torch.no_grad():
        model[0].bias[:4] = dead_bias
    return model


def rows(run: Path, rank: int = 0) -> dict[str, list]:
    """One rank's stream as column -> list of values (python objects)."""
    table = RunReader(run).poll()[rank]
    return table.to_pydict()


def arr(values: list) -> np.ndarray:
    """A list column (list of lists) as a float array, None -> NaN."""
    return np.array([[np.nan if v is None else v for v in row] for row in values], float)
