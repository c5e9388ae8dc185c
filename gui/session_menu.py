"""File menu entries for sessions: Open…, Open recent ▸, Save, Save as…."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from gui.session import (
    SessionController,
    SessionLab,
    clear_recent_sessions,
    is_run_path,
    last_dir,
    prune_recent_sessions,
    recent_sessions,
)


def install_session_menu(main_window: QMainWindow, lab_view: SessionLab) -> SessionController:
    """Add the session actions at the top of main_window.file_menu(); return their controller.

    The actions are kept in `controller.actions` ("open", "save", "save_as") and the submenu in
    `controller.recent_menu`.
    """
    controller = SessionController(main_window, lab_view)
    menu: QMenu = main_window.file_menu()
    first = menu.actions()[0] if menu.actions() else None

    def make(text: str, shortcut: str, tip: str, slot) -> QAction:
        action = QAction(text, main_window)
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    open_action = make("&Open session…", "Ctrl+O", "Open a saved Lab session (.actiscope.json)",
                       controller.open_dialog)
    save_action = make("&Save session", "Ctrl+S", "Save the Lab's settings to the session file",
                       controller.save)
    save_as_action = make("Save session &as…", "Ctrl+Shift+S",
                          "Save the Lab's settings to a new session file", controller.save_as)
    open_run_action = make("Open &run…", "Ctrl+Shift+O",
                           "Replay a run folder (.actirun) in the Lab: from 'main.py run', the "
                           "probe or Save run as; a run still being written is followed live",
                           lambda: _choose_run(main_window, controller))
    recent_menu = QMenu("Open &recent", menu)
    recent_menu.aboutToShow.connect(lambda: _fill_recent_menu(main_window, controller,
                                                              recent_menu))
    _fill_recent_menu(main_window, controller, recent_menu, report_pruned=False)
    controller.sigSessionChanged.connect(lambda: recent_menu.setEnabled(bool(recent_sessions())))

    menu.insertAction(first, open_action)
    menu.insertAction(first, open_run_action)
    menu.insertMenu(first, recent_menu)
    menu.insertSeparator(first)
    menu.insertAction(first, save_action)
    menu.insertAction(first, save_as_action)
    if first is not None:
        menu.insertSeparator(first)
    controller.actions = {"open": open_action, "open_run": open_run_action, "save": save_action,
                          "save_as": save_as_action}
    controller.recent_menu = recent_menu
    return controller


def _choose_run(main_window: QMainWindow, controller: SessionController) -> None:
    """The native folder dialog for a .actirun run, then replay it (remembered in Open recent)."""
    folder = QFileDialog.getExistingDirectory(main_window, "Open run (a .actirun folder)",
                                              last_dir())
    if folder:
        controller.open_run(folder)


def _fill_recent_menu(main_window: QMainWindow, controller: SessionController, menu: QMenu,
                      report_pruned: bool = True) -> None:
    """Rebuild the recent list, dropping files that no longer exist (said in the status bar)."""
    missing = prune_recent_sessions()
    if missing and report_pruned:
        count = len(missing)
        main_window.statusBar().showMessage(
            f"Removed {count} missing session{'s' if count > 1 else ''} from Open recent.", 5000)
    menu.clear()
    paths = recent_sessions()
    for index, path in enumerate(paths, start=1):
        kind = "  (run)" if is_run_path(path) else ""
        action = menu.addAction(f"&{index} {Path(path).name}{kind}")
        action.setToolTip(path)
        action.setStatusTip(path)
        action.triggered.connect(lambda _checked=False, p=path: controller.open_recent(p))
    if paths:
        menu.addSeparator()
        menu.addAction("Clear list", lambda: (clear_recent_sessions(), menu.setEnabled(False)))
    menu.setEnabled(bool(paths))
