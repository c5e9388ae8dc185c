"""Application start-up: the QApplication, the main window with its tabs, and the event loop."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from gui.about import APP_VERSION
from gui.main_window import MainWindow
from gui.resources import resource_path
from gui.settings import APPLICATION, ORGANIZATION

__all__ = ["APP_VERSION", "create_app", "create_main_window", "run_app"]

FIRST_PAINT_TIMEOUT_MS = 3000   # on_first_paint runs by then even if no paint came

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


class _FirstPaint(QObject):
    """Calls `callback` once: at the first paint of `window`, or after a timeout at most (a
    window that is never painted, e.g. minimised, must not keep start-up state forever)."""

    def __init__(self, window: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._callback: Callable[[], None] | None = callback
        window.installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_TIMEOUT_MS, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Fire on the window's first Paint event."""
        if event.type() == QEvent.Type.Paint:
            self._fire()
        return False

    def _fire(self) -> None:
        if self._callback is not None:
            callback, self._callback = self._callback, None
            self._window.removeEventFilter(self)
            callback()


def run_app(run_path: str | None = None,
            on_first_paint: Callable[[], None] | None = None) -> int:
    """Show the main window (replaying `run_path` in the Lab when given) and run the event
    loop; returns the exit code. A run that cannot be read is one sentence (ValueError).
    `on_first_paint` is called once, when the window is first painted."""
    app = create_app()
    window = create_main_window()
    if run_path is not None:
        from gui.lab.lab_view import LabView
        lab = next(w for w in window.tab_widgets() if isinstance(w, LabView))
        lab.open_run(run_path)
        window.tabs.setCurrentWidget(lab)
    if on_first_paint is not None:
        _FirstPaint(window, on_first_paint)
    window.show()
    return app.exec()
