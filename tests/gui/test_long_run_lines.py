"""A million-record run: the death and training lines are drawn decimated to about the plot's
width, a single-record spike is still in the drawn data, scrubbing back before it removes it,
and the CSV export holds every record at full resolution."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ExperimentConfig
from core.runs import FileRun, TrainerRecorder
from core.trainer import Trainer
from gui.lab.views import DeathView, TrainingView
from gui.lab.views.history_cache import ClampCounts, SeriesCache
from tests.gui.shown import shown_view

T = 1_000_000
SPIKE = 654_321


class LongRun:
    """A FileRun of a few real records posing as a T-record run: steps and series are numpy
    arrays; records, topology and capabilities come from the real run's newest record."""

    def __init__(self, base: FileRun, series: dict[str, np.ndarray]) -> None:
        self._base = base
        self._series = series
        self._steps = np.arange(1, T + 1, dtype=np.int64)
        self._steps.flags.writeable = False

    def __getattr__(self, name: str):
        return getattr(self._base, name)

    def __len__(self) -> int:
        return T

    @property
    def newest_step(self) -> int:
        return T

    def steps(self) -> np.ndarray:
        return self._steps

    def series(self, name: str, rows=None) -> np.ndarray:
        values = self._series[name]
        return values if rows is None else values[rows]

    def record(self, index: int):
        return self._base.record(-1)

    def per_unit_index(self, index: int, name: str = "unit_grad") -> int | None:
        return self._base.per_unit_index(-1, name)

    def step_index(self, step: int) -> int:
        return int(np.clip(step - 1, 0, T - 1))


@pytest.fixture(scope="module")
def long_run(tmp_path_factory) -> LongRun:
    trainer = Trainer(ExperimentConfig(depth=3, width=8, n_samples=100, batch_size=16, seed=1,
                                       activation="relu"))
    path = tmp_path_factory.mktemp("long") / "base.actirun"
    with TrainerRecorder(path, trainer) as recorder:
        for _ in range(3):
            recorder.append(trainer.step())
    rng = np.random.default_rng(0)
    dead = 0.05 + 0.05 * rng.random((T, 3))
    dead[SPIKE, 1] = 0.97                        # one record of one layer
    loss = 1.0 / np.sqrt(np.arange(1, T + 1))
    loss[SPIKE] = 1e3
    accuracy = np.full(T, np.nan)
    accuracy[::50] = 0.5
    accuracy[SPIKE - SPIKE % 50] = 0.01
    series = {"dead_window": dead, "dead_batch": dead, "saturated_batch": dead, "loss": loss,
              "train_accuracy": accuracy, "test_accuracy": accuracy}
    for values in series.values():
        values.flags.writeable = False
    return LongRun(FileRun(path), series)


_shown = shown_view     # a view at 900 x 500, reset to the run


def test_death_lines_keep_a_one_record_spike_of_a_million(qtbot, long_run):
    view = _shown(qtbot, DeathView, long_run)
    line = view._dead_lines[1]
    x, y = line.drawn()
    assert len(x) < 5_000                                    # decimated to the plot's width
    assert y.max() == pytest.approx(97.0)                    # the spike survived
    assert x[np.argmax(y)] <= SPIKE + 1 < x.max()            # at its step (bucket start)
    assert line.band.isVisible() and not line.band.path().isEmpty()   # a filled band
    edge_x, low, high = line._edges
    assert (low <= high).all() and (np.diff(edge_x) > 0).all()
    polygon = line.band.path().toFillPolygon()
    assert polygon.boundingRect().top() == pytest.approx(low.min())
    assert polygon.boundingRect().bottom() == pytest.approx(97.0)
    assert view._dead_lines[0].drawn()[1].max() < 10.0       # and only in its layer
    view.show_record(long_run, SPIKE - 1)                    # scrubbed to before the spike
    x, y = line.drawn()
    assert y.max() < 10.0 and x.max() == SPIKE
    view.show_record(long_run, SPIKE + 7)
    assert line.drawn()[1].max() == pytest.approx(97.0)
    image = view.grab().toImage()                            # the band is painted
    assert len({image.pixel(i, j) for i in range(0, image.width(), 7)
                for j in range(0, image.height(), 7)}) > 20


def test_short_death_line_is_drawn_as_is(qtbot, long_run):
    view = _shown(qtbot, DeathView, long_run)
    view.show_record(long_run, 99)
    line = view._dead_lines[1]
    np.testing.assert_array_equal(line.line.yData,
                                  100.0 * long_run.series("dead_window")[:100, 1])
    assert not line.band.isVisible()


def test_death_csv_is_full_resolution(qtbot, long_run):
    view = _shown(qtbot, DeathView, long_run)
    view.show_record(long_run, 200_000)
    headers, data = view.export_targets()[0].csv()
    assert headers[0] == "step" and data.shape == (200_001, 1 + 3)
    np.testing.assert_array_equal(data[:, 0], np.arange(1, 200_002))
    np.testing.assert_allclose(data[:, 1:], 100.0 * long_run.series("dead_window")[:200_001])


def test_training_lines_keep_a_loss_spike_and_the_csv_every_record(qtbot, long_run):
    view = _shown(qtbot, TrainingView, long_run)
    x, loss = view.loss_line.drawn()                         # values, not log10
    assert len(x) < 5_000 and loss.max() == pytest.approx(1e3)
    assert loss.min() == pytest.approx(1.0 / np.sqrt(T))    # the last (smallest) loss too
    assert view.loss_line.band.isVisible()
    top = view.loss_line.band.path().toFillPolygon().boundingRect().bottom()
    assert top == pytest.approx(3.0)                         # log10 of the spike on the log axis
    train = view.train_line.drawn()[1]
    assert train.min() == pytest.approx(1.0) and train.max() == pytest.approx(50.0)
    view.show_record(long_run, SPIKE - 100)
    assert view.loss_line.drawn()[1].max() == pytest.approx(1.0)
    image = view.grab().toImage()
    assert len({image.pixel(i, j) for i in range(0, image.width(), 7)
                for j in range(0, image.height(), 7)}) > 20
    headers, data = view.export_targets()[0].csv()
    assert data.shape == (SPIKE - 99, 4)
    np.testing.assert_array_equal(data[:, 1], long_run.series("loss")[:SPIKE - 99])


def test_clamp_counts_of_a_long_run_equal_direct_counts(long_run):
    loss = long_run.series("loss").copy()
    loss[[10, 500_000, 900_000]] = [0.0, np.inf, np.nan]
    loss[700_000] = -1.0
    run = LongRun(long_run._base, {"loss": loss})
    counts = ClampCounts(SeriesCache())
    for index in (5, 10, 499_999, 500_000, 800_000, -1):
        stop = (index % T) + 1
        part = loss[:stop]
        want = (int(np.count_nonzero(np.isfinite(part) & (part <= 0))),
                int(np.count_nonzero(~np.isfinite(part))))
        assert counts.read(run, "loss", index) == want


def test_training_note_counts_clamped_losses_of_a_long_run(qtbot, long_run):
    loss = long_run.series("loss").copy()
    loss[[10, 500_000, 900_000]] = [0.0, np.inf, np.nan]
    series = {name: long_run.series(name) for name in ("train_accuracy", "test_accuracy")}
    run = LongRun(long_run._base, {**series, "loss": loss})
    view = _shown(qtbot, TrainingView, run)
    view.show_record(run, 600_000, force=True)
    assert "1 at 0 (underflow), 1 non-finite (diverged)" in view.note.text
    view.show_record(run, 5, force=True)
    assert "underflow" not in view.note.text and "non-finite" not in view.note.text


def _follow_redraws(view, run, index: int = -1) -> list[int]:
    """Redraw `view` on its sigRedrawRequested as the Lab does; the list counts the requests."""
    requests: list[int] = []

    def redraw() -> None:
        requests.append(1)
        view.show_record(run, index)

    view.sigRedrawRequested.connect(redraw)
    return requests


def _zoom(qtbot, view, plot, low: float, high: float) -> None:
    with qtbot.waitSignal(view.sigRedrawRequested, timeout=2000):
        plot.setXRange(low, high, padding=0)


def _records_in(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Record indices of the drawn points with low <= step <= high (step = index + 1 here)."""
    return (x[(x >= low) & (x <= high)] - 1).astype(np.int64)


def test_zoomed_death_lines_are_the_records_shown_then_decimated_again(qtbot, long_run):
    view = _shown(qtbot, DeathView, long_run)
    requests = _follow_redraws(view, long_run)
    line, raw = view._dead_lines[1], 100.0 * long_run.series("dead_window")[:, 1]
    low, high = SPIKE - 99.0, SPIKE + 100.0            # steps of 200 records, the spike inside
    _zoom(qtbot, view, view.lines_plot, low, high)
    assert not line.band.isVisible()                    # a plain line through the records
    x, y = line.line.xData, line.line.yData
    inside = (x >= low) & (x <= high)
    np.testing.assert_array_equal(_records_in(x, low, high), np.arange(SPIKE - 100, SPIKE + 100))
    np.testing.assert_array_equal(y[inside], raw[SPIKE - 100:SPIKE + 100])
    np.testing.assert_array_equal(y, raw[(x - 1).astype(np.int64)])   # margins: records too
    assert x.min() < low and x.max() > high             # the line runs to the plot's edges
    assert y[x == SPIKE + 1] == pytest.approx(97.0)
    view.grab().save("/tmp/h8_death_zoomed_in.png")
    view.show_record(long_run, SPIKE - 1)               # scrubbed back: clipped at that record
    x, y = line.drawn()
    assert x.max() == SPIKE and y.max() < 10.0
    view.show_record(long_run)
    _zoom(qtbot, view, view.lines_plot, 400_000.0, 500_000.0)   # 100,000 records shown
    edge_x = line._edges[0]
    width = view.lines_plot.vb.width()
    shown = edge_x[(edge_x >= 400_000) & (edge_x <= 500_000)]
    assert 0.4 * width <= len(shown) <= 2.5 * width     # about one bucket per pixel column
    assert edge_x.min() >= 350_000 - 1 and edge_x.max() <= 550_000 + 1
    _zoom(qtbot, view, view.lines_plot, 0.0, 1.15 * T)   # zoomed out: the whole run again
    x, y = line.drawn()
    assert line.band.isVisible() and len(x) < 5_000
    assert y.max() == pytest.approx(97.0) and x.min() == 1
    view.grab().save("/tmp/h8_death_zoomed_out.png")
    assert len(requests) == 3


def test_a_wheel_burst_asks_for_one_redraw(qtbot, long_run):
    view = _shown(qtbot, DeathView, long_run)
    requests = _follow_redraws(view, long_run)
    with qtbot.waitSignal(view.sigRedrawRequested, timeout=2000):
        for k in range(6):                              # a burst of zoom steps, 10 ms apart
            view.lines_plot.setXRange(1000.0 * k, 500_000.0, padding=0)
            qtbot.wait(10)
    qtbot.wait(150)
    assert len(requests) == 1
    view.show_record(long_run)                          # the newest record, range unchanged:
    qtbot.wait(150)                                     # nothing more to redraw
    assert len(requests) == 1


def test_zoomed_training_lines_are_the_records_shown(qtbot, long_run):
    view = _shown(qtbot, TrainingView, long_run)
    _follow_redraws(view, long_run)
    low, high = SPIKE - 99.0, SPIKE + 100.0
    _zoom(qtbot, view, view.loss_plot, low, high)
    x, loss = view.loss_line.drawn()
    assert not view.loss_line.band.isVisible()
    np.testing.assert_array_equal(_records_in(x, low, high), np.arange(SPIKE - 100, SPIKE + 100))
    np.testing.assert_array_equal(loss, long_run.series("loss")[(x - 1).astype(np.int64)])
    assert loss.max() == pytest.approx(1e3)             # the spike
    x_train, train = view.train_line.drawn()            # the linked accuracy plot: records too
    accuracy = long_run.series("train_accuracy")
    want = np.flatnonzero(np.isfinite(accuracy[SPIKE - 100:SPIKE + 100])) + SPIKE - 100
    np.testing.assert_array_equal(_records_in(x_train, low, high), want)
    np.testing.assert_array_equal(train / 100.0, accuracy[(x_train - 1).astype(np.int64)])
    view.grab().save("/tmp/h8_training_zoomed_in.png")
    _zoom(qtbot, view, view.loss_plot, 0.0, 1.15 * T)
    x, loss = view.loss_line.drawn()
    assert view.loss_line.band.isVisible() and len(x) < 5_000 and loss.max() == pytest.approx(1e3)
    view.grab().save("/tmp/h8_training_zoomed_out.png")


def test_following_the_newest_record_asks_for_no_extra_redraw(qtbot, long_run):
    """While the shown record grows (as when playing) the view sets its own x range and its
    axes re-lay their tick labels, so the plot's width moves by a few pixels: the frame already
    drew the right buckets, so no redraw is asked on top (there were 2 in 4 frames: a second
    refresh of Death and Training). A zoom still asks for one."""
    from gui.lab.views.visible_span import SETTLE_MS
    view = _shown(qtbot, DeathView, long_run)
    requests = _follow_redraws(view, long_run)
    for index in (400_000, 600_000, 800_000, T - 1):     # the shown record grows, as playing
        view.show_record(long_run, index)
        qtbot.wait(3 * SETTLE_MS)
    assert requests == []
    _zoom(qtbot, view, view.lines_plot, 1_000.0, 2_000.0)
    assert len(requests) == 1
