"""Runs in the app: open a big run in the Lab, scrub it, follow a growing file, record to file.

Prints each figure as a ratio to its goal (ratio <= 1 is met for times, >= 1 for rates).

a. First frame: a synthetic depth-50 x 128 run of --steps steps (default 1,000,000; written once
   with bench_runfile.synthetic_run into a temp dir or --keep, then compacted as close() leaves
   it) is opened in a shown LabView: FileRun open + every view's reset_view (which draws the
   newest record) + one synchronous paint of the Lab. Goal <= 1 s. Warm page cache.
b. Scrub: the scrubber's slider set to 200 random record indices in a row; each is the Lab's own
   path (sigScrubbed -> every visible view's show_record) plus one synchronous paint. Goal >= 30
   frames/s.
a2. (--only appended) The same run as a killed writer leaves it: not compacted, one record batch
   per 100 steps (about 10,000), kept beside the compacted one as appended-STEPS.actirun. Open +
   first frame in the Lab as in (a). Its issue 10 goal is "opens with every flushed step"; the
   figure is printed against the same 1 s.
c. Follow: another process appends a depth-50 record every 0.1 s (10 records/s) and flushes each
   one, printing the flush time; the Lab follows the file (RunFollower polls on its worker every
   0.2 s, the views redraw on the GUI thread, one paint). Latency = time the views show step s
   (after the paint) - time the writer's flush of step s returned. Goal <= 0.5 s (median, p90).
d. Record to file: LabView.advance(N) at depth 50 x 128 with and without 'Record to file' on, in
   interleaved rounds (best round each); the extra time per step over the bare Lab step. Goal
   <= 5 %.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # must precede the numpy import
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

_ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_ARGS.add_argument("--steps", type=int, default=1_000_000, help="steps of the synthetic run (a)")
_ARGS.add_argument("--keep", type=Path, help="folder to keep (and reuse) the synthetic run in")
_ARGS.add_argument("--follow-seconds", type=float, default=12.0, help="duration of (c)")
_ARGS.add_argument("--record-steps", type=int, default=150, help="steps per round in (d)")
_ARGS.add_argument("--rounds", type=int, default=4, help="rounds per contender in (d)")
_ARGS.add_argument("--only", choices=("open", "appended", "follow", "record"),
                   help="run one part ('open' is a and b; 'appended' is a2, only run when named)")
ARGS = _ARGS.parse_args()

_argv, sys.argv = sys.argv, sys.argv[:1]      # bench_runfile parses its own arguments on import
import bench_runfile  # noqa: E402

sys.argv = _argv

from actiscope_probe.runformat.compact import compact_stream  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.config import ExperimentConfig  # noqa: E402
from gui.lab.lab_view import LabView  # noqa: E402

DEPTH, WIDTH = bench_runfile.DEPTH, bench_runfile.WIDTH


def _ratio(value: float, goal: float, lower_is_better: bool = True) -> str:
    ratio = value / goal
    met = ratio <= 1 if lower_is_better else ratio >= 1
    return f"{ratio:.2f} x goal ({'met' if met else 'MISSED'})"


def _lab(app: QApplication) -> LabView:
    lab = LabView()
    lab.resize(1400, 900)
    lab.show()
    app.processEvents()
    return lab


def _paint(lab: LabView, app: QApplication) -> None:
    app.sendPostedEvents()
    lab.repaint()                      # one synchronous paint of the whole Lab


def synthetic(folder: Path) -> Path:
    """The depth-50 run of ARGS.steps steps (written and compacted once)."""
    path = (ARGS.keep or folder) / f"synthetic-{ARGS.steps}.actirun"
    if not (path / "rank0.arrows").exists():
        print(f"writing a synthetic depth-{DEPTH} x {WIDTH} run of {ARGS.steps:,} steps ...",
              flush=True)
        shutil.rmtree(path, ignore_errors=True)
        seconds = bench_runfile.synthetic_run(path, ARGS.steps)
        start = time.perf_counter()
        compact_stream(path / "rank0.arrows")
        print(f"  written in {seconds:.1f} s, compacted in {time.perf_counter() - start:.1f} s",
              flush=True)
    size = (path / "rank0.arrows").stat().st_size
    print(f"synthetic run: {ARGS.steps:,} steps, {size / 1e9:.2f} GB; warm page cache")
    return path


def open_appended(app: QApplication, folder: Path) -> None:
    """(a2) first frame of the big run as a killed writer leaves it (not compacted)."""
    path = (ARGS.keep or folder) / f"appended-{ARGS.steps}.actirun"
    if not (path / "rank0.arrows").exists():
        print(f"writing a synthetic depth-{DEPTH} x {WIDTH} run of {ARGS.steps:,} steps, "
              "left as appended ...", flush=True)
        shutil.rmtree(path, ignore_errors=True)
        print(f"  written in {bench_runfile.synthetic_run(path, ARGS.steps):.1f} s", flush=True)
    lab = _lab(app)
    times = []
    for _ in range(3):
        lab.back_to_training()
        _paint(lab, app)
        start = time.perf_counter()
        lab.open_run(path)
        _paint(lab, app)
        times.append(time.perf_counter() - start)
    print(f"(a2) open + first frame of the as-appended run ({len(lab.run):,} records): first "
          f"{times[0]:.2f} s, best {min(times):.2f} s of 3 -> {_ratio(times[0], 1.0)}")
    lab.shutdown()
    lab.deleteLater()
    app.processEvents()


def open_and_scrub(app: QApplication, folder: Path) -> None:
    """(a) first frame of the big run in the Lab, (b) scrubbing across it."""
    path = synthetic(folder)
    lab = _lab(app)
    times = []
    for _ in range(3):
        lab.back_to_training()
        _paint(lab, app)
        start = time.perf_counter()
        lab.open_run(path)             # FileRun + every view's reset_view (draws the newest)
        _paint(lab, app)
        times.append(time.perf_counter() - start)
    print(f"(a) open + first frame in the Lab: first {times[0]:.2f} s, best {min(times):.2f} s"
          f" of 3 -> {_ratio(times[0], 1.0)}")
    visible = [type(v).__name__ for v in lab.views if v.isVisible()]
    print(f"    visible views: {', '.join(visible)}")
    rng = np.random.default_rng(2)
    indices = rng.integers(0, len(lab.run), 200)
    frames = []
    start = time.perf_counter()
    for index in indices:
        frame = time.perf_counter()
        lab.scrubber.slider.setValue(int(index))   # the Lab's own path: sigScrubbed
        _paint(lab, app)
        frames.append(time.perf_counter() - frame)
    fps = len(indices) / (time.perf_counter() - start)
    assert lab._shown_index() == int(indices[-1])
    print(f"(b) scrub to 200 random records: {fps:.1f} frames/s (median frame "
          f"{statistics.median(frames) * 1e3:.1f} ms, slowest {max(frames) * 1e3:.1f} ms) -> "
          f"{_ratio(fps, 30.0, lower_is_better=False)}")
    lab.shutdown()
    lab.deleteLater()
    app.processEvents()


WRITER = r"""
import sys, time
import numpy as np
sys.path.insert(0, {root!r})
from actiscope_probe.runformat import WINDOW_DATASET, Manifest, RunWriter
from core.runs.from_trainer import trainer_topology
depth, width, seconds, path = {depth}, {width}, {seconds}, {path!r}
topology = trainer_topology([2, *[width] * depth, 3], ["relu"] * depth)
n_params, n_sites = len(topology.params), len(topology.sites)
rng = np.random.default_rng(0)
writer = RunWriter(path, Manifest(topology, writer_name="bench", window=WINDOW_DATASET),
                   flush_seconds=3600)
units = rng.random(topology.n_units)
step, start = 0, time.perf_counter()
while time.perf_counter() - start < seconds:
    step += 1
    row = rng.random(n_params + 4 * n_sites)
    values = dict(step=step, loss=1.0 / step, input_signal_norm=1.0, grad_norm=row[:n_params],
                  update_ratio=row[:n_params] * 1e-3, signal_norm=row[n_params:n_params + n_sites],
                  dead_batch=row[n_params + n_sites:n_params + 2 * n_sites],
                  dead_window=row[n_params + 2 * n_sites:n_params + 3 * n_sites],
                  saturated_batch=row[n_params + 3 * n_sites:], window_step=step)
    if step % 25 == 0 or step <= 20:
        values.update(unit_grad=units, input_unit_grad=units[:2], output_unit_grad=units[:3])
    writer.append(**values)
    writer.flush()
    print(step, time.time(), flush=True)
    time.sleep(max(0.0, start + step * 0.1 - time.perf_counter()))
writer.close()
"""


def follow_latency(app: QApplication, folder: Path) -> None:
    """(c) flush in another process -> the Lab's views show that step."""
    path = folder / "growing.actirun"
    code = WRITER.format(root=str(ROOT), depth=DEPTH, width=WIDTH,
                         seconds=ARGS.follow_seconds, path=str(path))
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    while not (path / "rank0.arrows").exists() or not (path / "manifest.json").exists():
        time.sleep(0.01)
    time.sleep(0.3)                               # the schema and the first records are out
    lab = _lab(app)
    shown: dict[int, float] = {}

    def on_grew(_count: int) -> None:             # after the Lab's own slot (connected first)
        _paint(lab, app)
        newest = lab.run.newest_step
        if newest is not None and newest not in shown:
            shown[newest] = time.time()

    lab.open_run(path)
    lab.follower.sigGrew.connect(on_grew)
    while writer.poll() is None:
        app.processEvents()
        time.sleep(0.002)
    app.processEvents()
    flushed = {}
    for line in writer.stdout.read().split("\n"):
        if line.strip():
            step, when = line.split()
            flushed[int(step)] = float(when)
    # each flushed step: the first moment the views showed it or a newer one
    show_steps = np.array(sorted(shown))
    latencies = []
    for step, when in flushed.items():
        if step <= 25:
            continue                              # written before the Lab opened the file
        later = show_steps[show_steps >= step]
        if len(later):
            latencies.append(min(shown[int(s)] for s in later[:1]) - when)
    lab.shutdown()
    lab.deleteLater()
    app.processEvents()
    if not latencies:
        print("(c) follow: no step was shown")
        return
    median, p90 = statistics.median(latencies), float(np.percentile(latencies, 90))
    print(f"(c) follow at 10 records/s ({len(latencies)} steps): flush -> views show it "
          f"median {median * 1e3:.0f} ms, p90 {p90 * 1e3:.0f} ms, max "
          f"{max(latencies) * 1e3:.0f} ms -> p90 {_ratio(p90, 0.5)}")


def record_overhead(app: QApplication, folder: Path) -> None:
    """(d) LabView.advance at depth 50 x 128 with and without Record to file."""
    lab = _lab(app)
    lab.set_config(ExperimentConfig(depth=DEPTH, width=WIDTH).validate())
    lab.advance(30)
    n = ARGS.record_steps
    best = {"bare": float("inf"), "recording": float("inf")}
    append_seconds, timed = [0.0, 0], [0.0, 0]
    real_record = lab.recording.append

    def timed_record(stats) -> None:
        start = time.perf_counter()
        real_record(stats)
        append_seconds[0] += time.perf_counter() - start
        append_seconds[1] += 1

    lab.recording.append = timed_record
    for round_ in range(ARGS.rounds):
        start = time.perf_counter()
        lab.advance(n)
        best["bare"] = min(best["bare"], (time.perf_counter() - start) / n)
        lab.start_recording(folder / f"rec{round_}.actirun")
        lab.advance(25)                            # past the first 20, flushed one by one
        counted = list(append_seconds)
        start = time.perf_counter()
        lab.advance(n)
        best["recording"] = min(best["recording"], (time.perf_counter() - start) / n)
        timed[0] += append_seconds[0] - counted[0]
        timed[1] += append_seconds[1] - counted[1]
        lab.stop_recording()
    extra = best["recording"] / best["bare"] - 1
    append = timed[0] / max(timed[1], 1)
    print(f"(d) record to file at depth {DEPTH} x {WIDTH}: Lab step {best['bare'] * 1e3:.2f} ms, "
          f"recording {best['recording'] * 1e3:.2f} ms -> {extra:+.1%} per step; the GUI "
          f"thread's append {append * 1e6:.0f} us = {append / best['bare']:.1%} of a step -> "
          f"{_ratio(max(extra, 0.0), 0.05)}")
    lab.shutdown()
    lab.deleteLater()
    app.processEvents()


def main() -> int:
    """Run the four measurements."""
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-runs-app-") as temp:
        if ARGS.only in (None, "open"):
            open_and_scrub(app, Path(temp))
        if ARGS.only == "appended":
            open_appended(app, Path(temp))
        if ARGS.only in (None, "follow"):
            follow_latency(app, Path(temp))
        if ARGS.only in (None, "record"):
            record_overhead(app, Path(temp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
