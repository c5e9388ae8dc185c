"""The Lab's views draw a Run, never a Trainer: from a run file alone, the same numbers as live,
and any older record (the scrubber's contract)."""

from __future__ import annotations

import gc
import types

import numpy as np
import pytest

from core.config import ExperimentConfig
from core.runs import FileRun, TrainerRecorder, TrainerRun
from core.trainer import Trainer
from gui.lab.views import (
    ALL_VIEWS,
    DeathView,
    GradFlowView,
    GradHeatmapView,
    NetworkDiagramView,
    TrainingView,
    UpdateRatioView,
)
from gui.lab.views.boundary_plot import NO_BOUNDARY
from gui.lab.views.run_view import RunView

# 2-D data (spirals) so the live run has a decision boundary; dead masks re-measured every 4
# steps; 25 steps: the recorder stores per-unit gradients at steps 1-20 and 25.
CONFIG = dict(depth=3, width=12, n_samples=200, batch_size=32, dead_refresh_every=4, seed=3,
              activation="tanh")
STEPS = 25


def record_both(tmp_path, steps: int = STEPS, **changes) -> tuple[Trainer, TrainerRun, FileRun]:
    """Train `steps` steps, feeding a live TrainerRun and a TrainerRecorder the same StepStats."""
    trainer = Trainer(ExperimentConfig(**{**CONFIG, **changes}))
    live = TrainerRun(trainer)
    path = tmp_path / "lab.actirun"
    with TrainerRecorder(path, trainer) as recorder:
        for _ in range(steps):
            stats = trainer.step()
            live.append(stats)
            recorder.append(stats)
    return trainer, live, FileRun(path)


def build(qtbot, cls, run, index: int = -1):
    """A shown view of class `cls`, reset for `run` and drawn at record `index`."""
    view = cls()
    qtbot.addWidget(view)
    view.resize(640, 420)
    view.show()
    view.reset_view(run)
    view.show_record(run, index, force=True)
    return view


def reaches_a_trainer(root, limit: int = 300_000) -> bool:
    """True if a core.trainer.Trainer is reachable from `root` through its references (modules,
    classes and functions, which lead to every global of the program, are not followed)."""
    seen, stack = set(), [root]
    skip = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType)
    while stack and len(seen) < limit:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        if isinstance(obj, Trainer):
            return True
        stack.extend(gc.get_referents(obj))
    return False


def drawn(view) -> dict[str, np.ndarray]:
    """The numbers a view drew (what its items hold), by name."""
    if isinstance(view, GradFlowView):
        return {"grad": view.current.yData, "signal": view.signal.yData,
                **{f"trail{k}": c.yData for k, c in enumerate(view.trail) if c.yData is not None}}
    if isinstance(view, GradHeatmapView):
        return {"image": view.image.image, "csv": view.export_targets()[0].csv()[1]}
    if isinstance(view, UpdateRatioView):
        return {"ratio": view.curve.yData}
    if isinstance(view, TrainingView):
        return {"loss": view.loss_line.drawn()[1], "train": view.train_line.drawn()[1],
                "test": view.test_line.drawn()[1], "x": view.loss_line.drawn()[0]}
    if isinstance(view, DeathView):
        lines, grid = (t.csv()[1] for t in view.export_targets())
        return {"dead %": np.array([view.total_dead_percent]), "lines": lines, "grid": grid}
    if isinstance(view, NetworkDiagramView):
        m = view.model
        return {"grad": m.mean_grad, "dead": m.dead_fraction, "saturated": m.saturated_fraction}
    return {"point": np.array(view.point)}      # PhaseDiagramView


def test_views_follow_the_protocol(qtbot):
    for cls in ALL_VIEWS:
        view = cls()
        qtbot.addWidget(view)
        assert isinstance(view, RunView), cls.__name__


@pytest.mark.parametrize("cls", ALL_VIEWS)
def test_every_view_draws_a_run_file_alone(qtbot, tmp_path, cls):
    trainer, _, run = record_both(tmp_path)
    del trainer
    gc.collect()
    view = build(qtbot, cls, run)
    newest = run.record(-1)
    numbers = drawn(view)
    if cls is GradFlowView:
        np.testing.assert_array_equal(numbers["grad"], newest.grad_norm)
        np.testing.assert_array_equal(numbers["signal"][1:], newest.signal_norm)
    elif cls is UpdateRatioView:
        np.testing.assert_array_equal(numbers["ratio"], newest.update_ratio)
    elif cls is TrainingView:
        np.testing.assert_array_equal(numbers["loss"], run.series("loss"))
        np.testing.assert_array_equal(numbers["x"], run.steps())
        assert not view.boundary.plot.isVisible()      # one line says why, no blank plot
        assert NO_BOUNDARY in view.note.text
    elif cls is GradHeatmapView:
        np.testing.assert_allclose(numbers["csv"][:, 1:], np.log10(run.series("grad_norm")))
    elif cls is DeathView:
        masks = run.record(run.per_unit_index(len(run) - 1, "dead_units")).dead_units
        assert view.total_dead_percent == pytest.approx(100 * masks.mean())
        np.testing.assert_array_equal(numbers["lines"][:, 0], run.steps())
    elif cls is NetworkDiagramView:
        assert view.model.sizes == [2, 12, 12, 12, 3]        # spirals: 3 classes
        hidden = view.model.spot_column == 1
        np.testing.assert_allclose(view.model.mean_grad[hidden], newest.unit_grad[:12])
    else:
        assert np.isfinite(numbers["point"]).all()
    assert not reaches_a_trainer(view), f"{cls.__name__} refers to a Trainer"


@pytest.mark.parametrize("cls", ALL_VIEWS)
def test_a_saved_run_draws_what_the_live_run_drew(qtbot, tmp_path, cls):
    _, live, saved = record_both(tmp_path)
    assert len(live) == len(saved) == STEPS
    for index in (-1, 9):          # the newest record and an older one (both hold per-unit data)
        a, b = drawn(build(qtbot, cls, live, index)), drawn(build(qtbot, cls, saved, index))
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"{cls.__name__} {name}")


@pytest.mark.parametrize("make", ["live", "file"])
def test_show_record_draws_that_records_numbers(qtbot, tmp_path, make):
    _, live, saved = record_both(tmp_path)
    run = live if make == "live" else saved
    index = 6
    record = run.record(index)
    flow = build(qtbot, GradFlowView, run)
    flow.show_record(run, index)
    np.testing.assert_array_equal(flow.current.yData, record.grad_norm)
    np.testing.assert_array_equal(flow.trail[-1].yData,   # log10 view units
                                  np.log10(run.record(index - 1).grad_norm))
    ratio = build(qtbot, UpdateRatioView, run)
    ratio.show_record(run, index)
    np.testing.assert_array_equal(ratio.curve.yData, record.update_ratio)
    training = build(qtbot, TrainingView, run)
    training.show_record(run, index, force=True)
    np.testing.assert_array_equal(training.loss_line.drawn()[1], run.series("loss")[:index + 1])
    assert f"step {record.step}," in training.note.text
    heatmap = build(qtbot, GradHeatmapView, run)
    heatmap.show_record(run, index)
    assert heatmap.export_targets()[0].csv()[1][-1, 0] == record.step
    diagram = build(qtbot, NetworkDiagramView, run)
    diagram.show_record(run, index)
    hidden = diagram.model.spot_column == 2
    np.testing.assert_allclose(diagram.model.mean_grad[hidden], record.unit_grad[12:24])
    death = build(qtbot, DeathView, run)
    death.show_record(run, index)
    masks = run.record(run.per_unit_index(index, "dead_units")).dead_units
    assert death.total_dead_percent == pytest.approx(100 * masks.mean())
    np.testing.assert_array_equal(death.export_targets()[0].csv()[1][:, 0],
                                  run.steps()[:index + 1])
    # back to the newest record
    flow.show_record(run)
    np.testing.assert_array_equal(flow.current.yData, run.record(-1).grad_norm)
