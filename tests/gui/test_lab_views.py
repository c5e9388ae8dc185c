"""The Lab's live views: built from a real Trainer, drawn data = trainer numbers = exported CSV."""

from __future__ import annotations

import warnings

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from gui.export import export_csv
from gui.export.table import NAME_HEADER
from gui.lab.views import (
    ALL_VIEWS,
    DeathView,
    GradFlowView,
    GradHeatmapView,
    TrainingView,
    UpdateRatioView,
    theme,
)
from gui.lab.views.history_cache import SeriesCache
from gui.lab.views.live_text import flush_live_text, set_live_text
from gui.lab.views.safe_values import LogBounds, log_bounds, log_safe
from gui.lab.views.scatter_styles import restyle_spots
from gui.lab.views.sticky_range import StickyRange
from tests.gui.live_views import live_run, make_trainer, make_view, redraw


def item_arrays(view) -> list[np.ndarray]:
    """Every numeric array handed to pyqtgraph items in the view's scene(s)."""
    arrays = []
    for scene_owner in [view.graphics]:
        for item in scene_owner.scene().items():
            if isinstance(item, pg.PlotDataItem):
                for data in (item.xData, item.yData):
                    if data is not None:
                        arrays.append(np.asarray(data, np.float64))
            elif isinstance(item, pg.ScatterPlotItem):
                arrays += [item.data["x"].astype(np.float64), item.data["y"].astype(np.float64)]
            elif isinstance(item, pg.ImageItem) and item.image is not None:
                arrays.append(np.asarray(item.image, np.float64))
    return arrays


def is_blank(image: QImage) -> bool:
    """True if the image has (almost) a single colour."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    buffer = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return len(np.unique(buffer[:, : image.width() * 4].reshape(-1, 4), axis=0)) < 20


@pytest.mark.parametrize("cls", ALL_VIEWS)
def test_view_builds_refreshes_and_renders(qtbot, cls, tmp_path):
    trainer = make_trainer(steps=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view = make_view(qtbot, cls, trainer)
        trainer.run(3)
        redraw(view, trainer)
    assert view.title
    image = view.grab().toImage()
    assert not is_blank(image)
    assert view.export_targets(), "every view exports something"
    for target in view.export_targets():
        headers, columns = target.csv()
        assert columns.ndim == 2 and columns.shape[1] == len(headers) and len(columns) > 0
        path = export_csv(target, tmp_path / f"{cls.__name__}.csv")
        loaded = np.genfromtxt(path, delimiter=",", skip_header=1).reshape(columns.shape)
        named = int(headers[0] == NAME_HEADER)      # per-parameter tables: names first
        np.testing.assert_array_equal(loaded[:, named:], columns[:, named:].astype(float))


def test_death_view_big_number_is_dataset_dead_percent(qtbot):
    trainer = make_trainer(steps=3)
    trainer.network.biases[0][:8] = -1e3
    trainer.step()
    view = make_view(qtbot, DeathView, trainer)
    expected = 100.0 * np.concatenate(trainer.last.dead_units_dataset).mean()
    assert expected > 0
    assert view.total_dead_percent == pytest.approx(expected)
    assert f"{expected:.1f} %" in view.big_number.text
    headers, cells = view.export_targets()[1].csv()
    assert cells[cells[:, 0] == 1][:8, 3].tolist() == [1.0] * 8


def test_grad_flow_draws_the_last_grad_norms(qtbot):
    trainer = make_trainer(steps=12)
    view = make_view(qtbot, GradFlowView, trainer)
    np.testing.assert_array_equal(view.current.yData, trainer.last.grad_norms)
    np.testing.assert_array_equal(view.signal.yData, trainer.last.signal_norms)
    previous = trainer.history.series("grad_norms")[-2]
    np.testing.assert_array_equal(view.trail[-1].yData, np.log10(previous))  # view units
    headers, columns = view.export_targets()[0].csv()
    assert headers[0] == NAME_HEADER and list(columns[:, 0]) == ["L1", "L2", "L3", "L4"]
    np.testing.assert_array_equal(columns[:, 2].astype(float), view.current.yData)


def test_heatmap_and_update_ratio_export_what_they_draw(qtbot):
    trainer = make_trainer(steps=8)
    heatmap = make_view(qtbot, GradHeatmapView, trainer)
    _, columns = heatmap.export_targets()[0].csv()
    low, high = heatmap._levels
    scaled = np.clip((columns[:, 1:] - low) / (high - low), 0, 1)      # the CSV, coloured
    lut = theme.colormap(theme.GRAD_COLORMAP).getLookupTable(nPts=256, alpha=True)
    np.testing.assert_array_equal(lut[(scaled * 255).astype(int)], heatmap.image.image)
    np.testing.assert_allclose(columns[:, 1:], np.log10(trainer.history.series("grad_norms")))
    ratio = make_view(qtbot, UpdateRatioView, trainer)
    np.testing.assert_array_equal(ratio.curve.yData, trainer.last.update_ratio)
    np.testing.assert_array_equal(ratio.export_targets()[0].csv()[1][:, 2].astype(float),
                                  ratio.curve.yData)


def test_training_view_curves_and_boundary(qtbot):
    trainer = make_trainer(steps=6)
    view = make_view(qtbot, TrainingView, trainer)
    np.testing.assert_array_equal(view.loss_line.drawn()[1], trainer.history.series("loss"))
    curves, boundary = view.export_targets()
    _, grid = boundary.csv()
    assert grid.shape[1] == 3 and set(np.unique(grid[:, 2])) <= {0.0, 1.0, 2.0}
    assert len(view.boundary.scatter.data) == len(trainer.dataset.X_train)


def test_diverged_trainer_draws_only_finite_values(qtbot):
    trainer = make_trainer(steps=0, lr=1e6)
    trainer.run(60)
    assert trainer.diverged
    for cls in ALL_VIEWS:
        view = make_view(qtbot, cls, trainer)
        redraw(view, trainer)
        for array in item_arrays(view):
            assert np.isfinite(array).all(), cls.__name__
        for target in view.export_targets():
            headers, columns = target.csv()
            assert columns.ndim == 2 and columns.shape[1] == len(headers), target.title
            for header, column in zip(headers, columns.T, strict=True):
                if header != NAME_HEADER:
                    assert np.isfinite(column.astype(float)).all(), \
                        f"{cls.__name__} {target.title}: {header}"


def test_exact_zero_gradients_stay_visible_on_log_scale():
    bounds = log_bounds(np.array([0.0, 1e-3, 1.0, np.inf, np.nan]))
    safe = log_safe(np.array([0.0, 1e-3, 1.0, np.inf, np.nan]), bounds)
    assert bounds == LogBounds(1e-4, 10.0)
    np.testing.assert_array_equal(safe.values, [1e-4, 1e-3, 1.0, 10.0, 10.0])
    assert safe.underflow.tolist() == [True, False, False, False, False]
    assert safe.nonfinite.tolist() == [False, False, False, True, True]


def test_series_cache_shares_reads_and_follows_new_steps():
    trainer = make_trainer(steps=3)
    run = live_run(trainer)
    cache = SeriesCache()
    steps, loss = cache.read(run, "loss")
    assert cache.read(run, "loss")[1] is loss
    run.append(trainer.step())
    steps, loss = cache.read(run, "loss")
    assert steps[-1] == 4 and len(loss) == 4
    steps, loss = cache.read(run, "loss", 1)        # an older record: cut at its step
    assert steps.tolist() == [1, 2] and len(loss) == 2


def test_restyle_spots_draws_what_set_pen_and_set_brush_draw(qtbot):
    rng = np.random.default_rng(0)
    pens = np.array([pg.mkPen("w", width=0.5), pg.mkPen("r", width=2.0)], dtype=object)
    brushes = np.array(theme.brush_palette(theme.GRAD_COLORMAP, 16), dtype=object)
    pen_index, brush_index = rng.integers(0, 2, 300), rng.integers(0, 16, 300)
    images = []
    for fast in (True, False):
        widget = pg.PlotWidget()
        qtbot.addWidget(widget)
        scatter = pg.ScatterPlotItem(x=np.arange(300) % 20, y=np.arange(300) // 20, size=9,
                                     symbol="o", pen=pens[0], brush=brushes[0])
        widget.addItem(scatter)
        if fast:
            scatter.updateSpots = lambda *a, **k: pytest.fail("took the per-spot path")
            restyle_spots(scatter, pens, brushes, pen_index, brush_index)
        else:
            scatter.setPen(list(pens[pen_index]))
            scatter.setBrush(list(brushes[brush_index]))
        widget.resize(300, 300)
        image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        images.append(np.frombuffer(image.constBits(), np.uint8).copy())
    assert not is_blank(image) and np.array_equal(images[0], images[1])


def test_sticky_range_holds_the_data_and_rarely_moves():
    rng = np.random.default_rng(1)
    sticky, changes = StickyRange(pad_low=0.1, pad_high=0.1, min_pad=0.15), 0
    for centre in np.cumsum(rng.normal(0.0, 0.05, 500)):
        low, high = centre - 1.0, centre + 1.0 + rng.uniform(0, 0.2)
        changes += sticky.fit(low, high) is not None
        assert sticky.range[0] <= low and high <= sticky.range[1]
    assert 1 <= changes < 60
    assert sticky.fit(0.0, 0.01) is not None and sticky.range[1] - sticky.range[0] < 1.0


def test_heatmap_scrolls_in_chunks_and_keeps_the_newest_step_in_view(qtbot):
    trainer = make_trainer(steps=3)
    view = make_view(qtbot, GradHeatmapView, trainer)
    view.n_steps = 20
    ranges = set()
    for _ in range(60):
        trainer.step()
        redraw(view, trainer)
        low, high = view.plot.getViewBox().viewRange()[0]
        rect = view.image.mapRectToParent(view.image.boundingRect())
        assert low <= rect.left() + 1e-6 and rect.right() <= high + 1e-6
        ranges.add((low, high))
    assert len(ranges) < 60 / 2


def test_grid_lines_are_opaque_and_behind_the_data(qtbot):
    view = make_view(qtbot, TrainingView, make_trainer(steps=5))
    axis = view.accuracy_plot.getAxis("left")
    assert axis.zValue() < view.accuracy_plot.getViewBox().zValue()
    view.grab()
    _, ticks, _ = axis.generateDrawSpecs(pg.QtGui.QPainter())
    assert ticks and all(pen.color().alpha() == 255 for pen, _, _ in ticks)


def test_live_text_shows_first_text_holds_later_ones_until_flushed(qtbot):
    """A second text within the interval waits; flush (or the timer) shows the newest one;
    a plain set_text cancels the waiting one."""
    label = pg.LabelItem("")
    set_live_text(label, "step 1")
    assert label.text == "step 1"
    set_live_text(label, "step 2")
    set_live_text(label, "step 3")
    assert label.text == "step 1"
    flush_live_text(label)
    assert label.text == "step 3"
    set_live_text(label, "step 4")
    qtbot.waitUntil(lambda: label.text == "step 4", timeout=2000)
    set_live_text(label, "step 5")
    theme.set_text(label, "no step yet")
    flush_live_text(label)
    assert label.text == "no step yet"


def test_heatmap_gives_exact_zero_gradients_their_own_colour(qtbot):
    trainer = make_trainer(steps=3)
    trainer.network.biases[1][:] = -1e3      # hidden layer 2 dead: weight layers 1-3 get 0
    trainer.run(4)
    view = make_view(qtbot, GradHeatmapView, trainer)
    redraw(view, trainer, force=True)
    steps, norms = trainer.history.steps(), trainer.history.series("grad_norms")
    zero = norms == 0
    assert zero[-4:, :3].all() and not zero[-4:, 3:].any()
    rgba = view.image.image                          # (steps, layers, 4), as drawn
    is_zero_colour = (rgba == np.array(theme.ZERO_COLOR.getRgb(), np.uint8)).all(axis=-1)
    np.testing.assert_array_equal(is_zero_colour, zero[-len(rgba):])
    lut = theme.colormap(theme.GRAD_COLORMAP).getLookupTable(nPts=256, alpha=True)
    assert not (lut == np.array(theme.ZERO_COLOR.getRgb(), np.uint8)).all(axis=1).any()
    assert "0: no gradient" in view.note.text and "exactly 0" in view.note.text
    assert len(steps) == len(rgba)


def test_gradient_flow_draws_exact_zeros_on_their_own_band(qtbot):
    trainer = make_trainer(steps=3)
    trainer.network.biases[1][:] = -1e3      # weight layers 1-3 get exactly 0
    trainer.step()
    view = make_view(qtbot, GradFlowView, trainer)
    redraw(view, trainer, force=True)
    grads = trainer.last.grad_norms
    zero_layers = np.flatnonzero(grads == 0) + 1.0
    np.testing.assert_array_equal(zero_layers, [1, 2, 3])
    assert not np.isin(view.current.xData, zero_layers).any()   # not on the log axis
    marks = view.zeros.markers[0]
    np.testing.assert_array_equal(marks.xData, zero_layers)
    axis = view.plot.getAxis("left")
    assert axis.zero_at is not None and view.zeros.band.isVisible()
    np.testing.assert_allclose(np.log10(marks.yData), axis.zero_at)   # drawn at the band
    strings = axis.logTickStrings([axis.zero_at, axis.zero_at + 2], 1.0, 1.0)
    assert strings[0] == "0" and strings[1] != "0"
    headers, columns = view.export_targets()[0].csv()
    np.testing.assert_array_equal(columns[:3, 2].astype(float), 0.0)
    assert (columns[3:, 2].astype(float) > 0).all()
