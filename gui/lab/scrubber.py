"""The timeline scrubber under the run bar: drag to a recorded step, 'Follow newest' to go live.

The slider's positions are record indices of the run the Lab shows; the label names the step.
Dragging emits sigScrubbed(index) (the Lab pauses training and every view shows that record);
'Follow newest' emits sigFollow() (the views show the newest record again, as it arrives).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from gui.lab.fixed_label import fix_label_size

LABEL_WIDTH = 150     # "step 1,234,567 of 1,234,567"
ROW_HEIGHT = 20


class RunScrubber(QWidget):
    """A slider over the records of a run, a step label and a Follow newest button."""

    sigScrubbed = Signal(int)     # record index chosen by the user
    sigFollow = Signal()          # back to the newest record

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag to any recorded step: every view shows that step "
                               "(training pauses). 'Follow newest' returns to the live step.")
        self.label = QLabel("no step yet")
        fix_label_size(self.label, "step 999,999,999 of 999,999,999", LABEL_WIDTH)
        self.follow_button = QToolButton()
        self.follow_button.setText("Follow newest")
        self.follow_button.setToolTip("Show the newest step again, and every new one")
        self.follow_button.setEnabled(False)
        self.follow_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.follow_button.setAutoRaise(True)
        self.badge = QLabel("<span style='color:#06d6a0'>●</span> following")
        self.badge.setToolTip("The run file is still being written: new steps appear as they "
                              "are flushed")
        self.badge.hide()
        self.setFixedHeight(ROW_HEIGHT)     # one slim row: the plots keep their height at 720 p
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.follow_button)
        layout.addWidget(self.badge)
        self.following = True
        self._steps_shown: tuple[int, int] = (0, 0)
        self.slider.valueChanged.connect(self._on_value_changed)
        self.follow_button.clicked.connect(self.follow)

    def show_run(self, n_records: int, newest_step: int | None, index: int | None = None,
                 step: int | None = None) -> None:
        """The run now holds `n_records`; the slider sits at `index` (None: the newest) whose
        step is `step` (None: `newest_step`). No signal is emitted."""
        blocked = self.slider.blockSignals(True)
        self.slider.setEnabled(n_records > 1)
        self.slider.setRange(0, max(n_records - 1, 0))
        self.slider.setValue(max(n_records - 1, 0) if index is None else index)
        self.slider.blockSignals(blocked)
        shown = newest_step if step is None else step
        if not n_records or shown is None:
            self.label.setText("no step yet")
        elif self.following:
            self.label.setText(f"step {shown:,} (newest)")
        else:
            self.label.setText(f"step {shown:,} of {newest_step:,}")

    def set_following_file(self, on: bool) -> None:
        """Show the 'following' badge while a growing run file is followed."""
        self.badge.setVisible(on)

    def follow(self) -> None:
        """Back to the newest record (emits sigFollow)."""
        self.following = True
        self.follow_button.setEnabled(False)
        self.sigFollow.emit()

    def _on_value_changed(self, index: int) -> None:
        self.following = False
        self.follow_button.setEnabled(True)
        self.sigScrubbed.emit(index)
