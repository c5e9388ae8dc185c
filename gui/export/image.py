"""PNG export: pyqtgraph's ImageExporter for plot items, QWidget.render for plain widgets."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (`import pyqtgraph` does not import its exporters)
from PySide6.QtCore import QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPaintDevice, QPainter, QRegion
from PySide6.QtWidgets import QGraphicsWidget, QWidget

from gui.export.atomic import ExportError, atomic_output
from gui.export.target import ExportTarget

MAX_SIDE = 20000


def _check_size(width: int | None, height: int | None) -> None:
    """Reject sizes that cannot make an image (zero, negative, absurdly large)."""
    for side in (width, height):
        if side is not None and not 1 <= side <= MAX_SIDE:
            raise ExportError(f"Image sides must be between 1 and {MAX_SIDE} pixels, got {side}.")


@contextlib.contextmanager
def _laid_out_at(item: object, width: int, height: int) -> Iterator[None]:
    """Temporarily lay a plot item out at width x height so the image has exactly that size."""
    if not isinstance(item, QGraphicsWidget):
        yield
        return
    old = item.geometry()
    item.setGeometry(QRectF(old.topLeft(), QRectF(0, 0, width, height).size()))
    try:
        yield
    finally:
        item.setGeometry(old)


def render_plot_image(item: object, width: int | None = None, height: int | None = None,
                      transparent: bool = False) -> QImage:
    """Render a pyqtgraph item/scene to a QImage; both sides given = laid out at that size."""
    _check_size(width, height)
    exact = width is not None and height is not None
    with _laid_out_at(item, width, height) if exact else contextlib.nullcontext():
        exporter = pg.exporters.ImageExporter(item)
        params = exporter.parameters()
        if transparent:
            params["background"] = QColor(0, 0, 0, 0)
        if exact:
            params.param("width").setValue(width, blockSignal=exporter.widthChanged)
            params.param("height").setValue(height, blockSignal=exporter.heightChanged)
        elif width is not None:
            params["width"] = width
        elif height is not None:
            params["height"] = height
        image = exporter.export(toBytes=True)
    if image is None or image.isNull():
        raise ExportError("The plot could not be rendered to an image.")
    return image


def paint_widget(widget: QWidget, device: QPaintDevice, flags: QWidget.RenderFlag,
                 failure: str) -> None:
    """Paint `widget` and its children onto `device`; any failure -> ExportError(failure).

    QWidget.render is called unbound: pyqtgraph's GraphicsView (every PlotWidget) overrides
    render() with QGraphicsView's signature. The painter is always ended, else Qt crashes when
    the device is destroyed while "being painted".
    """
    painter = QPainter()
    if not painter.begin(device):
        raise ExportError(f"{failure}.")
    try:
        QWidget.render(widget, painter, QPoint(0, 0), QRegion(), flags)
    except Exception as exc:  # noqa: BLE001  a Qt/binding error becomes the user's one sentence
        raise ExportError(f"{failure}: {exc.__class__.__name__}.") from exc
    finally:
        painter.end()


def render_widget_image(widget: QWidget, width: int | None = None, height: int | None = None,
                        transparent: bool = False) -> QImage:
    """Render a plain widget (and its children) to a QImage, scaled to width/height if given."""
    _check_size(width, height)
    size = widget.size()
    if size.isEmpty():
        size = widget.sizeHint().expandedTo(QSize(1, 1))
        widget.resize(size)
    ratio = 2.0 if (width or 0) > 2 * size.width() else 1.0
    image = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(QColor(0, 0, 0, 0) if transparent else widget.palette().window().color())
    flags = QWidget.RenderFlag.DrawChildren
    if not transparent:
        flags |= QWidget.RenderFlag.DrawWindowBackground
    paint_widget(widget, image, flags, "The window could not be rendered to an image")
    image.setDevicePixelRatio(1.0)
    if width is not None or height is not None:
        mode = (Qt.AspectRatioMode.IgnoreAspectRatio if width and height
                else Qt.AspectRatioMode.KeepAspectRatio)
        target = QSize(width or MAX_SIDE, height or MAX_SIDE)
        image = image.scaled(target, mode, Qt.TransformationMode.SmoothTransformation)
    if image.isNull():
        raise ExportError("The window could not be rendered to an image.")
    return image


def save_image(image: QImage, path: str | os.PathLike) -> Path:
    """Save a QImage as PNG atomically."""
    with atomic_output(path, (".png",)) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise ExportError(f"Could not encode the PNG image for {Path(path).name}.")
    return Path(path)


def export_png(target: ExportTarget, path: str | os.PathLike, width: int | None = None,
               height: int | None = None, transparent: bool = False) -> Path:
    """Write the target as PNG: one side given keeps the aspect, both give exactly that size."""
    if target.item is not None:
        image = render_plot_image(target.item, width, height, transparent)
    else:
        image = render_widget_image(target.widget, width, height, transparent)
    return save_image(image, path)


def export_widget_png(widget: QWidget, path: str | os.PathLike) -> Path:
    """Write a whole widget (e.g. the main window) as PNG at its on-screen size."""
    return save_image(render_widget_image(widget), path)
