"""Atomic file writes: fill a temp file beside the target, then os.replace; never a partial file.

The one temp-file maker of the project: sessions (core.config) and every export, CSV and
animation the GUI and the headless commands write (gui.export.atomic, gui.animation).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".actiscope-"
_MAX_TEMP_SUFFIX = 12


def _usual_file_mode() -> int:
    """0o666 minus the process umask: what open() would give a new file.

    Read at each call so a changed umask applies; the umask can only be read by setting it.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def make_temp_beside(path: str | os.PathLike, suffix: str = ".tmp") -> tuple[int, Path]:
    """Create an empty temp file in the folder of `path`; return (open fd, its path).

    The name is ".actiscope-XXXXXXXX<suffix>", bounded whatever the target's name, so every
    legal target name works (a name built from the target overflows NAME_MAX near 255 bytes).
    The file gets the usual umask permissions (mkstemp makes it 0600). Raises OSError.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if len(suffix) > _MAX_TEMP_SUFFIX:
        suffix = ".tmp"
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=folder)
    try:
        os.chmod(name, _usual_file_mode())
    except OSError:
        os.close(fd)
        os.unlink(name)
        raise
    return fd, Path(name)


@contextlib.contextmanager
def replaced_on_success(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield the path of an empty, closed temp file beside `path` for the caller to fill.

    When the block ends normally the temp file replaces `path` (os.replace); when it raises, the
    temp file is removed and the exception propagates. OSError from making the temp file or from
    the replace propagates too (the caller words it for its user).
    """
    fd, temp = make_temp_beside(path, suffix)
    os.close(fd)
    try:
        yield temp
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 `text` to `path` atomically, flushed to disk before the replace (OSError)."""
    with replaced_on_success(path) as temp, open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
