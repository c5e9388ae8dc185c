"""File ▸ Export plot…: pick a plot, a size and a file; the extension decides PNG, SVG or CSV."""

from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from gui.export.atomic import ExportError
from gui.export.dispatch import export_to_path
from gui.export.image import MAX_SIDE
from gui.export.target import ExportTarget
from gui.settings import app_settings

FILTERS = {".png": "PNG image (*.png)", ".svg": "SVG vector drawing (*.svg)",
           ".csv": "CSV data of the drawn curves (*.csv)"}
LAST_FOLDER_KEY = "export/last_folder"
DEFAULT_SCALE = 2     # twice the on-screen size: sharp in slides and print


def with_extension(path: str, selected_filter: str) -> str:
    """Append the selected filter's extension when the typed name has none we know."""
    if Path(path).suffix.lower() in FILTERS:
        return path
    for suffix, text in FILTERS.items():
        if text == selected_filter:
            return path + suffix
    return path


def file_slug(title: str) -> str:
    """A file-name stem from a plot title: letters, digits, '_' and '-' only ('/' would nest)."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", title.lower()).strip("-")
    return slug or "plot"


class ExportDialog(QDialog):
    """Choose the plot, PNG width/height (aspect kept if wanted) and transparency, then a file."""

    def __init__(self, targets: list[ExportTarget], parent: QWidget | None = None,
                 current: int = 0) -> None:
        super().__init__(parent)
        if not targets:
            raise ExportError("There is no plot to export.")
        self.setWindowTitle("Export plot")
        self.targets = targets
        self.choice = QComboBox()
        self.choice.addItems([target.title for target in targets])
        self.width_box, self.height_box = QSpinBox(), QSpinBox()
        for box in (self.width_box, self.height_box):
            box.setRange(1, MAX_SIDE)
            box.setSuffix(" px")
        self.keep_aspect = QCheckBox("Keep the on-screen aspect ratio")
        self.keep_aspect.setChecked(True)
        self.transparent = QCheckBox("Transparent background (PNG)")
        size_row = QHBoxLayout()
        for widget in (self.width_box, QLabel("\u00d7"), self.height_box):
            size_row.addWidget(widget)
        form = QFormLayout(self)
        form.addRow("Plot", self.choice)
        form.addRow("PNG size", size_row)
        form.addRow("", self.keep_aspect)
        form.addRow("", self.transparent)
        form.addRow(QLabel("<span style='color:#707070'>The file type decides the format: PNG "
                           "image, SVG vector drawing or CSV data of the drawn curves.</span>"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Export\u2026", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.choose_file_and_export)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.choice.currentIndexChanged.connect(self._reset_size)
        self.width_box.valueChanged.connect(lambda _v: self._link_sides(changed_width=True))
        self.height_box.valueChanged.connect(lambda _v: self._link_sides(changed_width=False))
        self.choice.setCurrentIndex(min(max(current, 0), len(targets) - 1))
        self._reset_size()

    def target(self) -> ExportTarget:
        """The plot chosen in the combo box."""
        return self.targets[self.choice.currentIndex()]

    def _aspect(self) -> float:
        """Height / width of the chosen plot on screen."""
        size = self.target().widget.size()
        return size.height() / size.width() if size.width() > 0 else 0.75

    def _reset_size(self) -> None:
        """Default PNG size: the plot's on-screen size times DEFAULT_SCALE."""
        size = self.target().widget.size()
        self._set_sides(max(1, size.width() * DEFAULT_SCALE), max(1, size.height() * DEFAULT_SCALE))

    def _set_sides(self, width: int, height: int) -> None:
        """Set both spin boxes without re-linking them."""
        for box, value in ((self.width_box, width), (self.height_box, height)):
            box.blockSignals(True)
            box.setValue(min(MAX_SIDE, int(value)))
            box.blockSignals(False)

    def _link_sides(self, changed_width: bool) -> None:
        """Keep the aspect ratio when asked to."""
        if not self.keep_aspect.isChecked():
            return
        width, height = self.width_box.value(), self.height_box.value()
        if changed_width:
            self._set_sides(width, round(width * self._aspect()))
        else:
            self._set_sides(round(height / self._aspect()), height)

    def export_to(self, path: str | os.PathLike) -> Path:
        """Export the chosen plot to `path` with the dialog's options; raises ExportError."""
        return export_to_path(self.target(), path, self.width_box.value(),
                              self.height_box.value(), self.transparent.isChecked())

    def choose_file_and_export(self) -> None:
        """Ask for a file (the native dialog asks before overwriting), export, report failures."""
        settings = app_settings()
        folder = settings.value(LAST_FOLDER_KEY, "", type=str) or str(Path.home())
        filters = [text for suffix, text in FILTERS.items()
                   if suffix != ".csv" or self.target().csv is not None]
        name = file_slug(self.target().title) + ".png"
        path, selected = QFileDialog.getSaveFileName(self, "Export plot", str(Path(folder) / name),
                                                     ";;".join(filters))
        if not path:
            return
        path = with_extension(path, selected)
        try:
            self.export_to(path)
        except (ExportError, OSError) as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
            return
        settings.setValue(LAST_FOLDER_KEY, str(Path(path).parent))
        self.accept()
