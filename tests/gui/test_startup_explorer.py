"""The Explorer at start-up: a restored state lays the legend out once, and it is the right one."""

from __future__ import annotations

from gui.explorer.explorer_state import ExplorerState
from gui.explorer.explorer_view import ExplorerView


def _legend_labels(view: ExplorerView) -> list[str]:
    return [label.text for _sample, label in view.plot.legend.items]


def test_a_restored_state_builds_the_legend_once_and_right(qtbot, monkeypatch):
    view = ExplorerView()
    qtbot.addWidget(view)
    clears = []
    original = view.plot.legend.clear
    monkeypatch.setattr(view.plot.legend, "clear", lambda: clears.append(1) or original())
    state = ExplorerState(checked=["tanh", "relu", "swish", "elu"], current="relu")
    view.apply_state(state)
    assert len(clears) == 1                         # not once per ticked activation
    expected = [view.plot._labels[name] for name in view.plot.shown_names()]
    assert set(view.plot.shown_names()) == {"tanh", "relu", "swish", "elu"}
    assert _legend_labels(view) == [*expected, "f(x)", "f\u2032(x)"]
    view.apply_state(state)                          # the same state again: nothing to redo
    assert len(clears) == 1
    view.activation_list.set_checked("tanh", False)  # one change outside a batch: at once
    assert len(clears) == 2
    assert _legend_labels(view) == [label for label in expected if "tanh" not in label.lower()
                                    ] + ["f(x)", "f\u2032(x)"]
    view.set_show_kinds(True, False)                 # functions only: no style key
    assert _legend_labels(view)[-1] != "f\u2032(x)" and "f(x)" not in _legend_labels(view)
