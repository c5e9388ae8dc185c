"""One repaint pass per frame for all of the Lab's plots.

A QGraphicsView repaints as soon as its scene has processed its dirty items: Qt sends the
window's pending UpdateRequest right then (QGraphicsViewPrivate::dispatchPendingUpdateRequests).
So the Lab's plot views, all redrawn in one frame, were painted in one repaint pass each, and
each pass was flushed to the screen on its own (bench/bench_app.py under Xvfb: four passes per
training frame, one per view in front). While something is connected to QGraphicsScene.changed,
Qt sends item updates through that signal to QGraphicsView.updateScene instead, which only
schedules the viewport update: every view then paints in the window's next pass, together.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

COALESCE = True      # False: Qt's default, a pass per view (bench_app.py --modes separate,after)


def _scene_changed(_regions: object) -> None:
    """Nothing to do: being connected is what routes the scene's updates through the event loop."""


def coalesce_repaints(widget: QWidget) -> None:
    """Make every pyqtgraph view inside `widget` paint in its window's shared repaint pass."""
    if not COALESCE:
        return
    for view in widget.findChildren(pg.GraphicsView):
        view.scene().changed.connect(_scene_changed)
