"""The Lab's QActions: owned by the Lab widget, their shortcuts live only while the Lab is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


def lab_action(parent: QWidget, text: str, tip: str, shortcut: QKeySequence | str | None = None,
               checkable: bool = False) -> QAction:
    """A QAction added to `parent` (the Lab), which owns it: shown in the run bar and the main
    window's menus, its shortcut fires only while the Lab tab is the visible one. `tip` names the
    shortcut itself (e.g. "… (Ctrl+K)")."""
    action = QAction(text, parent)
    action.setCheckable(checkable)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.setToolTip(tip)
    parent.addAction(action)
    return action
