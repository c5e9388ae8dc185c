"""Gradient flow and update ratio per frame, two source trees side by side (e.g. a `git worktree`
of the commit before the per-parameter grouping, and this one): ms per show_record + repaint.

Runs: a built-in run (depth 50, 12 trained steps, TrainerRun) and a probe-style run file of a
12-block transformer naming (124 parameters, tests/gui/param_run_samples.py of THIS tree). Each
measurement is a fresh child process with cwd = the tree and PYTHONPATH = <tree>:<tree>/probe, so
neither tree borrows the other's views; children alternate between the trees. Prints per-tree
medians and the after/before ratio of medians with the pairwise ratios.

    git worktree add /tmp/before <old commit> && ln -s $PWD/.venv /tmp/before/.venv
    .venv/bin/python bench/bench_param_views.py --trees /tmp/before,. --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FRAMES = 200


def child(out: str) -> None:
    """Time both views on both runs with the tree in the cwd; print {name: ms} as JSON."""
    sys.path.insert(0, str(HERE / "tests" / "gui"))      # the sample writer (runformat only)
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from param_run_samples import write_param_run

    from core.config import ExperimentConfig
    from core.runs import FileRun, TrainerRun
    from core.trainer import Trainer
    from gui.lab.views import GradFlowView, UpdateRatioView
    probe = FileRun(write_param_run(Path(out) / "t.actirun", n_steps=12, n_layers=12))
    trainer = Trainer(ExperimentConfig(depth=50, width=32, n_samples=200, batch_size=32, seed=0))
    live = TrainerRun(trainer)
    for _ in range(12):
        live.append(trainer.step())
    times = {}
    for name, run in (("builtin depth 50", live), ("probe 124 params", probe)):
        for cls in (GradFlowView, UpdateRatioView):
            view = cls()
            view.resize(700, 450)
            view.show()
            view.reset_view(run)
            for i in range(20):
                view.show_record(run, i % 12)
                view.repaint()
            start = time.process_time()     # CPU time: less sensitive to a busy machine
            for i in range(FRAMES):
                view.show_record(run, i % 12)
                view.repaint()
            times[f"{name} / {cls.title}"] = (time.process_time() - start) / FRAMES * 1e3
            view.close()
    app.processEvents()
    print(json.dumps(times))


def main() -> None:
    """Alternate children between the trees; print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", default=f"/tmp/before,{HERE}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    trees = [Path(t).resolve() for t in args.trees.split(",")]
    results: dict[Path, list[dict[str, float]]] = {t: [] for t in trees}
    for _ in range(args.runs):
        for tree in trees:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OPENBLAS_NUM_THREADS="1",
                       PYTHONPATH=f"{tree}{os.pathsep}{tree / 'probe'}")
            with tempfile.TemporaryDirectory() as out:
                done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                                       out], cwd=tree, env=env, capture_output=True, text=True,
                                      check=True)
            results[tree].append(json.loads(done.stdout.strip().splitlines()[-1]))
    before, after = (results[t] for t in trees)
    print(f"CPU ms per show_record + repaint, {FRAMES} frames, median of {args.runs} runs per "
          "tree")
    for key in before[0]:
        b = sorted(r[key] for r in before)[len(before) // 2]
        a = sorted(r[key] for r in after)[len(after) // 2]
        pairs = ", ".join(f"{x[key] / y[key]:.2f}" for x, y in zip(after, before, strict=True))
        print(f"  {key:40s} {b:6.2f} -> {a:6.2f} ms   ratio {a / b:.2f}   (pairwise {pairs})")


if __name__ == "__main__":
    main()
