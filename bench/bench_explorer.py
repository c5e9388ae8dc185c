"""Explorer speed: recompute+redraw on a parameter change, offscreen repaint rate, start-up time.

Goals (issue 2): <= 5 ms per parameter change with 16 curves x 2000 points, >= 60 repaints/s,
<= 1.5 s from process start to the window shown. Timings are noisy on a shared machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STARTUP_SCRIPT = """
import time, sys
start = time.perf_counter()
sys.path.insert(0, {root!r})
from gui.app import create_app, create_main_window
app = create_app([])
window = create_main_window()
window.show()
app.processEvents()
print(time.perf_counter() - start)
"""


def median_ms(samples: list[float]) -> float:
    """Median of a list of seconds, in milliseconds."""
    return 1000 * sorted(samples)[len(samples) // 2]


def bench_parameter_change(view, app) -> None:
    """All 16 activations shown; change one parameter and measure recompute+setData+repaint."""
    view.activation_list.set_checked_names(view.activation_list.names())
    app.processEvents()
    recompute, with_paint = [], []
    for i in range(60):
        alpha = 0.01 + (i % 50) / 60
        start = time.perf_counter()
        view.set_param("leaky_relu", "alpha", alpha)
        recompute.append(time.perf_counter() - start)
        view.plot.viewport().repaint()
        with_paint.append(time.perf_counter() - start)
    shown = len(view.plot.shown_names())
    print(f"parameter change, {shown} curves x {view.samples} points: recompute+setData "
          f"{median_ms(recompute):.2f} ms (goal <= 5 ms), incl. repaint "
          f"{median_ms(with_paint):.2f} ms")
    start = time.perf_counter()
    for _ in range(10):
        view.set_x_range(-4.0 - 0.01 * _, 4.0)
    print(f"x-range change (all {shown} activations recomputed): "
          f"{100 * (time.perf_counter() - start):.2f} ms")


def bench_repaint_rate(view, app, seconds: float = 2.0) -> None:
    """Full repaints of the plot per second (offscreen), 16 and 3 activations shown."""
    for names in (view.activation_list.names(), ["sigmoid", "tanh", "relu"]):
        view.activation_list.set_checked_names(names)
        app.processEvents()
        frames, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            view.plot.viewport().repaint()
            frames += 1
        rate = frames / (time.perf_counter() - start)
        print(f"offscreen repaint, {len(names)} activations ({2 * len(names)} curves): "
              f"{rate:.0f} fps (goal >= 60)")


def bench_startup() -> None:
    """Process start to the main window shown, in a fresh interpreter (median of 3)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT.format(root=str(ROOT))],
                             capture_output=True, text=True, check=True,
                             env=dict(os.environ, ACTISCOPE_SETTINGS="/dev/null/none.ini"))
        times.append((time.perf_counter() - start, float(out.stdout.strip().splitlines()[-1])))
    wall = sorted(t[0] for t in times)[1]
    inside = sorted(t[1] for t in times)[1]
    print(f"start to window shown: {wall:.2f} s wall incl. interpreter (goal <= 1.5 s); "
          f"{inside:.2f} s from first import")


def main() -> int:
    """Run the three measurements and print one line each."""
    from gui.app import create_app
    from gui.explorer.explorer_view import ExplorerView
    app = create_app([])
    view = ExplorerView()
    view.resize(1200, 800)
    view.show()
    app.processEvents()
    bench_parameter_change(view, app)
    bench_repaint_rate(view, app)
    bench_startup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
