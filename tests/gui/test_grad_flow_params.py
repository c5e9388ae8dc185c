"""Gradient flow and update ratio per named parameter: grouped by module, named on hover, names
in the CSV; built-in runs keep their L1..Ln layer axis."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from actiscope_probe.runformat import Manifest, ParamLayer, RunWriter, Site, Topology
from param_run_samples import transformer_params, write_param_run
from PySide6.QtCore import QPointF
from PySide6.QtTest import QTest

from core.config import ExperimentConfig
from core.runs import FileRun, TrainerRun
from core.trainer import Trainer
from gui.export import export_csv
from gui.export.table import NAME_HEADER
from gui.export.verify import check_csv, colour_count
from gui.lab.views import GradFlowView, UpdateRatioView
from gui.lab.views.param_axis import NAMED_LABEL, display_segments
from tests.gui.shown import shown_view


def shown(qtbot, cls, run, size=(700, 450)):
    """A view of class `cls` at `size`, drawing the newest record of `run`."""
    return shown_view(qtbot, cls, run, size, draw=True)


def scene_pos(view, x: float, value: float) -> QPointF:
    """Scene position of the data point (x, value) on the log-y plot."""
    return view.plot.getViewBox().mapViewToScene(QPointF(x, float(np.log10(value))))


def n_points(item) -> int:
    """Points a PlotDataItem holds (xData is None when it never had any)."""
    return 0 if item.xData is None else len(item.xData)


def move_mouse(view, pos: QPointF) -> None:
    """A real mouse move over the plot's GraphicsView to scene position `pos`."""
    viewport = view.graphics.viewport()
    QTest.mouseMove(viewport, view.graphics.mapFromScene(pos))


@pytest.fixture
def probe_run(tmp_path):
    return FileRun(write_param_run(tmp_path / "tf.actirun"))


def test_points_are_parameters_with_module_ticks_and_bands(qtbot, probe_run):
    view = shown(qtbot, GradFlowView, probe_run)
    record = probe_run.record(-1)
    names = [p.name for p in transformer_params()]
    np.testing.assert_array_equal(view.current.xData, np.arange(1, len(names) + 1))
    np.testing.assert_array_equal(view.current.yData, record.grad_norm)
    assert view.plot.getAxis("bottom").labelText == NAMED_LABEL
    # at 700 px, two blocks: every module level down to the block's parts has room
    labels = dict((text, x) for x, text in view.axis.labels)
    assert labels["embed"] == 1.5 and labels["head"] == 23.5
    assert labels["…layers[0].ff"] == 8.5       # ff.0 and ff.2 in one span, its index shown
    assert labels["…layers[1].ff"] == 18.5
    # a light band behind every other labelled span, from one span edge to the next
    x0 = list(view.axis.bands.opts["x0"])
    edges = sorted({x - 0.5 * (b - a) for (x, _), (a, b) in zip(
        view.axis.labels, [(0, 2), (2, 6), (6, 10), (10, 12), (12, 16), (16, 20), (20, 22),
                           (22, 24)], strict=True)})
    assert x0 == edges[1::2]
    # weights on the line, biases as their own marks
    weights = [k + 1 for k, n in enumerate(names) if n.endswith("weight")]
    biases = [k + 1 for k, n in enumerate(names) if "bias" in n.rpartition(".")[2]]
    np.testing.assert_array_equal(view.weight_line.xData, weights)
    np.testing.assert_array_equal(view.bias_marks.xData, biases)
    assert view.legend.getLabel(view.bias_marks) is not None
    # the input's signal a probe run does not record is no point and does not stretch the axis
    assert n_points(view.signal) == 2
    top = np.log10(max(record.grad_norm.max(), record.signal_norm.max()))
    assert view.plot.getViewBox().viewRange()[1][1] < top + 0.5


def test_hovering_a_point_names_its_parameter(qtbot, probe_run):
    view = shown(qtbot, GradFlowView, probe_run)
    record = probe_run.record(-1)
    k = [p.name for p in transformer_params()].index("encoder.layers.1.ff.0.weight")
    pos = scene_pos(view, k + 1, record.grad_norm[k])
    move_mouse(view, pos)             # a real mouse move reaches the scene's sigMouseMoved
    text = view.hover.text
    assert "encoder.layers.1.ff.0.weight" in text
    assert "shape 64×16" in text and "weight" in text
    assert f"{record.grad_norm[k]:.3g}" in text and f"step {record.step}" in text
    assert view.hover.label.parentItem() is not None          # owned by the plot
    # the point's neighbour is 9.5 px away at 700 px: a few pixels off still names k
    view.hover.hover_at(pos + QPointF(3, 2))
    assert "encoder.layers.1.ff.0.weight" in view.hover.text
    view.hover.hover_at(pos + QPointF(0, 120))                 # far from every point
    assert view.hover.text == ""


def test_a_site_signal_sits_at_the_parameter_it_feeds_and_says_so(qtbot, probe_run):
    view = shown(qtbot, GradFlowView, probe_run)
    names = [p.name for p in transformer_params()]
    into = [names.index(f"encoder.layers.{i}.ff.2.weight") + 1 for i in (0, 1)]
    np.testing.assert_array_equal(view.signal.xData, into)
    np.testing.assert_array_equal(view.signal.yData, probe_run.record(-1).signal_norm)
    view.hover.hover_at(scene_pos(view, into[1], view.signal.yData[1]))
    assert "signal out of encoder.layers.1.ff.1 (gelu, 64 units)" in view.hover.text
    assert "into encoder.layers.1.ff.2.weight" in view.hover.text


def test_csv_has_the_parameter_names_and_loads_back(qtbot, probe_run, tmp_path):
    view = shown(qtbot, GradFlowView, probe_run)
    record = probe_run.record(-1)
    headers, table = view.export_targets()[0].csv()
    assert headers[0] == NAME_HEADER
    assert list(table[:, 0]) == [p.name for p in transformer_params()]
    path = export_csv(view.export_targets()[0], tmp_path / "flow.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == headers
    assert [row[0] for row in rows[1:]] == list(table[:, 0])
    np.testing.assert_array_equal([float(row[2]) for row in rows[1:]], record.grad_norm)
    # the signal column holds each site's norm at the parameter it flows into
    signal = np.array([float(row[3]) for row in rows[1:]])
    assert np.isfinite(signal).sum() == 2
    check_csv(path)            # what --smoke checks


def test_scattered_parameters_are_drawn_grouped(qtbot, tmp_path):
    params = (ParamLayer("a.weight", (3, 2)), ParamLayer("b.weight", (1, 3)),
              ParamLayer("a.bias", (3,)), ParamLayer("b.bias", (1,)))
    path = tmp_path / "scattered.actirun"
    writer = RunWriter(path, Manifest(Topology(sites=(Site("act", "module", 3, "relu"),),
                                               params=params)), rank=0, flush_seconds=3600)
    norms = np.array([1.0, 2.0, 3.0, 4.0])
    writer.append(step=1, rank=0, wall_time=1.0, grad_norm=norms, update_ratio=norms / 1e3,
                  signal_norm=np.array([0.5]), diverged=False, skipped=False, message="",
                  scalars={})
    writer.close()
    run = FileRun(path)
    view = shown(qtbot, GradFlowView, run)
    np.testing.assert_array_equal(view.current.yData, [1.0, 3.0, 2.0, 4.0])   # a.*, then b.*
    assert [text for _, text in view.axis.labels] == ["a", "b"]
    headers, table = view.export_targets()[0].csv()
    assert list(table[:, 0]) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert n_points(view.signal) == 0            # `act` among a and b: the names do not say
    ratio = shown(qtbot, UpdateRatioView, run)
    np.testing.assert_array_equal(ratio.curve.yData, [1e-3, 3e-3, 2e-3, 4e-3])
    _, table = ratio.export_targets()[0].csv()
    assert list(table[:, 0]) == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_update_ratio_groups_and_names_parameters(qtbot, probe_run):
    view = shown(qtbot, UpdateRatioView, probe_run)
    record = probe_run.record(-1)
    names = [p.name for p in transformer_params()]
    np.testing.assert_array_equal(view.curve.yData, record.update_ratio)
    assert view.plot.getAxis("bottom").labelText == NAMED_LABEL
    assert len(view.weight_line.xData) == sum(n.endswith("weight") for n in names)
    k = names.index("head.bias")
    view.hover.hover_at(scene_pos(view, k + 1, record.update_ratio[k]))
    assert "head.bias" in view.hover.text and "‖ΔW‖/‖W‖" in view.hover.text
    headers, table = view.export_targets()[0].csv()
    assert headers[0] == NAME_HEADER and list(table[:, 0]) == names
    np.testing.assert_array_equal(table[:, 2].astype(float), record.update_ratio)


def test_built_in_runs_keep_the_layer_axis(qtbot):
    trainer = Trainer(ExperimentConfig(depth=3, width=12, n_samples=200, batch_size=32, seed=3))
    run = TrainerRun(trainer)
    for _ in range(3):
        run.append(trainer.step())
    view = shown(qtbot, GradFlowView, run)
    assert view.axis.labels == [] and view.axis.bands.opts["x0"] == []
    assert view.plot.getAxis("bottom").labelText.startswith("weight layer i")
    assert view.plot.getAxis("bottom")._tickLevels is None        # whole-number layer ticks
    assert n_points(view.bias_marks) == 0 and n_points(view.weight_line) == 0
    np.testing.assert_array_equal(view.current.yData, trainer.last.grad_norms)
    # the signal into layer i is drawn at layer i, the input's at 1
    np.testing.assert_array_equal(view.signal.xData, np.arange(1, 5))
    view.hover.hover_at(scene_pos(view, 2, view.current.yData[1]))
    assert "L2 (weight layer 2)" in view.hover.text and "shape 12×12" in view.hover.text
    view.hover.hover_at(scene_pos(view, 1, view.signal.yData[0]))
    assert "signal from the input" in view.hover.text and "into L1" in view.hover.text
    headers, table = view.export_targets()[0].csv()
    assert list(table[:, 0]) == ["L1", "L2", "L3", "L4"]
    assert headers[1] == "layer (1 = input side)"
    # the hover texts are made on hover from the topology: they never hold the run (a trainer)
    held = [cell.cell_contents for _, text in view.hover._text_of
            for cell in text.__closure__ or ()]
    assert held and not any(isinstance(v, (TrainerRun, Trainer)) for v in held)


@pytest.mark.parametrize("make", ["builtin", "probe"])
def test_renders_are_not_blank(qtbot, tmp_path, make):
    if make == "probe":
        run = FileRun(write_param_run(tmp_path / "tf.actirun"))
    else:
        trainer = Trainer(ExperimentConfig(depth=6, width=32, n_samples=200, batch_size=32,
                                           seed=0, activation="tanh"))
        run = TrainerRun(trainer)
        for _ in range(12):
            run.append(trainer.step())
    for cls in (GradFlowView, UpdateRatioView):
        view = shown(qtbot, cls, run)
        image = view.grab().toImage()
        assert image.width() == 700 and colour_count(image) > 50
        assert image.save(str(tmp_path / f"{make}_{cls.__name__}.png"))
        view.hide()


def test_hover_label_follows_a_new_record(qtbot, probe_run):
    view = shown(qtbot, GradFlowView, probe_run)
    view.show_record(probe_run, 0, force=True)
    first = probe_run.record(0)
    view.hover.hover_at(scene_pos(view, 1, first.grad_norm[0]))
    assert f"step {first.step}" in view.hover.text
    view.show_record(probe_run, -1, force=True)           # re-made from the new points
    assert not view.hover.text.endswith(f"step {first.step}")
    view.hover.hover_at(scene_pos(view, 1, probe_run.record(-1).grad_norm[0]))
    assert view.hover.text.endswith(f"step {probe_run.record(-1).step}")


def test_sequential_indices_never_read_as_numbers():
    assert display_segments("0") == ["[0]"]
    assert display_segments("encoder.layers.10.self_attn") == ["encoder", "layers[10]",
                                                               "self_attn"]
    assert display_segments("body.0.1") == ["body[0][1]"]


def test_labels_refit_when_the_plot_narrows(qtbot, probe_run):
    view = shown(qtbot, GradFlowView, probe_run)
    wide = [text for _, text in view.axis.labels]
    assert "…layers[0].ff" in wide
    for width in (560, 450):
        view.resize(width, 450)
        qtbot.waitUntil(lambda before=wide: [t for _, t in view.axis.labels] != before,
                        timeout=3000)
        wide = [text for _, text in view.axis.labels]
        # shorter names, and no two labels overlap
        vb = view.plot.getViewBox()
        px_per_x = vb.width() / np.ptp(vb.viewRange()[0])
        shown_labels = [(x, t) for x, t in view.axis.labels if t]
        for (x0, a), (x1, b) in zip(shown_labels, shown_labels[1:], strict=False):
            half = (view.axis.metrics.horizontalAdvance(a)
                    + view.axis.metrics.horizontalAdvance(b)) / 2
            assert half <= (x1 - x0) * px_per_x, (a, b, width)
    assert "…layers[0].ff" not in wide


def test_a_built_in_run_after_a_probe_run_keeps_no_probe_marks(qtbot, probe_run):
    trainer = Trainer(ExperimentConfig(depth=3, width=12, n_samples=200, batch_size=32, seed=3))
    live = TrainerRun(trainer)
    live.append(trainer.step())
    for cls in (GradFlowView, UpdateRatioView):
        view = shown(qtbot, cls, probe_run)
        assert n_points(view.bias_marks) > 0 and n_points(view.weight_line) > 0
        view.reset_view(live)
        assert n_points(view.bias_marks) == 0 and n_points(view.weight_line) == 0
        assert view.axis.labels == [] and len(view.axis.bands.opts["x0"]) == 0
