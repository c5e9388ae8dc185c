"""Compacting a finished stream: the same rows in a few large record batches, replaced atomically.

A live writer appends one small batch per flush (thousands for a long run), and a reader pays a
fixed cost per batch, so a 1,000,000-step run would open slowly. When a writer closes a stream of
many batches it rewrites it into batches of about WRITER_MESSAGE_BYTES beside the original and
os.replace()s it. Readers notice the new file (another inode) and read on from the step they had.
If anything fails the original stays as it was: compaction is only ever an optimisation.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pyarrow as pa

from actiscope_probe.runformat.schema import SCHEMA, WRITER_MESSAGE_BYTES

COMPACT_MIN_BATCHES = 256
END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def compact_stream(path: Path, *, batch_bytes: int = WRITER_MESSAGE_BYTES) -> bool:
    """Rewrite the closed stream at `path` into batches of about `batch_bytes`; True if done."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with pa.memory_map(str(path), "r") as source:
            reader = pa.ipc.open_stream(source)
            if reader.schema != SCHEMA:
                return False
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            with os.fdopen(fd, "wb") as out:
                out.write(SCHEMA.serialize())
                group: list[pa.RecordBatch] = []
                size = 0
                for batch in reader:
                    group.append(batch)
                    size += batch.nbytes
                    if size >= batch_bytes:
                        _write_group(out, group)
                        group, size = [], 0
                _write_group(out, group)
                out.write(END_OF_STREAM)
                out.flush()
                os.fsync(out.fileno())
        os.replace(temp, path)
        return True
    except (OSError, pa.ArrowException, ValueError):
        temp.unlink(missing_ok=True)
        return False


def _write_group(out, group: list[pa.RecordBatch]) -> None:
    """The batches of `group` as one record batch message."""
    if group:
        merged = pa.Table.from_batches(group, SCHEMA).combine_chunks()
        for batch in merged.to_batches():
            out.write(batch.serialize())
