"""Label texts that change every step (step number, loss) shown at most a few times a second."""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import QTimer

LIVE_TEXT_INTERVAL_S = 0.25   # re-laying out and re-rendering a LabelItem costs ~0.3 ms each


class _LiveText:
    """Throttle state of one label: the newest text waits (on a timer) until its turn."""

    def __init__(self, label: pg.LabelItem) -> None:
        self.label = label
        self.shown_at = -float("inf")
        self.pending: str | None = None
        self.timer = QTimer(label)   # dies with the label
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.flush)

    def set(self, text: str) -> None:
        """Show `text` now if the last change is old enough, else within LIVE_TEXT_INTERVAL_S."""
        if text == self.label.text:
            self.pending = None
            return
        wait = self.shown_at + LIVE_TEXT_INTERVAL_S - time.monotonic()
        if wait <= 0:
            self._show(text)
            return
        self.pending = text
        if not self.timer.isActive():
            self.timer.start(max(1, int(1e3 * wait)))

    def flush(self) -> None:
        """Show the waiting text, if any."""
        if self.pending is not None:
            self._show(self.pending)

    def _show(self, text: str) -> None:
        self.pending = None
        self.timer.stop()
        self.shown_at = time.monotonic()
        self.label.setText(text)


def _state(label: pg.LabelItem) -> _LiveText:
    """The label's throttle state (made on first use)."""
    state = getattr(label, "_live_text", None)
    if state is None:
        state = _LiveText(label)
        label._live_text = state
    return state


def set_live_text(label: pg.LabelItem, text: str) -> None:
    """label.setText(text) at most every LIVE_TEXT_INTERVAL_S; the newest text always shows
    within that time (a timer), or at once with flush_live_text."""
    _state(label).set(text)


def flush_live_text(label: pg.LabelItem) -> None:
    """Show the label's newest text now (render, export, refresh_now)."""
    _state(label).flush()
