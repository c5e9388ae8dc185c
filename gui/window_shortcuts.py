"""Window-wide menu shortcuts that a focused text field does not swallow.

On Linux a QLineEdit takes Ctrl+E, Ctrl+K, Ctrl+H … for its own (emacs-style) editing keys: it
accepts the ShortcutOverride event, so Qt never fires the menu action. With a Lab field focused,
Ctrl+E (Export plot) and Ctrl+K (Compare A/B) did nothing. Editing shortcuts (copy, paste, undo,
select all) stay with the field.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

_EDITING_KEYS = (QKeySequence.StandardKey.Copy, QKeySequence.StandardKey.Cut,
                 QKeySequence.StandardKey.Paste, QKeySequence.StandardKey.Undo,
                 QKeySequence.StandardKey.Redo, QKeySequence.StandardKey.SelectAll)


def window_shortcuts(window: QWidget) -> set[str]:
    """Shortcuts (portable text) of the window's Ctrl/Alt actions, editing keys left out."""
    editing = {seq.toString() for key in _EDITING_KEYS for seq in QKeySequence.keyBindings(key)}
    found = set()
    for action in window.findChildren(QAction):
        if action.shortcutContext() == Qt.ShortcutContext.WidgetShortcut:
            continue
        for seq in action.shortcuts():
            text = seq.toString()
            if text and ("Ctrl+" in text or "Alt+" in text) and text not in editing:
                found.add(text)
    return found


class WindowShortcuts(QObject):
    """Owned by `window`: its menu shortcuts win over the focused text field.

    It filters only the widgets of the window that take the keyboard focus (ShortcutOverride
    goes to the focus widget), not every event of the application: an application-wide Python
    filter was called for each of the thousands of events a second the Lab makes while it
    plays. Qt removes the filter from those widgets when this object dies.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        app = QApplication.instance()
        app.focusChanged.connect(self._on_focus_changed)
        focused = app.focusWidget()
        if focused is not None:
            self._on_focus_changed(None, focused)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and new.window() is self._window:
            new.installEventFilter(self)     # installed once: a second call only moves it

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Hide ShortcutOverride for the window's shortcuts from the focused widget."""
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(watched, QWidget):
            return False
        if watched.window() is not self._window:
            return False
        pressed = QKeySequence(event.keyCombination()).toString()
        return pressed in window_shortcuts(self._window)
