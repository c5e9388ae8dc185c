"""The divergence banner: one sentence on what went wrong, what to try, and a Reset button."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

_STYLE = """
QFrame#divergenceBanner { background: #fdecea; border: 1px solid #e0a19b; border-radius: 4px; }
QFrame#divergenceBanner QLabel { color: #611a15; }
"""


class DivergenceBanner(QFrame):
    """A hidden-by-default strip shown when training diverges; its Reset button emits sigReset."""

    sigReset = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("divergenceBanner")
        self.setStyleSheet(_STYLE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self._icon = QLabel("\u26a0")
        self._icon.setStyleSheet("font-size: 16pt;")
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._reset = QPushButton("Reset")
        self._reset.setToolTip("Rebuild the network from the current settings and start again (R)")
        self._reset.clicked.connect(self.sigReset)
        layout.addWidget(self._icon)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._reset)
        self.hide()

    def show_divergence(self, step: int, message: str) -> None:
        """Show what happened at `step` (`message` is the trainer's reason + advice)."""
        reason = message.strip() or (
            "The loss or a gradient became infinite or NaN, so the weights were not updated; "
            "lower the learning rate or choose a smaller initialisation."
        )
        if not reason.lower().startswith("training diverged"):
            reason = f"Training diverged at step {step}: {reason}"
        self._label.setText(f"{html.escape(reason)} <b>Press Reset</b> to start again.")
        self.show()

    def show_failure(self, message: str) -> None:
        """Training stopped for a reason other than divergence (e.g. out of memory)."""
        self._label.setText(f"Training stopped: {html.escape(message)} "
                            "<b>Press Reset</b> to start again, or choose a smaller network.")
        self.show()

    def text(self) -> str:
        """The banner's current message (plain text, for tests and the status bar)."""
        return self._label.text()
