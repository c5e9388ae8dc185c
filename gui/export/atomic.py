"""Export paths and atomic output for the GUI: checks and one-sentence ExportErrors
around core.atomic_write (a temp file beside the target, then os.replace)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from core.atomic_write import TEMP_PREFIX, make_temp_beside, replaced_on_success

__all__ = ["EXPORT_SUFFIXES", "TEMP_PREFIX", "ExportError", "atomic_output", "check_export_path",
           "make_temp_beside"]

EXPORT_SUFFIXES = (".png", ".svg", ".csv")


class ExportError(ValueError):
    """An export failed; the message is one sentence for the user."""


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
    """Yield a temp path in the target folder; on success it replaces `path`, on failure it goes.

    core.atomic_write does the writing; this adds the export checks and ExportError sentences.
    """
    path = check_export_path(path, suffixes)
    started = False
    try:
        with replaced_on_success(path, path.suffix) as tmp:
            started = True
            yield tmp
    except OSError as exc:
        if not started:
            raise ExportError(f"Cannot write to the folder {path.parent}: "
                              f"{exc.strerror or exc}.") from exc
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}.") from exc
