"""Closing the main window mid-training, mid-export and mid-recording: no hang, no traceback,
settings saved, no partial files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from core.config import ExperimentConfig
from gui.app import create_main_window
from gui.lab.lab_view import LabView

SMALL = ExperimentConfig(depth=3, width=8, n_samples=200, batch_size=32, dataset="moons")
WATCHDOG_MS = 8000


def _lab_of(window) -> LabView:
    """The window's Lab tab (added here if the app does not add one yet)."""
    for widget in window.tab_widgets():
        if isinstance(widget, LabView):
            return widget
    lab = LabView()
    window.add_tab(lab)
    return lab


@pytest.fixture
def window(qtbot):
    """The real main window, shown offscreen, with a small Lab config."""
    win = create_main_window()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    _lab_of(win).set_config(SMALL)
    return win


@pytest.fixture
def excepthook_calls(monkeypatch) -> list:
    """Exceptions that reach sys.excepthook (Qt slots/virtuals) during the test."""
    calls: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: calls.append(info))
    return calls


class _Watchdog:
    """Closes any modal dialog left open after WATCHDOG_MS, so a hang fails instead of blocking."""

    def __init__(self) -> None:
        self.fired = False
        QTimer.singleShot(WATCHDOG_MS, self._fire)

    def _fire(self) -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            self.fired = True
            if isinstance(modal, QDialog):
                modal.reject()
            else:
                modal.close()


def _settings_saved(path: Path) -> bool:
    """The settings .ini holds the window geometry written by closeEvent."""
    return path.is_file() and "geometry" in path.read_text(errors="replace")


def test_close_while_training(qtbot, window, _isolated_settings, excepthook_calls, capfd):
    lab = _lab_of(window)
    window.tabs.setCurrentWidget(lab)
    lab.play()
    qtbot.waitUntil(lambda: lab.trainer.step_count >= 30, timeout=20000)
    assert lab.is_running()
    window.close()
    steps_at_close = lab.trainer.step_count
    qtbot.wait(300)
    assert not lab.is_running(), "training kept running after the window closed"
    assert lab.trainer.step_count == steps_at_close
    assert _settings_saved(_isolated_settings)
    assert not excepthook_calls
    assert "Traceback" not in capfd.readouterr().err


def test_close_while_diverged_banner_shows(qtbot, window, _isolated_settings, excepthook_calls):
    lab = _lab_of(window)
    lab.set_config(SMALL.replace(dataset="sine", lr=1e6, init="normal", init_std=1e3))
    lab.play()
    qtbot.waitUntil(lambda: lab.trainer.diverged, timeout=20000)
    window.close()
    qtbot.wait(100)
    assert not lab.is_running() and _settings_saved(_isolated_settings)
    assert not excepthook_calls


def test_export_dialog_blocks_the_window_then_close_is_clean(qtbot, window, _isolated_settings,
                                                             excepthook_calls):
    # While the export dialog is up the main window is modally blocked (Qt drops the window
    # manager's close request), so "closing mid-export" is: the dialog goes, then the close.
    lab = _lab_of(window)
    window.tabs.setCurrentWidget(lab)
    lab.advance(20)
    seen: list = []

    def cancel_dialog() -> None:
        modal = QApplication.activeModalWidget()
        seen.append(modal)
        if isinstance(modal, QDialog):
            modal.reject()

    dog = _Watchdog()
    QTimer.singleShot(300, cancel_dialog)
    window.export_plot()
    assert not dog.fired and isinstance(seen[0], QDialog)
    window.close()
    assert _settings_saved(_isolated_settings) and not excepthook_calls


def test_close_requested_during_a_synchronous_export(qtbot, window, tmp_path, _isolated_settings,
                                                     excepthook_calls):
    from gui.export import export_png, export_svg

    lab = _lab_of(window)
    window.tabs.setCurrentWidget(lab)
    lab.advance(20)
    target = lab.export_targets()[0]
    QTimer.singleShot(0, window.close)        # queued: runs when the export yields to Qt
    big = export_png(target, tmp_path / "big ✓.png", width=4000, height=3000)
    vector = export_svg(target, tmp_path / "plot.svg")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert big.stat().st_size > 10_000 and vector.stat().st_size > 500
    assert sorted(os.listdir(tmp_path)) == ["big ✓.png", "plot.svg"]
    assert _settings_saved(_isolated_settings) and not excepthook_calls


@pytest.mark.parametrize("how", ["cancel button", "escape key"])
def test_cancel_recording_then_close(qtbot, window, tmp_path, _isolated_settings,
                                     excepthook_calls, how):
    # The recording's progress dialog is application-modal: the user cancels it, then closes.
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressDialog, QPushButton

    from gui.record_dialog import run_recording

    lab = _lab_of(window)
    window.tabs.setCurrentWidget(lab)
    lab.play()
    out = tmp_path / "recording ✓.gif"
    cancelled: list[int] = []

    def cancel_then_close() -> None:
        modal = QApplication.activeModalWidget()
        assert isinstance(modal, QProgressDialog), modal
        cancelled.append(lab.trainer.step_count)
        if how == "cancel button":
            modal.findChild(QPushButton).click()
        else:
            qtbot.keyClick(modal, Qt.Key.Key_Escape)
        QTimer.singleShot(0, window.close)

    QTimer.singleShot(400, cancel_then_close)
    dog = _Watchdog()
    written = run_recording(window, lab, out, steps=4000, frames=400, fps=10,
                            width=320, height=240)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert cancelled and not dog.fired
    assert written is False, f"the recording went on to the end after {how}"
    assert os.listdir(tmp_path) == [], os.listdir(tmp_path)
    qtbot.wait(100)
    assert not lab.is_running(), "training resumed after the recording and kept running"
    assert _settings_saved(_isolated_settings) and not excepthook_calls


def test_recording_finishes_whole_file_when_close_is_queued(qtbot, window, tmp_path,
                                                            _isolated_settings):
    from PIL import Image

    from gui.record_dialog import run_recording

    lab = _lab_of(window)
    out = tmp_path / "short.gif"
    QTimer.singleShot(0, window.close)
    assert run_recording(window, lab, out, steps=40, frames=8, fps=10, width=240, height=180)
    with Image.open(out) as gif:
        assert gif.n_frames == 8
    assert os.listdir(tmp_path) == ["short.gif"]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert _settings_saved(_isolated_settings)


def test_close_twice_and_reopen_restores_geometry(qtbot, _isolated_settings):
    first = create_main_window()
    qtbot.addWidget(first)
    first.resize(700, 500)      # fits the offscreen platform's 800x600 screen
    first.show()
    qtbot.waitExposed(first)
    size = (first.width(), first.height())
    first.close()
    first.close()
    assert _settings_saved(_isolated_settings)
    second = create_main_window()
    qtbot.addWidget(second)
    screen = second.screen().availableGeometry()
    if size[0] <= screen.width() and size[1] <= screen.height():
        assert (second.width(), second.height()) == size


def test_main_window_fits_a_1280_pixel_screen(qtbot):
    # 1280x800 laptops are common; a minimum width above that pushes the window off screen.
    window = create_main_window()
    qtbot.addWidget(window)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 760, hint


CORRUPT_VALUES = {
    "window/geometry": "not a geometry", "window/state": 12, "window/tab": "-7",
    "lab/config": '{"schema_version": 1, "app": "actiscope", "config": {"depth": 1e999}}',
    "lab/layout": "garbage", "lab/splitter": "garbage", "lab/steps_per_frame": "fast",
    "lab/preset": "no-such-preset", "lab/compare_variation": "[1, 2",
    "explorer/state": "{not json", "explorer/splitter": 3.5,
    "session/recent": 42, "animation/fps": "x",
}


@pytest.mark.parametrize("key", list(CORRUPT_VALUES))
def test_corrupt_setting_does_not_stop_the_app(qtbot, _isolated_settings, key, excepthook_calls):
    from gui.settings import app_settings

    settings = app_settings()
    settings.setValue(key, CORRUPT_VALUES[key])
    settings.sync()
    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.close()
    assert _settings_saved(_isolated_settings) and not excepthook_calls
    again = create_main_window()         # what was saved on close must load cleanly
    qtbot.addWidget(again)


def test_settings_file_of_random_bytes(qtbot, _isolated_settings, excepthook_calls):
    _isolated_settings.write_bytes(bytes(range(256)) * 40)
    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    window.close()
    assert _settings_saved(_isolated_settings) and not excepthook_calls


def test_settings_config_with_huge_integer(qtbot, _isolated_settings, excepthook_calls):
    from gui.settings import app_settings

    text = ExperimentConfig().to_json().replace('"depth": 6', '"depth": 1' + "0" * 400)
    settings = app_settings()
    settings.setValue("lab/config", text)
    settings.sync()
    window = create_main_window()
    qtbot.addWidget(window)
    assert _lab_of(window).config().depth == ExperimentConfig().depth


_REAL_APP_CLOSE = """
import sys, time
from PySide6.QtCore import QTimer
from core.config import ExperimentConfig
from gui.app import create_app, create_main_window
from gui.lab.lab_view import LabView

app = create_app(["actiscope"])
window = create_main_window()
lab = next(w for w in window.tab_widgets() if isinstance(w, LabView))
window.tabs.setCurrentWidget(lab)
lab.set_config(ExperimentConfig(depth=40, width=256, n_samples=4000, batch_size=512))
window.show()
lab.play()
QTimer.singleShot(1500, window.close)          # the user closes the window mid-training
QTimer.singleShot(30000, lambda: (print("HANG"), app.exit(3)))
start = time.perf_counter()
code = app.exec()
print("steps", lab.trainer.step_count, "exec", code, f"{time.perf_counter() - start:.1f}s")
sys.exit(code)
"""


def test_real_app_exits_cleanly_when_closed_mid_training(tmp_path):
    import subprocess

    root = Path(__file__).resolve().parents[2]
    settings = tmp_path / "settings.ini"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root),
               ACTISCOPE_SETTINGS=str(settings))
    result = subprocess.run([sys.executable, "-c", _REAL_APP_CLOSE], capture_output=True,
                            text=True, env=env, timeout=60, cwd=tmp_path)
    noise = [line for line in result.stderr.splitlines()
             if line.strip() and "propagateSizeHints" not in line]
    assert result.returncode == 0, (result.stdout, result.stderr[-800:])
    assert "HANG" not in result.stdout
    assert not noise, noise
    steps = int(result.stdout.split("steps ")[1].split()[0])
    assert steps > 0, result.stdout
    assert _settings_saved(settings)
