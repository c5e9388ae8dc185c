"""Run controls: Play/Pause, Step, Reset actions, the speed box, the step counter and steps/s."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QSpinBox,
    QStyle,
    QToolButton,
    QWidget,
)

from gui.lab.fixed_label import fix_label_size
from gui.lab.lab_action import lab_action

MAX_STEPS_PER_FRAME = 1000
STEP_LABEL_WIDTH = 96            # "Step 1,234,567"
RATE_LABEL_WIDTH = 110
COMPACT_RATE_LABEL_WIDTH = 90    # "12,345 steps/s"
# The widest texts the fixed-size readouts must hold (a changing text never re-lays them out)
WIDEST_STEP = "Step <b>999,999,999</b>"
WIDEST_RATE = {False: "99,999 steps/s · 9,999/frame", True: "99,999 steps/s"}


class RunActions:
    """The three QActions (shared by the run bar buttons and the main window's Lab menu)."""

    def __init__(self, parent: QWidget) -> None:
        style = parent.style()
        # shortcuts fire only while the Lab tab (the parent) is the visible tab (lab_action)
        self.play_pause = lab_action(parent, "Play", "Start or pause training (Space)",
                                     QKeySequence(Qt.Key.Key_Space), checkable=True)
        self.step = lab_action(parent, "Step", "Run exactly one training step (Right arrow)",
                               QKeySequence(Qt.Key.Key_Right))
        self.step.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward))
        self.reset = lab_action(parent, "Reset", "Rebuild the network from the current "
                                "settings, step 0 (R)", QKeySequence(Qt.Key.Key_R))
        self.reset.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        self.show_running(False)

    def all(self) -> list[QAction]:
        """Play/Pause, Step, Reset in menu order."""
        return [self.play_pause, self.step, self.reset]

    def show_running(self, running: bool) -> None:
        """Make Play/Pause read 'Pause' while running and 'Play' while paused (no signal)."""
        blocked = self.play_pause.blockSignals(True)
        self.play_pause.setChecked(running)
        self.play_pause.blockSignals(blocked)
        self.play_pause.setText("Pause" if running else "Play")
        self.play_pause.setIcon(self._pause_icon if running else self._play_icon)
        self.step.setEnabled(not running)


class RunBar(QWidget):
    """Run buttons, a steps-per-frame box (0 = automatic), step and speed readouts.

    When the bar is narrower than its natural width the buttons drop their text (icons and
    tooltips stay) and the speed readout its per-frame part, so the Lab fits small screens.
    """

    sigStepsPerFrameChanged = Signal(int)

    def __init__(self, actions: RunActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        # The minimum is minimumSizeHint() (the compact width), not the layout's full width.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._buttons: list[QToolButton] = []
        for action in actions.all():
            button = QToolButton()
            button.setDefaultAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must toggle play, not click
            self._buttons.append(button)
            layout.addWidget(button)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Steps/frame:"))
        self._speed = QSpinBox()
        self._speed.setRange(0, MAX_STEPS_PER_FRAME)
        self._speed.setSpecialValueText("Auto")
        self._speed.setValue(0)
        self._speed.setToolTip(
            "Training steps run between two redraws. Auto fits as many as take 15-30 ms, "
            "so that training plus redraw stay near 1/30 s a frame; a number asks for that "
            "many, up to 30 ms of training a frame (more steps/s, fewer frames/s; the cap "
            "keeps the window responsive)."
        )
        self._speed.valueChanged.connect(self.sigStepsPerFrameChanged)
        layout.addWidget(self._speed)
        layout.addStretch(1)
        self._step_label = QLabel()
        self._rate_label = QLabel()
        self._step_label.setToolTip("Training steps taken since the last reset")
        self._rate_label.setToolTip(
            "Training steps per second (measured) and steps run per redrawn frame"
        )
        for label in (self._step_label, self._rate_label):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            layout.addWidget(label)
        fix_label_size(self._step_label, WIDEST_STEP, STEP_LABEL_WIDTH)
        self._rate = (0.0, 0)
        self._compact = False
        self._set_compact(True)
        self._compact_width = layout.minimumSize().width()
        self._set_compact(False)
        self._full_width = layout.minimumSize().width()
        self.show_progress(0, 0.0, 0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802  (Qt override)
        """The compact width (icon-only buttons): the bar never forces the window wider."""
        return QSize(self._compact_width, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802  (Qt override)
        """Switch to the compact form below the natural width, back to text above it."""
        self._set_compact(event.size().width() < self._full_width)
        super().resizeEvent(event)

    def _set_compact(self, compact: bool) -> None:
        self._compact = compact
        style = (Qt.ToolButtonStyle.ToolButtonIconOnly if compact
                 else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for button in self._buttons:
            button.setToolButtonStyle(style)
        fix_label_size(self._rate_label, WIDEST_RATE[compact],
                       COMPACT_RATE_LABEL_WIDTH if compact else RATE_LABEL_WIDTH)
        self._show_rate()

    def steps_per_frame(self) -> int:
        """The requested steps per frame; 0 means automatic."""
        return self._speed.value()

    def set_steps_per_frame(self, value: int) -> None:
        """Set the speed box (clamped to its range)."""
        self._speed.setValue(max(0, min(MAX_STEPS_PER_FRAME, int(value))))

    def show_progress(self, step: int, steps_per_second: float, steps_per_frame: int) -> None:
        """Update the step counter and the steps/s readout."""
        self._step_label.setText(f"Step <b>{step:,}</b>")
        self._rate = (steps_per_second, steps_per_frame)
        self._show_rate()

    def _show_rate(self) -> None:
        steps_per_second, steps_per_frame = self._rate
        if steps_per_second <= 0:
            self._rate_label.setText("— steps/s")
        elif self._compact:
            self._rate_label.setText(f"{steps_per_second:,.0f} steps/s")
        else:
            self._rate_label.setText(f"{steps_per_second:,.0f} steps/s · {steps_per_frame}/frame")

    def step_text(self) -> str:
        """The step counter as shown (for tests)."""
        return self._step_label.text()
