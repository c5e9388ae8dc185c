"""The view protocol (a view draws a Run at a record index) and what views read from a Run.

A Lab view never holds a Trainer: it is handed a `core.runs.Run` (the live trainer through
TrainerRun, or a run file through FileRun) and draws record `index` of it. Views read only
`run.topology`, `run.config`, `run.capabilities`, `run.steps()`, `run.series()`, `run.record()`,
`run.per_unit_index()` and `len(run)`; the decision boundary alone asks the live model through
`boundary_points()` / `boundary_grid()` when the run has the BOUNDARY capability.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from core.runs import Run, StepRecord
from gui.export import ExportTarget


@runtime_checkable
class RunView(Protocol):
    """What the Lab calls on every view."""

    title: str

    def reset_view(self, run: Run) -> None:
        """A new run or topology: rebuild the items once, then draw its newest record."""
        ...

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Draw record `index` (negative counts from the newest); `force` skips throttles and
        shows changing texts at once (render, export). Named so: QWidget already has show()."""
        ...

    def export_targets(self) -> list[ExportTarget]:
        """The drawn data as export targets."""
        ...


def resolve(run: Run, index: int) -> int | None:
    """`index` as a non-negative record index, clamped into the run (None when it is empty)."""
    n = len(run)
    if not n:
        return None
    if index < 0:
        index += n
    return min(max(int(index), 0), n - 1)


def record_at(run: Run, index: int) -> tuple[int, StepRecord] | None:
    """(index, record) of the clamped `index`, or None for an empty run."""
    found = resolve(run, index)
    return None if found is None else (found, run.record(found))


def hidden_widths(run: Run) -> list[int]:
    """Width of each activation site, in forward order."""
    return [int(site.width) for site in run.topology.sites]


def layer_sizes(run: Run) -> list[int]:
    """[input width, site widths..., output width] (the diagram's columns)."""
    topology = run.topology
    return [int(topology.input_width), *hidden_widths(run), int(topology.output_width)]


def n_param_layers(run: Run) -> int:
    """Entries of the per-parameter columns (weight layers L1..L(n+1) for built-in runs)."""
    return len(run.topology.params)


def config_value(run: Run, name: str, default: Any = None) -> Any:
    """A setting of the run's ExperimentConfig dict (built-in runs), else `default`."""
    config = run.config
    if not isinstance(config, dict):
        return default
    return config.get(name, default)


def signal_norms(record: StepRecord) -> np.ndarray:
    """‖∂L/∂a_i‖ into each weight layer: the input's, then each site's (NaN where missing)."""
    first = np.nan if record.input_signal_norm is None else record.input_signal_norm
    sites = np.zeros(0) if record.signal_norm is None else np.asarray(record.signal_norm)
    return np.concatenate([[first], sites]).astype(np.float64)


def split_units(run: Run, flat: np.ndarray | None, fill: float | bool) -> list[np.ndarray]:
    """A per-unit column (sites concatenated) as one array per site (`fill` when missing)."""
    widths = hidden_widths(run)
    if flat is None:
        return [np.full(w, fill) for w in widths]
    edges = np.cumsum([0, *widths])
    return [np.asarray(flat[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def per_unit(run: Run, index: int, record: StepRecord, name: str
             ) -> tuple[np.ndarray | None, int | None]:
    """(per-unit column `name`, its step) as of record `index`: from the newest record at or
    before it that holds the column (a run file stores them every few steps); (None, None) when
    none does."""
    own = getattr(record, name)
    if own is not None:
        return np.asarray(own), record.step
    found = run.per_unit_index(index, name)
    if found is None:
        return None, None
    holder = run.record(found)
    value = getattr(holder, name)
    return (None, None) if value is None else (np.asarray(value), holder.step)
