"""Explorer: the user's formula activations, and the mean-field facts in the side panel."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from core.activations import get_activation
from gui.explorer import theory_facts
from gui.explorer.explorer_state import ExplorerState
from gui.explorer.explorer_view import ExplorerView
from gui.explorer.info_panel import CRITICAL_KEY, SLOPE_KEY
from gui.settings import app_settings

ELU_A = "where(x > 0, x, a*(exp(x) - 1)); a=1 in [0.1, 5]"


@pytest.fixture
def view(qtbot):
    widget = ExplorerView()
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    widget.show()
    return widget


def panel_text(view: ExplorerView, key: str) -> str:
    return view.info_panel.theory_values[key].text()


def add(view: ExplorerView, text: str) -> bool:
    view.formula_entry.edit.setText(text)
    return view.formula_entry.submit()


def test_good_formula_joins_list_plot_sliders_and_panel(qtbot, view, tmp_path) -> None:
    assert add(view, ELU_A)
    name = "formula:where(x > 0, x, a * (exp(x) - 1)); a=1 in [0.1, 5]"
    assert name in view.activation_list.checked_names()
    assert view.activation_list.current_name() == name
    assert view.formula_entry.edit.text() == "" and view.formula_entry.error.isHidden()
    f_item, df_item = view.plot.curve_items(name)
    x, y = f_item.getData()
    np.testing.assert_allclose(y, get_activation("elu").f(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(df_item.getData()[1], get_activation("elu").df(x), atol=1e-12)
    slider = view.param_controls.sliders[(name, "a")]
    assert slider.slider.isVisible() and (slider.spec.low, slider.spec.high) == (0.1, 5.0)
    slider.slider.setValue(slider.slider.maximum())          # a = 5
    x, y = view.plot.curve_items(name)[0].getData()
    np.testing.assert_allclose(y[x < 0], 5 * np.expm1(x[x < 0]), rtol=1e-12)
    panel = view.info_panel
    assert "exp" in panel.function.text() and "f</i>&prime;" in panel.derivative.text()
    assert "5" in panel.parameters.text()
    view.grab().save(str(tmp_path / "explorer_formula.png"))


@pytest.mark.parametrize("text", ["__import__('os')", "x.real", "lambda: 1", "9**9**9",
                                  "(" * 100 + "x" + ")" * 100, "x" * 3000, "y + 1", ""])
def test_bad_formula_gives_one_sentence(view, text) -> None:
    before = view.activation_list.names()
    assert not add(view, text)
    error = view.formula_entry.error
    assert error.isVisible() and error.text().endswith(".") and "\n" not in error.text()
    assert len(error.text()) < 400
    assert view.activation_list.names() == before
    view.formula_entry.edit.textEdited.emit("x")             # typing again hides it
    assert error.isHidden()


def test_adding_the_same_formula_twice_keeps_one_row(view) -> None:
    assert add(view, "x*sigmoid(x)") and add(view, "formula:x * sigmoid(x)")
    assert view.activation_list.formula_names() == ["formula:x * sigmoid(x)"]


def test_state_keeps_formula_text_and_rechecks_it(qtbot, view) -> None:
    add(view, ELU_A)
    name = view.activation_list.current_name()
    view.param_controls.sliders[(name, "a")].spin.setValue(2.5)
    settings = app_settings()
    view.save_settings(settings)
    again = ExplorerView()
    qtbot.addWidget(again)
    again.restore_settings(settings)
    assert again.activation_list.formula_names() == [name]
    assert name in again.activation_list.checked_names()
    assert again.params(name) == {"a": 2.5}
    assert again.activation_list.current_name() == name
    state = ExplorerState.from_json(view.state().to_json().replace(
        "formula:where", "formula:__import__('os') + where"))
    assert state.formulas == [] and name not in state.checked


def test_panel_shows_mean_square_slope_and_critical_weight_variance(qtbot, view) -> None:
    view.activation_list.set_current_name("relu")
    assert float(panel_text(view, SLOPE_KEY)) == pytest.approx(0.5)
    qtbot.waitUntil(lambda: panel_text(view, CRITICAL_KEY).startswith("2 "), timeout=3000)
    view.activation_list.set_current_name("tanh")
    assert float(panel_text(view, SLOPE_KEY)) == pytest.approx(0.4644, abs=1e-4)
    qtbot.waitUntil(lambda: panel_text(view, CRITICAL_KEY).startswith("1 "), timeout=3000)
    view.activation_list.set_current_name("binary_step")
    qtbot.waitUntil(lambda: "never critical" in panel_text(view, CRITICAL_KEY), timeout=3000)
    add(view, "x*sigmoid(b*x); b=1 in [0.1, 5]")
    qtbot.waitUntil(lambda: panel_text(view, CRITICAL_KEY)[:4] == "2.81", timeout=3000)


def test_panel_stays_fast_while_a_slider_moves(qtbot, view) -> None:
    view.activation_list.set_checked("leaky_relu", True)
    view.activation_list.set_current_name("leaky_relu")
    slider = view.param_controls.sliders[("leaky_relu", "alpha")]
    start = time.perf_counter()
    for position in range(100, 400, 10):                       # 30 new values, none cached
        slider.slider.setValue(position)
    per_move = (time.perf_counter() - start) / 30
    assert per_move < 0.03                                     # no 50 ms line search per move
    alpha = slider.value()
    qtbot.waitUntil(lambda: panel_text(view, CRITICAL_KEY)[0].isdigit(), timeout=3000)
    expected = 2 / (1 + alpha ** 2)                            # leaky ReLU: χ = σ_w²(1+α²)/2
    assert float(panel_text(view, CRITICAL_KEY).split()[0]) == pytest.approx(expected, rel=1e-3)


def test_theory_facts_text_for_non_finite_values() -> None:
    assert "never critical" in theory_facts.critical_text(math.nan)
    assert "never critical" in theory_facts.critical_text(math.inf)
    assert "not finite" in theory_facts.slope_text(math.inf)
    assert theory_facts.mean_square_slope("relu", {}) == pytest.approx(0.5)


def test_formula_colours_are_never_a_built_ins() -> None:
    from core.activations import available_activations
    from gui.explorer.palette import activation_colour
    builtin = {activation_colour(n) for n in available_activations()}
    formulas = [f"formula:x*{k}" for k in range(40)]
    assert not {activation_colour(n) for n in formulas} & builtin
    assert activation_colour(formulas[3]) == activation_colour(formulas[3])   # stable
