"""Widgets the GUI tests look at: shown, exposed, owned by qtbot (deleted after the test)."""

from __future__ import annotations

from collections.abc import Iterator

from core.config import ExperimentConfig


def shown_view(qtbot, cls, run, size: tuple[int, int] = (900, 500), draw: bool = False):
    """A `cls` Lab view at `size`, shown and exposed, reset to `run` (which draws its newest
    record); `draw`: show_record(run, -1, force=True) too, throttled texts shown at once."""
    view = cls()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.reset_view(run)
    if draw:
        view.show_record(run, -1, force=True)
    return view


def shown_lab(qtbot, config: ExperimentConfig, size: tuple[int, int] = (1400, 900)) -> Iterator:
    """A shown LabView training `config`, shut down (worker joined) after the test: for a
    fixture, `yield from shown_lab(qtbot, config)`."""
    from gui.lab.lab_view import LabView
    view = LabView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.set_config(config)
    yield view
    view.shutdown()


def shown_window_lab(qtbot, size: tuple[int, int] = (1400, 900)):
    """(main window, its Lab tab): the window shown at `size` with the Lab tab current."""
    from gui.app import create_main_window
    window = create_main_window()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    lab = window.tab_widgets()[1]
    window.tabs.setCurrentWidget(lab)
    return window, lab
