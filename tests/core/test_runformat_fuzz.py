"""1,000 damaged run folders: each opens (and reads) or gives one RunFormatError sentence.

Damage: random byte flips, truncations, insertions and deletions in the manifest and the stream
(the stream's header bytes more often), JSON mutations of the manifest (removed keys, wrong types,
huge sizes, deep nesting, newer versions, a 5 MB bomb), declared sizes of gigabytes, repeated
messages. Nothing may be written into the folder, and no other exception type may escape.
"""

from __future__ import annotations

import json
import shutil
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from actiscope_probe.runformat import PER_UNIT_COLUMNS, RunFormatError
from actiscope_probe.runformat.framing import scan
from runformat_samples import folder_state, write_run

from core.runs import FileRun

CASES = 1000
SERIES = ("step", "loss", "window_step", "diverged", "grad_norm", "update_ratio", "dead_window",
          "saturated_batch")
HUGE = (2**31 - 1, 2**31, 2**32, 2**40, 2**53, 2**63 - 1, -1, -(2**31))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[bytes, bytes, list[int]]:
    """Manifest bytes, stream bytes and message starts of a healthy 8-record run."""
    path = tmp_path_factory.mktemp("base") / "base.actirun"
    write_run(path, list(range(1, 9)))
    stream = (path / "rank0.arrows").read_bytes()
    found = scan(memoryview(stream), at_start=True, where="base")
    return (path / "manifest.json").read_bytes(), stream, [0, *found.batches, found.end]


def _bytes_damage(data: bytes, rng: np.random.Generator, header: int) -> bytes:
    """Flip, truncate, insert or delete bytes; `header`: bytes that are hit more often."""
    buffer = bytearray(data)
    kind = rng.integers(4)
    near = int(rng.integers(0, min(header, len(buffer)))) if rng.random() < 0.5 else None
    at = near if near is not None else int(rng.integers(0, max(len(buffer), 1)))
    if kind == 0:
        for _ in range(int(rng.integers(1, 9))):
            spot = at if rng.random() < 0.3 else int(rng.integers(0, len(buffer)))
            buffer[spot] ^= 1 << int(rng.integers(8))
    elif kind == 1:
        del buffer[at:]
    elif kind == 2:
        buffer[at:at] = rng.bytes(int(rng.integers(1, 64)))
    else:
        del buffer[at:at + int(rng.integers(1, 64))]
    return bytes(buffer)


def _declared_size_damage(stream: bytes, starts: list[int], rng: np.random.Generator) -> bytes:
    """Overwrite a message's metadata length, or any aligned word, with a huge number."""
    buffer = bytearray(stream)
    start = starts[int(rng.integers(0, len(starts) - 1))]
    if rng.random() < 0.5:
        struct.pack_into("<i", buffer, start + 4, int(rng.choice([2**24 + 8, 2**30, 2**31 - 1])))
    else:
        spot = int(rng.integers(0, (len(buffer) - 8) // 8)) * 8
        struct.pack_into("<q", buffer, spot, int(rng.choice(HUGE[:6])))
    return bytes(buffer)


def _repeat_message(stream: bytes, starts: list[int], rng: np.random.Generator) -> bytes:
    """A record batch message written twice (its steps no longer increase)."""
    index = int(rng.integers(1, len(starts) - 1))
    message = stream[starts[index]:starts[index + 1]]
    return stream[:starts[index + 1]] + message + stream[starts[index + 1]:]


def _paths(doc: object, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path inside a JSON document."""
    found = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*prefix, index))
    return found


def _json_damage(manifest: bytes, rng: np.random.Generator) -> bytes:
    """A structural change of the manifest document, serialised again."""
    doc = json.loads(manifest)
    paths = _paths(doc)
    path = paths[int(rng.integers(len(paths)))]
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    kind = int(rng.integers(7))
    deep_marker = "__DEEP__"
    if kind == 0:
        del parent[path[-1]]
    elif kind == 1:
        parent[path[-1]] = [None, True, -1, 1.5, "x" * 2000, [], {}, "", 1e308][
            int(rng.integers(9))]
    elif kind == 2:
        parent[path[-1]] = int(rng.choice(HUGE))
    elif kind == 3:
        parent[path[-1]] = deep_marker
    elif kind == 4:
        doc["schema_version"] = [2, 0, "1", 1.0, 10**30, None][int(rng.integers(6))]
    elif kind == 5:
        sites = doc["topology"]["sites"]
        count = int(rng.choice([2, 20_001]))
        doc["topology"]["sites"] = (sites * count)[:count]
    else:
        doc["topology"]["params"][0]["shape"] = [int(rng.choice(HUGE))] * int(rng.integers(1, 12))
    text = json.dumps(doc)
    depth = int(rng.choice([40, 5000, 200_000]))
    return text.replace(json.dumps(deep_marker), "[" * depth + "]" * depth).encode()


def _damaged_folder(folder: Path, base: tuple[bytes, bytes, list[int]],
                    rng: np.random.Generator) -> str:
    """Write one damaged run into `folder`; returns what was done."""
    manifest, stream, starts = base
    kind = ["manifest bytes", "manifest json", "stream bytes", "stream header", "declared size",
            "repeated message", "both", "no end marker"][int(rng.integers(8))]
    if kind == "manifest bytes":
        manifest = _bytes_damage(manifest, rng, 64)
    elif kind == "manifest json":
        manifest = (b" " * (5 * 2**20) + manifest if rng.random() < 0.005
                    else _json_damage(manifest, rng))
    elif kind in ("stream bytes", "stream header"):
        stream = _bytes_damage(stream, rng, starts[1] + 64 if kind == "stream header" else 1)
    elif kind == "declared size":
        stream = _declared_size_damage(stream, starts, rng)
    elif kind == "repeated message":
        stream = _repeat_message(stream, starts, rng)
    elif kind == "both":
        manifest = _bytes_damage(manifest, rng, 64)
        stream = _bytes_damage(stream, rng, 64)
    else:
        stream = stream[:starts[-1]]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "manifest.json").write_bytes(manifest)
    (folder / "rank0.arrows").write_bytes(stream)
    return kind


def _read_everything(run: FileRun) -> None:
    """Every read a view might make."""
    n = len(run)
    run.steps()
    for index in range(n):
        run.record(index)
    for name in SERIES:
        run.series(name)
        run.series(name, np.arange(n)[::-2])
    for name in PER_UNIT_COLUMNS:
        run.per_unit_index(n - 1, name) if n else None
    for name in run.logged_names():
        run.logged(name)
    run.capabilities, run.newest_step, run.growing  # noqa: B018
    run.poll()


def test_fuzzed_run_folders_open_or_give_one_sentence(base, tmp_path):
    rng = np.random.default_rng(20261201)
    outcomes: Counter[str] = Counter()
    folder = tmp_path / "fuzz.actirun"
    for case in range(CASES):
        kind = _damaged_folder(folder, base, rng)
        before = folder_state(folder)
        try:
            _read_everything(FileRun(folder))
            outcomes["opened"] += 1
        except RunFormatError as error:
            message = str(error)
            assert message and "\n" not in message and message.endswith("."), (case, message)
            assert message.count(". ") == 0 or "e.g." in message, (case, message)
            outcomes["refused"] += 1
        except Exception as error:  # noqa: BLE001 - the point: nothing else may escape
            pytest.fail(f"case {case} ({kind}) raised {type(error).__name__}: {error}")
        assert folder_state(folder) == before, f"case {case} ({kind}) wrote into the folder"
    assert outcomes["opened"] > 50 and outcomes["refused"] > 300, outcomes
