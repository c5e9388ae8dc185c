"""The child processes of bench/bench_app.py: they run inside the app, measure, and print one
JSON line (start-up: main.py to its first paint; play: frames, clicks, where the time goes).
bench_app.py (the parent) starts them with --child-startup / --child-play; see its docstring."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    elif mode.startswith("period"):  # period1000: Auto aims at a 1000 ms frame (the batch
        controller_module.FRAME_PERIOD_S = float(mode[6:]) / 1e3   # stays at 30 ms)
    elif mode == "budget":       # the fixed budget only, Python's GIL switch interval kept
        controller_module.GIL_SWITCH_S = None
    elif mode.startswith("gil"):   # gil100: a 100 µs GIL switch interval while training
        controller_module.GIL_SWITCH_S = float(mode[3:]) / 1e6
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
