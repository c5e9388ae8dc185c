"""The whole app as a user gets it, on a real X server (Xvfb): frames presented while playing,
click latency, start-up time, and where the frame time goes (issue 13).

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
pass. Other modes: `spf1` (Steps/frame 1 instead of Auto) and `trainNN` (an NN ms training
budget per frame instead of 30).
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
import threading
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


# ---------------------------------------------------------------------------------------------
# child: start-up
# ---------------------------------------------------------------------------------------------
def child_startup() -> None:
    """Run main.py's GUI path, note the first paint of the main window, print JSON, exit."""
    t0 = float(os.environ["BENCH_T0"])
    marks = {"interp": time.monotonic() - t0}
    sys.path.insert(0, str(ROOT))
    sys.argv = [str(ROOT / "main.py")]
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QWidget

    import gui.app as app_module
    import main as entry  # sets OPENBLAS_NUM_THREADS as `python main.py` does
    marks["imports"] = time.monotonic() - t0
    original = app_module.create_main_window

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            kind = event.type()
            if kind == QEvent.Type.Expose and "exposed" not in marks:
                marks["exposed"] = time.monotonic() - t0
            if (kind == QEvent.Type.Paint and isinstance(watched, QWidget)
                    and watched.window() is window_ref[0]):
                marks["first_paint"] = time.monotonic() - t0
                marks.setdefault("exposed", marks["first_paint"])
                print(json.dumps(marks), flush=True)
                os._exit(0)
            return False

    window_ref = [None]
    first_paint = FirstPaint()

    def create():
        marks["app"] = time.monotonic() - t0
        window = original()
        window_ref[0] = window
        marks["created"] = time.monotonic() - t0
        QApplication.instance().installEventFilter(first_paint)
        original_show = window.show

        def show():
            original_show()
            marks["shown"] = time.monotonic() - t0
        window.show = show
        return window

    app_module.create_main_window = create
    entry.main([])
    raise SystemExit("the event loop ended before the first paint")


# ---------------------------------------------------------------------------------------------
# child: playing
# ---------------------------------------------------------------------------------------------
class _XClicker:
    """Real X button events through XTest on this thread's own X connection (no Qt here)."""

    def __init__(self) -> None:
        import ctypes
        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xtst = ctypes.CDLL("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        for f in (self.x11.XFlush, self.x11.XCloseDisplay):
            f.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                   ctypes.c_ulong]
        self.display = self.x11.XOpenDisplay(os.environ["DISPLAY"].encode())
        if not self.display:
            raise RuntimeError("cannot open the X display")

    def move(self, x: int, y: int) -> None:
        self.xtst.XTestFakeMotionEvent(self.display, 0, x, y, 0)
        self.x11.XFlush(self.display)

    def click(self) -> float:
        """Press and release button 1 at the pointer; returns the send time (perf_counter)."""
        sent = time.perf_counter()
        self.xtst.XTestFakeButtonEvent(self.display, 1, 1, 0)
        self.xtst.XTestFakeButtonEvent(self.display, 1, 0, 0)
        self.x11.XFlush(self.display)
        return sent

    def close(self) -> None:
        self.x11.XCloseDisplay(self.display)


def child_play(depth: int, width: int, mode: str, seconds: float, clicks: int,
               profile: bool) -> None:
    """Play depth × width in the real main window; measure; print one JSON line."""
    sys.path.insert(0, str(ROOT))
    import cProfile
    import io
    import pstats

    import pyqtgraph as pg
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
    from PySide6.QtWidgets import QGraphicsView

    import gui.lab.controller as controller_module
    import gui.lab.step_worker as worker_module
    from core.config import ExperimentConfig
    from gui.app import create_app, create_main_window
    from gui.lab.lab_view import LabView

    if mode == "before":
        controller_module.FRAME_PACING = False
    elif mode == "separate":     # Qt's default: each plot view painted in its own pass
        import gui.lab.repaint as repaint_module
        repaint_module.COALESCE = False
    elif mode.startswith("train"):  # train20: a 20 ms training budget per frame (not 30)
        controller_module.TRAIN_BUDGET_S = float(mode[5:]) / 1e3
    elif mode == "budget":       # the fixed budget only, Python's GIL switch interval kept
        controller_module.GIL_SWITCH_S = None
    clock = time.perf_counter
    state = {"on": False}
    names: dict[int, str] = {}
    paint_time: dict[str, float] = {}
    totals = {"refresh": 0.0, "paint": 0.0}
    original_paint = pg.GraphicsView.paintEvent

    def timed_paint(self, ev):
        start = clock()
        try:
            return original_paint(self, ev)
        finally:
            if state["on"]:
                spent = clock() - start
                name = names.get(id(self))
                if name is not None:
                    paint_time[name] += spent
                    totals["paint"] += spent
    pg.GraphicsView.paintEvent = timed_paint
    app = create_app([sys.argv[0]])  # noqa: F841  (kept alive for the run)
    window = create_main_window()
    window.move(0, 0)
    window.show()
    lab = next(w for w in window.tab_widgets() if isinstance(w, LabView))
    window.tabs.setCurrentWidget(lab)

    def run_for(duration: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(1e3 * duration), loop.quit)
        loop.exec()

    run_for(1.0)
    lab.set_config(ExperimentConfig(depth=depth, width=width, dataset="spirals", lr=0.01,
                                    batch_size=128, seed=0))
    # mode "spf1": one training step per frame (the Steps/frame box at 1), else Auto
    lab.run_bar.set_steps_per_frame(1 if mode == "spf1" else 0)
    run_for(0.5)

    # -- instruments -------------------------------------------------------------------------
    state.update({"pass": 0, "painted_pass": -1, "new_data": False, "passes": 0,
                  "data_passes": 0, "frames": 0, "clicks": False})
    viewports = {}
    for view in lab.views:
        for gv in view.findChildren(QGraphicsView):
            names[id(gv)] = type(view).__name__
            viewports[id(gv.viewport())] = type(view).__name__
    paints = {name: 0 for name in names.values()}
    paint_time.update(dict.fromkeys(paints, 0.0))
    refresh_time = dict.fromkeys(paints, 0.0)
    pass_sets: dict[str, int] = {}     # which views painted together in one repaint pass
    pass_views: set[str] = set()
    state["new_data_seen"] = False
    button = lab.run_bar._buttons[0]
    clicks_log: list[tuple[float, str, bool]] = []   # (time, what, checked)

    class Watch(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            kind = event.type()
            if watched is button and kind == QEvent.Type.Paint and state["clicks"]:
                clicks_log.append((clock(), "button paint", button.isChecked()))
            if not state["on"]:
                return False
            if kind == QEvent.Type.UpdateRequest and watched is window:
                if pass_views:
                    key = "+".join(sorted(pass_views)) + (" (new data)" if state["new_data_seen"]
                                                          else "")
                    pass_sets[key] = pass_sets.get(key, 0) + 1
                pass_views.clear()
                state["new_data_seen"] = False
                state["pass"] += 1
            elif kind == QEvent.Type.Paint:
                name = viewports.get(id(watched))
                if name is not None:
                    paints[name] += 1
                    pass_views.add(name.removesuffix("View"))
                    state["new_data_seen"] |= state["new_data"]
                    if state["painted_pass"] != state["pass"]:
                        state["painted_pass"] = state["pass"]
                        state["passes"] += 1
                        if state["new_data"]:
                            state["new_data"] = False
                            state["data_passes"] += 1
            return False

    watch = Watch()
    window.installEventFilter(watch)
    button.installEventFilter(watch)
    for view in lab.views:
        for gv in view.findChildren(QGraphicsView):
            gv.viewport().installEventFilter(watch)


    for view in lab.views:
        original_refresh, view_name = view.show_record, type(view).__name__

        def timed_refresh(*args, _f=original_refresh, _name=view_name, **kw):
            start = clock()
            try:
                return _f(*args, **kw)
            finally:
                if state["on"]:
                    spent = clock() - start
                    refresh_time[_name] += spent
                    totals["refresh"] += spent
        view.show_record = timed_refresh

    def on_frame(_stats) -> None:
        if state["on"]:
            state["frames"] += 1
            state["new_data"] = True
    lab.controller.sigFrame.connect(on_frame)
    lab._actions.play_pause.toggled.connect(
        lambda on: clicks_log.append((clock(), "handler", on)))

    original_run = worker_module.StepJob.run
    worker_spans: list[tuple[float, float]] = []

    def timed_run(job):   # worker thread: records floats only, no Qt
        start = clock()
        try:
            return original_run(job)
        finally:
            worker_spans.append((start, clock()))
    worker_module.StepJob.run = timed_run

    def schedstat(thread) -> tuple[float, float]:
        """(seconds on a CPU, seconds runnable but waiting for a CPU) of a thread so far."""
        if thread is None:
            return 0.0, 0.0
        with open(f"/proc/self/task/{thread.native_id}/schedstat") as f:
            on_cpu, waiting, _ = f.read().split()
        return int(on_cpu) / 1e9, int(waiting) / 1e9

    # -- frames ------------------------------------------------------------------------------
    lab.play()
    run_for(1.0)                                    # warm-up
    steps0 = lab.trainer.step_count
    worker_spans.clear()
    gui_thread = threading.main_thread()
    worker_thread = next((t for t in threading.enumerate()
                          if t.name == worker_module.THREAD_NAME), None)
    gui0, worker0 = schedstat(gui_thread), schedstat(worker_thread)
    start = clock()
    state["on"] = True
    run_for(seconds)
    state["on"] = False
    elapsed = clock() - start
    gui1, worker1 = schedstat(gui_thread), schedstat(worker_thread)
    steps = lab.trainer.step_count - steps0
    worker = sum(min(e, start + elapsed) - max(s, start) for s, e in list(worker_spans)
                 if e > start and s < start + elapsed)
    gui_cpu, gui_wait = gui1[0] - gui0[0], gui1[1] - gui0[1]
    gui_busy = gui_cpu + gui_wait
    gui_other = gui_busy - totals["refresh"] - totals["paint"]
    result = {"seconds": elapsed, "steps": steps, "frames": state["frames"],
              "passes": state["passes"], "data_fps": state["data_passes"] / elapsed,
              "paints": paints, "pass_sets": pass_sets, "paint_by_view": paint_time,
              "refresh_by_view": refresh_time,
              "time": {"worker": worker, "refresh": totals["refresh"], "paint": totals["paint"],
                       "other": gui_other, "off_cpu": elapsed - gui_busy, "gui_cpu": gui_cpu,
                       "gui_runqueue": gui_wait, "worker_cpu": worker1[0] - worker0[0],
                       "worker_runqueue": worker1[1] - worker0[1]},
              "load": os.getloadavg()[0]}

    # -- clicks ------------------------------------------------------------------------------
    center = button.mapToGlobal(button.rect().center())
    sends: list[tuple[float, str]] = []

    def clicker_thread() -> None:
        x = _XClicker()
        x.move(center.x(), center.y())
        time.sleep(0.2)
        for _ in range(clicks):
            time.sleep(0.7)                         # playing
            sends.append((x.click(), "pause"))
            time.sleep(0.3)                         # paused
            sends.append((x.click(), "play"))
        time.sleep(0.5)
        x.close()

    clicks_log.clear()
    state["clicks"] = True
    thread = threading.Thread(target=clicker_thread, daemon=True)
    if not lab.is_running():
        lab.play()
    thread.start()
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: thread.is_alive() or loop.quit())
    poll.start(50)
    loop.exec()
    poll.stop()
    pause_ms, pause_paint_ms, play_ms = [], [], []
    for sent, what in sends:
        expect = what == "play"
        handled = next((t for t, kind, on in clicks_log
                        if t >= sent and kind == "handler" and on == expect), None)
        if handled is None:
            continue
        painted = next((t for t, kind, on in clicks_log
                        if t >= handled and kind == "button paint" and on == expect), None)
        (play_ms if expect else pause_ms).append(1e3 * (handled - sent))
        if not expect and painted is not None:
            pause_paint_ms.append(1e3 * (painted - sent))
    result.update(click_ms=pause_ms, click_paint_ms=pause_paint_ms, play_click_ms=play_ms,
                  clicks_sent=len(sends))

    # -- profile -----------------------------------------------------------------------------
    if profile:
        if not lab.is_running():
            lab.play()
        run_for(0.5)
        profiler = cProfile.Profile()
        profiler.enable()
        run_for(5.0)
        profiler.disable()
        text = io.StringIO()
        # BENCH_SORT=tottime BENCH_TOP=40: where the GUI thread's own time goes
        pstats.Stats(profiler, stream=text).sort_stats(
            os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            int(os.environ.get("BENCH_TOP", "15")))
        lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
        first = next(i for i, ln in enumerate(lines) if "ncalls" in ln)
        result["profile"] = "\n".join(
            ln.replace(str(ROOT) + "/", "").replace(str(Path(pg.__file__).parent.parent) + "/",
                                                     "") for ln in lines[first:])
    lab.pause()
    lab.shutdown()
    print(json.dumps(result), flush=True)
    os._exit(0)


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
