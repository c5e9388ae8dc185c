"""The Lab at the smallest supported window (1280×720) and the default one: every plot readable.

A plot is readable when its data area (the ViewBox) is at least MIN_W × MIN_H pixels and lies
inside the window. Before, three docks stacked in one column left the loss, accuracy and
dead-unit plots as bare axes at 1280×720, and long titles pushed the right-hand plots past the
window's edge at 1400×900.
"""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect

from tests.gui.shown import shown_window_lab

MIN_W, MIN_H = 80, 50


def _plots(view):
    """(title, PlotItem, GraphicsView) of every shown plot in a view (colour bars excluded)."""
    for graphics in view.findChildren(pg.GraphicsView):
        for item in graphics.scene().items():
            if (isinstance(item, pg.PlotItem) and not isinstance(item, pg.ColorBarItem)
                    and item.isVisible()):
                yield item.titleLabel.text, item, graphics


@pytest.mark.parametrize("size", [(1280, 720), (1400, 900)])
def test_every_lab_plot_has_a_readable_data_area_inside_the_window(qtbot, size):
    window, lab = shown_window_lab(qtbot, size)
    lab.presets.choose("dying-relu")
    lab.advance(20)
    window_rect = QRect(QPoint(0, 0), window.size())
    checked = 0
    for view, dock in zip(lab.views, lab.plots.docks(), strict=True):
        dock.raise_()            # a tabbed view is measured while its tab is in front
        qtbot.wait(30)
        for title, plot, graphics in _plots(view):
            box = plot.getViewBox().sceneBoundingRect()
            top_left = graphics.mapTo(window, graphics.mapFromScene(box.topLeft()))
            bottom_right = graphics.mapTo(window, graphics.mapFromScene(box.bottomRight()))
            rect = QRect(top_left, bottom_right)
            name = type(view).__name__
            assert rect.width() >= MIN_W and rect.height() >= MIN_H, (name, title, rect)
            assert window_rect.contains(rect), (name, title, rect, window_rect)
            checked += 1
    assert checked >= 9      # diagram, flow, heatmap, 2 death, 3 training, ratio, phase


@pytest.mark.parametrize("size", [(1280, 720), (1400, 900)])
def test_every_lab_plot_title_fits_its_plot(qtbot, size):
    """Titles that carry a step number and a long explanation were cut at the plot's edge (the
    decision boundary's and the alive/dead grid's at the default window)."""
    window, lab = shown_window_lab(qtbot, size)
    lab.presets.choose("dying-relu")
    lab.advance(2000)   # four-digit steps in the titles
    too_wide = []
    for view, dock in zip(lab.views, lab.plots.docks(), strict=True):
        dock.raise_()
        qtbot.wait(30)
        for title, plot, _graphics in _plots(view):
            if not title:
                continue
            text = plot.titleLabel.item.boundingRect().width()
            if text > plot.sceneBoundingRect().width() + 2:
                too_wide.append((type(view).__name__, title, round(text),
                                 round(plot.sceneBoundingRect().width())))
    assert not too_wide


def test_reset_layout_restores_squashed_and_floating_docks(qtbot):
    from PySide6.QtCore import Qt
    window, lab = shown_window_lab(qtbot, (1400, 900))
    qtbot.wait(30)
    docks = lab.plots.docks()
    default = {d.objectName(): d.height() for d in docks if not d.visibleRegion().isEmpty()}
    squashed, floating = docks[0], docks[3]
    lab.plots.resizeDocks([squashed], [1], Qt.Orientation.Vertical)   # as a user drags it
    floating.setFloating(True)
    qtbot.wait(30)
    assert squashed.height() < 0.5 * default[squashed.objectName()]
    window.reset_layout()
    qtbot.wait(30)
    assert not floating.isFloating()
    for dock in docks:
        if dock.objectName() in default:
            assert dock.height() >= 0.8 * default[dock.objectName()], dock.objectName()


def test_render_image_has_no_tab_bar_over_a_dock(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTabBar

    from gui.lab.lab_view import LabView
    lab = LabView()
    qtbot.addWidget(lab)
    lab.resize(1960, 1080)
    lab.show()
    lab.render_image(1600, 1000)
    docks = [d for d in lab.plots.docks() if d.isVisible()]
    bars = [b for b in lab.plots.findChildren(QTabBar,
                                              options=Qt.FindChildOption.FindDirectChildrenOnly)
            if b.isVisible()]
    assert bars, "the tabbed dock groups show their tab bars"
    for bar in bars:
        assert not any(d.geometry().intersects(bar.geometry()) for d in docks), \
            [bar.tabText(i) for i in range(bar.count())]


def test_only_views_in_front_redraw_on_a_frame_and_a_raised_tab_catches_up(qtbot):
    """A view tabbed behind another is not redrawn while training (its paint would be wasted);
    raising its tab draws the newest step at once."""
    from gui.lab.lab_view import LabView
    lab = LabView()
    qtbot.addWidget(lab)
    lab.resize(1400, 900)
    lab.show()
    qtbot.wait(30)
    drawn: dict[str, list[int]] = {}
    for view in lab.views:
        original = view.show_record

        def spy(run, index=-1, force=False, view=view, original=original):
            drawn.setdefault(type(view).__name__, []).append(run.newest_step)
            original(run, index, force=force)
        view.show_record = spy
    lab.controller.step_once()
    qtbot.waitUntil(lambda: "DeathView" in drawn, timeout=5000)
    assert "GradHeatmapView" not in drawn and "UpdateRatioView" not in drawn
    assert {"NetworkDiagramView", "GradFlowView", "TrainingView"} <= set(drawn)
    heatmap = lab.views[[type(v).__name__ for v in lab.views].index("GradHeatmapView")]
    lab.plots.docks()[lab.views.index(heatmap)].raise_()
    qtbot.waitUntil(lambda: "GradHeatmapView" in drawn, timeout=5000)
    assert drawn["GradHeatmapView"][-1] == lab.run.newest_step == 1
    assert lab.plots.is_shown(heatmap)
    assert not lab.plots.is_shown(lab.views[1])        # Gradient flow is now behind it


def test_a_frame_paints_every_shown_view_in_one_repaint_pass(qtbot):
    """QGraphicsView repaints as soon as its own scene has processed its changes, so four views
    redrawn in one frame were painted (and flushed to the screen) in four passes; they must
    share one (gui/lab/repaint.py)."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QGraphicsView

    from gui.lab.lab_view import LabView
    lab = LabView()
    qtbot.addWidget(lab)
    lab.resize(1400, 900)
    lab.show()
    qtbot.wait(100)
    viewports = {id(gv.viewport()): type(view).__name__ for view in lab.views
                 if lab.plots.is_shown(view) for gv in view.findChildren(QGraphicsView)}
    passes: list[set[str]] = [set()]

    class Watch(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.UpdateRequest and watched is lab:
                passes.append(set())
            elif event.type() == QEvent.Type.Paint and id(watched) in viewports:
                passes[-1].add(viewports[id(watched)])
            return False
    watch = Watch()
    QApplication.instance().installEventFilter(watch)
    try:
        lab.advance(1)
        qtbot.waitUntil(lambda: set().union(*passes) >= set(viewports.values()), timeout=5000)
    finally:
        QApplication.instance().removeEventFilter(watch)
    painted = [p for p in passes if p]
    assert len(set(viewports.values())) >= 4
    # Without coalescing each view is painted in a pass of its own, as soon as its scene has
    # processed its changes: the first pass holds one view. With it, the frame's views share
    # the first pass (later passes come from timers: the diagram's pulse, a debounced redraw).
    assert len(painted[0]) >= 2, painted


def test_step_and_rate_readouts_never_re_lay_the_window_out(qtbot):
    """The run bar's and scrubber's readouts change every frame; a label whose size can change
    sent a layout request up to the main window each time (8 re-layouts a frame)."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    window, lab = shown_window_lab(qtbot, (1400, 900))
    qtbot.wait(50)
    requests: list[str] = []

    class Watch(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            # the chain starts at the readouts' own widgets (a late layout elsewhere, e.g. a
            # view built after the first paint, is not what this test is about)
            if event.type() == QEvent.Type.LayoutRequest and any(
                    watched is bar or (watched.isWidgetType() and bar.isAncestorOf(watched))
                    for bar in (lab.run_bar, lab.scrubber)):
                requests.append(type(watched).__name__)
            return False
    watch = Watch()
    QApplication.instance().installEventFilter(watch)
    try:
        for _ in range(50):               # the window settles first
            qtbot.wait(20)
            if not requests:
                break
            requests.clear()
        for k in range(5):
            lab.run_bar.show_progress(10 ** (2 * k) + 7, 1234.5 * k, 3 * k)
            lab.scrubber.show_run(10 ** k, 10 ** (2 * k) + 7)
            QApplication.processEvents()
    finally:
        QApplication.instance().removeEventFilter(watch)
    assert requests == [], sorted(set(requests))
    assert lab.run_bar.step_text() == "Step <b>100,000,007</b>"
    step_label = lab.run_bar._step_label
    assert step_label.sizeHint().width() <= step_label.width()      # the text fits
