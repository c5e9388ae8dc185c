"""Sessions: the Lab's ExperimentConfig saved/opened as JSON, the recent list, the window title.

The file format and its validation live in core.config (ExperimentConfig.save/load, atomic and
schema-versioned); this module adds the user-facing part: dialogs, one message per failure, the
"modified" marker, and the recent-files list kept in the app settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QStandardPaths, Signal, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from core.config import ExperimentConfig
from gui.settings import app_settings

APP_TITLE = "Actiscope"
SESSION_SUFFIX = ".actiscope.json"
SESSION_FILTER = "Actiscope sessions (*.actiscope.json *.json);;All files (*)"
RECENT_KEY = "session/recent"
LAST_DIR_KEY = "session/last_dir"
MAX_RECENT = 8


class SessionLab(Protocol):
    """The part of gui.lab.lab_view.LabView that sessions use."""

    sigConfigChanged: SignalInstance

    def config(self) -> ExperimentConfig: ...
    def set_config(self, config: ExperimentConfig) -> None: ...
    def open_run(self, path: str | os.PathLike[str]) -> None: ...


def recent_sessions() -> list[str]:
    """The recent session paths, newest first (at most MAX_RECENT)."""
    value = app_settings().value(RECENT_KEY, [])
    if isinstance(value, str):  # an .ini list of one comes back as a plain string
        value = [value] if value else []
    if not isinstance(value, list):  # a corrupt or hand-edited setting: forget it
        return []
    return [item for item in value if isinstance(item, str) and item][:MAX_RECENT]


def _store_recent(paths: list[str]) -> None:
    app_settings().setValue(RECENT_KEY, paths[:MAX_RECENT])


def remember_session(path: str | os.PathLike[str]) -> list[str]:
    """Move `path` to the top of the recent list; return the new list."""
    entry = str(Path(path).resolve())
    paths = [entry] + [item for item in recent_sessions() if item != entry]
    _store_recent(paths)
    return paths[:MAX_RECENT]


def is_run_path(path: str | os.PathLike[str]) -> bool:
    """True for a run folder (NAME.actirun) entry of the recent list, False for a session file."""
    return Path(path).suffix == ".actirun"


def _exists(path: str) -> bool:
    return Path(path).is_dir() if is_run_path(path) else Path(path).is_file()


def prune_recent_sessions() -> list[str]:
    """Drop recent entries (sessions and runs) that no longer exist; return the removed paths."""
    paths = recent_sessions()
    missing = [item for item in paths if not _exists(item)]
    if missing:
        _store_recent([item for item in paths if item not in missing])
    return missing


def clear_recent_sessions() -> None:
    """Empty the recent list."""
    _store_recent([])


class SessionController(QObject):
    """Opens and saves the Lab's config, tracks the session file and its modified state."""

    sigSessionChanged = Signal()     # path or modified state changed

    def __init__(self, window: QWidget, lab_view: SessionLab) -> None:
        super().__init__(window)
        self._window = window
        self._lab = lab_view
        self._path: Path | None = None
        self._saved = lab_view.config().to_dict()
        self._modified = False
        self.actions: dict[str, QAction] = {}    # filled by gui.session_menu.install_session_menu
        self.recent_menu: QMenu | None = None
        lab_view.sigConfigChanged.connect(self._on_config_changed)
        self._update_title()

    @property
    def path(self) -> Path | None:
        """The current session file (None until saved or opened)."""
        return self._path

    @property
    def modified(self) -> bool:
        """True when the Lab's config differs from the one last saved or opened."""
        return self._modified

    def open_path(self, path: str | os.PathLike[str]) -> bool:
        """Load a session into the Lab; on any problem show one message and change nothing."""
        source = Path(path)
        try:
            config = ExperimentConfig.load(source)
        except (ValueError, OSError) as exc:
            self._warn(f"Cannot open {source.name}", str(exc))
            return False
        previous_saved = self._saved
        self._saved = config.to_dict()  # the signal set_config emits then compares equal
        try:
            self._lab.set_config(config)
        except (ValueError, OSError) as exc:
            self._saved = previous_saved
            self._warn(f"Cannot open {source.name}", str(exc))
            return False
        self._saved = self._lab.config().to_dict()
        self._path = source.resolve()
        self._remember(self._path)
        self._set_modified(False)
        return True

    def save_to(self, path: str | os.PathLike[str]) -> bool:
        """Save the Lab's config atomically to `path`; one message on failure."""
        target = Path(path)
        config = self._lab.config()
        try:
            config.save(target)
        except (ValueError, OSError) as exc:
            self._warn("Cannot save the session", str(exc))
            return False
        self._saved = config.to_dict()
        self._path = target.resolve()
        self._remember(self._path)
        self._set_modified(False)
        self._show_status(f"Saved session {target.name}")
        return True

    def save(self) -> bool:
        """Save to the current file, or ask for one when the session is untitled."""
        if self._path is None:
            return self.save_as()
        return self.save_to(self._path)

    def save_as(self) -> bool:
        """Ask for a file name (native dialog) and save there."""
        start = self._path or Path(last_dir()) / f"session{SESSION_SUFFIX}"
        chosen, _ = QFileDialog.getSaveFileName(self._window, "Save session", str(start),
                                                SESSION_FILTER)
        if not chosen:
            return False
        target = Path(chosen)
        if not target.name.lower().endswith(".json"):
            target = target.with_name(target.name + SESSION_SUFFIX)
        return self.save_to(target)

    def open_dialog(self) -> bool:
        """Ask for a session file (native dialog) and open it, offering to save changes first."""
        if not self.maybe_save():
            return False
        chosen, _ = QFileDialog.getOpenFileName(self._window, "Open session", last_dir(),
                                                SESSION_FILTER)
        return bool(chosen) and self.open_path(chosen)

    def open_run(self, path: str | os.PathLike[str]) -> bool:
        """Replay the run folder in the Lab and remember it in Open recent; one message if it
        cannot be read."""
        try:
            self._lab.open_run(path)
        except (ValueError, OSError) as exc:
            self._warn("Cannot open the run", str(exc))
            return False
        self._remember(Path(path).resolve())
        return True

    def open_recent(self, path: str) -> bool:
        """Open a recent entry (a session or a run); one that vanished is removed with a
        message."""
        if not _exists(path):
            prune_recent_sessions()
            self._warn("Open recent", f"{path} no longer exists; it was removed from the list.")
            self.sigSessionChanged.emit()
            return False
        if is_run_path(path):
            return self.open_run(path)
        return self.maybe_save() and self.open_path(path)

    def maybe_save(self) -> bool:
        """If there are unsaved changes ask Save / Discard / Cancel; False means stop."""
        if not self._modified:
            return True
        name = self._path.name if self._path else "the untitled session"
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(self._window, "Unsaved changes",
                                      f"Save the changes to {name}?", buttons,
                                      QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _on_config_changed(self, config: ExperimentConfig) -> None:
        self._set_modified(config.to_dict() != self._saved)

    def _set_modified(self, modified: bool) -> None:
        self._modified = modified
        self._update_title()
        self.sigSessionChanged.emit()

    def _update_title(self) -> None:
        name = self._path.name if self._path else "Untitled"
        # Qt replaces "[*]" with "*" while the window is marked modified.
        self._window.setWindowTitle(f"{name}[*] — {APP_TITLE}")
        self._window.setWindowModified(self._modified)

    def _remember(self, path: Path) -> None:
        remember_session(path)
        app_settings().setValue(LAST_DIR_KEY, str(path.parent))

    def _warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self._window, title, text)

    def _show_status(self, text: str) -> None:
        status_bar = getattr(self._window, "statusBar", None)
        if callable(status_bar):
            status_bar().showMessage(text, 5000)


def last_dir() -> str:
    """The folder of the last opened/saved session, else the user's documents folder."""
    stored = app_settings().value(LAST_DIR_KEY, "")
    if stored and Path(str(stored)).is_dir():
        return str(stored)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return documents or str(Path.home())
