"""The probe's host side: a writer thread turns copied statistics into run records (RunWriter).

Records are handed over in a deque, and the thread wakes every `PERIOD_S` to build the rows of
what has come (records.py, a batch at a time) and flush the file, not once per record: a thread
woken for each record of the 7 ms MLP step in bench_probe (every=1) competes with training for
the interpreter on every step. Side by side, in one process with 31 interleaved rounds, the MLP
with every=1 went from 1.296 to 1.271 times the plain step (1.33 to 1.28 in another run).
"""

from __future__ import annotations

import atexit
import collections
import os
import threading
import warnings
import weakref
from collections.abc import Callable

from actiscope_probe.records import Pending, RowBuilder
from actiscope_probe.runformat import Manifest, RunWriteError, RunWriter

PERIOD_S = 0.25  # the writer thread writes what has come this often, then flushes the file
_OPEN_SINKS: weakref.WeakSet[Sink] = weakref.WeakSet()


class Sink:
    """Owns the RunWriter and a thread that serialises Pending records in order."""

    def __init__(self, path: str, manifest: Manifest, rank: int, overwrite: bool,
                 on_failure: Callable[[], None]) -> None:
        """Create the run (rank 0 writes the manifest) and start the writer thread."""
        # the file is flushed by this thread after each batch, not by the writer's own timer
        self.writer = RunWriter(path, manifest, rank=rank, overwrite=overwrite,
                                flush_seconds=3600.0)
        self.rows = RowBuilder(len(manifest.topology.params))
        self._on_failure = on_failure
        self._items: collections.deque[Pending] = collections.deque()
        self._put = 0                          # records put (by the training thread)
        self._done = 0                         # records taken off the deque (by the writer)
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._closing = False
        self.failed = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"actiscope-probe-rank{rank}")
        self._pid = os.getpid()
        self._thread.start()
        _OPEN_SINKS.add(self)

    def put(self, pending: Pending) -> None:
        """Queue a record (dropped once the disk has failed); no thread is woken."""
        if not self.failed and not self._closing:
            self._put += 1
            self._items.append(pending)

    def drain(self) -> None:
        """Wait until every record put so far has been handed to the RunWriter."""
        target = self._put
        with self._progress:
            while self._done < target and self._thread.is_alive():
                self._wake.set()
                self._progress.wait(0.05)

    def close(self) -> None:
        """Write what is queued, then close the stream (one warning if the disk failed)."""
        _OPEN_SINKS.discard(self)
        if self._closing:
            return
        self._closing = True
        if os.getpid() != self._pid:  # a forked child: the stream is its parent's
            return
        self._wake.set()
        self._thread.join()
        try:
            self.writer.close()
        except RunWriteError as error:
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        if not self.failed:
            self.failed = True
            warnings.warn(f"Actiscope probe stopped recording: {error}", RuntimeWarning,
                          stacklevel=2)
            self._on_failure()

    def _run(self) -> None:
        while True:
            self._wake.wait(PERIOD_S)
            self._wake.clear()
            closing = self._closing  # read before draining: what close() waits for is queued
            items = []
            while self._items:
                items.append(self._items.popleft())
            self._write(items)
            self._done += len(items)
            with self._progress:
                self._progress.notify_all()
            if closing:
                return

    def _write(self, items: list[Pending]) -> None:
        if self.failed or not items:
            return
        try:
            rows = self.rows.rows(items)
        except Exception:  # one bad record: write those before it, then stop (as one by one)
            rows = []
            for pending in items:
                try:
                    rows.append(self.rows.row(pending))
                except Exception as error:  # a probe bug must never stop the training
                    self._fail(RunWriteError(f"could not build the record of step "
                                             f"{pending.step} ({error})"))
                    break
        try:
            for row in rows:
                self.writer.append(**row)
            self.writer.flush()
        except RunWriteError as error:
            self._fail(error)
        except Exception as error:
            self._fail(RunWriteError(f"could not write the records up to step {items[-1].step} "
                                     f"({error})"))


@atexit.register
def _close_open_sinks() -> None:
    """Write what sinks still hold whose probe was dropped without close() (open probes are
    closed first, probe.py; this runs before the RunWriters' own exit hook: registered later)."""
    for sink in list(_OPEN_SINKS):
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - at exit nothing can be reported any more
            pass
