"""Following a run file another process is still writing: FileRun.poll() on a worker thread.

The worker ("actiscope-follow", daemon) polls every POLL_SECONDS while the run grows and never
touches Qt: it emits a relay QObject's signal, delivered queued on the GUI thread (sigGrew with
the number of new records; sigStopped when the writers closed or the file got damaged). close()
takes the lock the worker emits under and joins it, so nothing is emitted after it returns.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal

from core.runs import Run, RunFormatError

POLL_SECONDS = 0.2


class _Relay(QObject):
    """Carries the worker's results to the GUI thread (its signals are connected queued)."""

    sigPolled = Signal(int)
    sigEnded = Signal(str)


class RunFollower(QObject):
    """Polls one growing run at a time; sigGrew(new records), sigStopped(reason or '')."""

    sigGrew = Signal(int)
    sigStopped = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay(self)
        self._relay.sigPolled.connect(self.sigGrew, Qt.ConnectionType.QueuedConnection)
        self._relay.sigEnded.connect(self._on_ended, Qt.ConnectionType.QueuedConnection)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.following = False
        stop = self._stop           # not self: the lambda must not keep the follower alive
        self.destroyed.connect(lambda *_: stop.set())

    def follow(self, run: Run) -> None:
        """Start polling `run` (stops following the previous one first)."""
        self.close()
        if not run.growing:
            return
        self._stop = stop = threading.Event()
        relay, lock = self._relay, self._lock

        def poll_until_stopped() -> None:
            while not stop.wait(POLL_SECONDS):
                try:
                    count = run.poll()
                    ended = "" if run.growing else "the writers closed the run"
                except (RunFormatError, OSError) as exc:
                    count, ended = 0, str(exc)
                with lock:      # close() holds it: no emit races the relay's deletion
                    if stop.is_set():
                        return
                    if count:
                        relay.sigPolled.emit(count)
                    if ended:
                        relay.sigEnded.emit(ended)
                        return

        self.following = True
        self._thread = threading.Thread(target=poll_until_stopped, name="actiscope-follow",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop polling; nothing is emitted after this returns (waits for a poll in flight)."""
        with self._lock:
            self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        self.following = False

    def _on_ended(self, reason: str) -> None:
        self.following = False
        self.sigStopped.emit(reason)
