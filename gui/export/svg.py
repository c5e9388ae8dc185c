"""SVG export via pyqtgraph's SVGExporter, verified by loading it back; QSvgGenerator fallback.

pyqtgraph 0.14.0's SVGExporter raises on Qt >= 6.11 (ValueError "not enough values to unpack" in
correctCoordinates: Qt now closes paths with Z), and a file that exists is not a file that
renders, so every SVG is loaded back with QSvgRenderer before it replaces the target.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (`import pyqtgraph` does not import its exporters)
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator, QSvgRenderer
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QWidget

from gui.export.atomic import ExportError, atomic_output
from gui.export.image import paint_widget
from gui.export.target import ExportTarget


def svg_renders(path: str | os.PathLike) -> bool:
    """True if QSvgRenderer can load the file and it has a non-empty picture."""
    renderer = QSvgRenderer(str(path))
    return renderer.isValid() and not renderer.defaultSize().isEmpty()


def _write_with_pyqtgraph(item: object, path: Path) -> None:
    """pyqtgraph's exporter: keeps curves as clipped vector paths."""
    pg.exporters.SVGExporter(item).export(fileName=str(path))


def _write_with_qt(target: ExportTarget, path: Path) -> None:
    """Qt's own SVG generator painting the scene (or the plain widget)."""
    item = target.item
    if isinstance(item, QGraphicsItem):
        scene, source = item.scene(), item.sceneBoundingRect()
    elif isinstance(item, QGraphicsScene):
        scene, source = item, item.sceneRect()
    else:
        scene, source = None, QRectF(target.widget.rect())
    size = QSize(max(1, round(source.width())), max(1, round(source.height())))
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle(target.title)
    if scene is None:
        paint_widget(target.widget, generator, QWidget.RenderFlag.DrawChildren,
                     f"The SVG for '{target.title}' could not be drawn")
        return
    painter = QPainter()
    if not painter.begin(generator):
        raise ExportError(f"The SVG for '{target.title}' could not be started.")
    try:
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), source)
    finally:
        painter.end()


def export_svg(target: ExportTarget, path: str | os.PathLike) -> Path:
    """Write the target as SVG; the file is verified to render before it replaces `path`."""
    with atomic_output(path, (".svg",)) as tmp:
        written = False
        if target.item is not None:
            try:
                _write_with_pyqtgraph(target.item, tmp)
                written = svg_renders(tmp)
            except Exception:  # noqa: BLE001  any exporter bug (e.g. Qt >= 6.11) -> the Qt fallback
                written = False
        if not written:
            _write_with_qt(target, tmp)
            if not svg_renders(tmp):
                raise ExportError(f"The SVG for '{target.title}' could not be rendered back.")
    return Path(path)
