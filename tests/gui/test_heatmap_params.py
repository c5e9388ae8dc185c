"""Gradient history heatmap per named parameter: rows in Gradient flow's grouped order, module
names on the left axis, a hover label per cell, names in the CSV; built-in runs look as before."""

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
from gui.export.verify import check_csv, colour_count
from gui.lab.views import GradHeatmapView, theme
from gui.lab.views.grad_heatmap import NAMED_LABEL, NUMBERED_LABEL
from tests.gui.shown import shown_view


def shown(qtbot, run, size=(700, 450)) -> GradHeatmapView:
    """A heatmap at `size` drawing the newest record of `run`."""
    return shown_view(qtbot, GradHeatmapView, run, size, draw=True)


def cell_pos(view, step: float, row: int) -> QPointF:
    """Scene position of the centre of the cell of `step` in row `row` (0-based)."""
    return view.plot.getViewBox().mapViewToScene(QPointF(step, row + 1.0))


def n_separators(view) -> int:
    """Line ends the left axis draws between modules (xData is None when it never had any)."""
    x, _ = view.axis.separators.getData()
    return 0 if x is None else len(x)


def write_run(path, params, norms_per_step) -> FileRun:
    """A closed run of `params` (ParamLayer) with one record per row of `norms_per_step`."""
    writer = RunWriter(path, Manifest(Topology(sites=(Site("act", "module", 3, "relu"),),
                                               params=tuple(params))), rank=0,
                       flush_seconds=3600)
    for step, norms in enumerate(np.asarray(norms_per_step, np.float64), start=1):
        writer.append(step=step, rank=0, wall_time=float(step), grad_norm=norms,
                      update_ratio=norms / 1e3, signal_norm=np.array([0.5]), diverged=False,
                      skipped=False, message="", scalars={})
    writer.close()
    return FileRun(path)


def built_in_run(steps: int = 5) -> TrainerRun:
    trainer = Trainer(ExperimentConfig(depth=3, width=12, n_samples=200, batch_size=32, seed=3))
    run = TrainerRun(trainer)
    for _ in range(steps):
        run.append(trainer.step())
    return run


@pytest.fixture
def probe_run(tmp_path):
    return FileRun(write_param_run(tmp_path / "tf.actirun", n_steps=6))


def test_rows_follow_gradient_flow_order_and_the_csv_names_them(qtbot, tmp_path):
    params = (ParamLayer("a.weight", (3, 2)), ParamLayer("b.weight", (1, 3)),
              ParamLayer("a.bias", (3,)), ParamLayer("b.bias", (1,)))
    norms = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0], [0.1, 0.2, 0.3, 0.4]])
    view = shown(qtbot, write_run(tmp_path / "scattered.actirun", params, norms))
    headers, table = view.export_targets()[0].csv()
    assert headers[1:] == [f"log10 grad_norm ‖dW‖_F {n}"
                           for n in ("a.weight", "a.bias", "b.weight", "b.bias")]
    np.testing.assert_array_equal(table[:, 0], [1, 2, 3])
    np.testing.assert_allclose(table[:, 1:], np.log10(norms[:, [0, 2, 1, 3]]))
    # the image holds the same rows: its colour ranks follow the CSV's values
    rgba = view.image.image                                  # (steps, rows, 4)
    assert rgba.shape[:2] == (3, 4)
    lut = theme.colormap(theme.GRAD_COLORMAP).getLookupTable(nPts=256, alpha=True)
    low, high = view._levels
    scaled = np.clip((table[:, 1:] - low) / (high - low), 0, 1)
    np.testing.assert_array_equal(lut[(scaled * 255).astype(int)], rgba)
    assert [text for _, text in view.axis.labels] == ["a", "b"]
    assert view.plot.getAxis("left").labelText == NAMED_LABEL


def test_left_axis_names_modules_with_lines_between_them(qtbot, probe_run):
    view = shown(qtbot, probe_run)
    labels = {text: y for y, text in view.axis.labels}
    assert labels["embed"] == 1.5 and labels["head"] == 23.5
    # at 450 px every module of a block has a row of its own and a label one line tall
    assert len(view.axis.labels) == 12 and all(text for _, text in view.axis.labels)
    assert any("layers[1]" in text and "ff[0]" in text for text in labels)
    ys = sorted(labels.values())
    px_per_row = view.plot.getViewBox().height() / np.ptp(view.plot.getViewBox().viewRange()[1])
    assert min(np.diff(ys)) * px_per_row >= view.axis.metrics.height()
    # a thin line between neighbouring labelled spans, across the x range shown
    _, ys_drawn = view.axis.separators.getData()
    np.testing.assert_array_equal(ys_drawn[::2], [2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 14.5, 16.5,
                                                  18.5, 20.5, 22.5])
    assert len(view.axis.bands.opts["x0"]) == 0           # the image would hide a band


def test_labels_coarsen_when_the_plot_is_short(qtbot, probe_run):
    view = shown(qtbot, probe_run)
    assert len(view.axis.labels) == 12
    view.resize(700, 260)
    qtbot.waitUntil(lambda: len(view.axis.labels) < 12, timeout=3000)
    vb = view.plot.getViewBox()
    px_per_row = vb.height() / np.ptp(vb.viewRange()[1])
    ys = [y for y, text in view.axis.labels if text]
    assert ys and min(np.diff(ys), default=np.inf) * px_per_row >= view.axis.metrics.height()


def test_hovering_a_cell_names_parameter_shape_step_and_norm(qtbot, probe_run):
    view = shown(qtbot, probe_run)
    names = [p.name for p in transformer_params()]
    k = names.index("encoder.layers.1.ff.0.weight")
    record = probe_run.record(2)
    viewport = view.graphics.viewport()
    QTest.mouseMove(viewport, view.graphics.mapFromScene(cell_pos(view, record.step, k)))
    text = view.hover.text
    assert "encoder.layers.1.ff.0.weight" in text and "shape 64×16" in text
    assert f"step {record.step}" in text and f"{record.grad_norm[k]:.3g}" in text
    assert view.hover.label.parentItem() is not None            # owned by the plot
    # anywhere inside the cell names it; the next row up is the next parameter
    view.hover.hover_at(cell_pos(view, record.step + 0.4, k) + QPointF(0, 4))
    assert "encoder.layers.1.ff.0.weight" in view.hover.text
    view.hover.hover_at(cell_pos(view, record.step, k + 1))
    assert "encoder.layers.1.ff.0.bias" in view.hover.text
    # right of the newest step there is no cell
    view.hover.hover_at(cell_pos(view, probe_run.steps()[-1] + 30, k))
    assert view.hover.text == ""


def test_an_exact_zero_says_no_gradient(qtbot, tmp_path):
    params = (ParamLayer("0.weight", (4, 2)), ParamLayer("0.bias", (4,)),
              ParamLayer("2.weight", (1, 4)))
    norms = np.array([[0.0, 0.0, 1e-2], [0.5, 0.05, 1e-2]])
    view = shown(qtbot, write_run(tmp_path / "zero.actirun", params, norms))
    view.hover.hover_at(cell_pos(view, 1, 0))
    assert "0.weight" in view.hover.text and "0 (no gradient)" in view.hover.text
    rgba = view.image.image
    assert (rgba[0, 0] == np.array(theme.ZERO_COLOR.getRgb(), np.uint8)).all()
    view.hover.hover_at(cell_pos(view, 2, 1))
    assert "0.bias" in view.hover.text and "0.05" in view.hover.text


def test_csv_with_names_loads_back(qtbot, probe_run, tmp_path):
    view = shown(qtbot, probe_run)
    headers, table = view.export_targets()[0].csv()
    path = export_csv(view.export_targets()[0], tmp_path / "history.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == headers
    assert [h.rpartition(" ")[2] for h in headers[1:]] == [p.name for p in transformer_params()]
    loaded = np.array([[float(c) for c in row] for row in rows[1:]])
    np.testing.assert_array_equal(loaded[:, 0], probe_run.steps())
    np.testing.assert_allclose(loaded[:, 1:], np.log10(probe_run.series("grad_norm")))
    check_csv(path)


def test_built_in_runs_keep_the_layer_axis(qtbot):
    run = built_in_run()
    view = shown(qtbot, run)
    axis = view.plot.getAxis("left")
    assert axis.labelText == NUMBERED_LABEL and axis._tickLevels is None
    assert view.axis.labels == [] and n_separators(view) == 0
    headers, _ = view.export_targets()[0].csv()
    assert headers[1:] == [f"log10 grad_norm ‖dW‖_F layer {i}" for i in range(1, 5)]
    step = int(run.steps()[-1])
    view.hover.hover_at(cell_pos(view, step, 1))
    assert "L2 (weight layer 2)" in view.hover.text and "shape 12×12" in view.hover.text
    assert f"step {step}" in view.hover.text
    # the hover texts hold the topology, never the run (a trainer)
    view.hover.hover_at(cell_pos(view, step, 0))
    held = [cell.cell_contents for cell in view.hover._cell_text.__closure__ or ()]
    assert held and not any(isinstance(v, (TrainerRun, Trainer)) for v in held)


def test_a_built_in_run_after_a_probe_run_keeps_no_probe_marks(qtbot, probe_run):
    view = shown(qtbot, probe_run)
    assert view.axis.labels
    view.hover.hover_at(cell_pos(view, 1, 0))
    assert view.hover.text
    view.reset_view(built_in_run(2))
    assert view.axis.labels == [] and view.plot.getAxis("left")._tickLevels is None
    assert view.plot.getAxis("left").labelText == NUMBERED_LABEL
    assert n_separators(view) == 0
    assert view.plot.getViewBox().viewRange()[1] == pytest.approx([0.5, 4.5])


@pytest.mark.parametrize("make", ["builtin", "probe"])
def test_renders_are_not_blank(qtbot, tmp_path, make):
    run = FileRun(write_param_run(tmp_path / "tf.actirun", n_steps=30)) if make == "probe" \
        else built_in_run(30)
    view = shown(qtbot, run)
    image = view.grab().toImage()
    assert image.width() == 700 and colour_count(image) > 50
    assert image.save(str(tmp_path / f"{make}_heatmap.png"))
