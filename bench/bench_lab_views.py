"""Frames/s of the Lab views (refresh + offscreen render) while a real Trainer trains.

For each size, all six views sit in one 1600×1000 window; every frame runs one training step and
refreshes every view, then paints in one of two ways (alternate frames):
- views: what the app pays — the posted layout/scene events are delivered (Qt repaints the
  items that changed) and each view widget is repaint()ed; nothing else in the window.
- window grab: QWidget.grab of the whole window, a full repaint of everything (upper bound).
Training time is reported separately: the fps goal is for refresh + paint of the views
(≥ 60 at 50×128, ≥ 20 at 200×512); the grab figure is printed next to it.

The views draw a Run (core.runs.TrainerRun over the trainer, fed each step's StepStats as the
Lab does). `--history N` first fills the trainer's History with N more rows (copies of the
newest step), so the cost of long runs shows: the series a view reads grow with the History.
The script also runs the views of an older checkout (refresh(trainer)) for comparison.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# On a loaded 2-core machine two OpenBLAS threads fight for the cores (measured: 700 ms vs 19 ms
# per 50×128 step); one thread keeps the training numbers meaningful. Override from the shell.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget  # noqa: E402

from core.config import ExperimentConfig  # noqa: E402
from core.trainer import Trainer  # noqa: E402

try:      # the views draw a Run (this checkout); an older checkout's views took the Trainer
    from core.runs import TrainerRun  # noqa: E402
except ImportError:    # pragma: no cover
    TrainerRun = None
from gui.app import create_app  # noqa: E402
from gui.lab.views import ALL_VIEWS  # noqa: E402

SIZES = [(50, 128, 300, 60.0), (200, 512, 60, 20.0)]   # depth, width, frames, fps goal
WARMUP_FRAMES = 5


def _fill_history(trainer: Trainer, rows: int) -> None:
    """Append `rows` copies of the newest step (steps numbered on) to the trainer's History."""
    from dataclasses import replace

    last = trainer.last
    for k in range(rows):
        trainer.history.append(replace(last, step=last.step + 1 + k))
    trainer.step_count += rows
    trainer.last = replace(last, step=last.step + rows)


def bench(depth: int, width: int, frames: int, goal: float, history: int = 0) -> bool:
    """Train + refresh + render `frames` frames; print the timings; True if the goal is met."""
    trainer = Trainer(ExperimentConfig(depth=depth, width=width, dataset="spirals", lr=0.01,
                                       batch_size=128, seed=0))
    window = QWidget()
    grid = QGridLayout(window)
    views = [cls() for cls in ALL_VIEWS]
    for k, view in enumerate(views):
        grid.addWidget(view, k // 3, k % 3)
    window.resize(1600, 1000)
    window.show()
    trainer.run(3)
    if history:
        _fill_history(trainer, history)
    run = TrainerRun(trainer) if hasattr(views[0], "show_record") else None
    if run is not None:
        run.append(trainer.last)
    for view in views:
        view.reset_view(trainer if run is None else run)
    per_view = np.zeros(len(views) + (run is not None))
    train_s = 0.0
    paint_s = {"views": 0.0, "window grab": 0.0}
    counts = {"views": 0, "window grab": 0}
    for frame in range(WARMUP_FRAMES + frames):
        mode = "views" if frame % 2 == 0 else "window grab"
        start = time.perf_counter()
        stats = trainer.step()
        trained = time.perf_counter()
        times = []
        if run is not None:
            t0 = time.perf_counter()
            run.append(stats)            # the Lab's frame: the run takes the newest step
            times.append(time.perf_counter() - t0)
        for view in views:
            t0 = time.perf_counter()
            if run is None:
                view.refresh(trainer)
            else:
                view.show_record(run)
            times.append(time.perf_counter() - t0)
        refreshed = time.perf_counter()
        if mode == "views":
            QApplication.sendPostedEvents()   # layouts + the scenes' update requests: the paint
            for view in views:
                view.repaint()
        else:
            window.grab()
        QApplication.processEvents()
        done = time.perf_counter()
        if frame >= WARMUP_FRAMES:
            train_s += trained - start
            per_view += times
            paint_s[mode] += done - refreshed
            counts[mode] += 1
    refresh_ms = 1e3 * per_view / frames
    paint_ms = {mode: 1e3 * paint_s[mode] / max(counts[mode], 1) for mode in paint_s}
    frame_ms = {mode: refresh_ms.sum() + paint_ms[mode] for mode in paint_ms}
    fps = 1e3 / frame_ms["views"]
    print(f"depth {depth} × width {width}: {frames} frames, {len(trainer.history)} steps recorded"
          f"{' (History filled)' if history else ''}"
          f" (OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']})")
    print(f"  training     {1e3 * train_s / frames:7.2f} ms/step (not part of the fps)")
    names = (["TrainerRun.append"] if run is not None else []) + [
        type(view).__name__ for view in views]
    for name, ms in zip(names, refresh_ms, strict=True):
        print(f"  refresh {name:<20} {ms:7.2f} ms")
    print(f"  refresh, all views              {refresh_ms.sum():7.2f} ms")
    print(f"  paint of the six views (app)    {paint_ms['views']:7.2f} ms")
    print(f"  grab of the 1600×1000 window    {paint_ms['window grab']:7.2f} ms")
    verdict = "OK" if fps >= goal else "BELOW GOAL"
    print(f"  refresh + paint views: {fps:6.1f} frames/s (goal ≥ {goal:g}) {verdict}; "
          f"refresh + window grab: {1e3 / frame_ms['window grab']:6.1f} frames/s; "
          f"with training: {1e3 / (1e3 * train_s / frames + frame_ms['views']):6.1f} frames/s")
    window.close()
    return fps >= goal


def baseline_render_ms(frames: int = 60) -> float:
    """ms per grab of a 1600×1000 window holding six bare pyqtgraph plots with one changing
    300-point curve each: the floor any six-plot Lab pays on this machine right now."""
    import pyqtgraph as pg

    widget = pg.GraphicsLayoutWidget()
    curves = [widget.addPlot(row=k // 3, col=k % 3).plot() for k in range(6)]
    widget.resize(1600, 1000)
    widget.show()
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(frames):
        for curve in curves:
            curve.setData(rng.standard_normal(300))
        widget.grab()
    widget.close()
    return 1e3 * (time.perf_counter() - start) / frames


def main() -> int:
    """Run both sizes (or those named like 50x128 on the command line); exit 0 even below goal
    (numbers are for reading, machines differ)."""
    args = sys.argv[1:]
    history = 0
    if "--history" in args:
        at = args.index("--history")
        history = int(args[at + 1])
        del args[at:at + 2]
    wanted = {tuple(int(n) for n in arg.split("x")) for arg in args}
    sizes = [size for size in SIZES if not wanted or size[:2] in wanted]
    app = create_app([])   # as the app: Fusion style, antialiased plots
    floor_ms = baseline_render_ms()
    print(f"baseline: six bare plots, setData + grab of 1600×1000: {floor_ms:.2f} ms "
          f"({1e3 / floor_ms:.0f} frames/s) — compare the Lab numbers to this (noisy machine)")
    results = [bench(*size, history=history) for size in sizes]
    app.processEvents()
    print("all goals met" if all(results) else "some goals not met (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
