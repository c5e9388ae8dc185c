"""Explorer tab: curves appear/disappear with the list, parameters redraw live, state persists."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from core.activations import available_activations, get_activation
from gui.explorer.explorer_state import ExplorerState
from gui.explorer.explorer_view import ExplorerView
from gui.explorer.palette import PALETTE, activation_colour
from gui.explorer.readout import format_value
from gui.settings import app_settings


@pytest.fixture
def view(qtbot):
    widget = ExplorerView()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    return widget


def data_items(view: ExplorerView) -> list[pg.PlotDataItem]:
    return [i for i in view.plot.getPlotItem().items if isinstance(i, pg.PlotDataItem)]


def test_defaults_draw_sigmoid_tanh_relu(view):
    assert view.activation_list.checked_names() == ["sigmoid", "tanh", "relu"]
    assert len(data_items(view)) == 6


def test_toggling_an_activation_adds_and_removes_its_two_curves(view):
    before = len(data_items(view))
    view.activation_list.set_checked("gelu", True)
    assert len(data_items(view)) == before + 2
    f_item, df_item = view.plot.curve_items("gelu")
    x, y = f_item.getData()
    np.testing.assert_allclose(y, get_activation("gelu").f(x))
    np.testing.assert_allclose(df_item.getData()[1], get_activation("gelu").df(x))
    view.activation_list.set_checked("gelu", False)
    assert len(data_items(view)) == before
    assert f_item not in data_items(view)


def test_dragging_alpha_changes_leaky_relu_left_branch(view):
    view.activation_list.set_checked("leaky_relu", True)
    slider = view.param_controls.sliders[("leaky_relu", "alpha")]
    f_item, df_item = view.plot.curve_items("leaky_relu")
    x, y_before = f_item.getData()
    slider.slider.setValue(slider.slider.maximum() // 2)     # as while dragging
    alpha = slider.value()
    assert alpha == pytest.approx((slider.spec.low + slider.spec.high) / 2, abs=1e-3)
    x, y_after = f_item.getData()
    left = x < 0
    assert not np.allclose(y_before[left], y_after[left])
    np.testing.assert_allclose(y_after[left], alpha * x[left])
    np.testing.assert_allclose(df_item.getData()[1][left], alpha)


def test_derivative_toggle_hides_and_shows_dashed_curves(view):
    dashed = [view.plot.curve_items(n)[1] for n in ("sigmoid", "tanh", "relu")]
    view.explorer_actions.show_derivatives.setChecked(False)
    assert not any(item in data_items(view) for item in dashed)
    assert len(data_items(view)) == 3
    headers, _ = view.curves_csv()
    assert headers == ["x", "sigmoid f(x)", "tanh f(x)", "relu f(x)"]
    view.explorer_actions.show_derivatives.setChecked(True)
    assert all(item in data_items(view) for item in dashed)


def test_x_range_resamples_every_shown_curve(view):
    view.set_x_range(-2.0, 3.0)
    x, y = view.plot.curve_items("tanh")[0].getData()
    assert (x[0], x[-1]) == (-2.0, 3.0)
    np.testing.assert_allclose(y, np.tanh(x))
    assert view.range_controls.x_range() == (-2.0, 3.0)


def test_readout_shows_exact_values_at_the_mouse_x(view):
    view.update_readout(0.5)
    text = view.readout.text()
    assert format_value(1 / (1 + np.exp(-0.5))) in text      # sigmoid(0.5) = 0.6225
    assert format_value(np.tanh(0.5)) in text


def test_side_panel_follows_the_selected_activation(view):
    view.activation_list.set_current_name("elu")
    assert view.info_panel.shown_name == "elu"
    assert "ELU" in view.info_panel.title.text()


def test_settings_round_trip_in_a_new_view(qtbot, view):
    view.activation_list.set_checked_names(["swish", "mish"])
    view.set_param("swish", "beta", 2.5)
    view.set_x_range(-3.0, 4.0)
    view.explorer_actions.show_functions.setChecked(False)
    view.save_settings(app_settings())
    again = ExplorerView()
    qtbot.addWidget(again)
    again.restore_settings(app_settings())
    assert again.activation_list.checked_names() == ["swish", "mish"]
    assert again.params("swish") == {"beta": 2.5}
    assert (again.x[0], again.x[-1]) == (-3.0, 4.0)
    assert not again.explorer_actions.show_functions.isChecked()
    x, y = again.plot.curve_items("swish")[1].getData()
    np.testing.assert_allclose(y, get_activation("swish", beta=2.5).df(x))


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"checked": 5, "x_range": [3, 1],'
                                  ' "params": {"leaky_relu": {"alpha": 7}}, "current": "nope"}'])
def test_corrupt_settings_fall_back_to_defaults(text):
    state = ExplorerState.from_json(text)
    assert state == ExplorerState()


def test_palette_gives_every_activation_its_own_colour():
    colours = [activation_colour(n) for n in available_activations()]
    assert len(set(colours)) == len(colours) == len(PALETTE)


def test_show_functions_and_derivatives_are_check_boxes_tied_to_the_actions(qtbot):
    from PySide6.QtWidgets import QCheckBox

    from gui.explorer.explorer_view import ExplorerView
    view = ExplorerView()
    qtbot.addWidget(view)
    boxes = {b.text(): b for b in view.findChildren(QCheckBox) if "(x)" in b.text()}
    derivatives = next(b for t, b in boxes.items() if "derivatives" in t)
    action = view.explorer_actions.show_derivatives
    assert derivatives.isChecked() and action.isChecked()
    derivatives.setChecked(False)                       # the box drives the action …
    assert not action.isChecked()
    action.setChecked(True)                              # … and the menu/shortcut drive the box
    assert derivatives.isChecked()
