"""The whole app as a user gets it, on a real X server (Xvfb): frames presented while playing,
click latency, start-up time, and where the frame time goes (issue 13).

The child side (what runs inside the app) is bench/bench_app_child.py.
The script starts its own Xvfb (1920×1080×24, a free display picked by Xvfb's -displayfd) and runs
every measurement in a fresh child process with QT_QPA_PLATFORM=xcb and a fresh settings file:

* start-up: `main.py` itself (through a thin wrapper that only notes the first paint), from the
  parent's clock before the process is spawned to the first paint of the main window. Cold = the
  first run after `echo 3 > /proc/sys/vm/drop_caches` (when allowed; said otherwise), warm =
  median of the next runs. Plus `python -X importtime` and the wrapper's import / create-window
  / first-paint split.
* playing: create_app + create_main_window (what run_app does), shown on the X server, the Lab tab
  current, a depth × width spirals config, Auto steps/frame, played. "Presented frames" counts the
  repaint passes (one QEvent.UpdateRequest sync of the top-level window) in which at least one
  Lab plot viewport received QEvent.Paint: with the xcb platform and Qt's raster backing store a
  viewport paint is flushed to the X window in the same sync (there is no GL swap to watch, and a
  QBackingStore flush is not observable from Python), so a paint is what reaches the screen;
  refresh() calls that Qt coalesces never count. "New-data frames" counts the passes that
  showed a training frame (sigFrame) not shown before; that is the rate the goals are about.
* input latency: while playing, a plain Python thread sends real X button events (XTest through
  ctypes on its own X connection: exact send times, no xdotool start-up) to the Play/Pause
  button; latency = send -> the Play/Pause handler ran (and -> the button repainted).
* where the time goes: per data frame, the worker's training job, each view's refresh(), each
  view's paint, the rest of the GUI thread, and its CPU / run-queue / off-CPU time (from
  /proc/self/task/<tid>/schedstat: off-CPU = idle or waiting for the GIL); then a 5 s cProfile of
  the GUI thread.

`--modes before,after` runs each size with the frame-pacing changes of issue 13 switched off
(the old code paths, selected by gui.lab.controller.FRAME_PACING = False) and on, side by side;
`--modes separate,after` compares one repaint pass per plot view (Qt's default) with all views
painted in one pass (gui/lab/repaint.py). "views painted together" lists which views shared a
pass. Other modes: `spf1` (Steps/frame 1 instead of Auto), `trainNN` (an NN ms training
budget per frame instead of 30) and `periodNN` (Auto aims at an NN ms frame instead of 1/31 s;
`period1000` keeps the batch at 30 ms, as before the batch adapted).
Goals: ≥ 30 new-data frames/s at 4 × 32, ≥ 20 at 50 × 128, clicks ≤ 100 ms, warm start ≤ 1.5 s.
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

ROOT = Path(__file__).resolve().parent.parent
SIZES = [(4, 32, 30.0), (50, 128, 20.0)]      # depth, width, goal frames/s
CLICK_GOAL_MS = 100.0
WARM_START_GOAL_S = 1.5


# ---------------------------------------------------------------------------------------------
# parent: Xvfb, children, report
# ---------------------------------------------------------------------------------------------
class Xvfb:
    """An Xvfb on a free display number (chosen by Xvfb itself through -displayfd)."""

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten",
             "tcp"], pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.proc.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _child_env(display: str, settings: str) -> dict:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", ACTISCOPE_SETTINGS=settings,
               OPENBLAS_NUM_THREADS="1")
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _run_child(args: list[str], env: dict, timeout: float = 300.0) -> dict:
    """Run this script as a child; its last stdout line is a JSON result."""
    proc = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child {args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def _drop_caches() -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def startup(display: str, warm_runs: int) -> None:
    """Cold and warm start-up of main.py to the main window's first paint."""
    print("== start-up: process spawn -> first paint of the main window (main.py on Xvfb)")
    runs = []
    dropped = _drop_caches()
    for i in range(1 + warm_runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = _child_env(display, str(Path(tmp) / "settings.ini"))
            env["BENCH_T0"] = repr(time.monotonic())
            runs.append(_run_child(["--child-startup"], env, timeout=120))
        r = runs[-1]
        kind = "cold" if i == 0 else "warm"
        print(f"  {kind} run {i}: {r['first_paint']:.2f} s  (interpreter up {r['interp']:.2f}, "
              f"imports done {r['imports']:.2f}, window created {r['created']:.2f}, "
              f"shown {r['shown']:.2f}, exposed {r['exposed']:.2f}, first paint "
              f"{r['first_paint']:.2f})")
    cold = runs[0]["first_paint"]
    warm = statistics.median(r["first_paint"] for r in runs[1:])
    how = ("after sync; echo 3 > /proc/sys/vm/drop_caches" if dropped else
           "drop_caches not allowed: cold = first run in a fresh process, page cache as it was")
    print(f"  cold {cold:.2f} s ({how})")
    print(f"  warm {warm:.2f} s median of {warm_runs}  -> {warm / WARM_START_GOAL_S:.2f}× the "
          f"{WARM_START_GOAL_S} s goal ({'OK' if warm <= WARM_START_GOAL_S else 'ABOVE GOAL'})")
    parts = {k: statistics.median(r[k] for r in runs[1:])
             for k in ("interp", "imports", "created", "shown", "first_paint")}
    print(f"  warm split (median): interpreter {parts['interp']:.2f} s, imports "
          f"{parts['imports'] - parts['interp']:.2f} s, create window "
          f"{parts['created'] - parts['imports']:.2f} s, show "
          f"{parts['shown'] - parts['created']:.2f} s, show -> first paint "
          f"{parts['first_paint'] - parts['shown']:.2f} s")
    importtime(display)


def importtime(display: str) -> None:
    """python -X importtime of what the GUI start imports: top cumulative and self entries."""
    code = ("import main, gui.app, gui.explorer.explorer_view, gui.lab.lab_view, "
            "gui.record_dialog, gui.session_menu")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT,
                          capture_output=True, text=True, env=_child_env(display, "/dev/null"))
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:"):].split("|")
        rows.append((int(self_us), int(cum_us), name.rstrip()))
    top_level = sorted((r for r in rows if not r[2].startswith("  ")), key=lambda r: -r[1])
    total = sum(r[1] for r in top_level)
    print(f"  -X importtime (warm): {total / 1e6:.2f} s of imports; top cumulative:")
    for _, cum, name in top_level[:10]:
        print(f"    {cum / 1e3:7.0f} ms  {name.strip()}")
    print("   top self time:")
    for self_us, _, name in sorted(rows, key=lambda r: -r[0])[:8]:
        print(f"    {self_us / 1e3:7.0f} ms  {name.strip()}")


def _fmt_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (f"median {statistics.median(values):.0f} ms, p90 "
            f"{sorted(values)[max(0, int(0.9 * len(values)) - 1)]:.0f} ms, max {max(values):.0f} "
            f"(n={len(values)})")


def _p90(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))] if s else float("nan")


def play(display: str, modes: list[str], seconds: float, clicks: int, profile: bool,
         rounds: int) -> None:
    """Per size, per mode (side by side, order alternating per round): presented frames/s,
    click latency, time split; then the median of the rounds per mode."""
    results: dict[tuple, list[dict]] = {}
    for round_index in range(rounds):
        for depth, width, goal in SIZES:
            for mode in (modes if round_index % 2 == 0 else modes[::-1]):
                with tempfile.TemporaryDirectory() as tmp:
                    env = _child_env(display, str(Path(tmp) / "settings.ini"))
                    r = _run_child(["--child-play", f"--depth={depth}", f"--width={width}",
                                    f"--mode={mode}", f"--seconds={seconds}",
                                    f"--clicks={clicks}",
                                    *(["--profile"] if profile and round_index == 0 else [])],
                                   env)
                results.setdefault((depth, width, mode), []).append(r)
                _print_play(depth, width, goal, mode, r)
    print(f"== side by side: median of {rounds} round(s) per mode (new-data frames/s; Pause "
          "click -> handler median / p90 ms over all clicks)")
    for depth, width, goal in SIZES:
        medians = {}
        for mode in modes:
            runs = results[(depth, width, mode)]
            fps = [r["data_fps"] for r in runs]
            lat = [ms for r in runs for ms in r["click_ms"]]
            medians[mode] = statistics.median(fps)
            gui_cpu = statistics.median(1e3 * r["time"]["gui_cpu"] / max(1, r["frames"])
                                        for r in runs)
            print(f"  {depth:3d} × {width:<4d} {mode:>8}: GUI thread CPU {gui_cpu:.1f} ms per "
                  "data frame (less sensitive to other load than frames/s)")
            print(f"  {depth:3d} × {width:<4d} {mode:>8}: {medians[mode]:5.1f} fps "
                  f"({medians[mode] / goal:.2f}× the ≥ {goal:g} goal; runs "
                  + ", ".join(f"{v:.1f}" for v in fps)
                  + f"), click {statistics.median(lat) if lat else float('nan'):.0f}/"
                  f"{_p90(lat):.0f} ms ({_p90(lat) / CLICK_GOAL_MS:.2f}× the ≤ 100 ms goal)")
        if len(modes) > 1 and medians[modes[0]]:
            print(f"  {depth:3d} × {width:<4d} {modes[-1]}/{modes[0]} = "
                  f"{medians[modes[-1]] / medians[modes[0]]:.2f}×")


def _print_play(depth: int, width: int, goal: float, mode: str, r: dict) -> None:
    s = r["seconds"]
    print(f"== playing depth {depth} × width {width}, Auto, mode '{mode}' ({s:.1f} s, load "
          f"average {r['load']:.2f})")
    print(f"  new-data frames presented/s {r['data_fps']:6.1f}  -> {r['data_fps'] / goal:.2f}× the "
          f"≥ {goal:g} goal ({'OK' if r['data_fps'] >= goal else 'BELOW GOAL'})")
    print(f"  repaint passes with a Lab view painted/s {r['passes'] / s:6.1f}; data frames "
          f"(sigFrame)/s {r['frames'] / s:6.1f}; steps/s {r['steps'] / s:7.1f} "
          f"(steps/frame {r['steps'] / max(1, r['frames']):.1f})")
    print("  paints/s per view: " + ", ".join(f"{k} {v / s:.1f}" for k, v in r["paints"].items()))
    common = sorted(r.get("pass_sets", {}).items(), key=lambda kv: -kv[1])[:6]
    print("  views painted together, passes/s: "
          + "; ".join(f"{k} {v / s:.1f}" for k, v in common))
    f = max(1, r["frames"])
    per = r["time"]
    print(f"  per data frame (ms, wall): worker job {1e3 * per['worker'] / f:.1f} (on a CPU "
          f"{1e3 * per['worker_cpu'] / f:.1f}, waiting for a CPU "
          f"{1e3 * per['worker_runqueue'] / f:.1f}); GUI thread: refresh "
          f"{1e3 * per['refresh'] / f:.1f}, paint {1e3 * per['paint'] / f:.1f}, other "
          f"{1e3 * per['other'] / f:.1f}, off-CPU (idle or waiting for the GIL) "
          f"{1e3 * per['off_cpu'] / f:.1f}")
    print(f"  GUI thread: on a CPU {100 * per['gui_cpu'] / s:.0f} %, waiting for a CPU "
          f"{100 * per['gui_runqueue'] / s:.0f} %; worker busy {100 * per['worker'] / s:.0f} % "
          f"(refresh/paint wall time includes GIL waits while the worker holds it)")
    print("  refresh ms/frame per view: " + ", ".join(
        f"{k} {1e3 * v / f:.1f}" for k, v in r["refresh_by_view"].items()))
    print("  paint ms/frame per view:   " + ", ".join(
        f"{k} {1e3 * v / f:.1f}" for k, v in r["paint_by_view"].items()))
    lat = r["click_ms"]
    ok = bool(lat) and statistics.median(lat) <= CLICK_GOAL_MS and _p90(lat) <= CLICK_GOAL_MS
    print(f"  Pause click -> handler: {_fmt_ms(lat)}  -> p90 {_p90(lat) / CLICK_GOAL_MS:.2f}× "
          f"the ≤ {CLICK_GOAL_MS:g} ms goal ({'OK' if ok else 'ABOVE GOAL'})")
    print(f"  Pause click -> button repainted: {_fmt_ms(r['click_paint_ms'])}")
    print(f"  Play click (while paused) -> handler: {_fmt_ms(r['play_click_ms'])}")
    if r.get("profile"):
        print("  cProfile of the GUI thread while playing (top 15 cumulative):")
        print("    " + r["profile"].replace("\n", "\n    "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="play time per size and mode")
    parser.add_argument("--clicks", type=int, default=20, help="Pause clicks per size and mode")
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--modes", default="before,after",
                        help="'before' = frame pacing of issue 13 off, 'after' = on, "
                             "'budget' = its fixed training budget only")
    parser.add_argument("--rounds", type=int, default=2,
                        help="repeat each size and mode, alternating the order (noisy machine)")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-play", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--child-startup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-play", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--depth", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--width", type=int, default=32, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="after", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_startup or args.child_play:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_app_child import child_play, child_startup
    if args.child_startup:
        child_startup()
        return 1
    if args.child_play:
        child_play(args.depth, args.width, args.mode, args.seconds, args.clicks, args.profile)
        return 1
    x = Xvfb()
    try:
        print(f"Xvfb {x.display} 1920x1080x24; {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.2f}")
        if not args.skip_startup:
            startup(x.display, args.warm_runs)
        if not args.skip_play:
            play(x.display, [m for m in args.modes.split(",") if m], args.seconds, args.clicks,
                 not args.no_profile, args.rounds)
    finally:
        x.stop()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
