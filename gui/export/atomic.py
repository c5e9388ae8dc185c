"""Atomic file output: a temp file beside the target, then os.replace; never a partial file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

EXPORT_SUFFIXES = (".png", ".svg", ".csv")


class ExportError(ValueError):
    """An export failed; the message is one sentence for the user."""


def _current_umask() -> int:
    """The process umask (mkstemp creates 0600 files; exports should get the usual 0644)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()

TEMP_PREFIX = ".actiscope-"
_MAX_TEMP_SUFFIX = 12


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
        os.chmod(name, _FILE_MODE)
    except OSError:
        os.close(fd)
        os.unlink(name)
        raise
    return fd, Path(name)


def check_export_path(path: str | os.PathLike, suffixes: tuple[str, ...] = EXPORT_SUFFIXES) -> Path:
    """Validate the extension and the folder of `path` without creating anything."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        choices = ", ".join(suffixes)
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise ExportError(f"Cannot export to {path.name} ({shown}): use one of {choices}.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"The folder {folder} does not exist.")
    if path.is_dir():
        raise ExportError(f"{path} is a folder, not a file name.")
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike,
                  suffixes: tuple[str, ...] = EXPORT_SUFFIXES) -> Iterator[Path]:
    """Yield a temp path in the target folder; on success it replaces `path`, on failure it goes."""
    path = check_export_path(path, suffixes)
    try:
        fd, tmp = make_temp_beside(path, path.suffix)
    except OSError as exc:
        raise ExportError(f"Cannot write to the folder {path.parent}: "
                          f"{exc.strerror or exc}.") from exc
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except ExportError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
