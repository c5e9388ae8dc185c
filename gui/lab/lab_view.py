"""LabView: the Lab tab — settings on the left, run controls and live views on the right.

One TrainingController steps the current Trainer (and, in compare mode, trainer B in lockstep);
views redraw once per frame, only if shown (a tab behind another is not). The config and its
rebuilds live in lab_config.py, replay and scrubbing in lab_replay.py, compare mode in
lab_compare.py, run files out in lab_recording.py, the default arrangement in lab_layout.py.
See ARCHITECTURE.md "gui/lab/".
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QImage
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import gui.lab.views as lab_views
from core.runs import Run, TrainerRun
from core.trainer import Trainer
from gui.export import ExportTarget, install_export_menu
from gui.lab.banner import DivergenceBanner
from gui.lab.compare_view import CompareView
from gui.lab.config_panel import ConfigPanel
from gui.lab.controller import TrainingController
from gui.lab.lab_compare import CompareMixin, make_compare_action, make_compare_runs_action
from gui.lab.lab_config import ConfigMixin
from gui.lab.lab_layout import DEFAULT_SPLITTER_SIZES, default_layout
from gui.lab.lab_recording import LabRecording
from gui.lab.lab_replay import ReplayMixin
from gui.lab.plots_area import PlotsArea
from gui.lab.preset_box import PresetBox
from gui.lab.run_bar import RunActions, RunBar
from gui.lab.run_card import RunCard
from gui.lab.run_follower import RunFollower
from gui.lab.scrubber import RunScrubber
from gui.lab.settings_io import restore_lab_settings, save_lab_settings
from gui.lab.views.phase_diagram import config_at_point

REPLAY_TICK_MS = 50                      # Play while replaying: 20 records a second


class LabView(ConfigMixin, ReplayMixin, CompareMixin, QWidget):
    """The Lab tab (tab protocol of gui/main_window.py)."""

    tab_title = "Lab"
    sigStepped = Signal(object)          # StepStats after each frame's steps
    sigConfigChanged = Signal(object)    # ExperimentConfig after any accepted edit
    sigStatusMessage = Signal(str)       # short notes for the main window's status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status_text = ""
        self._actions = RunActions(self)
        self._compare_action = make_compare_action(self)
        self._compare_runs_action = make_compare_runs_action(self)
        self.recording = LabRecording(self)    # Save run as… and Record to file

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
        self.record_button.setDefaultAction(self.recording.record_action)
        self.record_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.banner = DivergenceBanner()
        self.views = [cls() for cls in lab_views.ALL_VIEWS]
        self.plots = PlotsArea(self.views, *default_layout(self.views))
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
        self._compare_followers = (RunFollower(self), RunFollower(self))   # Compare's file sides
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
        self._compare_runs_action.triggered.connect(self._ask_compare_runs)
        self.compare.sources.sigChanged.connect(self._on_compare_sources_changed)
        for follower in self._compare_followers:
            follower.sigGrew.connect(self._on_compare_grew)
        self.run_bar.sigStepsPerFrameChanged.connect(self.controller.set_steps_per_frame)
        self.scrubber.sigScrubbed.connect(self._on_scrubbed)
        self.run_card.sigBackToTraining.connect(self.back_to_training)
        self.follower.sigGrew.connect(self._on_run_grew)
        self.follower.sigStopped.connect(self._on_follow_stopped)
        self._replay_timer.timeout.connect(self._replay_tick)
        self.scrubber.sigFollow.connect(self._on_follow)
        self.controller.sigSteps.connect(self._on_steps)
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

    # -- the runs (configuration: gui/lab/lab_config.py) -------------------------------------------
    @property
    def run(self) -> Run:
        """The Run every view draws: the trainer's TrainerRun, or the replayed run file."""
        return self._run

    @property
    def live_run(self) -> TrainerRun:
        """The TrainerRun of the Lab's own trainer (A), whatever the views show."""
        return self._live_run

    # -- run files out (gui/lab/lab_recording.py) --------------------------------------------------
    def save_run(self, path: str | os.PathLike[str]) -> int:
        """Write every step the Lab has trained (its TrainerRun) into the new run folder `path`
        (NAME.actirun); returns the records written. FileExistsError / ValueError otherwise."""
        return self.recording.save_run(path)

    def is_recording(self) -> bool:
        """True while 'Record to file' appends every trained step to a run folder."""
        return self.recording.is_recording()

    def start_recording(self, path: str | os.PathLike[str]) -> None:
        """Append every step trained from now on to the new run folder `path` (NAME.actirun)
        until stop_recording(), Reset or new settings. An existing path is a FileExistsError."""
        self.recording.start(path)

    def stop_recording(self) -> None:
        """Flush and close the recording (if any); the toggle goes off."""
        self.recording.stop()

    @property
    def recorded_steps(self) -> int:
        """Steps recorded since Record to file was switched on."""
        return self.recording.recorded_steps

    def _install_trainers(self) -> None:
        """(Re)build B if comparing, hand the trainers to the controller, reset every view."""
        self.stop_recording()             # a new network: the run file ends here
        self._stop_replay()
        self.banner.hide()
        self._run = self._live_run = TrainerRun(self._trainer)
        self.controller.set_trainers([self._trainer, *self._compare_trainers()])
        self._follow_newest()
        for view in self.views:
            view.reset_view(self._run)
        self._show_scrubber()
        self._show_progress()

    # -- running -------------------------------------------------------------------------------
    def play(self) -> None:
        """Start training on the frame timer (the views follow the newest step again); while
        replaying, play the run's records from the shown one."""
        if self.is_replaying() or self._compare_files_only():
            self._play_replay()
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
        if self.is_replaying() or self._compare_files_only():
            self._step_replay()
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

    def advance(self, n_steps: int) -> None:
        """Run `n_steps` synchronously (stops at divergence), then redraw every view once."""
        self.controller.advance(n_steps)
        self._refresh_views(force=True)

    def _on_steps(self, steps: list) -> None:
        """Every step's StepStats (A = 0, B = 1) goes to its run, before the frame is drawn."""
        for index, stats in steps:
            run = self._live_run if index == 0 else self._run_b
            if run is not None:
                run.append(stats)
            if index == 0:
                self.recording.append(stats)

    def _on_frame(self, stats) -> None:
        """The controller's frame: the runs hold its steps (_on_steps); the views draw."""
        if self.is_replaying():
            return
        if self._scrub_step is not None:     # a new step (Step while scrubbed): follow it
            self._follow_newest()
        self._refresh_views(force=False)
        self._show_scrubber()
        self._show_progress()
        if stats is not None:
            self.sigStepped.emit(stats)

    def _refresh_views(self, force: bool) -> None:
        if self.is_comparing():
            self._refresh_compare(force)
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
        """Play/Pause, Step, Reset, Compare A/B, Compare runs… and Record to file, for the main
        window's Lab menu."""
        return [*self._actions.all(), self._compare_action, self._compare_runs_action,
                self.recording.record_action]

    def file_actions(self) -> list[QAction]:
        """Save run as… (Ctrl+Alt+S), for the File menu (Open run… lives there already)."""
        return [self.recording.save_run_action]

    @property
    def save_run_action(self) -> QAction:
        """File ▸ Save run as… (Ctrl+Alt+S): a save dialog, then save_run(path)."""
        return self.recording.save_run_action

    @property
    def record_action(self) -> QAction:
        """The run bar's checkable 'Record to file' toggle."""
        return self.recording.record_action

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
        for follower in self._compare_followers:
            follower.close()
        self.controller.shutdown()
        self.stop_recording()
