"""Which records a plot's decimated lines draw: those in its x view range, at its pixel width.

A long run's lines are peak-decimated to about one bucket per pixel column (history_cache), so
they must be re-read for the range shown: zoomed in, the buckets cover only the visible steps
(and become the records themselves once there are fewer than about two per column). The view
range changes in bursts (a mouse-wheel zoom, a drag): one redraw follows each burst, after
SETTLE_MS without a change.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer

from gui.lab.views.history_cache import MIN_BUCKETS

SETTLE_MS = 50
WIDTH_SLACK = 0.2   # a width change below this share of the drawn width keeps the buckets drawn
MARGIN = 0.5    # records drawn beyond each side of the view, in view widths: a short pan or a
                # zoom-out shows lines at once, before the redraw


def _whole(rounding: Callable[[float], int], value: float) -> np.int64:
    """`value` rounded to a whole step, within int64 (steps are int64)."""
    return np.int64(min(max(rounding(value), -(2 ** 62)), 2 ** 62))


class VisibleSpan(QObject):
    """The records to draw for `plot`'s x view range, and a debounced `redraw` call (on the
    GUI thread, after SETTLE_MS) when that range or the plot's width has changed since."""

    def __init__(self, plot: pg.PlotItem, redraw: Callable[[], None], parent: QObject) -> None:
        """Watch `plot`'s view box; `parent` (the view) owns this object and its timer."""
        super().__init__(parent)
        self._plot = plot
        self._redraw = redraw
        self._drawn_for: tuple[float, float, float] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._on_settled)
        plot.vb.sigXRangeChanged.connect(self._on_view_changed)
        plot.vb.sigResized.connect(self._on_view_changed)

    def records(self, steps: np.ndarray, stop: int) -> tuple[int, int, int]:
        """(first, end, target): draw records [first, end) of the first `stop` records (steps
        (T,) increasing) in about `target` buckets, one per pixel column of the view; one
        record beyond each side of the view (plus MARGIN) so the lines run to its edges."""
        low, high, width = self._drawn_for = self._view()
        if stop <= 0:
            return 0, 0, MIN_BUCKETS
        shown = steps[:stop]
        span = max(high - low, 1e-9)
        # integer keys: a float key would cast all the (int64) steps to float (ms per call)
        first = int(np.searchsorted(shown, _whole(math.ceil, low - MARGIN * span))) - 1
        end = int(np.searchsorted(shown, _whole(math.floor, high + MARGIN * span),
                                  side="right")) + 1
        first, end = min(max(first, 0), stop - 1), min(max(end, 1), stop)
        first = min(first, end - 1)
        drawn_span = float(shown[end - 1] - shown[first])
        target = max(MIN_BUCKETS, int(width * drawn_span / span))
        return first, end, target

    def forget(self) -> None:
        """Nothing is drawn (a new run): no redraw until records() was asked again."""
        self._drawn_for = None
        self._timer.stop()

    def _on_view_changed(self, *_args: object) -> None:
        self._timer.start()      # restarted by every change of a burst: one redraw after it

    def _view(self) -> tuple[float, float, float]:
        low, high = (float(v) for v in self._plot.vb.viewRange()[0])
        return low, high, max(1.0, float(self._plot.vb.width()))

    def _on_settled(self) -> None:
        if self._drawn_for is None:
            return
        low, high, width = self._view()
        drawn_low, drawn_high, drawn_width = self._drawn_for
        # a few pixels of width come and go as the axes re-lay their tick labels (every few
        # frames while playing): the buckets drawn still fit; a redraw there was a second
        # refresh of the view after those frames
        if (low, high) != (drawn_low, drawn_high) or \
                abs(width - drawn_width) > WIDTH_SLACK * drawn_width:
            self._redraw()
