"""Compare A/B in the Lab: the Compare page beside the plots, any two runs aligned by step.

A is the Lab's training or a run file; B is a trainer varying A's settings (stepped in lockstep
with A) or a run file (CompareView.sources). Only live sides train: with two files, Play/Step
replay A's records and B is shown at the same step; the scrubber runs over A's records. A file
side still being written is followed (one RunFollower per side, polling off the GUI thread) and
the paired plots redraw when either grows.

CompareMixin is LabView's half about compare mode. It uses LabView's `_compare_action`,
`compare` (CompareView), `_compare_followers`, `_pages`, `plots`, `controller`, `_trainer`,
`_run`, `_run_b`, `_scrub_step`, `_install_trainers` and the replay/scrub helpers.
"""

from __future__ import annotations

import os

from PySide6.QtGui import QAction

from core.runs import Run, TrainerRun
from gui.lab.compare_sources import ask_run_folder
from gui.lab.lab_action import lab_action


def make_compare_action(parent) -> QAction:
    """The checkable 'Compare A/B' action (Ctrl+K) of the run bar and the Lab menu."""
    return lab_action(parent, "Compare A/B", "Train a second configuration B beside A on the "
                      "same data and seed, plots paired (Ctrl+K)", "Ctrl+K", checkable=True)


def make_compare_runs_action(parent) -> QAction:
    """'Compare runs…' (Ctrl+Shift+K): two run folders side by side in Compare."""
    return lab_action(parent, "Compare runs…", "Choose two run folders (.actirun) and compare "
                      "them in Compare A/B, aligned by step (Ctrl+Shift+K)", "Ctrl+Shift+K")


class CompareMixin:
    """Compare mode on/off, B built beside A, the paired plots redrawn per frame."""

    def is_comparing(self) -> bool:
        """True while compare mode (A and B) is shown."""
        return self._compare_action.isChecked()

    def set_comparing(self, on: bool) -> None:
        """Switch compare mode on or off (both trainers restart from step 0)."""
        self._compare_action.setChecked(on)

    def compare_runs(self, path_a: str | os.PathLike[str],
                     path_b: str | os.PathLike[str]) -> None:
        """Show the run folders `path_a` and `path_b` in Compare (ValueError with one sentence,
        nothing changed, if either cannot be read)."""
        self.compare.sources.set_files(path_a, path_b)    # reinstalls if already comparing
        if not self.is_comparing():
            self.set_comparing(True)

    def _ask_compare_runs(self) -> None:
        """Compare runs…: two folder dialogs, then compare_runs (an error is one sentence)."""
        path_a = ask_run_folder(self, "Compare runs: run folder (.actirun) for A")
        if not path_a:
            return
        path_b = ask_run_folder(self, "Compare runs: run folder (.actirun) for B")
        if not path_b:
            return
        try:
            self.compare_runs(path_a, path_b)
        except ValueError as exc:
            self.compare.show_error(str(exc))
            self.show_status(f"Could not compare the runs: {exc}")

    def _compare_files_only(self) -> bool:
        """True while Compare shows two run files (nothing trains; Play/Step replay A)."""
        return self.is_comparing() and self.compare.sources.is_file(0)

    def _on_compare_sources_changed(self) -> None:
        """A side's source changed: rebuild the comparison (A restarts when B varies it)."""
        if not self.is_comparing():
            return
        self.pause()
        self.controller.wait_idle()
        if not self.compare.sources.is_file(1):
            self._trainer.reset()           # B starts at step 0: A too, for lockstep
        self._install_trainers()

    def _on_compare_toggled(self, on: bool) -> None:
        self._pages.setCurrentWidget(self.compare if on else self.plots)
        self.controller.wait_idle()
        self._trainer.reset()
        self._install_trainers()

    def _compare_trainers(self) -> list:
        """Build B beside the freshly installed A (when comparing): the extra trainers to step."""
        self._run_b: Run | None = None
        for follower in self._compare_followers:
            follower.close()
        if not self.is_comparing():
            return []
        self.compare.set_config_a(self._trainer.config)
        file_a, file_b = self.compare.sources.files
        trainers = []
        if file_a is not None:
            self._run = file_a              # the scrubber and Play/Step run over A's records
        if file_b is not None:
            self._run_b = file_b
        else:
            trainer_b = self.compare.build_trainer_b(self._trainer)
            self._run_b = TrainerRun(trainer_b)
            trainers.append(trainer_b)
        for follower, run in zip(self._compare_followers, (file_a, file_b), strict=True):
            if run is not None:
                follower.follow(run)
        self.compare.reset_view(self._run, self._run_b)
        return trainers

    def _on_compare_grew(self, count: int) -> None:
        """A followed file side has `count` new records: names, plots and scrubber follow."""
        if not self.is_comparing() or self._run_b is None:
            return
        self.compare.show_names()
        if self._scrub_step is None and not self._replay_timer.isActive():
            self._refresh_compare(force=False)
        self._show_scrubber()
        self._show_progress()

    def _refresh_compare(self, force: bool) -> None:
        """Both runs at the scrubbed step; following, at the live A's newest step (a file B
        shows its record at or before it), or at the newest step of two files."""
        if self._run_b is None or not (force or self.compare.isVisible()):
            return
        step = self._scrub_step
        if step is None and self._run is self._live_run:
            step = self._run.newest_step
        self.compare.show_record(self._run, self._run_b, step)
