"""Start-up side by side: two source trees (e.g. a `git worktree` of the old commit and this one),
`main.py` to the first paint of the main window on Xvfb, runs alternating between the trees.

Each run is a fresh `python bench/bench_startup.py --child` with cwd = the tree, PYTHONPATH =
<tree>:<tree>/probe (neither tree borrows the other's code) and a fresh settings file. The child
runs the tree's `main.main([])` exactly as `python main.py` does (imports included: nothing of the
app is imported before), and notes times through a QApplication subclass put in place of
PySide6.QtWidgets.QApplication: when the QApplication is made (≈ imports done), when the main
window is shown (≈ window built), and its first paint. Wall times are from the parent's clock
before the spawn; CPU = the child's process CPU time at the first paint (less sensitive than wall
time to other processes on a busy machine: compare both).

Bytecode: `--bytecode cached` gives each tree its own PYTHONPYCACHEPREFIX (a temp folder) and one
untimed priming run, as a user's second start has its .pyc files; `--bytecode none` sets
PYTHONDONTWRITEBYTECODE=1, so every start compiles the project's sources again (what a session
with that variable set measures). Cold = the first timed run of a tree after
`echo 3 > /proc/sys/vm/drop_caches` (when allowed), warm = the median of the rest.

    .venv/bin/python bench/bench_startup.py --trees /tmp/before,. --runs 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_app import WARM_START_GOAL_S, Xvfb, _child_env, _drop_caches  # noqa: E402

PHASES = (("interpreter", "t0", "interp"), ("imports", "interp", "app"),
          ("create window", "app", "shown"), ("show -> first paint", "shown", "first_paint"))


def child() -> None:
    """Run main.main([]) of the tree in the cwd; print the marks as JSON at the first paint."""
    t0 = float(os.environ["BENCH_T0"])
    marks = {"t0": 0.0, "interp": time.monotonic() - t0}
    sys.path.insert(0, os.getcwd())
    sys.argv = [str(Path.cwd() / "main.py")]
    from PySide6 import QtWidgets
    from PySide6.QtCore import QEvent, QObject

    class Marks(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            kind = event.type()
            if kind not in (QEvent.Type.Show, QEvent.Type.Paint):
                return False
            if not isinstance(watched, QtWidgets.QWidget) or not isinstance(
                    watched.window(), QtWidgets.QMainWindow):
                return False
            if kind == QEvent.Type.Show and watched.isWindow():
                marks.setdefault("shown", time.monotonic() - t0)
            elif kind == QEvent.Type.Paint:
                marks["first_paint"] = time.monotonic() - t0
                marks["cpu"] = time.process_time()
                marks.setdefault("shown", marks["first_paint"])
                print(json.dumps(marks), flush=True)
                os._exit(0)
            return False

    marks_filter = Marks()

    class MarkedApplication(QtWidgets.QApplication):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            marks["app"] = time.monotonic() - t0
            self.installEventFilter(marks_filter)

    QtWidgets.QApplication = MarkedApplication
    import main as entry
    entry.main([])
    raise SystemExit("the event loop ended before the first paint")


def run_once(tree: Path, display: str, bytecode: str, cache_dir: str) -> dict:
    """One start of `tree`'s main.py to its first paint: the child's marks (seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _child_env(display, str(Path(tmp) / "settings.ini"))
        env["PYTHONPATH"] = os.pathsep.join([str(tree), str(tree / "probe")])
        if bytecode == "cached":
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = cache_dir
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            env.pop("PYTHONPYCACHEPREFIX", None)
        env["BENCH_T0"] = repr(time.monotonic())
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child"],
                              env=env, cwd=tree, capture_output=True, text=True, timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{tree}: start-up child failed ({proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def report(labels: list[str], runs: dict[int, list[dict]], cold: dict[int, float]) -> None:
    """Median warm wall and CPU time per tree, ratios to the first tree, the phase split."""
    reference = statistics.median(r["first_paint"] for r in runs[0])
    reference_cpu = statistics.median(r["cpu"] for r in runs[0])
    for i, label in enumerate(labels):
        warm = [r["first_paint"] for r in runs[i]]
        cpu = statistics.median(r["cpu"] for r in runs[i])
        median = statistics.median(warm)
        split = ", ".join(f"{name} {statistics.median(r[b] - r[a] for r in runs[i]):.2f}"
                          for name, a, b in PHASES)
        print(f"  {label:>12}: warm median {median:.2f} s (min {min(warm):.2f}, max "
              f"{max(warm):.2f}; {median / WARM_START_GOAL_S:.2f}× the {WARM_START_GOAL_S} s "
              f"goal; {median / reference:.2f}× {labels[0]}), CPU {cpu:.2f} s "
              f"({cpu / reference_cpu:.2f}×), cold {cold[i]:.2f} s")
        print(f"  {'':>12}  warm split (median s): {split}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", default=".", help="comma-separated source trees (label = "
                        "folder name); the first is the reference of the ratios")
    parser.add_argument("--runs", type=int, default=7, help="warm runs per tree")
    parser.add_argument("--bytecode", choices=("cached", "none"), default="cached")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return 1
    trees = [Path(t).resolve() for t in args.trees.split(",") if t]
    names = [t.name for t in trees]
    labels = [t.name if names.count(t.name) == 1 else str(t) for t in trees]
    x = Xvfb()
    caches = [tempfile.mkdtemp(prefix="pyc-") for _ in trees]
    runs: dict[int, list[dict]] = {i: [] for i in range(len(trees))}
    cold: dict[int, float] = {}
    dropped = True
    try:
        print(f"Xvfb {x.display}; {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.2f}; bytecode {args.bytecode}")
        if args.bytecode == "cached":
            for i, tree in enumerate(trees):     # write the .pyc files (not timed)
                run_once(tree, x.display, args.bytecode, caches[i])
        for round_index in range(1 + args.runs):
            order = range(len(trees)) if round_index % 2 == 0 else reversed(range(len(trees)))
            for i in order:
                if round_index == 0:
                    dropped = _drop_caches() and dropped
                r = run_once(trees[i], x.display, args.bytecode, caches[i])
                if round_index == 0:
                    cold[i] = r["first_paint"]
                else:
                    runs[i].append(r)
                print(f"  {'cold' if round_index == 0 else 'warm'} {labels[i]:>12}: "
                      f"{r['first_paint']:.2f} s, CPU {r['cpu']:.2f} s (QApplication at "
                      f"{r['app']:.2f}, shown {r['shown']:.2f})", flush=True)
    finally:
        x.stop()
    print(f"== main.py -> first paint of the main window, {args.runs} warm runs per tree, "
          f"alternating; cold = first run after "
          f"{'drop_caches' if dropped else 'no drop_caches (not allowed)'}")
    report(labels, runs, cold)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
