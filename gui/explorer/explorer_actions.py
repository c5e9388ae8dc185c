"""The Explorer's actions: show functions/derivatives, side panel, reset range and parameters."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget


def _action(parent: QWidget, text: str, shortcut: str, tip: str,
            checkable: bool = False) -> QAction:
    """A QAction with a shortcut and a status-bar tip."""
    action = QAction(text, parent)
    action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    action.setToolTip(f"{tip} ({shortcut})")
    action.setCheckable(checkable)
    if checkable:
        action.setChecked(True)
    return action


class ExplorerActions:
    """QActions shared by the Explorer menu, the View menu and the toggle buttons.

    Only the actions (text, shortcut, tip, checked state); the ExplorerView connects them to its
    own parts, so this module knows nothing of the view.
    """

    def __init__(self, parent: QWidget) -> None:
        """Create the actions, owned by `parent` (the shortcuts work within it)."""
        self.show_functions = _action(parent, "Show &functions f(x)", "Ctrl+F",
                                      "Draw every f(x) as a solid line", checkable=True)
        self.show_derivatives = _action(parent, "Show &derivatives f\u2032(x)", "Ctrl+D",
                                        "Draw every f\u2032(x) as a dashed line", checkable=True)
        self.reset_range = _action(parent, "&Reset x range", "Ctrl+0",
                                   "Back to x in [-5, 5] (also: double-click the plot)")
        self.reset_params = _action(parent, "Reset &parameters", "Ctrl+Shift+0",
                                    "Every c, \u03b1, \u03b2 back to its default")
        self.side_panel = _action(parent, "Show &side panel", "F9",
                                  "Show or hide the panel describing the selected activation",
                                  checkable=True)

    def toggle_bar(self) -> QWidget:
        """Two check boxes (functions, derivatives) kept in step with the checkable actions: a
        setting reads as a check box, not as a button that looks like a command."""
        bar = QWidget()
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(0, 0, 0, 0)
        for action in (self.show_functions, self.show_derivatives):
            box = QCheckBox(action.text().replace("&", ""), bar)
            box.setToolTip(f"{action.statusTip()} ({action.shortcut().toString()})")
            box.setChecked(action.isChecked())
            box.toggled.connect(action.setChecked)
            action.toggled.connect(box.setChecked)
            layout.addWidget(box, 1)
        return bar

    def menu_actions(self) -> list[QAction]:
        """The Explorer menu's actions, in order."""
        return [self.show_functions, self.show_derivatives, self.reset_range, self.reset_params]
