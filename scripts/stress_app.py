"""App-level lifetime stress: the real main window, training, while Compare A/B, the export and
record dialogs, session opening, preset changes and resets come and go, with frequent garbage
collections. Exit 0 after N rounds; a lifetime bug ends the process with a signal instead.

    python scripts/stress_app.py [--rounds 500] [--gc-threshold 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


CLOSED_DIALOGS: list[str] = []


def _close_modal_soon(app) -> None:
    """Reject the next modal dialog once it is shown (exec() blocks the caller until then)."""
    from PySide6.QtCore import QTimer

    def close() -> None:
        dialog = app.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(5, close)
        else:
            CLOSED_DIALOGS.append(type(dialog).__name__)
            dialog.reject()
    QTimer.singleShot(5, close)


def _spin(app, seconds: float) -> None:
    """Run the event loop (training frames, redraws, deferred deletes) for `seconds`."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> int:
    import faulthandler
    faulthandler.dump_traceback_later(float(os.environ.get("STRESS_DUMP_AFTER", "1e9")), exit=True)
    """Run the rounds; print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--gc-threshold", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="actiscope-stress-"))
    os.environ.setdefault("ACTISCOPE_SETTINGS", str(folder / "settings.ini"))

    from core.config import ExperimentConfig
    from core.presets import available_presets, get_preset
    from gui.app import create_app, create_main_window

    app = create_app([sys.argv[0]])
    window = create_main_window()
    window.show()
    lab = next(w for w in window.tab_widgets() if hasattr(w, "set_comparing"))
    window.tabs.setCurrentWidget(lab)
    session = folder / "small.actiscope.json"
    ExperimentConfig(depth=3, width=16, n_samples=200, seed=3).save(session)
    sessions = window.sessions
    record = next(a for a in window.file_menu().actions() if a.text().startswith("Record"))
    presets = available_presets()
    gc.set_threshold(max(1, args.gc_threshold), 1, 1)
    start = time.perf_counter()
    trained = 0
    for round_index in range(args.rounds):
        lab.play()
        lab.set_comparing(True)
        _spin(app, 0.02)
        lab.set_comparing(False)
        _close_modal_soon(app)
        window.export_plot()
        _close_modal_soon(app)
        record.trigger()
        if round_index % 3 == 0:
            sessions.open_path(session)
        else:
            lab.set_config(get_preset(presets[round_index % len(presets)]).config)
        lab.play()
        _spin(app, 0.02)
        trained += lab.trainer.step_count
        lab.reset()
        if round_index % 5 == 0:
            gc.collect()
    window.close_guards.clear()   # no 'save changes?' question at the end
    window.close()
    window.deleteLater()
    _spin(app, 0.05)
    gc.collect()
    opened = {name: CLOSED_DIALOGS.count(name) for name in sorted(set(CLOSED_DIALOGS))}
    print(f"stress_app: {args.rounds} rounds in {time.perf_counter() - start:.0f} s, "
          f"{trained} steps trained, dialogs opened and closed: "
          f"{opened}, compare toggled {args.rounds}x, no crash")
    return 0


if __name__ == "__main__":
    sys.exit(main())
