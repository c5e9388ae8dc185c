"""Writing a Run's records to a run folder through the one writer (RunWriter): "Save run as…".

write_records(run, writer) appends every record of any Run (the Lab's TrainerRun, or a FileRun) to
a RunWriter: the plain and per-parameter/per-site columns are read as whole series (no per-record
Python reads), the per-unit columns only at the records that carry their own per-unit arrays
(per_unit_index(i) == i), so the saved run reopens with the same series and the same per-unit
records. save_run(run, path) creates NAME.actirun atomically (written beside it, then renamed)
and refuses an existing path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from actiscope_probe.runformat import (
    PARAM_COLUMNS,
    PER_UNIT_COLUMNS,
    RUN_SUFFIX,
    SITE_COLUMNS,
    WINDOW_DATASET,
    Manifest,
    RunWriter,
)

import core
from core.runs.model import Run
from core.runs.rank_data import INT_NULL

# Columns a TrainerRun does not measure (all NaN): written as null, not as a recorded NaN.
_NULL_WHEN_NAN = ("amp_scale", "step_seconds", "probe_hook_seconds", "probe_copy_seconds",
                  "weight_norm")
_FLOATS = ("loss", "train_accuracy", "test_accuracy", "input_signal_norm", "wall_time",
           *_NULL_WHEN_NAN[:-1])
_LISTS = PARAM_COLUMNS + SITE_COLUMNS
SAVE_FLUSH_SECONDS = 60.0      # a save appends as fast as it can: few, large record batches


def run_manifest(run: Run, *, window: str = WINDOW_DATASET) -> Manifest:
    """The manifest of a run saved by Actiscope: its topology and config."""
    return Manifest(run.topology, writer_name="actiscope", writer_version=core.__version__,
                    window=window, config=run.config)


def write_records(run: Run, writer: RunWriter) -> int:
    """Append every record of `run` to `writer` (not closed); returns the records written.

    Read the run while nothing appends to it (for a TrainerRun: while the trainer is not
    stepping). NaN in the unmeasured columns (AMP, timings, weight norms) is written as null;
    a NaN wall time becomes the time of writing.
    """
    steps = np.asarray(run.steps())
    n = len(steps)
    if not n:
        return 0
    plain = {name: np.asarray(run.series(name)) for name in (*_FLOATS, *_LISTS)}
    window = np.asarray(run.series("window_step"))
    diverged = np.asarray(run.series("diverged"), bool)
    skipped = np.asarray(run.series("skipped"), bool)
    logged = {name: np.asarray(run.logged(name)) for name in run.logged_names()}
    own_units = {name: _own_per_unit_rows(run, name, n) for name in PER_UNIT_COLUMNS}
    for i in range(n):
        values: dict[str, object] = {"step": int(steps[i]), "diverged": bool(diverged[i]),
                                     "skipped": bool(skipped[i])}
        for name, column in plain.items():
            value = column[i]
            if name in _NULL_WHEN_NAN or name == "wall_time":
                if np.all(np.isnan(value)):
                    continue
            values[name] = value if column.ndim == 2 else float(value)
        if window[i] != INT_NULL:
            values["window_step"] = int(window[i])
        if logged:
            values["scalars"] = {name: float(column[i]) for name, column in logged.items()
                                 if not np.isnan(column[i])}
        units = [name for name in PER_UNIT_COLUMNS if own_units[name][i]]
        if units or diverged[i]:
            record = run.record(i)
            values["message"] = record.message
            for name in units:
                value = getattr(record, name)
                if value is not None:
                    values[name] = value
        writer.append(**values)
    return n


def _own_per_unit_rows(run: Run, name: str, n: int) -> np.ndarray:
    """(n,) bool: record i carries its own `name` arrays (per_unit_index(i, name) == i)."""
    own = np.zeros(n, bool)
    for i in range(n):
        own[i] = run.per_unit_index(i, name) == i
    return own


def save_run(run: Run, path: str | os.PathLike[str], *, manifest: Manifest | None = None) -> int:
    """Write every record of `run` into a new run folder `path` (NAME.actirun); returns the
    records written. An existing path is refused (FileExistsError, one sentence); the folder
    appears only once complete (written beside it, then renamed)."""
    target = Path(path)
    if target.suffix != RUN_SUFFIX:
        raise ValueError(f"A run folder's name must end in {RUN_SUFFIX}, not '{target.name}'.")
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose a new name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".saving-", dir=target.parent))
    try:
        partial = staging / target.name
        with RunWriter(partial, manifest or run_manifest(run),
                       flush_seconds=SAVE_FLUSH_SECONDS) as writer:
            written = write_records(run, writer)
        if target.exists():
            raise FileExistsError(f"{target} already exists; choose a new name.")
        os.rename(partial, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
