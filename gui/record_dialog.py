"""The "Record animation…" flow: settings dialog, progress with Cancel, one message on error."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QWidget,
)

from gui.animation import (
    MAX_GIF_FPS,
    MAX_SIZE,
    MIN_SIZE,
    AnimationCancelled,
    RecordableLab,
    record_lab_animation,
)
from gui.settings import app_settings

FILE_FILTER = "GIF animation (*.gif);;MP4 video (*.mp4)"
# (settings key, label, default, minimum, maximum, tooltip)
NUMBER_FIELDS = (
    ("steps", "Training steps", 600, 0, 10_000_000, "Steps trained over the whole recording"),
    ("frames", "Frames", 60, 1, 10_000, "Images captured, evenly spaced over the steps"),
    ("fps", "Frames per second", 15, 1, MAX_GIF_FPS, "Playback speed of the animation"),
    ("width", "Width (px)", 1280, MIN_SIZE, MAX_SIZE, "Frame width in pixels"),
    ("height", "Height (px)", 800, MIN_SIZE, MAX_SIZE, "Frame height in pixels"),
)


class RecordDialog(QDialog):
    """Asks for steps, frames, fps, frame size and output path; remembers them in settings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record animation")
        self.setMinimumWidth(480)
        settings = app_settings()
        form = QFormLayout(self)
        self.spins: dict[str, QSpinBox] = {}
        for key, label, default, low, high, tip in NUMBER_FIELDS:
            spin = QSpinBox(self)
            spin.setRange(low, high)
            spin.setGroupSeparatorShown(True)
            spin.setValue(_stored_int(settings.value(f"animation/{key}"), default, low, high))
            spin.setToolTip(tip)
            form.addRow(label, spin)
            self.spins[key] = spin
        default_path = Path(QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.PicturesLocation) or Path.home()) / "actiscope.gif"
        self.path_edit = QLineEdit(str(settings.value("animation/path", str(default_path))), self)
        self.path_edit.setToolTip("Output file: .gif (or .mp4 when imageio-ffmpeg is installed)")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        form.addRow("Save to", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record")
        buttons.accepted.connect(self._accept_if_path_ok)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, int]:
        """The chosen numbers: steps, frames, fps, width, height."""
        return {key: spin.value() for key, spin in self.spins.items()}

    def path(self) -> Path:
        """The chosen output file."""
        return Path(self.path_edit.text().strip()).expanduser()

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Record animation to", str(self.path()),
                                                FILE_FILTER)
        if chosen:
            self.path_edit.setText(chosen)

    def _accept_if_path_ok(self) -> None:
        path = self.path()
        if not self.path_edit.text().strip():
            QMessageBox.warning(self, "Record animation", "Choose a file to save the animation to.")
            return
        if path.exists():
            answer = QMessageBox.question(self, "Record animation",
                                          f"{path.name} already exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        settings = app_settings()
        for key, value in self.values().items():
            settings.setValue(f"animation/{key}", value)
        settings.setValue("animation/path", str(path))
        self.accept()


def run_recording(parent: QWidget | None, lab_view: RecordableLab, path: Path, steps: int,
                  frames: int, fps: int, width: int, height: int) -> bool:
    """Record with a modal progress dialog; True when the file was written (False on cancel)."""
    progress = QProgressDialog(f"Recording {path.name}…", "Cancel", 0, frames, parent)
    progress.setWindowTitle("Record animation")
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    progress.setMinimumDuration(0)
    progress.setValue(0)
    QApplication.processEvents()

    def on_frame(done: int) -> None:
        progress.setValue(done)
        # Keep the UI (and the Cancel button) alive between frames.
        QApplication.processEvents()

    def was_cancelled() -> bool:
        QApplication.processEvents()  # also called between training chunks of a long frame
        return progress.wasCanceled()

    try:
        record_lab_animation(lab_view, path, steps, frames, fps, width, height,
                             progress=on_frame, cancelled=was_cancelled)
    except AnimationCancelled:
        return False
    except (ValueError, OSError) as exc:
        progress.close()
        QMessageBox.warning(parent, "Record animation", str(exc))
        return False
    finally:
        progress.close()
        progress.deleteLater()
    return True


def record_animation_action(parent: QWidget, lab_view: RecordableLab) -> QAction:
    """A "Record animation…" action (Ctrl+Shift+R); add this same action to each menu."""
    action = QAction("Record animation…", parent)
    action.setShortcut(QKeySequence("Ctrl+Shift+R"))
    action.setStatusTip("Train the Lab and save the plots as an animated GIF (or MP4)")

    def open_dialog() -> None:
        dialog = RecordDialog(parent)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        values, path = dialog.values(), dialog.path()
        dialog.deleteLater()
        if not accepted:
            return
        written = run_recording(parent, lab_view, path, **values)
        if written and hasattr(parent, "statusBar"):
            parent.statusBar().showMessage(f"Saved {path}", 5000)

    action.triggered.connect(open_dialog)
    return action


def _stored_int(value: object, default: int, low: int, high: int) -> int:
    """An int read back from settings, or the default when missing or out of range."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default
