"""Start-up work the user never sees is not done (issue 13), and what they do use still works.

The Lab's plots are built without pyqtgraph's ViewBox menu (their right-click is the view's own
Export…), yet wheel zoom, drag pan and right-click ▸ Export… work on them; the Explorer builds its
ViewBox menu on the first right-click, owned by the plot widget; the Explorer's critical σ_w²
line search waits for the panel's first paint.
"""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from pyqtgraph.graphicsItems.ViewBox import ViewBoxMenu as viewbox_menu_module
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QMenu

from gui.lab.views import theme


@pytest.fixture
def menus_built(monkeypatch):
    """Counts the pyqtgraph ViewBox menus built while the test runs."""
    built = []
    original = viewbox_menu_module.ViewBoxMenu.__init__

    def counting_init(self, view):
        built.append(view)
        original(self, view)

    monkeypatch.setattr(viewbox_menu_module.ViewBoxMenu, "__init__", counting_init)
    return built


@pytest.fixture
def lab_plot(qtbot):
    graphics = theme.make_graphics_widget()
    qtbot.addWidget(graphics)
    plot = theme.add_plot(graphics, "Loss", "step", "loss", row=0, col=0)
    plot.plot([0.0, 10.0], [0.0, 10.0])
    plot.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    graphics.resize(500, 400)
    graphics.show()
    qtbot.waitExposed(graphics)
    return graphics, plot


def _viewbox_centre(graphics: pg.GraphicsLayoutWidget, plot: pg.PlotItem) -> QPoint:
    box = plot.getViewBox()
    return graphics.mapFromScene(box.mapToScene(box.boundingRect().center()))


def test_lab_plots_build_no_viewbox_menu_and_own_their_options_menu(qtbot, menus_built):
    graphics = theme.make_graphics_widget()
    qtbot.addWidget(graphics)
    plots = [theme.add_plot(graphics, "t", "x", "y", row=0, col=col, log_y=col == 1)
             for col in range(2)]
    assert menus_built == []
    for plot in plots:
        assert plot.getViewBox().menu is None and not plot.menuEnabled()
        assert plot.ctrlMenu.parent() is graphics        # a Qt owner: deleted with the view


def test_the_window_builds_viewbox_menus_only_for_colour_bars(
        qtbot, menus_built, monkeypatch):
    from gui.app import create_main_window
    colour_bars = []
    original = pg.ColorBarItem.__init__

    def counting_init(self, *args, **kwargs):
        colour_bars.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(pg.ColorBarItem, "__init__", counting_init)
    window = create_main_window()
    qtbot.addWidget(window)
    lab = window.tab_widgets()[1]
    n_plots = sum(isinstance(item, pg.PlotItem) for view in lab.views
                  for graphics in view.findChildren(pg.GraphicsView)
                  for item in graphics.scene().items())
    assert n_plots >= 10                     # the Lab's plots exist, built without menus
    # pyqtgraph's ColorBarItem builds one and drops it itself; nothing else builds one now
    assert len(menus_built) == len(colour_bars)


def test_wheel_zooms_and_drag_pans_a_lab_plot(qtbot, lab_plot):
    graphics, plot = lab_plot
    centre = _viewbox_centre(graphics, plot)
    (x0, x1), _ = plot.viewRange()
    wheel = QWheelEvent(QPointF(centre), QPointF(graphics.mapToGlobal(centre)), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(graphics.viewport(), wheel)
    (z0, z1), _ = plot.viewRange()
    assert z1 - z0 < 0.9 * (x1 - x0)         # zoomed in around the cursor
    assert z0 < 5 < z1
    start = centre
    qtbot.mousePress(graphics.viewport(), Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 11):
        qtbot.mouseMove(graphics.viewport(), start + QPoint(10 * step, 0))
    qtbot.mouseRelease(graphics.viewport(), Qt.MouseButton.LeftButton,
                       pos=start + QPoint(100, 0))
    (p0, p1), _ = plot.viewRange()
    assert p0 < z0 - 0.1 * (z1 - z0)         # dragged right: the data moved right
    assert p1 - p0 == pytest.approx(z1 - z0, rel=1e-6)


def test_right_click_on_a_lab_plot_opens_export(qtbot):
    from gui.export import install_export_menu
    from gui.lab.views import GradFlowView
    view = GradFlowView()
    qtbot.addWidget(view)
    install_export_menu(view, view.export_targets)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    graphics = view.findChildren(pg.GraphicsView)[0]
    plot = next(item for item in graphics.scene().items() if isinstance(item, pg.PlotItem))
    centre = _viewbox_centre(graphics, plot)
    shown: list[list[str]] = []

    def close_popup() -> None:
        popup = QApplication.activePopupWidget()
        if isinstance(popup, QMenu):
            shown.append([action.text() for action in popup.actions()])
            popup.close()
        else:
            QTimer.singleShot(20, close_popup)

    QTimer.singleShot(20, close_popup)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre,
                              graphics.viewport().mapToGlobal(centre))
    QApplication.sendEvent(graphics.viewport(), event)
    qtbot.waitUntil(lambda: bool(shown), timeout=3000)
    assert shown[0] == ["Export\u2026"]


def test_explorer_critical_line_search_waits_for_the_first_paint(qtbot, monkeypatch):
    from gui.explorer import theory_facts
    from gui.explorer.explorer_view import ExplorerView
    from gui.explorer.info_panel import CRITICAL_DELAY_MS, CRITICAL_KEY
    searches = []
    original = theory_facts.critical_sigma_w2

    def counting(*args, **kwargs):
        searches.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(theory_facts, "_CRITICAL", {})
    monkeypatch.setattr(theory_facts, "critical_sigma_w2", counting)
    view = ExplorerView()
    qtbot.addWidget(view)
    qtbot.wait(3 * CRITICAL_DELAY_MS)
    assert searches == []                    # never shown: nothing computed
    assert view.info_panel.theory_values[CRITICAL_KEY].text().endswith("…</span>")
    view.resize(1300, 850)
    view.show()
    qtbot.waitUntil(lambda: view.info_panel.theory_values[CRITICAL_KEY].text()[:1].isdigit(),
                    timeout=3000)
    assert len(searches) == 1


def test_help_reference_opens_though_its_module_loads_on_first_use(qtbot):
    from PySide6.QtWidgets import QDialog, QTextBrowser

    from gui.main_window import MainWindow
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    next(a for a in window._help_menu.actions()
         if a.text() == "&Activation reference").trigger()
    dialogs = [w for w in window.findChildren(QDialog) if w.isVisible()]
    assert len(dialogs) == 1
    text = dialogs[0].findChild(QTextBrowser).toPlainText()
    assert "leaky_relu" in text and "Output range" in text
    dialogs[0].close()


def test_explorer_menu_is_built_on_the_first_right_click_and_owned(qtbot):
    from gui.explorer.explorer_view import ExplorerView
    view = ExplorerView()
    qtbot.addWidget(view)
    view.resize(1300, 850)
    view.show()
    qtbot.waitExposed(view)
    graphics = view.plot
    box = graphics.getPlotItem().getViewBox()
    assert box.menu is None                  # not built with the plot
    centre = _viewbox_centre(graphics, graphics.getPlotItem())
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.RightButton, pos=centre)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
    popup = QApplication.activePopupWidget()
    texts = [action.text() for action in popup.actions()]
    popup.close()
    assert popup is box.menu and box.menu.parent() is graphics
    assert {"View All", "X axis", "Y axis", "Plot Options", "Export\u2026"} <= set(texts)


def test_a_lab_plot_does_not_re_render_axis_labels_as_its_range_changes(qtbot, lab_plot,
                                                                         monkeypatch):
    from pyqtgraph.graphicsItems import AxisItem as axis_module
    graphics, plot = lab_plot
    curve = plot.listDataItems()[0]
    plot.enableAutoRange()
    renders = []
    original = axis_module.AxisItem._updateLabel
    monkeypatch.setattr(axis_module.AxisItem, "_updateLabel",
                        lambda self: renders.append(self.orientation) or original(self))
    for n in range(3, 23):                    # 20 frames, each one changes both ranges
        curve.setData(list(range(n)), [k * k for k in range(n)])
        QApplication.processEvents()
    assert plot.viewRange()[0][1] >= 21      # the ranges did follow the data
    assert renders == []                     # (the hidden top/right axes did, each frame)
