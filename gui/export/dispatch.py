"""Export by file extension: .png, .svg or .csv."""

from __future__ import annotations

import os
from pathlib import Path

from gui.export.atomic import check_export_path
from gui.export.image import export_png
from gui.export.svg import export_svg
from gui.export.table import export_csv
from gui.export.target import ExportTarget


def export_to_path(target: ExportTarget, path: str | os.PathLike, width: int | None = None,
                   height: int | None = None, transparent: bool = False) -> Path:
    """Export `target` in the format named by the extension of `path` (PNG options apply to PNG)."""
    suffix = check_export_path(path).suffix.lower()
    if suffix == ".png":
        return export_png(target, path, width, height, transparent)
    if suffix == ".svg":
        return export_svg(target, path)
    return export_csv(target, path)
