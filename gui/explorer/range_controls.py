"""The x-range controls: xmin and xmax spin boxes and a reset button."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QWidget

X_LIMIT = 1000.0       # activations are finite far beyond this; wider ranges show nothing new
MIN_SPAN = 1e-3


class XRangeControls(QWidget):
    """xmin / xmax of the sampled and shown interval; follows the plot's zoom and pan."""

    sigRangeChanged = Signal(float, float)
    sigResetRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.xmin = self._spin_box("Left end of the plotted x interval")
        self.xmax = self._spin_box("Right end of the plotted x interval")
        reset = QPushButton("Reset")
        reset.setToolTip("Back to x in [-5, 5] (also: double-click the plot)")
        reset.clicked.connect(self.sigResetRequested)
        for widget in (QLabel("x from"), self.xmin, QLabel("to"), self.xmax):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(reset)
        self.xmin.valueChanged.connect(self._on_edited)
        self.xmax.valueChanged.connect(self._on_edited)

    def _spin_box(self, tooltip: str) -> QDoubleSpinBox:
        """A spin box for one end of the range."""
        box = QDoubleSpinBox()
        box.setRange(-X_LIMIT, X_LIMIT)
        box.setDecimals(2)
        box.setSingleStep(0.5)
        box.setKeyboardTracking(False)
        box.setToolTip(tooltip)
        return box

    def x_range(self) -> tuple[float, float]:
        """(xmin, xmax) as shown."""
        return self.xmin.value(), self.xmax.value()

    def set_x_range(self, xmin: float, xmax: float) -> None:
        """Show a range without emitting sigRangeChanged."""
        for box, value in ((self.xmin, xmin), (self.xmax, xmax)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def _on_edited(self, _value: float) -> None:
        """Emit only sensible ranges (xmin < xmax); an unfinished edit is simply not applied."""
        xmin, xmax = self.x_range()
        if xmax - xmin >= MIN_SPAN:
            self.sigRangeChanged.emit(xmin, xmax)
