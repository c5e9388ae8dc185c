"""TrainerRun: the live trainer's numbers through the Run protocol, equal to History, StepStats
and to the FileRun a TrainerRecorder wrote of the same steps; bounded per-unit snapshots."""

from __future__ import annotations

import numpy as np
import pytest
from actiscope_probe.runformat import COLUMN_NAMES, PARAM_COLUMNS, PER_UNIT_COLUMNS, SITE_COLUMNS

from core.boundary import decision_grid
from core.config import ExperimentConfig
from core.history import History
from core.runs import (
    ACCURACY,
    BOUNDARY,
    LOSS,
    PARAM_STATS,
    PER_UNIT,
    SITE_STATS,
    FileRun,
    Run,
    TrainerRecorder,
    TrainerRun,
)
from core.runs.rank_data import BOOL_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS
from core.runs.trainer_run import UnitSnapshot, UnitSnapshots
from core.trainer import Trainer

PLAIN = FLOAT_COLUMNS + INT_COLUMNS + BOOL_COLUMNS
HISTORY_OF = {"loss": "loss", "train_accuracy": "train_accuracy",
              "test_accuracy": "test_accuracy", "grad_norm": "grad_norms",
              "update_ratio": "update_ratio", "dead_batch": "dead_fraction",
              "dead_window": "dead_fraction_dataset", "saturated_batch": "saturated_fraction"}


def _trainer(**changes) -> Trainer:
    config = dict(depth=3, width=6, dataset="spirals", lr=0.05, dead_refresh_every=4,
                  activation="relu")
    return Trainer(ExperimentConfig(**{**config, **changes}))


def _unit_arrays(stats) -> list[np.ndarray]:
    """A StepStats' per-unit arrays in the run's order: inputs, hidden units, outputs, masks."""
    return [stats.unit_grad[0], np.concatenate(stats.unit_grad[1:-1]), stats.unit_grad[-1],
            np.concatenate(stats.dead_units_dataset),
            np.concatenate(stats.saturated_units_dataset)]


def _record_units(record) -> list[np.ndarray]:
    return [record.input_unit_grad, record.unit_grad, record.output_unit_grad,
            record.dead_units, record.saturated_units]


def _equal(a, b) -> bool:
    if isinstance(a, str | dict | bool | int | None):
        return a == b
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def test_series_and_records_equal_history_and_step_stats():
    trainer = _trainer()
    run = TrainerRun(trainer, unit_grad_every=5)
    assert isinstance(run, Run) and len(run) == 0 and run.newest_step is None
    assert run.capabilities == {BOUNDARY}       # a model and 2-D data exist before any step
    live = []
    for _ in range(40):
        live.append(trainer.step())
        run.append(live[-1])
    history = trainer.history
    assert len(run) == 40 and run.newest_step == 40 and run.growing
    assert run.capabilities == {BOUNDARY, ACCURACY, LOSS, PARAM_STATS, SITE_STATS, PER_UNIT}
    assert np.array_equal(run.steps(), history.steps()) and not run.steps().flags.writeable
    for name, field in HISTORY_OF.items():
        assert _equal(run.series(name), history.series(field)), name
    signal = history.series("signal_norms")
    assert _equal(run.series("input_signal_norm"), signal[:, 0])
    assert _equal(run.series("signal_norm"), signal[:, 1:])
    assert run.series("window_step").tolist() == [s.dataset_stats_step for s in live]
    assert run.series("grad_norm").shape == (40, 4) and run.series("dead_batch").shape == (40, 3)
    assert np.isnan(run.series("wall_time")).all() and not run.series("diverged").any()
    assert run.series("loss", slice(-3, None)).tolist() == [s.loss for s in live[-3:]]
    assert run.series("grad_norm", np.array([-1]))[0].tolist() == live[-1].grad_norms.tolist()
    for index, stats in enumerate(live):
        record = run.record(index)
        assert record.step == stats.step and record.loss == stats.loss
        assert record.train_accuracy == stats.train_accuracy
        assert _equal(record.test_accuracy, stats.test_accuracy)
        assert record.window_step == stats.dataset_stats_step and record.rank == 0
        assert _equal(record.grad_norm, stats.grad_norms)
        assert _equal(record.update_ratio, stats.update_ratio)
        assert [record.input_signal_norm, *record.signal_norm] == stats.signal_norms.tolist()
        assert _equal(record.dead_batch, stats.dead_fraction)
        assert _equal(record.dead_window, stats.dead_fraction_dataset)
        assert _equal(record.saturated_batch, stats.saturated_fraction)
        assert record.wall_time is None and record.weight_norm is None and not record.diverged
        # per-unit arrays: the newest snapshot at or before (first 20, every 5th, refreshes)
        snapped = max(s.step for s in live[:index + 1]
                      if s.step <= 20 or s.step % 5 == 0 or s.step % 4 == 0)
        assert all(_equal(a, b) for a, b in
                   zip(_record_units(record), _unit_arrays(live[snapped - 1]), strict=True))
        assert run.per_unit_index(index) == snapped - 1
    assert [run.per_unit_index(i) for i in (20, 21, 22, 23)] == [19, 19, 19, 23]  # 20 -> 24
    assert run.step_index(0) == 0 and run.step_index(23) == 22 and run.step_index(99) == 39
    assert run.record(-1).step == 40
    with pytest.raises(IndexError):
        run.record(40)
    with pytest.raises(ValueError, match="per-unit columns are read with record"):
        run.series("unit_grad")
    with pytest.raises(ValueError, match="per-unit column"):
        run.per_unit_index(0, "grad_norm")
    assert run.poll() == 40 and run.poll() == 0
    assert run.logged_names() == [] and np.isnan(run.logged("lr")).all()


def test_equals_the_file_run_of_the_same_steps(tmp_path):
    trainer = _trainer(dataset="circles", activation="tanh", depth=2)
    run = TrainerRun(trainer)
    path = tmp_path / "same.actirun"
    with TrainerRecorder(path, trainer) as recorder:
        for _ in range(80):
            stats = trainer.step()
            recorder.append(stats)
            run.append(stats)
    saved = FileRun(path)
    assert saved.topology == run.topology and saved.config == run.config
    assert np.array_equal(saved.steps(), run.steps())
    for name in PLAIN + PARAM_COLUMNS + SITE_COLUMNS:
        if name != "wall_time":
            assert _equal(saved.series(name), run.series(name)), name
    held = 0
    for index in range(len(saved)):
        on_file, live = saved.record(index), run.record(index)
        for name in COLUMN_NAMES:
            value = getattr(on_file, name)
            if value is None or name == "wall_time":
                continue
            held += name in PER_UNIT_COLUMNS
            assert type(value) is type(getattr(live, name)), name
            assert _equal(value, getattr(live, name)), (index, name)
        for name in PER_UNIT_COLUMNS:  # live snapshots also come at every dataset refresh
            assert run.per_unit_index(index, name) >= saved.per_unit_index(index, name)
    assert held == 3 * 23 + 2 * 21  # unit gradients at 1..20, 25, 50, 75; masks at 1, 4, ..80
    assert saved.capabilities == run.capabilities - {BOUNDARY}


def test_only_appended_steps_are_published_and_sparse_appends_work():
    trainer = _trainer()
    run = TrainerRun(trainer)
    trainer.run(7)
    assert len(run) == 0                               # the trainer stepped, nobody appended
    run.append(trainer.last)                           # one append per job of 7 steps
    assert run.steps().tolist() == list(range(1, 8)) and run.newest_step == 7
    trainer.step()
    assert len(run) == 7 and run.series("loss").shape == (7,)  # step 8 is not published yet
    first, seventh = run.record(0), run.record(6)
    assert first.window_step is None and first.unit_grad is None  # steps 1-6 never appended
    assert first.loss == trainer.history.series("loss")[0]        # their statistics are kept
    assert seventh.window_step == 4 and run.per_unit_index(0) is None
    assert run.per_unit_index(6) == 6
    assert run.series("grad_norm")[-1].tolist() == trainer.history.series("grad_norms")[6].tolist()


def test_divergence_is_one_record_and_a_reset_starts_over():
    trainer = Trainer(ExperimentConfig(lr=1e6, dataset="sine", activation="tanh", depth=2,
                                       width=8))
    run = TrainerRun(trainer)
    assert run.capabilities == frozenset()             # 1-D regression: no boundary, accuracy
    for _ in range(200):
        stats = trainer.step()
        run.append(stats)
        if stats.diverged:
            break
    assert stats.diverged
    run.append(trainer.step())                         # the same StepStats again: ignored
    assert len(run) == stats.step and run.series("diverged").tolist().count(True) == 1
    last = run.record(-1)
    assert last.diverged and last.message == stats.message and "diverged" in last.message
    assert run.record(0).message == "" and ACCURACY not in run.capabilities
    trainer.reset()
    assert len(run) == stats.step                      # nothing changes until the next append
    run.append(trainer.step())
    assert run.steps().tolist() == [1] and not run.record(0).diverged


def test_decimated_history_and_thinned_snapshots_stay_consistent():
    trainer = _trainer(dead_refresh_every=3)
    net = trainer.network
    trainer.history = History(net.n_weight_layers, net.n_hidden, recent=50, older=20)
    run = TrainerRun(trainer, recent_snapshots=30, older_snapshots=10)
    live = {}
    for _ in range(600):
        stats = trainer.step()
        live[stats.step] = stats
        run.append(stats)
    assert np.array_equal(run.steps(), trainer.history.steps()) and len(run) < 100
    assert _equal(run.series("grad_norm"), trainer.history.series("grad_norms"))
    snapshot_steps = run._snapshots.steps()
    assert len(snapshot_steps) <= 40 and snapshot_steps[-1] == 600
    assert snapshot_steps[0] < 300            # older snapshots thinned, not dropped
    for index, step in enumerate(run.steps().tolist()):
        record = run.record(index)
        assert record.loss == live[step].loss
        assert record.window_step == live[step].dataset_stats_step
        nearest = max(s for s in snapshot_steps if s <= step)
        assert _equal(record.unit_grad, np.concatenate(live[nearest].unit_grad[1:-1]))
        assert _equal(record.dead_units, np.concatenate(live[nearest].dead_units_dataset))
        unit_index = run.per_unit_index(index)
        assert _equal(run.record(unit_index).unit_grad, record.unit_grad)


def test_unit_snapshots_thin_out_and_respect_the_byte_budget():
    store = UnitSnapshots(recent=10, older=6)
    empty = np.zeros(0)
    for step in range(1, 101):
        store.add(UnitSnapshot(step, empty, (), None))
    assert len(store) <= 16 and store.steps()[-10:] == list(range(91, 101))
    assert store.steps()[0] <= 10 and store.at_or_before(0) is None
    for step in range(1, 101):
        assert store.at_or_before(step).step == max(s for s in store.steps() if s <= step)
    wide = Trainer(ExperimentConfig(depth=4, width=256, dataset="circles"))
    run = TrainerRun(wide, snapshot_bytes=2**20)       # (2 + 1024 + 1) * 8 + 2048 B each
    assert run._snapshots.recent == 2**19 // (8 * 1027 + 2048)


def test_reads_after_an_append_copy_only_the_new_rows_and_equal_history(monkeypatch):
    """Series are extended with History.rows_since while the History only appends, and read
    again in full once it thinned out; either way they equal History.series."""
    trainer = _trainer()
    trainer.history = History(trainer.network.n_weight_layers, trainer.network.n_hidden,
                              recent=16, older=8)
    run = TrainerRun(trainer)
    full_reads = []
    series = trainer.history.series
    monkeypatch.setattr(trainer.history, "series",
                        lambda name: full_reads.append(name) or series(name))
    for k in range(120):
        stats = trainer.step()
        if k % 3 and k < 100:
            continue                     # sparse appends, then every step
        run.append(stats)
        n = len(run)
        for name, field in HISTORY_OF.items():
            np.testing.assert_array_equal(run.series(name), series(field)[:n])
        newest = run.record(-1)
        assert newest.step == stats.step and newest.loss == stats.loss
        np.testing.assert_array_equal(newest.unit_grad, np.concatenate(stats.unit_grad[1:-1]))
        np.testing.assert_array_equal(newest.grad_norm, stats.grad_norms)
        if k == 12:     # the History has not thinned yet: one full read per field so far
            assert sorted(full_reads) == sorted(HISTORY_OF.values())
    assert len(full_reads) > len(HISTORY_OF)   # thinning made it read in full again


def test_boundary_grid_is_the_trainers_decision_grid():
    trainer = _trainer()
    run = TrainerRun(trainer)
    run.append(trainer.step())
    X, y, task, n_classes = run.boundary_points()
    assert X is trainer.dataset.X_train and task == "multiclass" and n_classes == 3
    got = run.boundary_grid(9, (-1.0, 1.0, -1.0, 1.0))
    want = decision_grid(trainer.network, n=9, bounds=(-1.0, 1.0, -1.0, 1.0))
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    sine = TrainerRun(_trainer(dataset="sine", loss="mse"))    # 1-D inputs: no boundary
    assert BOUNDARY not in sine.capabilities
    with pytest.raises(ValueError, match="no 2-D data"):
        sine.boundary_grid(9, (-1.0, 1.0, -1.0, 1.0))
