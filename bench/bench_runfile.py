"""Run files: writer cost while training, open time of a 1,000,000-step run, one record's read.

1. Writer cost: the built-in Trainer at depth 50 x width 128 (float64, batch 128, spirals) steps
   with and without a TrainerRecorder appending every StepStats, in interleaved rounds (best
   round counts). Printed as the extra time per step over the bare step (goal <= 5 %), plus
   append() alone (the part on the training thread) and the flush thread's share.
2. Open time: a synthetic depth-50 x 128 run of `--steps` steps (default 1,000,000) is written
   once into a temp dir with RunWriter, flushed every 100 steps as the 0.5 s timer would at
   200 steps/s (so about 10,000 record batches), per-unit gradients every 100th step, dead masks
   every 10th. Then FileRun opens it and reads what the Lab's first frame needs: the newest
   record, the newest per-unit record, the loss curve and 1,000-column decimated per-layer
   series (goal: first frame <= 1 s). Measured as appended (what a killed or still-running
   writer leaves) and compacted (what close() leaves). The page cache is warm.
3. One step's full record: record(i) at random i (median).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # must precede the numpy import

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actiscope_probe.runformat import WINDOW_DATASET, Manifest, RunWriter  # noqa: E402
from actiscope_probe.runformat.compact import COMPACT_MIN_BATCHES, compact_stream  # noqa: E402
from actiscope_probe.runformat.framing import scan  # noqa: E402

from core.config import ExperimentConfig  # noqa: E402
from core.runs import FileRun, TrainerRecorder  # noqa: E402
from core.runs.from_trainer import trainer_topology  # noqa: E402
from core.trainer import Trainer  # noqa: E402

_ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_ARGS.add_argument("--steps", type=int, default=1_000_000, help="steps of the synthetic run")
_ARGS.add_argument("--seconds", type=float, default=1.0, help="time per contender per round")
_ARGS.add_argument("--keep", type=Path, help="folder to keep (and reuse) the synthetic run in")
_ARGS.add_argument("--only", choices=("writer", "open"), help="run one of the measurements")
ARGS = _ARGS.parse_args()
DEPTH, WIDTH = 50, 128


def _timed_steps(step, seconds: float) -> float:
    """Seconds per call of step() over about `seconds`."""
    for _ in range(3):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or n < 5:
        step()
        n += 1
    return (time.perf_counter() - start) / n


def writer_cost(folder: Path) -> None:
    """Trainer step with and without recording, side by side."""
    config = ExperimentConfig(depth=DEPTH, width=WIDTH).validate()
    bare, recorded = Trainer(config), Trainer(config)
    recorder = TrainerRecorder(folder / "cost.actirun", recorded)
    append_seconds = [0.0, 0]

    def record_step() -> None:
        stats = recorded.step()
        start = time.perf_counter()
        recorder.append(stats)
        append_seconds[0] += time.perf_counter() - start
        append_seconds[1] += 1

    for _ in range(25):  # past the first 20 records, which are flushed one by one
        record_step()
    append_seconds[:] = [0.0, 0]
    best = {"bare": float("inf"), "recorded": float("inf")}
    for _ in range(5):
        best["bare"] = min(best["bare"], _timed_steps(bare.step, ARGS.seconds))
        best["recorded"] = min(best["recorded"], _timed_steps(record_step, ARGS.seconds))
    recorder.close()
    size = (folder / "cost.actirun" / "rank0.arrows").stat().st_size
    extra = best["recorded"] / best["bare"] - 1
    append = append_seconds[0] / append_seconds[1]
    print(f"writer cost at depth {DEPTH} x {WIDTH}: trainer step {best['bare'] * 1e3:.2f} ms, "
          f"with recording {best['recorded'] * 1e3:.2f} ms -> {extra:+.1%} per step "
          f"(goal <= 5 %: {'met' if extra <= 0.05 else 'MISSED'})")
    print(f"  append() alone {append * 1e6:.0f} us = {append / best['bare']:.1%} of a step; "
          f"{append_seconds[1]:,} records, {size / append_seconds[1] / 1e3:.1f} KB per record "
          "on disk")


def synthetic_run(path: Path, steps: int) -> float:
    """Write a depth-50 run of `steps` steps with plausible values; returns seconds taken."""
    sizes = [2, *[WIDTH] * DEPTH, 3]
    topology = trainer_topology(sizes, ["relu"] * DEPTH)
    rng = np.random.default_rng(0)
    n_params, n_sites, n_units = len(topology.params), len(topology.sites), topology.n_units
    pool = rng.random((64, n_params + 5 * n_sites))  # cycled, so generating stays cheap
    unit_grad, dead_units = rng.random(n_units), rng.random(n_units) < 0.2
    start = time.perf_counter()
    manifest = Manifest(topology, writer_name="bench", window=WINDOW_DATASET)
    # compact=False: the stream stays as appended, so both layouts can be measured
    with RunWriter(path, manifest, flush_seconds=3600, always_flush=20,
                   compact=False) as writer:
        for step in range(1, steps + 1):
            row = pool[step % 64]
            values = dict(
                step=step, loss=1.0 / step, train_accuracy=0.5, test_accuracy=0.5,
                window_step=step - step % 10, input_signal_norm=row[0],
                grad_norm=row[:n_params], update_ratio=row[:n_params] * 1e-3,
                signal_norm=row[n_params:n_params + n_sites],
                dead_batch=row[n_params + n_sites:n_params + 2 * n_sites],
                dead_window=row[n_params + 2 * n_sites:n_params + 3 * n_sites],
                saturated_batch=row[n_params + 3 * n_sites:n_params + 4 * n_sites],
            )
            if step % 100 == 0 or step <= 20:
                values.update(unit_grad=unit_grad, input_unit_grad=unit_grad[:2],
                              output_unit_grad=unit_grad[:3])
            if step % 10 == 0:
                values["dead_units"] = dead_units
            writer.append(**values)
            if step % 100 == 0:
                writer.flush()
    return time.perf_counter() - start


def first_frame(run: FileRun) -> None:
    """What the Lab's first frame reads from a run."""
    newest = run.record(-1)
    units = run.per_unit_index(len(run) - 1)
    if units is not None:
        run.record(units)
    run.series("loss")
    columns = np.linspace(0, len(run) - 1, 1000).astype(np.int64)
    for name in ("grad_norm", "signal_norm", "update_ratio", "dead_window", "dead_batch"):
        run.series(name, columns)
    assert newest.step == run.newest_step


def _measure_open(path: Path, label: str) -> FileRun:
    """Print the best of three opens (+ first-frame reads) of `path`; returns an open run."""
    opens, frames = [], []
    for _ in range(3):
        start = time.perf_counter()
        run = FileRun(path)
        opened = time.perf_counter()
        first_frame(run)
        frames.append(time.perf_counter() - start)
        opens.append(opened - start)
    print(f"  {label}: open {min(opens):.2f} s, open + first-frame reads {min(frames):.2f} s "
          f"(goal <= 1 s: {'met' if min(frames) <= 1.0 else 'MISSED'})", flush=True)
    return run


def _batches(path: Path) -> int:
    """Record batches in a stream (framing only)."""
    data = np.memmap(path, np.uint8, mode="r")
    return len(scan(memoryview(data), at_start=True, where=str(path)).batches)


def open_time(folder: Path) -> None:
    """Open the synthetic run as written and compacted; then time single-record reads."""
    path = (ARGS.keep or folder) / f"synthetic-{ARGS.steps}.actirun"
    stream = path / "rank0.arrows"
    if not stream.exists():
        print(f"writing a synthetic depth-{DEPTH} x {WIDTH} run of {ARGS.steps:,} steps ...",
              flush=True)
        shutil.rmtree(path, ignore_errors=True)
        seconds = synthetic_run(path, ARGS.steps)
        print(f"  written in {seconds:.1f} s ({seconds / ARGS.steps * 1e6:.0f} us per step "
              "including flushes)")
    size = stream.stat().st_size
    print(f"synthetic run: {ARGS.steps:,} steps, {size / 1e9:.2f} GB ({size / ARGS.steps / 1e3:.1f}"
          " KB per step); warm page cache")
    batches = _batches(stream)
    if batches > COMPACT_MIN_BATCHES:
        _measure_open(path, f"as appended ({batches:,} batches, as a killed writer leaves it)")
        start = time.perf_counter()
        compact_stream(stream)
        print(f"  compacting it (what close() does) took {time.perf_counter() - start:.1f} s")
    run = _measure_open(path, f"compacted ({_batches(stream):,} batches, as close() leaves it)")
    rng = np.random.default_rng(1)
    times = []
    for index in rng.integers(0, len(run), 200):
        start = time.perf_counter()
        run.record(int(index))
        times.append(time.perf_counter() - start)
    print(f"  one step's full record: {statistics.median(times) * 1e3:.3f} ms median "
          f"({max(times) * 1e3:.2f} ms max of 200)")


def main() -> int:
    """Run the three measurements."""
    with tempfile.TemporaryDirectory(prefix="bench-runfile-") as temp:
        if ARGS.only != "open":
            writer_cost(Path(temp))
        if ARGS.only != "writer":
            open_time(Path(temp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
