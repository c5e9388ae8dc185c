"""RunWriter: appends one rank's step records to NAME.actirun/rank{r}.arrows.

append() only copies values into numpy buffers (thread-safe). A timer thread turns the buffer into
one record batch and appends it to the Arrow IPC stream every `flush_seconds`; close() flushes the
rest and writes the end-of-stream marker. The first `always_flush` records are flushed one by one
at once, so a run is never empty. Each message goes out in one write, so a writer killed mid-write
leaves at most one torn message at the end, which readers skip until it is complete.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import pyarrow as pa

from actiscope_probe.runformat.compact import COMPACT_MIN_BATCHES, END_OF_STREAM, compact_stream
from actiscope_probe.runformat.errors import RunFormatError, RunWriteError
from actiscope_probe.runformat.manifest import Manifest, write_manifest
from actiscope_probe.runformat.rows import RowBuffer
from actiscope_probe.runformat.schema import RUN_SUFFIX, SCHEMA, stream_name

_OPEN_WRITERS: weakref.WeakSet[RunWriter] = weakref.WeakSet()


class RunWriter:
    """Writes one rank's stream of a run folder; use as a context manager or call close()."""

    def __init__(self, path: str | os.PathLike[str], manifest: Manifest, *, rank: int = 0,
                 flush_seconds: float = 0.5, always_flush: int = 20,
                 overwrite: bool = False, compact: bool = True) -> None:
        """Create NAME.actirun/ (rank 0 also writes manifest.json) and start the stream.

        `overwrite` replaces this rank's stream if it exists; otherwise that is a RunWriteError.
        `compact`: close() rewrites a stream of many small batches into a few large ones.
        """
        self.path = Path(path)
        if self.path.suffix != RUN_SUFFIX:
            raise ValueError(f"A run folder's name must end in {RUN_SUFFIX}, not "
                             f"'{self.path.name}'.")
        self.manifest = Manifest.from_dict(manifest.to_dict(), "The manifest to write")
        if not 0 <= rank < self.manifest.world_size:
            raise ValueError(f"Rank {rank} is outside the run's world size "
                             f"{self.manifest.world_size}.")
        if flush_seconds <= 0:
            raise ValueError("flush_seconds must be positive.")
        self.rank = rank
        self.flush_seconds = float(flush_seconds)
        self.always_flush = int(always_flush)
        self.stream_path = self.path / stream_name(rank)
        self.appended = 0          # records given to append()
        self.written = 0           # records written to the stream
        self.batches = 0           # record batches written
        self.compact = compact
        self.failed: RunWriteError | None = None
        self._reported = False
        self._closed = False
        self._lock = threading.Lock()         # guards the row buffer
        self._write_lock = threading.Lock()   # one flush at a time, in order
        self._rows = RowBuffer(self.manifest.topology, rank)
        self._fd = self._open_stream(overwrite)
        try:
            if rank == 0:
                write_manifest(self.path, self.manifest)
            self._write(SCHEMA.serialize())
        except (RunWriteError, RunFormatError):
            os.close(self._fd)
            raise
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._flush_on_timer, daemon=True,
                                       name=f"actiscope-run-writer-rank{rank}")
        self._timer.start()
        self._pid = os.getpid()
        _OPEN_WRITERS.add(self)

    def _open_stream(self, overwrite: bool) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if overwrite:
                # a new file, never a truncated one: a reader may have the old one memory-mapped
                self.stream_path.unlink(missing_ok=True)
            return os.open(self.stream_path, flags, 0o666)
        except FileExistsError:
            raise RunWriteError(f"{self.stream_path} already exists; choose a new run name or "
                                "delete the old run.") from None
        except OSError as error:
            raise RunWriteError(f"Could not create {self.stream_path} "
                                f"({error.strerror or error}).") from None

    # ----- public API --------------------------------------------------------------------------
    def append(self, **values: object) -> None:
        """Buffer one record (column name -> value, see schema.COLUMNS); unknown names: ValueError.

        Raises the writer's RunWriteError once if writing failed; afterwards records are dropped.
        """
        if not self._usable():
            return
        with self._lock:
            self._rows.append(values)
            self.appended += 1
            early = self.appended <= self.always_flush
        if early:
            self.flush()

    def append_record(self, values: Mapping[str, object]) -> None:
        """append() with the values in a mapping."""
        self.append(**values)

    def flush(self) -> None:
        """Write the buffered records now (RunWriteError once if the disk refuses)."""
        if not self._usable():
            return
        try:
            with self._write_lock:
                self._flush_locked()
        except RunWriteError:
            self._reported = True
            raise

    def close(self) -> None:
        """Flush, write the end-of-stream marker and close; raises an unreported RunWriteError."""
        if self._closed:
            return
        self._closed = True
        _OPEN_WRITERS.discard(self)
        self._stop.set()
        if self._timer is not threading.current_thread():
            self._timer.join()
        with self._write_lock:
            try:
                if self.failed is None:
                    self._flush_locked()
                    self._write(END_OF_STREAM)
                    os.fsync(self._fd)
            except RunWriteError:
                pass
            except OSError as error:  # fsync
                self.failed = RunWriteError(f"Could not write {self.stream_path} "
                                            f"({error.strerror or error}).")
            finally:
                os.close(self._fd)
        if self.failed is None and self.compact and self.batches > COMPACT_MIN_BATCHES:
            compact_stream(self.stream_path)  # after closing: Windows cannot replace open files
        if self.failed is not None and not self._reported:
            self._reported = True
            raise self.failed

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    def __enter__(self) -> RunWriter:
        """The writer itself."""
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """close()."""
        self.close()

    # ----- internals ---------------------------------------------------------------------------
    def _usable(self) -> bool:
        """False once failed (after raising the failure once); ValueError after close()."""
        if self._closed:
            raise ValueError(f"The run writer of {self.stream_path} is closed.")
        if self.failed is not None:
            if not self._reported:
                self._reported = True
                raise self.failed
            return False
        return True

    def _flush_locked(self) -> None:
        """Swap the buffer and write it as record batches (caller holds _write_lock)."""
        if self.failed is not None:
            return
        with self._lock:
            rows = self._rows
            if not len(rows):
                return
            # the next buffer starts as large as this one got, so a steady rate never regrows
            self._rows = RowBuffer(self.manifest.topology, self.rank, rows.capacity)
        try:
            messages = [batch.serialize() for batch in rows.to_batches()]
        except Exception as error:  # a value the schema cannot hold: stop, say so once
            self.failed = RunWriteError(f"Could not encode records for {self.stream_path} "
                                        f"({error}).")
            raise self.failed from None
        for message in messages:
            self._write(message)
        self.written += len(rows)
        self.batches += len(messages)

    def _write(self, data: bytes | pa.Buffer) -> None:
        """All of `data` at the end of the stream; RunWriteError (remembered) on failure."""
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as error:
            self.failed = RunWriteError(f"Could not write {self.stream_path} "
                                        f"({error.strerror or error}); the recording stopped.")
            raise self.failed from None

    def _flush_on_timer(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            try:
                with self._write_lock:
                    self._flush_locked()
            except RunWriteError:
                return  # remembered in self.failed; the next append/flush/close raises it


@atexit.register
def _close_open_writers() -> None:
    """Flush writers the program forgot to close (errors cannot be reported any more)."""
    for writer in list(_OPEN_WRITERS):
        if writer._pid != os.getpid():  # a forked child must not finish its parent's stream
            continue
        try:
            writer.close()
        except (OSError, ValueError):
            pass
