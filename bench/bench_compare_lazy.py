"""Compare page start-up: CompareView() with its paired plots built lazily vs built at once.

Builds both ROUNDS times, interleaved, and prints the medians and their ratio (offscreen Qt):
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_compare_lazy.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

ROUNDS = 20


def build_seconds(app: QApplication, eager: bool) -> float:
    """Seconds to build one CompareView (eager: its plots too, as before they were lazy)."""
    from gui.lab.compare_view import CompareView
    start = time.perf_counter()
    view = CompareView()
    if eager:
        _ = view.plots
    seconds = time.perf_counter() - start
    view.deleteLater()
    app.processEvents()
    return seconds


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    app = QApplication.instance() or QApplication([])
    build_seconds(app, eager=True)            # warm: imports, fonts, first pyqtgraph items
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(ROUNDS):
        for eager in (False, True):
            times[eager].append(build_seconds(app, eager))
    lazy, eager = (statistics.median(times[k]) for k in (False, True))
    print(f"CompareView(): lazy {lazy * 1e3:.1f} ms, plots built at once {eager * 1e3:.1f} ms "
          f"(medians of {ROUNDS} interleaved runs each) -> {eager / lazy:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
