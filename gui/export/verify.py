"""Load exported files back and check they hold a picture / data (used by --smoke and tests)."""

from __future__ import annotations

import csv
import math
import os

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from gui.export.atomic import ExportError
from gui.export.table import NAME_HEADER

MIN_COLOURS = 8   # an empty white/transparent image has 1; axes text alone gives dozens


def image_pixels(image: QImage) -> np.ndarray:
    """The image as a (height, width) uint32 ARGB array (a copy)."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=height * stride)
    rows = raw.reshape(height, stride)[:, : width * 4]
    return rows.copy().view(np.uint32).reshape(height, width)


def colour_count(image: QImage) -> int:
    """Number of distinct ARGB values in the image."""
    return int(np.unique(image_pixels(image)).size)


def check_png(path: str | os.PathLike) -> str:
    """'WxH, N colours' if the PNG decodes and is not blank; ExportError otherwise."""
    image = QImage(str(path))
    if image.isNull():
        raise ExportError(f"{path} does not decode as an image.")
    colours = colour_count(image)
    if colours < MIN_COLOURS:
        raise ExportError(f"{path} is blank ({colours} distinct colours).")
    return f"{image.width()}x{image.height()}, {colours} colours"


def render_svg(path: str | os.PathLike) -> QImage:
    """Render an SVG file onto a white image of its default size."""
    renderer = QSvgRenderer(str(path))
    if not renderer.isValid() or renderer.defaultSize().isEmpty():
        raise ExportError(f"{path} does not load in QSvgRenderer.")
    image = QImage(renderer.defaultSize(), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    return image


def check_svg(path: str | os.PathLike) -> str:
    """'WxH, N colours' if the SVG loads in QSvgRenderer and renders something."""
    image = render_svg(path)
    colours = colour_count(image)
    if colours < MIN_COLOURS:
        raise ExportError(f"{path} renders blank ({colours} distinct colours).")
    return f"renders {image.width()}x{image.height()}, {colours} colours"


def read_csv(path: str | os.PathLike, text_columns: int = 0) -> tuple[list[str], np.ndarray]:
    """Headers and a float (rows, columns) array; ExportError if it is not a numeric table.
    The first `text_columns` columns may hold text (names): they read as NaN."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        headers, data = rows[0], np.array([[np.nan if k < text_columns else float(v)
                                            for k, v in enumerate(row)] for row in rows[1:]])
    except (OSError, IndexError, ValueError) as exc:
        raise ExportError(f"{path} is not a numeric CSV table ({exc}).") from exc
    if data.ndim != 2 or data.shape[0] < 2 or data.shape[1] != len(headers):
        raise ExportError(f"{path} has {len(headers)} headers but data shaped {data.shape}.")
    return headers, data


def check_csv(path: str | os.PathLike) -> str:
    """'N rows x [headers]' if the CSV parses as a numeric table with finite first column
    (after a first column of names, which per-parameter tables have)."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            named = next(csv.reader(handle), [""])[:1] == [NAME_HEADER]
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path} cannot be read ({exc}).") from exc
    headers, data = read_csv(path, text_columns=int(named))
    if not all(math.isfinite(v) for v in data[:, int(named)]):
        raise ExportError(f"{path} has non-finite values in its first column.")
    return f"{data.shape[0]} rows, columns {', '.join(headers[:4])}" + (
        ", ..." if len(headers) > 4 else "")
