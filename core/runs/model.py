"""What every view reads: the Run protocol, one step's StepRecord, and the capability names.

The column names, their meaning and the topology types come from the run format
(actiscope_probe.runformat); StepRecord has exactly one field per schema column, in schema order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from actiscope_probe.runformat import COLUMN_NAMES, ParamLayer, Site, Topology

__all__ = ["ACCURACY", "BOUNDARY", "CAPABILITIES", "LOSS", "PARAM_STATS", "PER_UNIT",
           "LOGGED_SCALARS", "SITE_STATS", "ParamLayer", "Run", "Site", "StepRecord",
           "Topology"]

# Capabilities: what a run can show. A view whose capability is missing says why in one line.
LOSS = "loss"                  # a loss was recorded
ACCURACY = "accuracy"          # train or test accuracy was recorded (classification)
PARAM_STATS = "param_stats"    # gradient / weight norms and update ratios per parameter
SITE_STATS = "site_stats"      # dead / saturated fractions and signal norms per site
PER_UNIT = "per_unit"          # per-unit gradients or dead masks (the network diagram)
LOGGED_SCALARS = "logged_scalars"  # values passed to probe.log()
BOUNDARY = "boundary"          # a model and 2-D data exist to draw a decision boundary
CAPABILITIES = (LOSS, ACCURACY, PARAM_STATS, SITE_STATS, PER_UNIT, LOGGED_SCALARS, BOUNDARY)


@dataclass(frozen=True)
class StepRecord:
    """One recorded step; one field per run-format column (docs/run-format.md).

    None means "not recorded at this step". Arrays: (n_params,) for grad_norm, weight_norm,
    update_ratio; (n_sites,) for signal_norm, dead_batch, dead_window, saturated_batch;
    (n_units,) for unit_grad, dead_units (bool), saturated_units (bool), sites concatenated in
    forward order (Topology.split_units splits them); (input_width,) / (output_width,) for
    input_unit_grad / output_unit_grad.
    """

    step: int
    rank: int
    wall_time: float
    loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    window_step: int | None
    diverged: bool
    message: str
    skipped: bool
    amp_scale: float | None
    step_seconds: float | None
    probe_hook_seconds: float | None
    probe_copy_seconds: float | None
    input_signal_norm: float | None
    grad_norm: np.ndarray | None
    weight_norm: np.ndarray | None
    update_ratio: np.ndarray | None
    signal_norm: np.ndarray | None
    dead_batch: np.ndarray | None
    dead_window: np.ndarray | None
    saturated_batch: np.ndarray | None
    unit_grad: np.ndarray | None
    dead_units: np.ndarray | None
    saturated_units: np.ndarray | None
    input_unit_grad: np.ndarray | None
    output_unit_grad: np.ndarray | None
    scalars: dict[str, float]

    @classmethod
    def from_columns(cls, values: dict[str, Any]) -> StepRecord:
        """Build from a column-name -> value mapping holding every schema column."""
        return cls(**{name: values[name] for name in COLUMN_NAMES})


@runtime_checkable
class Run(Protocol):
    """A run any view can draw: topology, the history of step records, newest step, capabilities.

    Record indices run 0..len(run)-1 in increasing step order. Series are numpy arrays:
    plain columns (k,), per-parameter columns (k, n_params), per-site columns (k, n_sites).
    """

    @property
    def topology(self) -> Topology:
        """Activation sites in forward order and parameter layers."""
        ...

    @property
    def config(self) -> dict[str, Any] | None:
        """The ExperimentConfig as a dict for built-in runs, else None."""
        ...

    @property
    def growing(self) -> bool:
        """Whether records may still be appended (a live trainer or a file being written)."""
        ...

    @property
    def newest_step(self) -> int | None:
        """Step of the newest record (None when empty)."""
        ...

    @property
    def capabilities(self) -> frozenset[str]:
        """Which of CAPABILITIES this run has."""
        ...

    def __len__(self) -> int:
        """Number of records."""
        ...

    def steps(self) -> np.ndarray:
        """(T,) int64 step of every record, increasing."""
        ...

    def record(self, index: int) -> StepRecord:
        """Every field of record `index` (negative counts from the newest)."""
        ...

    def step_index(self, step: int) -> int:
        """Index of the newest record at or before `step` (0 if it precedes them all)."""
        ...

    def per_unit_index(self, index: int, name: str = "unit_grad") -> int | None:
        """Index of the newest record at or before `index` that holds per-unit column `name`."""
        ...

    def series(self, name: str, rows: slice | np.ndarray | None = None) -> np.ndarray:
        """A plain, per-parameter or per-site column at record indices `rows` (default all)."""
        ...

    def logged_names(self) -> list[str]:
        """Names of the scalars passed to probe.log(), sorted."""
        ...

    def logged(self, name: str) -> np.ndarray:
        """(T,) float64 logged scalar `name` per record, NaN where it was not logged."""
        ...

    def poll(self) -> int:
        """Pick up records added since the last poll; returns how many (no Qt, any thread)."""
        ...
