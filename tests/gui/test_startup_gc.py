"""The GUI starts with Python's cyclic collector paused, and collecting again once painted."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtWidgets import QWidget

import gui.app
import main


@pytest.fixture
def collecting():
    """The test leaves the collector as it found it, whatever happens."""
    was = gc.isenabled()
    yield
    if was:
        gc.enable()


def test_run_gui_pauses_the_collector_until_the_first_paint(collecting, monkeypatch):
    seen = {}

    def fake_run_app(run_path, on_first_paint=None):
        seen["during start-up"] = gc.isenabled()
        on_first_paint()                       # what the window's first paint does
        seen["after the first paint"] = gc.isenabled()
        return 0

    monkeypatch.setattr(gui.app, "run_app", fake_run_app)
    gc.enable()
    assert main._run_gui(None) == 0
    assert seen == {"during start-up": False, "after the first paint": True}
    assert gc.isenabled()


def test_run_gui_collects_again_when_start_up_fails(collecting, monkeypatch):
    def failing_run_app(run_path, on_first_paint=None):
        raise ValueError("not a run folder")

    monkeypatch.setattr(gui.app, "run_app", failing_run_app)
    gc.enable()
    with pytest.raises(ValueError):
        main._run_gui("nowhere.actirun")
    assert gc.isenabled()


def test_first_paint_callback_runs_once_when_the_window_paints(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    calls = []
    gui.app._FirstPaint(window, lambda: calls.append(1))
    qtbot.wait(50)
    assert calls == []                         # not shown, not painted: not yet
    window.resize(300, 200)
    window.show()
    qtbot.waitUntil(lambda: calls == [1], timeout=2000)
    window.update()
    window.repaint()
    qtbot.wait(50)
    assert calls == [1]


def test_first_paint_callback_runs_after_the_timeout_without_a_paint(qtbot, monkeypatch):
    monkeypatch.setattr(gui.app, "FIRST_PAINT_TIMEOUT_MS", 30)
    window = QWidget()                         # never shown
    qtbot.addWidget(window)
    calls = []
    gui.app._FirstPaint(window, lambda: calls.append(1))
    qtbot.waitUntil(lambda: calls == [1], timeout=2000)
