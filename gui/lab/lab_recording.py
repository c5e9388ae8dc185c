"""The Lab's run files out: File ▸ Save run as… and the run bar's "Record to file" toggle.

Save run as… writes every step the live TrainerRun holds into a new NAME.actirun folder; Record to
file appends every step trained while it is on (TrainerRecorder, on the GUI thread between two
jobs of the training worker) and closes on switch-off, Reset, new settings or shutdown.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from actiscope_probe.runformat import RUN_SUFFIX
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog

from core.runs import RunWriteError, TrainerRecorder, TrainerRun, save_run
from core.trainer import Trainer
from gui.lab.controller import TrainingController
from gui.lab.lab_action import lab_action


class RecordingHost(Protocol):
    """What recording needs of the Lab (LabView; a Protocol, so this module does not import
    lab_view, which imports it)."""

    controller: TrainingController
    trainer: Trainer
    live_run: TrainerRun

    def show_status(self, text: str) -> None: ...

    def addAction(self, action: QAction) -> None: ...  # noqa: N802  (a QWidget: the owner)


def ask_new_run_path(parent, title: str) -> Path | None:
    """A new run folder's path from a save dialog (.actirun appended), or None."""
    path, _ = QFileDialog.getSaveFileName(parent, title, "", f"Actiscope runs (*{RUN_SUFFIX})")
    if not path:
        return None
    path = Path(path)
    return path if path.suffix == RUN_SUFFIX else path.with_name(path.name + RUN_SUFFIX)


class LabRecording(QObject):
    """Save run as… (Ctrl+Alt+S) and Record to file for `lab` (its actions live on the lab)."""

    def __init__(self, lab: RecordingHost) -> None:
        super().__init__(lab)
        self._lab = lab
        self.save_run_action = lab_action(
            lab, "Save run as…", "Write every step the Lab has trained so far into a new run "
            "folder (.actirun) (Ctrl+Alt+S)", "Ctrl+Alt+S")
        self.record_action = lab_action(
            lab, "Record to file", "While on, every training step is appended to a run folder "
            "(.actirun) chosen when you switch it on; off, Reset or new settings close the file",
            checkable=True)
        self._recorder: TrainerRecorder | None = None   # "Record to file" while on
        self._path: Path | None = None
        self._recorded_step = -1                         # newest step handed to the recorder
        self.recorded_steps = 0                          # steps recorded since switched on
        self.save_run_action.triggered.connect(self._choose_save_path)
        self.record_action.triggered.connect(self._on_record_triggered)

    # -- Save run as… --------------------------------------------------------------------------
    def save_run(self, path: str | os.PathLike[str]) -> int:
        """Write the live TrainerRun into the new run folder `path`; returns the records written
        (training held between two steps meanwhile). FileExistsError / ValueError otherwise."""
        self._lab.controller.wait_idle()       # the run reads the History the worker writes
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return save_run(self._lab.live_run, path)
        finally:
            QApplication.restoreOverrideCursor()

    def _choose_save_path(self) -> None:
        path = ask_new_run_path(self._lab, "Save run as (a new .actirun folder)")
        if path is None:
            return
        try:
            written = self.save_run(path)
        except (ValueError, OSError) as exc:
            self._lab.show_status(f"Could not save the run: {exc}")
            return
        self._lab.show_status(f"Saved {written:,} records to {path.name}")

    # -- Record to file --------------------------------------------------------------------------
    def is_recording(self) -> bool:
        """True while 'Record to file' appends every trained step to a run folder."""
        return self._recorder is not None

    def start(self, path: str | os.PathLike[str]) -> None:
        """Append every step trained from now on to the new run folder `path` until stop().
        An existing path is a FileExistsError."""
        self.stop()
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} already exists; choose a new name.")
        lab = self._lab
        lab.controller.wait_idle()       # the manifest reads the trainer's network
        self._recorder = TrainerRecorder(path, lab.trainer)
        self._path = path
        self._recorded_step = lab.live_run.newest_step or 0
        self.recorded_steps = 0
        self._set_checked(True)
        lab.show_status(f"Recording every step to {path.name}")

    def stop(self) -> None:
        """Flush and close the recording (if any); the toggle goes off."""
        recorder, self._recorder = self._recorder, None
        self._set_checked(False)
        if recorder is None:
            return
        name = self._path.name if self._path else "the run"
        try:
            recorder.close()
        except RunWriteError as exc:
            self._lab.show_status(f"Recording stopped: {exc}")
            return
        self._lab.show_status(f"Recorded {self.recorded_steps:,} steps to {name}")

    def _set_checked(self, on: bool) -> None:
        blocked = self.record_action.blockSignals(True)
        self.record_action.setChecked(on)
        self.record_action.blockSignals(blocked)

    def _on_record_triggered(self, checked: bool) -> None:
        if not checked:
            self.stop()
            return
        self._set_checked(False)     # on only once a folder was chosen and created
        path = ask_new_run_path(self._lab, "Record training to (a new .actirun folder)")
        if path is None:
            return
        try:
            self.start(path)
        except (ValueError, OSError) as exc:
            self._lab.show_status(f"Could not record: {exc}")

    def append(self, stats) -> None:
        """Append one trained step if recording (GUI thread, between two jobs of the worker)."""
        if self._recorder is None:
            return
        step = int(stats.step)
        if step <= self._recorded_step:     # a diverged trainer hands its last step back
            return
        try:
            self._recorder.append(stats)
        except RunWriteError as exc:
            recorder, self._recorder = self._recorder, None
            self._set_checked(False)
            try:
                recorder.close()
            except OSError:
                pass
            self._lab.show_status(f"Recording stopped: {exc}")
            return
        self._recorded_step = step
        self.recorded_steps += 1
