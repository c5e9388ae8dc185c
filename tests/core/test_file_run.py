"""FileRun: every field round-trips, series and indices, ranks merge, a growing file is followed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from actiscope_probe.runformat import (
    COLUMN_NAMES,
    PER_UNIT_COLUMNS,
    SCHEMA,
    RunFormatError,
    RunWriter,
    reader,
)
from runformat_samples import TOPOLOGY, folder_state, full_record, manifest, write_run

from core.config import ExperimentConfig
from core.runs import (
    ACCURACY,
    BOUNDARY,
    LOGGED_SCALARS,
    LOSS,
    PARAM_STATS,
    PER_UNIT,
    SITE_STATS,
    FileRun,
    Run,
    TrainerRecorder,
)
from core.trainer import Trainer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _assert_record_equals(record, values: dict) -> None:
    """Every column of `record` equals what was written (None where nothing was)."""
    for name in COLUMN_NAMES:
        got, want = getattr(record, name), values.get(name)
        if name == "message":
            assert got == (want or ""), name
        elif name == "scalars":
            assert got == (want or {}), name
        elif want is None:
            assert got in (None, False) if name in ("diverged", "skipped") else got is None, name
        elif isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True), name
        elif isinstance(want, float) and np.isnan(want):
            assert np.isnan(got), name
        else:
            assert got == want and type(got) is type(want), name


@pytest.mark.parametrize("mapped", [False, True], ids=["read", "memory-mapped"])
def test_every_field_round_trips_with_nulls(tmp_path, monkeypatch, mapped):
    if mapped:
        monkeypatch.setattr(reader, "MMAP_BYTES", 0)
    path = tmp_path / "run.actirun"
    written = write_run(path, [3, 4, 7, 8, 9, 10, 20], flush_each=False)
    run = FileRun(path)
    assert isinstance(run, Run)
    assert len(run) == 7 and run.newest_step == 20 and not run.growing
    assert run.topology == TOPOLOGY and run.config == {"note": "test", "lr": 0.1}
    for index, values in enumerate(written):
        _assert_record_equals(run.record(index), values)
    _assert_record_equals(run.record(-1), written[-1])
    assert run.record(1).loss is None and run.record(1).window_step is None  # nulls stay null
    assert run.record(0).test_accuracy != run.record(0).test_accuracy      # NaN stays NaN


def test_series_read_columns_as_numpy(tmp_path):
    path = tmp_path / "run.actirun"
    written = write_run(path, [1, 2, 3, 5, 8])
    run = FileRun(path)
    assert run.steps().tolist() == [1, 2, 3, 5, 8]
    grad = run.series("grad_norm")
    assert grad.shape == (5, 3) and np.array_equal(grad, [v["grad_norm"] for v in written])
    assert not grad.flags.writeable
    dead = run.series("dead_window", np.array([-1, 0]))
    assert np.array_equal(dead[0], written[4]["dead_window"])
    assert np.isnan(run.series("dead_window", slice(1, 2))).all()  # written as null
    assert run.series("window_step").tolist() == [0, -1, 2, 4, 7]
    assert run.series("loss", slice(0, 5, 2)).tolist() == [written[i]["loss"] for i in (0, 2, 4)]
    assert run.series("diverged").dtype == bool
    with pytest.raises(ValueError, match="per-unit columns are read with record"):
        run.series("unit_grad")
    with pytest.raises(ValueError, match="'gradients' is not a run series"):
        run.series("gradients")
    with pytest.raises(IndexError):
        run.series("loss", np.array([5]))


def test_indices_capabilities_and_logged_scalars(tmp_path):
    path = tmp_path / "run.actirun"
    write_run(path, [11, 20, 31, 40, 51])  # per-unit arrays on records 0 and 3, scalars on odd
    run = FileRun(path)
    assert [run.step_index(s) for s in (0, 11, 15, 20, 50, 51, 99)] == [0, 0, 0, 1, 3, 4, 4]
    assert [run.per_unit_index(i) for i in range(5)] == [0, 0, 0, 3, 3]
    assert run.per_unit_index(-1, "dead_units") == 3
    assert run.capabilities == {LOSS, ACCURACY, PARAM_STATS, SITE_STATS, PER_UNIT,
                                LOGGED_SCALARS}
    assert BOUNDARY not in run.capabilities
    assert run.logged_names() == ["lr", "momentum"]
    lr = run.logged("lr")
    assert np.allclose(lr[[0, 2, 4]], [1.1, 3.1, 5.1]) and np.isnan(lr[[1, 3]]).all()
    assert np.isnan(run.logged("missing")).all()


def test_empty_run_has_no_records_and_says_so(tmp_path):
    path = tmp_path / "run.actirun"
    RunWriter(path, manifest()).close()
    run = FileRun(path)
    assert len(run) == 0 and run.newest_step is None and run.capabilities == frozenset()
    assert run.series("grad_norm").shape == (0, 3)
    with pytest.raises(IndexError):
        run.record(0)
    with pytest.raises(IndexError, match="no records"):
        run.step_index(1)


def test_trainer_run_saved_and_reopened_has_the_live_numbers(tmp_path):
    trainer = Trainer(ExperimentConfig(depth=3, width=6, dataset="spirals", lr=0.05,
                                       dead_refresh_every=4))
    path = tmp_path / "trainer.actirun"
    live = []
    with TrainerRecorder(path, trainer, unit_grad_every=5) as recorder:
        for _ in range(30):
            stats = trainer.step()
            live.append(stats)
            recorder.append(stats)
    run = FileRun(path)
    assert run.config == trainer.config.to_dict()
    assert [s.name for s in run.topology.sites] == ["L1", "L2", "L3"]
    assert [p.name for p in run.topology.params] == ["L1", "L2", "L3", "L4"]
    assert run.steps().tolist() == [s.step for s in live]
    for index, stats in enumerate(live):
        record = run.record(index)
        assert record.loss == stats.loss and record.train_accuracy == stats.train_accuracy
        assert record.window_step == stats.dataset_stats_step
        assert np.array_equal(record.grad_norm, stats.grad_norms)
        assert np.array_equal(record.update_ratio, stats.update_ratio, equal_nan=True)
        assert [record.input_signal_norm, *record.signal_norm] == stats.signal_norms.tolist()
        assert np.array_equal(record.dead_batch, stats.dead_fraction)
        assert np.array_equal(record.dead_window, stats.dead_fraction_dataset)
        assert np.array_equal(record.saturated_batch, stats.saturated_fraction)
        units = run.record(run.per_unit_index(index, "dead_units"))
        assert np.array_equal(np.concatenate(stats.dead_units_dataset), units.dead_units)
        saturated = getattr(stats, "saturated_units_dataset", None)  # newer Trainers have it
        if saturated is not None:
            assert np.array_equal(np.concatenate(saturated), units.saturated_units)
    for index in (0, 19, 24):  # the first 20 steps and every 5th carry unit gradients
        record, stats = run.record(index), live[index]
        grads = [record.input_unit_grad, *run.topology.split_units(record.unit_grad),
                 record.output_unit_grad]
        assert all(np.array_equal(a, b) for a, b in zip(grads, stats.unit_grad, strict=True))
    assert run.record(20).unit_grad is None and run.per_unit_index(22) == 19
    assert np.array_equal(run.series("grad_norm"), [s.grad_norms for s in live])


def test_ranks_merge_dead_on_every_rank_and_parameters_from_rank_zero(tmp_path):
    path = tmp_path / "ddp.actirun"
    world = manifest(world_size=2)
    rank0 = RunWriter(path, world, rank=0, always_flush=10**9)
    rank1 = RunWriter(path, world, rank=1, always_flush=10**9)
    ones, zeros = np.ones(3), np.zeros(3)
    for step in (1, 2, 3):
        rank0.append(step=step, grad_norm=ones * step, dead_window=[0.5, 0.2],
                     dead_units=[True, True, False, True, False] if step == 2 else None)
        rank1.append(step=step, grad_norm=zeros, dead_window=[0.3, 0.4],
                     dead_units=[True, False, True, True, True] if step == 2 else None)
    rank0.append(step=4, grad_norm=ones * 4, dead_window=[0.1, 0.1])
    run = FileRun(path)
    assert run.steps().tolist() == [1, 2, 3]  # rank 1 has not reached step 4 yet
    assert np.array_equal(run.series("dead_window"), [[0.3, 0.2]] * 3)
    assert np.array_equal(run.series("grad_norm", np.array([2]))[0], ones * 3)
    record = run.record(1)
    assert record.dead_units.tolist() == [True, False, False, True, False]
    assert np.array_equal(record.dead_window, [0.3, 0.2]) and record.rank == 0
    rank1.close()
    rank0.close()
    assert run.poll() == 1 and not run.growing
    assert np.array_equal(run.record(3).dead_window, [0.1, 0.1])  # rank 1 never recorded it


FOLLOWED_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from actiscope_probe.runformat import RunWriter
    from runformat_samples import full_record, manifest
    rng = np.random.default_rng(3)
    go = Path(sys.argv[1]).with_suffix(".go")
    with RunWriter(sys.argv[1], manifest(), flush_seconds=0.05, always_flush=10) as writer:
        for step in range(1, 11):
            writer.append(**full_record(step, rng))
        while not go.exists():
            time.sleep(0.01)
        for step in range(11, 31):
            writer.append(**full_record(step, rng))
""")


def test_poll_follows_a_file_another_process_appends_to(tmp_path):
    path = tmp_path / "followed.actirun"
    writer = subprocess.Popen([sys.executable, "-c", FOLLOWED_WRITER, str(path), str(HERE)])
    try:
        deadline = time.monotonic() + 60
        run = None
        while run is None or len(run) < 10:
            assert time.monotonic() < deadline and writer.poll() is None
            time.sleep(0.02)
            try:
                run = run or FileRun(path)
                run.poll()
            except RunFormatError:  # the writer has not written its manifest yet
                pass
        assert len(run) == 10 and run.growing
        path.with_suffix(".go").touch()
        while run.growing:
            assert time.monotonic() < deadline
            time.sleep(0.02)
            run.poll()
        assert writer.wait(60) == 0
    finally:
        writer.kill()
    assert run.steps().tolist() == list(range(1, 31))
    rng = np.random.default_rng(3)
    assert run.series("loss").tolist() == [full_record(s, rng)["loss"] for s in range(1, 31)]


def test_compacted_stream_replacing_a_followed_one_is_read_on(tmp_path):
    path = tmp_path / "run.actirun"
    rng = np.random.default_rng(0)
    written = [full_record(step, rng, per_unit=step % 9 == 0) for step in range(1, 321)]
    writer = RunWriter(path, manifest(), always_flush=10**9)
    for values in written[:300]:
        writer.append(**values)
    run = FileRun(path)
    stream = path / "rank0.arrows"
    inode = stream.stat().st_ino
    for values in written[300:]:
        writer.append(**values)
    writer.close()  # 320 one-record batches: rewritten into one
    assert stream.stat().st_ino != inode
    assert run.poll() == 20 and not run.growing
    assert run.steps().tolist() == list(range(1, 321))
    _assert_record_equals(run.record(310), written[310])
    _assert_record_equals(run.record(17), written[17])


def _stream_with_version(path: Path, version: bytes) -> None:
    schema = SCHEMA.with_metadata({**SCHEMA.metadata, b"actiscope.schema_version": version})
    with pa.OSFile(str(path / "rank0.arrows"), "wb") as sink, pa.ipc.new_stream(sink, schema):
        pass


def test_newer_schema_version_gives_a_clear_sentence(tmp_path):
    path = tmp_path / "future.actirun"
    write_run(path, [1])
    doc = json.loads((path / "manifest.json").read_text())
    doc["schema_version"] = 2
    (path / "manifest.json").write_text(json.dumps(doc))
    before = folder_state(path)
    with pytest.raises(RunFormatError, match="version 2, newer than the version 1 this program "
                                             "reads; update Actiscope"):
        FileRun(path)
    assert folder_state(path) == before
    write_run(path := tmp_path / "future-stream.actirun", [1])
    _stream_with_version(path, b"2")
    with pytest.raises(RunFormatError, match="rank0.arrows of the run 'future-stream.actirun' "
                                             "uses run-format version 2"):
        FileRun(path)


def test_folders_that_are_not_runs_give_a_sentence(tmp_path):
    with pytest.raises(RunFormatError, match="is not a run folder"):
        FileRun(tmp_path / "missing.actirun")
    (tmp_path / "empty.actirun").mkdir()
    with pytest.raises(RunFormatError, match="has no manifest.json"):
        FileRun(tmp_path / "empty.actirun")


def test_per_unit_index_names_are_checked(tmp_path):
    path = tmp_path / "run.actirun"
    write_run(path, [1, 2])
    run = FileRun(path)
    assert {name: run.per_unit_index(1, name) for name in PER_UNIT_COLUMNS}["unit_grad"] == 0
    with pytest.raises(ValueError, match="not a per-unit column"):
        run.per_unit_index(0, "grad_norm")


def test_core_runs_imports_no_qt_and_no_torch():
    code = ("import sys, core.runs, core.runs.file_run, core.runs.from_trainer; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'shiboken6', 'torch', 'gui')); assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
