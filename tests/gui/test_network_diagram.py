"""The network diagram: one spot per drawn neuron, dead and saturated marks, the legend's text,
the backward pulse and its timer, normalised layers; no Lab label hides text behind a bare '<'."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from gui.lab.views import NetworkDiagramView
from gui.lab.views.diagram_model import MAX_DOTS_PER_COLUMN, DiagramModel
from gui.lab.views.pulse import BackwardPulse
from tests.gui.live_views import make_trainer, make_view, redraw


def test_diagram_has_one_spot_per_drawn_neuron_and_aggregates_wide_layers(qtbot):
    trainer = make_trainer(steps=2, depth=2, width=100)
    view = make_view(qtbot, NetworkDiagramView, trainer)
    sizes = trainer.network.sizes
    assert len(view.scatter.data) == sum(min(w, MAX_DOTS_PER_COLUMN) for w in sizes)
    # the aggregated dots of a 100-wide layer cover every unit exactly once
    column = view.model.spot_column == 1
    starts, stops = view.model.spot_unit_start[column], view.model.spot_unit_stop[column]
    assert starts[0] == 0 and stops[-1] == 100 and np.all(starts[1:] == stops[:-1])
    # the colour of a dot follows the mean |grad| of its group
    grads = trainer.last.unit_grad[1]
    np.testing.assert_allclose(view.model.mean_grad[view.model.column_offsets[1]],
                               grads[starts[0]:stops[0]].mean())


def test_diagram_marks_a_killed_layer_dead(qtbot):
    trainer = make_trainer(steps=2)
    view = make_view(qtbot, NetworkDiagramView, trainer)
    trainer.network.biases[1][:] = -1e3      # every pre-activation of hidden layer 2 negative
    trainer.step()
    redraw(view, trainer)
    model = view.model
    in_layer = model.spot_column == 2
    assert trainer.last.dead_units_dataset[1].all()
    assert model.is_dead[in_layer].all()
    assert not model.is_dead[model.spot_column == 1].all()
    brushes = np.array(view.scatter.data["brush"], dtype=object)
    assert all(b is view._dead_brush for b in brushes[in_layer])


def test_diagram_rings_saturated_units(qtbot):
    trainer = make_trainer(steps=2, activation="sigmoid", init="normal", init_std=3.0,
                           saturation_threshold=0.05)
    assert np.max(trainer.last.saturated_fraction) > 0
    view = make_view(qtbot, NetworkDiagramView, trainer)
    assert view.model.is_saturated.any()
    pens = np.array(view.scatter.data["pen"], dtype=object)
    assert all(p is view._saturated_pen for p in pens[view.model.is_saturated])
    assert "saturated" in view._tooltip(0, 0, int(np.flatnonzero(view.model.is_saturated)[0]))


def test_diagram_model_dead_group_rule_and_levels():
    model = DiagramModel([2, 64, 1], max_dots=32)
    dead = np.zeros(64, bool)
    dead[:2] = True          # first dot: both of its units dead
    dead[2] = True           # second dot: one of two dead -> drawn dead (>= half)
    grads = [np.ones(2), np.full(64, 1e-3), np.zeros(1)]
    model.update(grads, [dead], None)
    assert model.n_dots == 2 + 32 + 1
    hidden = model.is_dead[model.spot_column == 1]
    assert hidden[:2].tolist() == [True, True] and not hidden[2:].any()
    assert model.grad_underflow[-1] and model.color_levels() == (-3.0, 0.0)


def test_pulse_sweeps_output_to_input_and_queues_the_next_step():
    now = [0.0]
    pulse = BackwardPulse(duration=0.5, clock=lambda: now[0])
    pulse.reset(5)
    pulse.new_step(np.array([0.0, 0.25, 0.5, 0.75, 1.0]))
    assert pulse.position() == (4.0, 1.0)
    now[0] = 0.25
    x, strength = pulse.position()
    assert x == pytest.approx(2.0) and strength == pytest.approx(0.5)
    pulse.new_step(np.zeros(5))           # arrives mid-sweep: queued, not restarting
    assert pulse.position()[0] == pytest.approx(2.0)
    now[0] = 0.6
    assert pulse.position() == (4.0, 0.0)  # the queued pulse started at the output
    now[0] = 2.0
    assert pulse.position() == (None, 0.0) and not pulse.active()


@pytest.mark.parametrize(("normalization", "mark"), [("batchnorm", "BN"), ("layernorm", "LN"),
                                                     ("none", "")])
def test_diagram_marks_normalized_layers(qtbot, normalization, mark):
    trainer = make_trainer(steps=2, normalization=normalization)
    view = make_view(qtbot, NetworkDiagramView, trainer)
    redraw(view, trainer, force=True)
    ticks = [label for _, label in view.plot.getAxis("bottom")._tickLevels[0]]
    hidden = ticks[1:-1]
    assert all(label.endswith(f"·{mark}") for label in hidden) if mark else \
        all("·" not in label for label in hidden)
    assert ("-normalised" in view._layer_names[1]) == bool(mark)
    assert ("norm before each hidden activation" in view.legend_label.text) == bool(mark)


def test_diagram_legend_shows_every_line_of_its_text(qtbot):
    """The legend is HTML: a bare '<' in "|f′(z)| < 0.05" once swallowed the rest of the
    saturation line and the pulse line (they were drawn run together, cut off)."""
    trainer = make_trainer(steps=2, activation="sigmoid", saturation_threshold=0.05)
    view = make_view(qtbot, NetworkDiagramView, trainer)
    redraw(view, trainer, force=True)
    shown = view.legend_label.item.toPlainText()
    assert "|f′(z)| < 0.05\n" in shown and "for every training sample (not dead)" in shown
    assert "blue band = backward pulse" in shown.splitlines()[-1]


def test_no_lab_label_holds_a_bare_less_than_sign(qtbot):
    """Every Lab label is HTML: a '<' that does not open a tag hides text up to the next tag."""
    import re

    from gui.lab.lab_view import LabView
    lab = LabView()
    qtbot.addWidget(lab)
    lab.set_config(lab.config().replace(activation="sigmoid", depth=3, width=8,
                                        saturation_threshold=0.05))
    lab.advance(12)
    for dock in lab.plots.docks():
        dock.raise_()
    lab.advance(1)
    labels = [item for gv in lab.findChildren(pg.GraphicsView) for item in gv.scene().items()
              if isinstance(item, pg.LabelItem)]
    assert len(labels) >= 10
    bare = [label.text for label in labels if re.search(r"<(?![a-zA-Z/!])", label.text)]
    assert not bare, bare


def test_diagram_pulse_moves_with_the_frames_and_animates_alone_only_when_they_stop(qtbot):
    """While frames arrive the band moves with them: its own timer first waits PULSE_IDLE_MS
    after each frame (its 30 ms ticks between two frames were a whole diagram paint each)."""
    from gui.lab.views.network_diagram import PULSE_IDLE_MS, PULSE_TICK_MS
    trainer = make_trainer(steps=2)
    view = make_view(qtbot, NetworkDiagramView, trainer)
    trainer.step()
    redraw(view, trainer)
    assert view.pulse.active() and view._timer.isActive()
    assert view._timer.interval() == PULSE_IDLE_MS > 2 * PULSE_TICK_MS
    x_before = view.band.rect().x()
    qtbot.waitUntil(lambda: view._timer.interval() == PULSE_TICK_MS, timeout=3000)
    qtbot.waitUntil(lambda: view.band.rect().x() < x_before - 0.5, timeout=3000)  # sweeps on
    trainer.step()
    redraw(view, trainer)                           # a new frame: the timer waits again
    assert view._timer.interval() == PULSE_IDLE_MS
