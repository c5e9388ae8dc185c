"""The Explorer's actions: show functions/derivatives, side panel, reset range and parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

if TYPE_CHECKING:
    from gui.explorer.explorer_view import ExplorerView


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
    """QActions shared by the Explorer menu, the View menu and the toggle buttons."""

    def __init__(self, view: ExplorerView) -> None:
        self.view = view
        self.show_functions = _action(view, "Show &functions f(x)", "Ctrl+F",
                                      "Draw every f(x) as a solid line", checkable=True)
        self.show_derivatives = _action(view, "Show &derivatives f\u2032(x)", "Ctrl+D",
                                        "Draw every f\u2032(x) as a dashed line", checkable=True)
        self.reset_range = _action(view, "&Reset x range", "Ctrl+0",
                                   "Back to x in [-5, 5] (also: double-click the plot)")
        self.reset_params = _action(view, "Reset &parameters", "Ctrl+Shift+0",
                                    "Every c, \u03b1, \u03b2 back to its default")
        self.side_panel = _action(view, "Show &side panel", "F9",
                                  "Show or hide the panel describing the selected activation",
                                  checkable=True)
        self.show_functions.toggled.connect(self._on_kinds_toggled)
        self.show_derivatives.toggled.connect(self._on_kinds_toggled)
        self.reset_range.triggered.connect(view.reset_x_range)
        self.reset_params.triggered.connect(view.param_controls.reset_defaults)
        self.side_panel.toggled.connect(view.info_panel.setVisible)

    def toggle_bar(self) -> QWidget:
        """Two toggle buttons (functions, derivatives) bound to the actions."""
        bar = QWidget()
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(0, 0, 0, 0)
        for action in (self.show_functions, self.show_derivatives):
            button = QToolButton()
            button.setDefaultAction(action)
            layout.addWidget(button, 1)
        return bar

    def menu_actions(self) -> list[QAction]:
        """The Explorer menu's actions, in order."""
        return [self.show_functions, self.show_derivatives, self.reset_range, self.reset_params]

    def _on_kinds_toggled(self, _checked: bool) -> None:
        """Apply both toggles to the plot."""
        self.view.plot.set_show_kinds(self.show_functions.isChecked(),
                                      self.show_derivatives.isChecked())
