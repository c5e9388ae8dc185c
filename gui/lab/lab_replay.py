"""Which record the Lab's views show: the scrubber's step, and replaying or following a run file.

ReplayMixin is LabView's half about the shown run. It uses LabView's widgets and state:
`_run` (the Run the views draw), `_live_run` (the trainer's), `_scrub_step` (None: the newest),
`follower`, `_replay_timer`, `_replay_source`, `views`, `scrubber`, `run_card`, `_left_pages`,
`panel`, `banner`, `controller`, `_actions`, `_compare_action` and `_refresh_views`.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.runs import FileRun, Run


class ReplayMixin:
    """Scrubbing every run, replaying (Play/Step through records) and following a run file."""

    # -- the replayed run ------------------------------------------------------------------------
    def is_replaying(self) -> bool:
        """True while a run file is shown instead of the Lab's own training."""
        return self._replay_source is not None

    def open_run(self, path: str | os.PathLike[str]) -> None:
        """Replay the run folder at `path` (ValueError with one sentence if it cannot be read)."""
        self.show_run(FileRun(path), str(path))

    def show_run(self, run: Run, source: str) -> None:
        """Replay `run` in every view (training pauses; the card replaces the settings); a
        growing run is followed. Back to training, a preset or a Reset return to the trainer."""
        if self.is_comparing():
            self.set_comparing(False)
        self.pause()
        self.controller.wait_idle()
        self._stop_replay()
        self._replay_source = source
        self._run = run
        self._scrub_step = None
        self.scrubber.following = True
        self.banner.hide()
        for view in self.views:
            view.reset_view(run)
        self.run_card.show_run(run, source)
        self._left_pages.setCurrentWidget(self.run_card)
        self._compare_action.setEnabled(False)
        self.follower.follow(run)
        self.scrubber.set_following_file(self.follower.following)
        self._show_scrubber()
        self._show_progress()
        self.show_status(f"Replaying {Path(source).name}: {len(run):,} records")

    def back_to_training(self) -> None:
        """Leave the replay: the views show the Lab's own trainer again (where it was)."""
        if not self.is_replaying():
            return
        self._stop_replay()
        self._run = self._live_run
        self._scrub_step = None
        self.scrubber.following = True
        for view in self.views:
            view.reset_view(self._run)
        self._show_scrubber()
        self._show_progress()

    def _stop_replay(self) -> None:
        """Forget the replayed run (if any): stop following and replaying, settings back."""
        self._replay_timer.stop()
        self.follower.close()
        self.scrubber.set_following_file(False)
        self._replay_source = None
        self._left_pages.setCurrentWidget(self.panel)
        self._compare_action.setEnabled(True)
        self._actions.show_running(self.controller.is_running())

    def _on_run_grew(self, count: int) -> None:
        """The followed file has `count` new records: the views follow the newest."""
        if not self.is_replaying():
            return
        if self._scrub_step is None and not self._replay_timer.isActive():
            self._refresh_views(force=False)
        self.run_card.show_run(self._run, self._replay_source)   # records and steps so far
        self._show_scrubber()
        self._show_progress()

    def _on_follow_stopped(self, reason: str) -> None:
        self.scrubber.set_following_file(False)
        if reason and self.is_replaying():
            self.show_status(f"Stopped following the run: {reason}")

    # -- Play/Step while replaying: through the records --------------------------------------------
    def _play_replay(self) -> None:
        if self._shown_index() >= len(self._run) - 1 and len(self._run):
            self._show_step(int(self._run.steps()[0]))      # at the end: from the start
        self._replay_timer.start()
        self._actions.show_running(True)

    def _step_replay(self) -> None:
        index = self._shown_index() if self._scrub_step is not None else len(self._run) - 1
        if 0 <= index < len(self._run) - 1:
            self._show_step(int(self._run.steps()[index + 1]))

    def _replay_tick(self) -> None:
        """Play while replaying: the next record, until the newest."""
        index = self._shown_index() if self._scrub_step is not None else len(self._run) - 1
        if index >= len(self._run) - 1:
            self._replay_timer.stop()
            self._actions.show_running(False)
            return
        self._show_step(int(self._run.steps()[index + 1]))

    # -- the scrubber (every run, the live one included) -----------------------------------------
    def _shown_index(self) -> int:
        """The record the views show: the scrubber's step, else the newest (-1)."""
        if self._scrub_step is None or not len(self._run):
            return -1
        return self._run.step_index(self._scrub_step)

    def show_step(self, step: int | None) -> None:
        """Show the newest record at or before `step` in every view (None: follow the newest);
        scrubbing pauses training first."""
        if step is not None and self.controller.is_running():
            self.pause()
        self.controller.call_when_idle(lambda: self._show_step(step))

    def _show_step(self, step: int | None) -> None:
        self._scrub_step = None if step is None or not len(self._run) else int(step)
        if self._scrub_step is None:
            self.scrubber.following = True
            self.scrubber.follow_button.setEnabled(False)
        self._show_scrubber()
        self._refresh_views(force=False)

    def _follow_newest(self) -> None:
        """A new live step arrived (or the runs were rebuilt): the scrubber follows it."""
        self._scrub_step = None
        self.scrubber.following = True
        self.scrubber.follow_button.setEnabled(False)

    def _on_scrubbed(self, index: int) -> None:
        """The slider moved to record `index` (pauses training; the views show that record)."""
        if self.controller.is_running():
            self.pause()
        self.controller.call_when_idle(lambda: self._show_step(
            int(self._run.steps()[index]) if 0 <= index < len(self._run) else None))

    def _on_follow(self) -> None:
        self.show_step(None)

    def _show_scrubber(self) -> None:
        run = self._run
        index = None if self._scrub_step is None else self._shown_index()
        step = None if index is None else int(run.steps()[index])
        self.scrubber.show_run(len(run), run.newest_step, index, step)
