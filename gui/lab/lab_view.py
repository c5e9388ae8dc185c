"""LabView: the Lab tab — settings on the left, run controls and live views on the right.

One TrainingController steps the current Trainer (and, in compare mode, trainer B in lockstep);
views redraw once per frame, only if shown (a tab behind another is not). See ARCHITECTURE.md "gui/lab/".
"""

from __future__ import annotations

import os
from pathlib import Path

from actiscope_probe.runformat import RUN_SUFFIX
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import gui.lab.views as lab_views
from core.config import ExperimentConfig
from core.runs import FileRun, Run, RunWriteError, TrainerRecorder, TrainerRun, save_run
from core.trainer import Trainer
from gui.export import ExportTarget, install_export_menu
from gui.lab.banner import DivergenceBanner
from gui.lab.compare_view import CompareView
from gui.lab.config_panel import ConfigPanel
from gui.lab.controller import TrainingController
from gui.lab.plots_area import PlotsArea
from gui.lab.preset_box import PresetBox
from gui.lab.run_bar import RunActions, RunBar
from gui.lab.run_card import RunCard
from gui.lab.run_follower import RunFollower
from gui.lab.scrubber import RunScrubber
from gui.lab.settings_io import restore_lab_settings, save_lab_settings
from gui.lab.views.phase_diagram import config_at_point

# Fields that define the data: if none changed, a rebuilt trainer reuses the Dataset object.
DATA_FIELDS = frozenset({"dataset", "csv_path", "noise", "n_samples", "n_classes",
                         "test_fraction", "seed"})


REPLAY_TICK_MS = 50                      # Play while replaying: 20 records a second
DEFAULT_SPLITTER_SIZES = [340, 1260]     # settings panel | plots (pixels, scaled by Qt)

# Default arrangement (by view class name): two columns of two docks (three stacked docks
# collapse to bare axes at 1280×720); the other views are tabs behind (front, behind).
_COLUMNS = (("NetworkDiagramView", "GradFlowView"), ("DeathView", "TrainingView"))
_TABS = (("GradFlowView", "GradHeatmapView"), ("GradFlowView", "PhaseDiagramView"),
         ("TrainingView", "UpdateRatioView"))


def _default_layout(views: list[QWidget]) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Dock columns and tab pairs as view indices, following _COLUMNS and _TABS."""
    names = [type(v).__name__ for v in views]
    columns = [[names.index(n) for n in column if n in names] for column in _COLUMNS]
    tabs = [(names.index(a), names.index(b)) for a, b in _TABS if a in names and b in names]
    return columns, tabs


class LabView(QWidget):
    """The Lab tab (tab protocol of gui/main_window.py)."""

    tab_title = "Lab"
    sigStepped = Signal(object)          # StepStats after each frame's steps
    sigConfigChanged = Signal(object)    # ExperimentConfig after any accepted edit
    sigStatusMessage = Signal(str)       # short notes for the main window's status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_text = ""
        self._actions = RunActions(self)
        self._compare_action = QAction("Compare A/B", self)
        self._compare_action.setCheckable(True)
        self._compare_action.setShortcut(QKeySequence("Ctrl+K"))
        self._compare_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._compare_action.setToolTip("Train a second configuration B beside A on the same "
                                        "data and seed, plots paired (Ctrl+K)")
        self.addAction(self._compare_action)
        self._save_run_action = QAction("Save run as…", self)
        self._save_run_action.setShortcut(QKeySequence("Ctrl+Alt+S"))
        self._save_run_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._save_run_action.setToolTip("Write every step the Lab has trained so far into a "
                                         "new run folder (.actirun) (Ctrl+Alt+S)")
        self.addAction(self._save_run_action)
        self._record_action = QAction("Record to file", self)
        self._record_action.setCheckable(True)
        self._record_action.setToolTip("While on, every training step is appended to a run "
                                       "folder (.actirun) chosen when you switch it on; off, "
                                       "Reset or new settings close the file")
        self.addAction(self._record_action)
        self._recorder: TrainerRecorder | None = None   # "Record to file" while on
        self._recorder_path: Path | None = None
        self._recorded_step = -1                         # newest step handed to the recorder
        self.recorded_steps = 0                          # steps recorded since switched on

        self.presets = PresetBox()
        self.panel = ConfigPanel()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.presets)
        self.run_card = RunCard()        # the config panel's place while a run file replays
        self._left_pages = QStackedWidget()
        self._left_pages.addWidget(self.panel)
        self._left_pages.addWidget(self.run_card)
        left_layout.addWidget(self._left_pages, 1)

        self.run_bar = RunBar(self._actions)
        compare_button = QToolButton()
        compare_button.setDefaultAction(self._compare_action)
        compare_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.record_button = QToolButton()
        self.record_button.setDefaultAction(self._record_action)
        self.record_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.banner = DivergenceBanner()
        self.views = [cls() for cls in lab_views.ALL_VIEWS]
        self.plots = PlotsArea(self.views, *_default_layout(self.views))
        self.compare = CompareView()
        # Right-click ▸ Export… on every plot (its data as PNG, SVG or CSV)
        for view in (*self.views, self.compare):
            install_export_menu(view, view.export_targets)
        self._pages = QStackedWidget()
        self._pages.addWidget(self.plots)
        self._pages.addWidget(self.compare)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        bar_row = QHBoxLayout()
        bar_row.addWidget(self.run_bar, 1)
        bar_row.addWidget(self.record_button)
        bar_row.addWidget(compare_button)
        right_layout.addLayout(bar_row)
        self.scrubber = RunScrubber()
        right_layout.addWidget(self.scrubber)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self._pages, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes(DEFAULT_SPLITTER_SIZES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.splitter)

        self.controller = TrainingController(self)
        self.follower = RunFollower(self)         # polls a growing run file off the GUI thread
        self._replay_source: str | None = None    # the run file replayed (None: live training)
        self._replay_timer = QTimer(self)         # Play while replaying: one record per tick
        self._replay_timer.setInterval(REPLAY_TICK_MS)
        self._scrub_step: int | None = None      # the step the scrubber shows (None: newest)
        self._trainer = Trainer(self.panel.config())
        self._wire()
        self._install_trainers()

    def _wire(self) -> None:
        self._actions.play_pause.toggled.connect(
            lambda on: self.play() if on else self.pause())
        self._actions.step.triggered.connect(self.step_once)
        self._actions.reset.triggered.connect(self.reset)
        self._compare_action.toggled.connect(self._on_compare_toggled)
        self._save_run_action.triggered.connect(self._choose_save_path)
        self._record_action.triggered.connect(self._on_record_triggered)
        self.run_bar.sigStepsPerFrameChanged.connect(self.controller.set_steps_per_frame)
        self.scrubber.sigScrubbed.connect(self._on_scrubbed)
        self.run_card.sigBackToTraining.connect(self.back_to_training)
        self.follower.sigGrew.connect(self._on_run_grew)
        self.follower.sigStopped.connect(self._on_follow_stopped)
        self._replay_timer.timeout.connect(self._replay_tick)
        self.scrubber.sigFollow.connect(self._on_follow)
        self.controller.sigStep.connect(self._on_step)
        self.controller.sigFrame.connect(self._on_frame)
        self.controller.sigDiverged.connect(self._on_diverged)
        self.controller.sigFailed.connect(self._on_failed)
        self.controller.sigRunningChanged.connect(self._actions.show_running)
        self.banner.sigReset.connect(self.reset)
        self.panel.sigConfigEdited.connect(self._on_config_edited)
        self.presets.sigPresetChosen.connect(self._on_preset_chosen)
        self.sigConfigChanged.connect(self.presets.show_config)
        self.compare.sigVariationChanged.connect(self.reset)
        for view, dock in zip(self.views, self.plots.docks(), strict=True):
            # A view brought to front (tab switch) redraws at once, even while paused (once the
            # worker is between two steps: the GUI never reads a trainer mid-step).
            dock.visibilityChanged.connect(
                lambda visible, view=view: visible and self.controller.call_when_idle(
                    lambda: view.show_record(self._run, self._shown_index())))
            chosen = getattr(view, "sigInitChosen", None)
            if chosen is not None:  # phase diagram click: start from that init (run resets)
                chosen.connect(lambda w, b: self.set_config(config_at_point(self.config(), w, b)))
            redraw = getattr(view, "sigRedrawRequested", None)
            if redraw is not None:  # a view option changed: redraw between two training steps
                redraw.connect(lambda view=view: self.controller.call_when_idle(
                    lambda: view.show_record(self._run, self._shown_index())))

    # -- configuration ---------------------------------------------------------------------------
    def config(self) -> ExperimentConfig:
        """The config of the current trainer (the last valid one)."""
        return self._trainer.config

    def set_config(self, config: ExperimentConfig) -> None:
        """Validate `config`, rebuild the trainer (ValueError if its data cannot load), reset."""
        config = config.replace()
        self._rebuild(config)
        self.panel.set_config(config)
        self.compare.set_config_a(config)
        self.sigConfigChanged.emit(config)

    @property
    def trainer(self) -> Trainer:
        """The current trainer (A in compare mode)."""
        return self._trainer

    @property
    def run(self) -> Run:
        """The Run every view draws: the trainer's TrainerRun, or the replayed run file."""
        return self._run

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

    def _ask_run_path(self, title: str) -> Path | None:
        """A new run folder's path from a save dialog (.actirun appended), or None."""
        path, _ = QFileDialog.getSaveFileName(self, title, "",
                                              f"Actiscope runs (*{RUN_SUFFIX})")
        if not path:
            return None
        path = Path(path)
        return path if path.suffix == RUN_SUFFIX else path.with_name(path.name + RUN_SUFFIX)

    def save_run(self, path: str | os.PathLike[str]) -> int:
        """Write every step the Lab has trained (its TrainerRun: the History's records and the
        per-unit snapshots) into the new run folder `path` (NAME.actirun); returns the records
        written. Training is held between two steps while it writes. An existing path is a
        FileExistsError, a bad name a ValueError (one sentence each)."""
        self.controller.wait_idle()       # the run reads the History the worker writes
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return save_run(self._live_run, path)
        finally:
            QApplication.restoreOverrideCursor()

    def _choose_save_path(self) -> None:
        path = self._ask_run_path("Save run as (a new .actirun folder)")
        if path is None:
            return
        try:
            written = self.save_run(path)
        except (ValueError, OSError) as exc:
            self.show_status(f"Could not save the run: {exc}")
            return
        self.show_status(f"Saved {written:,} records to {path.name}")

    # -- "Record to file": every trained step appended to a run folder -------------------------
    def is_recording(self) -> bool:
        """True while 'Record to file' appends every trained step to a run folder."""
        return self._recorder is not None

    def start_recording(self, path: str | os.PathLike[str]) -> None:
        """Append every step trained from now on to the new run folder `path` (NAME.actirun)
        until stop_recording(), Reset or new settings. An existing path is a FileExistsError."""
        self.stop_recording()
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} already exists; choose a new name.")
        self.controller.wait_idle()       # the manifest reads the trainer's network
        self._recorder = TrainerRecorder(path, self._trainer)
        self._recorder_path = path
        self._recorded_step = self._live_run.newest_step or 0
        self.recorded_steps = 0
        self._set_record_checked(True)
        self.show_status(f"Recording every step to {path.name}")

    def stop_recording(self) -> None:
        """Flush and close the recording (if any); the toggle goes off."""
        recorder, self._recorder = self._recorder, None
        self._set_record_checked(False)
        if recorder is None:
            return
        name = self._recorder_path.name if self._recorder_path else "the run"
        try:
            recorder.close()
        except RunWriteError as exc:
            self.show_status(f"Recording stopped: {exc}")
            return
        self.show_status(f"Recorded {self.recorded_steps:,} steps to {name}")

    def _set_record_checked(self, on: bool) -> None:
        blocked = self._record_action.blockSignals(True)
        self._record_action.setChecked(on)
        self._record_action.blockSignals(blocked)

    def _on_record_triggered(self, checked: bool) -> None:
        if not checked:
            self.stop_recording()
            return
        self._set_record_checked(False)     # on only once a folder was chosen and created
        path = self._ask_run_path("Record training to (a new .actirun folder)")
        if path is None:
            return
        try:
            self.start_recording(path)
        except (ValueError, OSError) as exc:
            self.show_status(f"Could not record: {exc}")

    def _record(self, stats) -> None:
        """Append one trained step (GUI thread, between two jobs of the worker)."""
        step = int(stats.step)
        if step <= self._recorded_step:     # a diverged trainer hands its last step back
            return
        try:
            self._recorder.append(stats)
        except RunWriteError as exc:
            recorder, self._recorder = self._recorder, None
            self._set_record_checked(False)
            try:
                recorder.close()
            except OSError:
                pass
            self.show_status(f"Recording stopped: {exc}")
            return
        self._recorded_step = step
        self.recorded_steps += 1

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

    def _replay_tick(self) -> None:
        """Play while replaying: the next record, until the newest."""
        index = self._shown_index() if self._scrub_step is not None else len(self._run) - 1
        if index >= len(self._run) - 1:
            self._replay_timer.stop()
            self._actions.show_running(False)
            return
        self._show_step(int(self._run.steps()[index + 1]))

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

    def _on_config_edited(self, config: ExperimentConfig, field: str) -> None:
        old = self._trainer.config
        if config.only_live_changes(old):
            self.compare.set_config_a(config)
            # Applied between two steps of the training worker (at once while paused).
            self.controller.call_when_idle(lambda: self._apply_live_changes(config))
        else:
            try:
                self._rebuild(config)
            except ValueError as exc:
                self.panel.revert(old, field, str(exc))
                return
            self.compare.set_config_a(config)
        self.sigConfigChanged.emit(config)

    def _apply_live_changes(self, config: ExperimentConfig) -> None:
        self._trainer.apply_live_changes(config)
        trainer_b = self.compare.trainer_b
        if self.is_comparing() and trainer_b is not None:
            trainer_b.apply_live_changes(self.compare.config_b())

    def _on_preset_chosen(self, config: ExperimentConfig) -> None:
        try:
            self.set_config(config)
        except ValueError as exc:
            self.show_status(str(exc))

    def _rebuild(self, config: ExperimentConfig) -> None:
        old = self._trainer.config
        same_data = not (old.changed_fields(config) & DATA_FIELDS)
        self._trainer = Trainer(config, dataset=self._trainer.dataset if same_data else None)
        self._install_trainers()

    def _install_trainers(self) -> None:
        """(Re)build B if comparing, hand the trainers to the controller, reset every view."""
        self.stop_recording()             # a new network: the run file ends here
        self._stop_replay()
        self.banner.hide()
        trainers = [self._trainer]
        self._run = self._live_run = TrainerRun(self._trainer)
        self._run_b: TrainerRun | None = None
        if self.is_comparing():
            self.compare.set_config_a(self._trainer.config)
            trainers.append(self.compare.build_trainer_b(self._trainer))
            self._run_b = TrainerRun(trainers[1])
            self.compare.reset_view(self._run, self._run_b)
        self.controller.set_trainers(trainers)
        self._scrub_step = None
        self.scrubber.following = True
        self.scrubber.follow_button.setEnabled(False)
        for view in self.views:
            view.reset_view(self._run)
        self._show_scrubber()
        self._show_progress()

    # -- running -------------------------------------------------------------------------------
    def play(self) -> None:
        """Start training on the frame timer (the views follow the newest step again); while
        replaying, play the run's records from the shown one."""
        if self.is_replaying():
            if self._shown_index() >= len(self._run) - 1 and len(self._run):
                self._show_step(int(self._run.steps()[0]))      # at the end: from the start
            self._replay_timer.start()
            self._actions.show_running(True)
            return
        if self._scrub_step is not None:
            self._show_step(None)
        self.controller.play()
        self._actions.show_running(self.controller.is_running())

    def pause(self) -> None:
        """Pause after the current frame (or the replay)."""
        if self._replay_timer.isActive():
            self._replay_timer.stop()
            self._actions.show_running(False)
        self.controller.pause()

    def step_once(self) -> None:
        """One training step (while paused); while replaying, the next record."""
        if self.is_replaying():
            index = self._shown_index() if self._scrub_step is not None else len(self._run) - 1
            if 0 <= index < len(self._run) - 1:
                self._show_step(int(self._run.steps()[index + 1]))
            return
        self.controller.step_once()

    def reset(self) -> None:
        """Rebuild the network from the current config (same data); step 0; banner hidden."""
        self.controller.wait_idle()
        self._trainer.reset()
        self._install_trainers()

    def is_running(self) -> bool:
        """True while training runs on the frame timer."""
        return self.controller.is_running()

    def is_comparing(self) -> bool:
        """True while compare mode (A and B) is shown."""
        return self._compare_action.isChecked()

    def set_comparing(self, on: bool) -> None:
        """Switch compare mode on or off (both trainers restart from step 0)."""
        self._compare_action.setChecked(on)

    def advance(self, n_steps: int) -> None:
        """Run `n_steps` synchronously (stops at divergence), then redraw every view once."""
        self.controller.advance(n_steps)
        self._refresh_views(force=True)

    def _on_compare_toggled(self, on: bool) -> None:
        self._pages.setCurrentWidget(self.compare if on else self.plots)
        self.controller.wait_idle()
        self._trainer.reset()
        self._install_trainers()

    def _on_step(self, index: int, stats) -> None:
        """Every step's StepStats (A = 0, B = 1) goes to its run, before the frame is drawn."""
        run = self._live_run if index == 0 else self._run_b
        if run is not None:
            run.append(stats)
        if index == 0 and self._recorder is not None:
            self._record(stats)

    def _on_frame(self, stats) -> None:
        """The controller's frame: the runs hold its steps (_on_step); the views draw."""
        if self.is_replaying():
            return
        if self._scrub_step is not None:     # a new step (Step while scrubbed): follow it
            self._scrub_step = None
            self.scrubber.following = True
            self.scrubber.follow_button.setEnabled(False)
        self._refresh_views(force=False)
        self._show_scrubber()
        self._show_progress()
        if stats is not None:
            self.sigStepped.emit(stats)

    def _refresh_views(self, force: bool) -> None:
        if self.is_comparing():
            if self._run_b is not None and (force or self.compare.isVisible()):
                self.compare.show_record(self._run, self._run_b, self._scrub_step)
            return
        index = self._shown_index()
        for view in self.views:
            if force or self.plots.is_shown(view):
                # render/advance/reset force: draw the current state, skipping no throttled part
                view.show_record(self._run, index, force=force)

    def _show_progress(self) -> None:
        self.run_bar.show_progress(self._run.newest_step or 0, self.controller.steps_per_second,
                                   self.controller.steps_per_frame)

    def _on_diverged(self, index: int, stats) -> None:
        prefix = ("", "B: ")[index] if self.is_comparing() else ""
        self.banner.show_divergence(stats.step, prefix + stats.message)
        self._actions.show_running(False)
        self.show_status(stats.message)

    def _on_failed(self, message: str) -> None:
        self.banner.show_failure(message)
        self._actions.show_running(False)
        self.show_status(f"Training stopped: {message}")

    def show_status(self, text: str) -> None:
        """Say `text` in the main window's status bar (kept in status_text when standalone)."""
        self.status_text = text
        self.sigStatusMessage.emit(text)
        window = self.window()
        status_bar = getattr(window, "statusBar", None)
        if window is not self and callable(status_bar):
            status_bar().showMessage(text, 8000)

    # -- rendering, export, menus, settings --------------------------------------------------
    def render_image(self, width: int, height: int) -> QImage:
        """The plots area (or the compare page) rendered at width×height, offscreen-safe."""
        page = self._pages.currentWidget()
        old_size = page.size()
        self.controller.wait_idle()
        page.resize(QSize(width, height))
        QApplication.sendPostedEvents()
        if page is self.plots:
            self.plots.hide_stale_tab_bars()
        self._refresh_views(force=True)
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        page.render(image)
        page.resize(old_size)
        return image

    def export_targets(self) -> list[ExportTarget]:
        """Every view's export targets (the compare page's too while comparing)."""
        targets = [t for view in self.views for t in view.export_targets()]
        if self.is_comparing():
            targets += self.compare.export_targets()
        return targets

    def menu_actions(self) -> list[QAction]:
        """Play/Pause, Step, Reset, Compare and Record to file, for the main window's Lab menu."""
        return [*self._actions.all(), self._compare_action, self._record_action]

    def file_actions(self) -> list[QAction]:
        """Save run as… (Ctrl+Alt+S), for the File menu (Open run… lives there already)."""
        return [self._save_run_action]

    @property
    def save_run_action(self) -> QAction:
        """File ▸ Save run as… (Ctrl+Alt+S): a save dialog, then save_run(path)."""
        return self._save_run_action

    @property
    def record_action(self) -> QAction:
        """The run bar's checkable 'Record to file' toggle."""
        return self._record_action

    def reset_layout(self) -> None:
        """View ▸ Reset layout: every dock back in its default place and size, default splitter."""
        self.plots.arrange_default()
        self.splitter.setSizes(DEFAULT_SPLITTER_SIZES)

    def save_settings(self, settings) -> None:
        """Store config, layout, splitter, speed and compare variation."""
        save_lab_settings(self, settings)

    def restore_settings(self, settings) -> None:
        """Restore what save_settings stored; anything corrupt falls back to defaults."""
        restore_lab_settings(self, settings)

    def shutdown(self) -> None:
        """Stop training, following and recording (flushed), join the worker threads."""
        self.follower.close()
        self.controller.shutdown()
        self.stop_recording()
