"""The run format's pieces: schema, manifest, RunWriter (flushing, threads, disk failure)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from actiscope_probe.runformat import (
    COLUMN_NAMES,
    COLUMNS,
    SCHEMA,
    SCHEMA_VERSION,
    Manifest,
    RunFormatError,
    RunReader,
    RunWriteError,
    RunWriter,
    read_manifest,
    writer,
)
from runformat_samples import full_record, manifest, write_run

from core.runs import StepRecord


def _rows(path: Path) -> pa.Table | None:
    """Everything the stream of rank 0 holds now (a fresh reader)."""
    return RunReader(path).poll().get(0)


def _wait_for(condition, timeout: float = 20.0) -> None:
    """Wait until condition() is true (a generous bound, not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_schema_columns_are_unique_typed_and_match_step_record():
    assert len(set(COLUMN_NAMES)) == len(COLUMN_NAMES)
    assert SCHEMA.names == list(COLUMN_NAMES)
    assert SCHEMA.metadata[b"actiscope.schema_version"] == str(SCHEMA_VERSION).encode()
    assert [c.name for c in COLUMNS if not c.nullable] == [
        "step", "rank", "wall_time", "diverged", "skipped", "scalars"]
    assert tuple(StepRecord.__dataclass_fields__) == COLUMN_NAMES


def test_manifest_round_trips_through_json(tmp_path):
    original = manifest(world_size=3, config={"depth": 4, "activation": ["relu", "tanh"]})
    again = Manifest.from_json(original.to_json())
    assert again == original
    assert again.topology.n_units == 5
    assert again.topology.unit_offsets().tolist() == [0, 3, 5]
    parts = again.topology.split_units(np.arange(5.0))
    assert [p.tolist() for p in parts] == [[0.0, 1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("change, words", [
    (lambda d: d.update(schema_version=SCHEMA_VERSION + 1), "newer"),
    (lambda d: d.update(format="something-else"), "not an Actiscope run manifest"),
    (lambda d: d["topology"]["sites"][0].update(width=10**12), "site width"),
    (lambda d: d["topology"]["sites"][0].update(width=True), "site width"),
    (lambda d: d["topology"]["params"].append(d["topology"]["params"][0]), "share a name"),
    (lambda d: d["topology"].update(sites=[{"name": f"s{i}", "kind": "m", "width": 2**23,
                                             "activation": ""} for i in range(3)]), "units"),
    (lambda d: d.update(world_size=0), "world_size"),
    (lambda d: d.update(started="yesterday"), "ISO 8601"),
    (lambda d: d.update(config=[1, 2]), "config"),
    (lambda d: d.update(window="epoch"), "window"),
])
def test_bad_manifests_give_one_sentence(change, words):
    doc = manifest().to_dict()
    change(doc)
    with pytest.raises(RunFormatError, match=words) as caught:
        Manifest.from_json(json.dumps(doc))
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")


def test_manifest_bombs_are_refused_before_parsing(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(RunFormatError, match="nested too deeply"):
        Manifest.from_json(deep)
    shallow_deep = json.dumps({"format": "actiscope-run", "x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
        [[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})
    with pytest.raises(RunFormatError, match="nested too deeply"):
        Manifest.from_json(shallow_deep)
    folder = tmp_path / "bomb.actirun"
    folder.mkdir()
    (folder / "manifest.json").write_bytes(b" " * (5 * 2**20))
    with pytest.raises(RunFormatError, match="larger than"):
        read_manifest(folder)
    with pytest.raises(RunFormatError, match="not valid JSON"):  # NaN is not JSON
        Manifest.from_json('{"format": "actiscope-run", "schema_version": NaN}')


def test_writer_flushes_each_of_the_first_steps_then_on_its_timer(tmp_path):
    path = tmp_path / "run.actirun"
    rng = np.random.default_rng(0)
    run_writer = RunWriter(path, manifest(), flush_seconds=3600, always_flush=3)
    for step in (1, 2, 3):
        run_writer.append(**full_record(step, rng))
        assert _rows(path).num_rows == step  # on disk at once, no flush() needed
    run_writer.append(**full_record(4, rng))
    assert _rows(path).num_rows == 3  # buffered until the timer or close
    run_writer.flush_seconds = 0.01  # the timer re-reads it on its next wait
    run_writer.flush()
    assert _rows(path).num_rows == 4
    run_writer.close()
    reader = RunReader(path)
    assert reader.poll()[0].num_rows == 4 and not reader.growing


def test_timer_thread_flushes_without_any_call(tmp_path):
    path = tmp_path / "run.actirun"
    rng = np.random.default_rng(0)
    with RunWriter(path, manifest(), flush_seconds=0.02, always_flush=0) as run_writer:
        run_writer.append(**full_record(1, rng))
        _wait_for(lambda: (table := _rows(path)) is not None and table.num_rows == 1)


def test_appends_from_threads_while_the_timer_flushes_lose_nothing(tmp_path):
    path = tmp_path / "run.actirun"
    rng = np.random.default_rng(0)
    records = [full_record(step, rng, per_unit=step % 5 == 0) for step in range(1, 2001)]
    order = threading.Lock()
    position = iter(records)
    with RunWriter(path, manifest(), flush_seconds=0.001, always_flush=0) as run_writer:
        def work() -> None:
            while True:
                with order:  # steps must increase in the file: take and append together
                    values = next(position, None)
                    if values is None:
                        return
                    run_writer.append(**values)
        threads = [threading.Thread(target=work) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    table = _rows(path)
    assert table.column("step").to_pylist() == list(range(1, 2001))
    assert table.column("loss").to_pylist() == [r["loss"] for r in records]
    assert run_writer.batches > 1


def test_writer_refuses_bad_values_with_a_sentence(tmp_path):
    with RunWriter(tmp_path / "run.actirun", manifest()) as run_writer:
        with pytest.raises(ValueError, match="'grad_norms' is not a run column"):
            run_writer.append(step=1, grad_norms=[1.0])
        with pytest.raises(ValueError, match="'grad_norm' needs 3 values"):
            run_writer.append(step=1, grad_norm=[1.0, 2.0])
        with pytest.raises(ValueError, match="'unit_grad' needs 5 values"):
            run_writer.append(step=1, unit_grad=[np.ones(3), np.ones(3)])
        with pytest.raises(ValueError, match="needs its 'step'"):
            run_writer.append(loss=1.0)
    with pytest.raises(ValueError, match="must end in .actirun"):
        RunWriter(tmp_path / "run.arrow", manifest())
    with pytest.raises(ValueError, match="outside the run's world size"):
        RunWriter(tmp_path / "other.actirun", manifest(), rank=1)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot remove an open file")
def test_existing_stream_is_kept_unless_overwrite(tmp_path):
    path = tmp_path / "run.actirun"
    write_run(path, [1, 2])
    with pytest.raises(RunWriteError, match="already exists"):
        RunWriter(path, manifest())
    assert _rows(path).num_rows == 2
    with open(path / "rank0.arrows", "rb") as held:  # as a reader's memory map holds it
        size = os.fstat(held.fileno()).st_size
        RunWriter(path, manifest(), overwrite=True).close()
        assert os.fstat(held.fileno()).st_size == size  # a new file, not truncated in place
    assert _rows(path) is None


def test_only_rank_zero_writes_the_manifest(tmp_path):
    path = tmp_path / "run.actirun"
    with RunWriter(path, manifest(world_size=2), rank=1) as run_writer:
        run_writer.append(step=1, rank=1)
    assert sorted(p.name for p in path.iterdir()) == ["rank1.arrows"]


def test_failing_disk_raises_one_clear_error_then_stops(tmp_path, monkeypatch):
    path = tmp_path / "run.actirun"
    rng = np.random.default_rng(0)
    run_writer = RunWriter(path, manifest(), flush_seconds=3600, always_flush=0)
    run_writer.append(**full_record(1, rng))

    def full_disk(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writer.os, "write", full_disk)
    with pytest.raises(RunWriteError, match="No space left on device") as caught:
        run_writer.flush()
    assert "\n" not in str(caught.value)
    run_writer.append(**full_record(2, rng))  # reported once: now a no-op
    run_writer.flush()
    run_writer.close()
    assert run_writer.failed is caught.value


def test_failure_on_the_timer_thread_is_raised_by_the_next_append(tmp_path, monkeypatch):
    path = tmp_path / "run.actirun"
    rng = np.random.default_rng(0)
    run_writer = RunWriter(path, manifest(), flush_seconds=0.01, always_flush=0)
    monkeypatch.setattr(writer.os, "write", lambda fd, data: (_ for _ in ()).throw(
        OSError(errno.EIO, "Input/output error")))
    run_writer.append(**full_record(1, rng))
    _wait_for(lambda: run_writer.failed is not None)
    with pytest.raises(RunWriteError, match="Input/output error"):
        run_writer.append(**full_record(2, rng))
    run_writer.close()  # already reported: no second error


def test_close_compacts_many_batches_into_few_and_keeps_every_row(tmp_path):
    path = tmp_path / "run.actirun"
    written = write_run(path, list(range(1, 301)))  # one batch per record
    stream = path / "rank0.arrows"
    table = _rows(path)
    assert table.column("step").num_chunks == 1
    assert table.column("step").to_pylist() == [r["step"] for r in written]
    assert table.column("scalars").to_pylist()[0] == [("lr", 0.1), ("momentum", 0.9)]
    assert not list(path.glob(".*.tmp")) and stream.exists()


def test_a_writer_the_program_forgot_to_close_is_closed_at_exit(tmp_path):
    path = tmp_path / "forgotten.actirun"
    code = ("import sys; sys.path.insert(0, sys.argv[2]); "
            "from actiscope_probe.runformat import RunWriter; "
            "from runformat_samples import manifest; "
            "writer = RunWriter(sys.argv[1], manifest(), flush_seconds=3600, always_flush=0); "
            "[writer.append(step=step, loss=0.5) for step in range(1, 6)]")
    subprocess.run([sys.executable, "-c", code, str(path), str(Path(__file__).parent)],
                   check=True, timeout=120)
    reader = RunReader(path)
    assert reader.poll()[0].column("step").to_pylist() == [1, 2, 3, 4, 5]
    assert not reader.growing  # the end-of-stream marker was written
