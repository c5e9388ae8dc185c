"""The two errors of the run format; both carry one clear sentence."""

from __future__ import annotations


class RunFormatError(ValueError):
    """A run folder or stream that cannot be read (damaged, wrong or newer format, too large)."""


class RunWriteError(OSError):
    """Writing a run failed (disk full, folder removed, ...); the recording has stopped."""
