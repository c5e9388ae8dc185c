"""Application start-up: the QApplication, the main window with its tabs, and the event loop."""

from __future__ import annotations

import sys

import pyqtgraph as pg
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from gui.about import APP_VERSION
from gui.main_window import MainWindow
from gui.resources import resource_path
from gui.settings import APPLICATION, ORGANIZATION

__all__ = ["APP_VERSION", "create_app", "create_main_window", "run_app"]

# Qt chatter that is not a problem for the user (the offscreen platform cannot resize windows).
_IGNORED_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)


def _qt_message_handler(kind: QtMsgType, _context, message: str) -> None:
    """Print Qt's warnings on stderr as Qt would, minus known harmless noise."""
    if not any(message.startswith(ignored) for ignored in _IGNORED_QT_MESSAGES):
        print(message, file=sys.stderr)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists): names, icon, Fusion style, antialiased plots."""
    app = QApplication.instance()
    if app is None:
        qInstallMessageHandler(_qt_message_handler)
        app = QApplication(argv if argv is not None else sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(APP_VERSION)
    app.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    app.setStyle("Fusion")
    pg.setConfigOptions(antialias=True)
    return app


def create_main_window() -> MainWindow:
    """The main window with every tab; a new tab is one `window.add_tab(...)` line here."""
    from gui.explorer.explorer_view import ExplorerView
    from gui.lab.lab_view import LabView
    from gui.record_dialog import record_animation_action
    from gui.session_menu import install_session_menu

    window = MainWindow()
    window.add_tab(ExplorerView())
    lab = LabView()
    window.add_tab(lab)
    sessions = install_session_menu(window, lab)
    window.sessions = sessions
    window.file_menu().insertActions(window.export_action, lab.file_actions())   # Save run as…
    window.file_menu().insertSeparator(window.export_action)
    # Only an opened/saved session file can have unsaved changes worth a question; the untitled
    # Lab config is remembered in the settings anyway.
    window.close_guards.append(lambda: sessions.path is None or sessions.maybe_save())
    record = record_animation_action(window, lab)  # one action in two menus: one shortcut
    window.file_menu().insertAction(window.quit_action, record)
    window.file_menu().insertSeparator(window.quit_action)
    lab_menu = window.tab_menu(lab)
    if lab_menu is not None:
        lab_menu.addSeparator()
        lab_menu.addAction(record)
    return window


def run_app(run_path: str | None = None) -> int:
    """Show the main window (replaying `run_path` in the Lab when given) and run the event
    loop; returns the exit code. A run that cannot be read is one sentence (ValueError)."""
    app = create_app()
    window = create_main_window()
    if run_path is not None:
        from gui.lab.lab_view import LabView
        lab = next(w for w in window.tab_widgets() if isinstance(w, LabView))
        lab.open_run(run_path)
        window.tabs.setCurrentWidget(lab)
    window.show()
    return app.exec()
