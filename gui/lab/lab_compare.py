"""Compare A/B in the Lab: the Compare page beside the plots, and trainer B in lockstep with A.

CompareMixin is LabView's half about compare mode. It uses LabView's `_compare_action`,
`compare` (CompareView), `_pages`, `plots`, `controller`, `_trainer`, `_run`, `_run_b`,
`_scrub_step` and `_install_trainers`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from core.runs import TrainerRun


def make_compare_action(parent) -> QAction:
    """The checkable 'Compare A/B' action (Ctrl+K) of the run bar and the Lab menu."""
    action = QAction("Compare A/B", parent)
    action.setCheckable(True)
    action.setShortcut(QKeySequence("Ctrl+K"))
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.setToolTip("Train a second configuration B beside A on the same data and seed, "
                      "plots paired (Ctrl+K)")
    parent.addAction(action)
    return action


class CompareMixin:
    """Compare mode on/off, B built beside A, the paired plots redrawn per frame."""

    def is_comparing(self) -> bool:
        """True while compare mode (A and B) is shown."""
        return self._compare_action.isChecked()

    def set_comparing(self, on: bool) -> None:
        """Switch compare mode on or off (both trainers restart from step 0)."""
        self._compare_action.setChecked(on)

    def _on_compare_toggled(self, on: bool) -> None:
        self._pages.setCurrentWidget(self.compare if on else self.plots)
        self.controller.wait_idle()
        self._trainer.reset()
        self._install_trainers()

    def _compare_trainers(self) -> list:
        """Build B beside the freshly installed A (when comparing): the extra trainers to step."""
        self._run_b: TrainerRun | None = None
        if not self.is_comparing():
            return []
        self.compare.set_config_a(self._trainer.config)
        trainer_b = self.compare.build_trainer_b(self._trainer)
        self._run_b = TrainerRun(trainer_b)
        self.compare.reset_view(self._run, self._run_b)
        return [trainer_b]

    def _refresh_compare(self, force: bool) -> None:
        if self._run_b is not None and (force or self.compare.isVisible()):
            self.compare.show_record(self._run, self._run_b, self._scrub_step)
