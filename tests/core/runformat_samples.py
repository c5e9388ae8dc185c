"""Small run folders for the run-format tests: a topology and records with every column set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from actiscope_probe.runformat import (
    WINDOW_SINCE_START,
    Manifest,
    ParamLayer,
    RunWriter,
    Site,
    Topology,
)

TOPOLOGY = Topology(
    sites=(Site("block.0.act", "module", 3, "relu"), Site("block.1.act", "module", 2, "tanh")),
    params=(ParamLayer("0.weight", (3, 4)), ParamLayer("0.bias", (3,)),
            ParamLayer("2.weight", (2, 3))),
    input_width=4, output_width=2,
)


def manifest(world_size: int = 1, **changes: object) -> Manifest:
    """A probe-style manifest of TOPOLOGY."""
    values = dict(topology=TOPOLOGY, world_size=world_size, window=WINDOW_SINCE_START,
                  config={"note": "test", "lr": 0.1})
    values.update(changes)
    return Manifest(**values)  # type: ignore[arg-type]


def full_record(step: int, rng: np.random.Generator, *, rank: int = 0,
                per_unit: bool = True, nulls: bool = False) -> dict[str, object]:
    """Values for every column (per_unit=False: no per-unit arrays; nulls: leave some out)."""
    n_params, n_sites, n_units = len(TOPOLOGY.params), len(TOPOLOGY.sites), TOPOLOGY.n_units
    values: dict[str, object] = dict(
        step=step, rank=rank, wall_time=1.8e9 + step, loss=float(rng.random()),
        train_accuracy=float(rng.random()), test_accuracy=float("nan"), window_step=step - 1,
        diverged=bool(step % 7 == 0), message=f"step {step} diverged" if step % 7 == 0 else "",
        skipped=bool(step % 5 == 0), amp_scale=2.0 ** 16, step_seconds=0.01,
        probe_hook_seconds=1e-4, probe_copy_seconds=2e-5, input_signal_norm=float(rng.random()),
        grad_norm=rng.random(n_params), weight_norm=rng.random(n_params),
        update_ratio=np.where(rng.random(n_params) < 0.2, np.nan, rng.random(n_params)),
        signal_norm=rng.random(n_sites), dead_batch=rng.random(n_sites),
        dead_window=rng.random(n_sites), saturated_batch=rng.random(n_sites),
        scalars={"lr": 0.1 * step, "momentum": 0.9} if step % 2 else {},
    )
    if per_unit:
        values.update(unit_grad=rng.random(n_units), dead_units=rng.random(n_units) < 0.5,
                      saturated_units=rng.random(n_units) < 0.3,
                      input_unit_grad=rng.random(TOPOLOGY.input_width),
                      output_unit_grad=rng.random(TOPOLOGY.output_width))
    if nulls:
        for name in ("loss", "amp_scale", "window_step", "weight_norm", "dead_window"):
            values[name] = None
    return values


def write_run(path: Path, steps: list[int], *, seed: int = 0, rank: int = 0,
              world_size: int = 1, close: bool = True, flush_each: bool = True
              ) -> list[dict[str, object]]:
    """Write records for `steps` (per-unit on every third, nulls on every fourth); returns them."""
    rng = np.random.default_rng(seed)
    written = []
    writer = RunWriter(path, manifest(world_size), rank=rank, flush_seconds=3600,
                       always_flush=10**9 if flush_each else 0)
    for i, step in enumerate(steps):
        values = full_record(step, rng, rank=rank, per_unit=i % 3 == 0, nulls=i % 4 == 1)
        writer.append(**values)
        written.append(values)
    writer.close()
    if not close:  # drop the end-of-stream marker, as a killed writer leaves it
        stream = path / f"rank{rank}.arrows"
        os.truncate(stream, stream.stat().st_size - 8)
    return written


def folder_state(path: Path) -> dict[str, tuple[int, int]]:
    """name -> (size, mtime_ns) of every entry under `path` (to prove nothing was written)."""
    state = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            full = Path(root) / name
            info = full.stat()
            state[str(full.relative_to(path))] = (info.st_size, info.st_mtime_ns)
    return state
