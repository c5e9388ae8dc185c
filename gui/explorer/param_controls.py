"""Slider + spin box rows for every activation parameter (c, alpha, beta), redrawing live."""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSlider,
    QWidget,
)

from core.activations import ActivationInfo, ParamSpec, activation_info, available_activations

SLIDER_STEPS = 1000
GREEK = {"alpha": "\u03b1", "beta": "\u03b2", "c": "c"}


class ParamSlider(QObject):
    """A slider and a spin box showing the same value in [spec.low, spec.high], kept in sync.

    A QObject, not a widget: its two widgets go into the caller's layout, and it is owned by
    `parent` (a parentless widget here would be a hidden top-level window left to the garbage
    collector).
    """

    sigValueChanged = Signal(float)

    def __init__(self, spec: ParamSpec, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(3)
        self.spin.setRange(spec.low, spec.high)
        self.spin.setSingleStep(_nice_step(spec))
        self.spin.setKeyboardTracking(False)
        self.spin.setMinimumWidth(72)
        for widget in (self.slider, self.spin):
            widget.setToolTip(f"{spec.description} (range {spec.low:g} to {spec.high:g}, "
                              f"default {spec.default:g})")
        self.set_value(spec.default)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)

    def value(self) -> float:
        """The current value (the spin box's, which has the full precision)."""
        return self.spin.value()

    def set_value(self, value: float) -> None:
        """Show `value` (clamped to the range) without emitting sigValueChanged."""
        value = min(max(float(value), self.spec.low), self.spec.high)
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.spin.setValue(value)
        self.slider.setValue(self._to_slider(value))
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)

    def _to_slider(self, value: float) -> int:
        """Value -> slider position."""
        span = self.spec.high - self.spec.low
        return round((value - self.spec.low) / span * SLIDER_STEPS) if span > 0 else 0

    def _on_slider(self, position: int) -> None:
        """Slider dragged: update the spin box and emit (live, while dragging)."""
        value = self.spec.low + (self.spec.high - self.spec.low) * position / SLIDER_STEPS
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        self.sigValueChanged.emit(self.spin.value())

    def _on_spin(self, value: float) -> None:
        """Spin box edited: move the slider and emit."""
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_slider(value))
        self.slider.blockSignals(False)
        self.sigValueChanged.emit(value)


class ParamControls(QGroupBox):
    """One ParamSlider per (activation, parameter) pair, e.g. "Leaky ReLU α".

    Only the rows of the ticked activations are shown (set_shown_activations).
    """

    sigParamChanged = Signal(str, str, float)   # activation name, parameter name, value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Parameters", parent)
        self.sliders: dict[tuple[str, str], ParamSlider] = {}
        self._rows: dict[str, list[QWidget]] = {}
        grid = QGridLayout(self)
        grid.setColumnStretch(0, 1)
        grid.setVerticalSpacing(2)
        self.hint = QLabel("The ticked activations have no parameters; Linear (c), Leaky ReLU "
                           "and ELU (\u03b1), Swish and Softplus (\u03b2) have.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #707070;")
        grid.addWidget(self.hint, 0, 0, 1, 2)
        self._grid = grid
        self._next_row = 1
        self._added: set[str] = set()
        self.reset_button = QPushButton("Defaults")
        self.reset_button.setToolTip("Put every parameter back to its default value")
        self.reset_button.clicked.connect(self.reset_defaults)
        for name in available_activations():
            self.add_activation(name)

    def add_activation(self, name: str) -> None:
        """Rows for every parameter of `name` (built-in or formula), above the Defaults button."""
        if name in self._added:
            return
        self._added.add(name)
        info: ActivationInfo = activation_info(name)
        grid, row = self._grid, self._next_row
        title = info.display_name if len(info.display_name) <= 28 \
            else info.display_name[:27] + "\u2026"
        for spec in info.params:
            label = QLabel(f"{title} {GREEK.get(spec.name, spec.name)}")
            label.setToolTip(spec.description)
            slider = ParamSlider(spec, self)
            slider.sigValueChanged.connect(
                lambda value, n=name, p=spec.name: self.sigParamChanged.emit(n, p, value))
            self.sliders[(name, spec.name)] = slider
            grid.addWidget(label, row, 0, 1, 2)
            grid.addWidget(slider.slider, row + 1, 0)
            grid.addWidget(slider.spin, row + 1, 1)
            self._rows.setdefault(name, []).extend((label, slider.slider, slider.spin))
            row += 2
        self._next_row = row
        grid.addWidget(self.reset_button, row, 1)   # moves the button below the new rows

    def set_shown_activations(self, names: list[str]) -> None:
        """Show the rows of these activations only (the hint when none has parameters)."""
        any_shown = False
        for name, widgets in self._rows.items():
            shown = name in names
            any_shown |= shown
            for widget in widgets:
                widget.setVisible(shown)
        self.hint.setVisible(not any_shown)
        self.reset_button.setVisible(any_shown)

    def values(self) -> dict[str, dict[str, float]]:
        """{activation: {parameter: value}} for every parameterised activation."""
        result: dict[str, dict[str, float]] = {}
        for (name, param), slider in self.sliders.items():
            result.setdefault(name, {})[param] = slider.value()
        return result

    def set_values(self, values: dict[str, dict[str, float]]) -> None:
        """Show the given values (unknown keys ignored), emitting sigParamChanged for changes."""
        for (name, param), slider in self.sliders.items():
            value = values.get(name, {}).get(param)
            if value is not None and value != slider.value():
                slider.set_value(value)
                self.sigParamChanged.emit(name, param, slider.value())

    def reset_defaults(self) -> None:
        """Every parameter back to its default."""
        self.set_values({name: {param: slider.spec.default}
                         for (name, param), slider in self.sliders.items()})


def _nice_step(spec: ParamSpec) -> float:
    """A spin-box step of about 1 % of the range, rounded up to 1, 2 or 5 times a power of ten."""
    raw = (spec.high - spec.low) / 100 or 0.01
    base = 10.0 ** math.floor(math.log10(raw))
    return next(factor * base for factor in (1, 2, 5, 10) if factor * base >= raw)
