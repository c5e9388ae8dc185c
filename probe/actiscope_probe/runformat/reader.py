"""Reading run folders: a tailing reader per rank stream and the run-level reader over them.

Each poll reads the bytes appended since the last one, keeps every complete record batch, stops
before a torn last message (and starts from there next time), and checks what it keeps: the
schema, Arrow's full validation, non-null required columns, the rank, increasing steps and list
lengths that match the manifest. Any problem is one RunFormatError sentence. Nothing is written.
Large reads are memory-mapped, so the batches returned point into the file without a copy.
A stream replaced by a compacted copy (another inode; see compact.py) is read again from its
start, keeping only the steps after those already read.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from actiscope_probe.runformat.errors import RunFormatError
from actiscope_probe.runformat.framing import scan
from actiscope_probe.runformat.manifest import Manifest, Topology, read_manifest
from actiscope_probe.runformat.schema import (
    COLUMNS,
    FORMAT_NAME,
    INPUT,
    OUTPUT,
    PARAMS,
    SCHEMA_VERSION,
    SITES,
    UNITS,
    stream_name,
)

MMAP_BYTES = 16 * 2**20  # reads at least this large are memory-mapped instead of copied
_ARROW_ERRORS = (pa.ArrowException, ValueError, TypeError, IndexError, KeyError, OverflowError,
                 MemoryError, OSError)


@dataclass
class Chunk:
    """What one poll of a rank stream found; `RankStream.advance(chunk)` accepts it."""

    table: pa.Table | None   # the new rows (None: nothing new)
    offset: int              # file offset after the last complete message
    ended: bool              # the end-of-stream marker was read
    schema_bytes: bytes | None
    last_step: int | None
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file read


class RankStream:
    """Tails NAME.actirun/rank{r}.arrows; poll() returns what was appended since the last poll."""

    def __init__(self, path: Path, rank: int, topology: Topology, where: str) -> None:
        """A reader at the start of the file (which need not exist yet); `where`: "the run 'x'"."""
        self.path = path
        self.rank = rank
        self.where = f"Stream {path.name} of {where}"
        self.offset = 0
        self.ended = False
        self.last_step: int | None = None
        self._schema_bytes: bytes | None = None
        self._identity: tuple[int, int] | None = None
        self._widths = {PARAMS: len(topology.params), SITES: len(topology.sites),
                        UNITS: topology.n_units, INPUT: topology.input_width,
                        OUTPUT: topology.output_width}

    @property
    def exists(self) -> bool:
        """Whether the stream file has been created."""
        return self.path.exists()

    def poll(self) -> Chunk:
        """Read and check the complete messages appended since the last advance()."""
        unchanged = Chunk(None, self.offset, self.ended, self._schema_bytes, self.last_step,
                          self._identity)
        if self.ended:
            return unchanged
        data, identity = self._read_new_bytes()
        replaced = self._identity is not None and identity != self._identity
        start = 0 if replaced else self.offset
        if data is None:
            return unchanged
        found = scan(memoryview(data), at_start=start == 0, where=self.where, file_offset=start)
        schema_bytes = None if replaced else self._schema_bytes
        if found.schema_end is not None:
            schema_bytes = data[:found.schema_end].to_pybytes()
            _check_schema(schema_bytes, self.where)
        chunk = Chunk(None, start + found.end, found.ended, schema_bytes, self.last_step, identity)
        if found.batches and schema_bytes is not None:
            if start == 0:
                stream = data.slice(0, found.end)  # zero-copy when memory-mapped
            else:
                stream = pa.py_buffer(schema_bytes + data.slice(0, found.end).to_pybytes())
            table = self._decode(stream, None if replaced else self.last_step)
            if replaced and self.last_step is not None:
                table = table.filter(pc.greater(table.column("step"), self.last_step))
            if table.num_rows:
                chunk.table = table
                chunk.last_step = int(table.column("step")[-1].as_py())
        return chunk

    def advance(self, chunk: Chunk) -> None:
        """Accept a poll's result: the next poll starts after it."""
        self.offset, self.ended = chunk.offset, chunk.ended
        self._schema_bytes, self.last_step = chunk.schema_bytes, chunk.last_step
        self._identity = chunk.identity

    def _read_new_bytes(self) -> tuple[pa.Buffer | None, tuple[int, int] | None]:
        """(bytes from the read position on, or None if none; the file's identity)."""
        try:
            with open(self.path, "rb") as file:
                info = os.fstat(file.fileno())
                identity = (info.st_dev, info.st_ino)
                start = self.offset if identity == self._identity or self._identity is None else 0
                if info.st_size < start:
                    raise RunFormatError(f"{self.where} became shorter while it was read.")
                if info.st_size == start:
                    return None, identity
                if info.st_size - start >= MMAP_BYTES:
                    mapped = mmap.mmap(file.fileno(), info.st_size, access=mmap.ACCESS_READ)
                    return pa.py_buffer(mapped).slice(start), identity
                file.seek(start)
                return pa.py_buffer(file.read(info.st_size - start)), identity
        except FileNotFoundError:
            return None, self._identity
        except (OSError, ValueError) as error:
            raise RunFormatError(f"{self.where} could not be read ({error}).") from None

    def _decode(self, stream: pa.Buffer, previous_step: int | None) -> pa.Table:
        try:
            table = pa.ipc.open_stream(stream).read_all()
            table.validate(full=True)
        except _ARROW_ERRORS:
            raise RunFormatError(f"{self.where} is damaged: a record batch cannot be "
                                 "decoded.") from None
        self._check_rows(table, previous_step)
        return table

    def _check_rows(self, table: pa.Table, previous_step: int | None) -> None:
        """Required columns present, rank right, steps increasing, list lengths as declared."""
        if table.num_rows == 0:
            return
        for column in COLUMNS:
            if not column.nullable and table.column(column.name).null_count:
                raise RunFormatError(f"{self.where} is damaged: '{column.name}' has empty "
                                     "entries.")
        ranks = pc.min_max(table.column("rank")).as_py()
        if ranks["min"] != self.rank or ranks["max"] != self.rank:
            raise RunFormatError(f"{self.where} holds records of another rank.")
        steps = table.column("step").to_numpy()
        previous = previous_step if previous_step is not None else np.iinfo(np.int64).min
        if steps[0] <= previous or (len(steps) > 1 and np.any(np.diff(steps) <= 0)):
            raise RunFormatError(f"{self.where} is damaged: its steps do not increase.")
        for column in COLUMNS:
            width = self._widths.get(column.axis)
            if width is None:
                continue
            data = table.column(column.name)
            if data.null_count == len(data):
                continue
            lengths = pc.min_max(pc.list_value_length(data)).as_py()
            if lengths["min"] != width or lengths["max"] != width:
                raise RunFormatError(
                    f"{self.where} is damaged: a '{column.name}' entry does not have the "
                    f"{width:,} values the manifest's topology gives it.")


def _check_schema(schema_bytes: bytes, where: str) -> None:
    """The stream's schema holds every column of ours with our type, and a version we read."""
    try:
        schema = pa.ipc.read_schema(pa.py_buffer(schema_bytes))
    except _ARROW_ERRORS:
        raise RunFormatError(f"{where} is damaged: its schema cannot be decoded.") from None
    metadata = schema.metadata or {}
    if metadata.get(b"actiscope.format") != FORMAT_NAME.encode():
        raise RunFormatError(f"{where} is not an Actiscope run stream.")
    version = metadata.get(b"actiscope.schema_version", b"")
    if not version.isdigit() or len(version) > 9:
        raise RunFormatError(f"{where} is damaged: its schema version is unreadable.")
    if int(version) > SCHEMA_VERSION:
        raise RunFormatError(f"{where} uses run-format version {int(version)}, newer than the "
                             f"version {SCHEMA_VERSION} this program reads; update Actiscope.")
    for column in COLUMNS:
        index = schema.get_field_index(column.name)
        if index < 0 or schema.field(index).type != column.type:
            raise RunFormatError(f"{where} does not have the run column '{column.name}' "
                                 "with its type.")


class RunReader:
    """A run folder opened read-only: its manifest and one tailing stream per rank."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        """Read the manifest (RunFormatError if missing or damaged); read no stream yet."""
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise RunFormatError(f"'{self.folder}' is not a run folder (NAME.actirun).")
        self.manifest: Manifest = read_manifest(self.folder)
        where = f"the run '{self.folder.name}'"
        self.streams = {rank: RankStream(self.folder / stream_name(rank), rank,
                                         self.manifest.topology, where)
                        for rank in range(self.manifest.world_size)}

    @property
    def growing(self) -> bool:
        """True until every rank's stream has its end-of-stream marker."""
        return not all(stream.ended for stream in self.streams.values())

    def poll(self) -> dict[int, pa.Table]:
        """New rows per rank since the last poll (ranks with none omitted); all or nothing."""
        chunks = {rank: stream.poll() for rank, stream in self.streams.items()}
        for rank, chunk in chunks.items():
            self.streams[rank].advance(chunk)
        return {rank: chunk.table for rank, chunk in chunks.items() if chunk.table is not None}
