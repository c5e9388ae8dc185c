"""Writers killed mid-run and torn last messages: readers keep every complete record and wait."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from actiscope_probe.runformat import RunReader
from actiscope_probe.runformat.framing import scan
from runformat_samples import full_record, write_run

from core.runs import FileRun

HERE = Path(__file__).resolve().parent

WRITER_LOOP = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from actiscope_probe.runformat import RunWriter
    from runformat_samples import full_record, manifest
    rng = np.random.default_rng(7)
    writer = RunWriter(sys.argv[1], manifest(), flush_seconds=3600, always_flush=10**9)
    step = 0
    while True:  # every append is flushed; the parent kills us mid-way
        step += 1
        writer.append(**full_record(step, rng, per_unit=step % 3 == 0))
""")


def test_writer_killed_mid_run_leaves_every_flushed_step(tmp_path):
    path = tmp_path / "killed.actirun"
    writer = subprocess.Popen([sys.executable, "-c", WRITER_LOOP, str(path), str(HERE)])
    try:
        deadline = time.monotonic() + 60
        while True:  # let it write at least 200 records, then kill it without warning
            assert writer.poll() is None, "the writer process stopped by itself"
            assert time.monotonic() < deadline, "the writer wrote nothing"
            stream = path / "rank0.arrows"
            if (path / "manifest.json").exists() and stream.exists():
                table = RunReader(path).poll().get(0)
                if table is not None and table.num_rows >= 200:
                    break
            time.sleep(0.02)
    finally:
        writer.kill()  # SIGKILL on POSIX, TerminateProcess on Windows
        writer.wait()
    run = FileRun(path)
    steps = run.steps()
    assert len(steps) >= 200
    assert steps.tolist() == list(range(1, len(steps) + 1))  # contiguous from the first step
    assert run.growing  # no end-of-stream marker: it may still grow, as far as a reader knows
    rng = np.random.default_rng(7)
    expected = [full_record(step, rng, per_unit=step % 3 == 0) for step in steps]
    assert np.array_equal(run.series("loss"), [values["loss"] for values in expected])
    last = run.record(-1)
    assert np.array_equal(last.grad_norm, expected[-1]["grad_norm"])


def _stream_bytes(tmp_path: Path) -> tuple[Path, bytes, int]:
    """A 5-record run folder without its end marker, its stream bytes, last message start."""
    path = tmp_path / "torn.actirun"
    write_run(path, [1, 2, 3, 4, 5], close=False)
    data = (path / "rank0.arrows").read_bytes()
    found = scan(memoryview(data), at_start=True, where="test")
    assert len(found.batches) == 5 and found.end == len(data) and not found.ended
    return path, data, found.batches[-1]


def test_torn_last_message_at_every_byte_opens_then_picks_up_the_rest(tmp_path):
    """The framing stops before the torn message at every byte of it; FileRun opens (4 records)
    and picks up the 5th after the rest arrives at every 7th byte and at the message's edges."""
    path, data, last_start = _stream_bytes(tmp_path)
    stream = path / "rank0.arrows"
    complete = FileRun(path)
    assert len(complete) == 5
    expected_last = complete.record(4)
    for cut in range(last_start, len(data)):
        found = scan(memoryview(data[:cut]), at_start=True, where="test")
        assert found.end == last_start and len(found.batches) == 4
    edges = {*range(last_start, last_start + 24), *range(len(data) - 24, len(data))}
    for cut in sorted(edges | set(range(last_start, len(data), 7))):
        stream.write_bytes(data[:cut])
        run = FileRun(path)
        assert len(run) == 4 and run.newest_step == 4 and run.growing
        with open(stream, "ab") as file:
            file.write(data[cut:])
        assert run.poll() == 1
        assert run.newest_step == 5
        assert run.record(4).loss == expected_last.loss
        assert np.array_equal(run.record(4).dead_batch, expected_last.dead_batch)


def test_torn_schema_and_torn_end_marker_wait_for_the_rest(tmp_path):
    path, data, _ = _stream_bytes(tmp_path)
    stream = path / "rank0.arrows"
    schema_end = scan(memoryview(data), at_start=True, where="test").schema_end
    for cut in (0, 1, 4, 7, 8, schema_end // 2, schema_end - 1, schema_end):
        stream.write_bytes(data[:cut])
        run = FileRun(path)
        assert len(run) == 0 and run.newest_step is None and run.growing
        stream.write_bytes(data)
        assert run.poll() == 5
    end_marker = b"\xff\xff\xff\xff\x00\x00\x00\x00"
    for cut in range(len(end_marker)):
        stream.write_bytes(data + end_marker[:cut])
        run = FileRun(path)
        assert len(run) == 5 and run.growing
        stream.write_bytes(data + end_marker)
        assert run.poll() == 0 and not run.growing
