"""One editor widget per FieldSpec kind; each parses its text and shows its own error message.

Every editor has value() (raises ValueError with one sentence when the text cannot be read),
set_value(v) (silent), set_error(message) (red border + message under the field) and
sigCommitted (the user finished an edit). Range checks are left to ExperimentConfig.validate.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from core.activations import split_activation_list
from core.config_fields import FieldSpec

AUTO_TEXT = "(automatic)"
_ERROR_BORDER = "border: 1px solid #d32f2f; border-radius: 2px;"
_SLIDER_STEPS_PER_DECADE = 10


def _number_text(value: object) -> str:
    """Numbers as the user would type them (1e-05 → 1e-05, 0.01 → 0.01, 128 → 128)."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def parse_int(text: str, label: str) -> int:
    """A whole number from text ('1000', '1_000', '1,000'), else ValueError naming `label`."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        return int(cleaned)
    except ValueError:
        raise ValueError(f"{label} must be a whole number, got {text.strip()!r}.") from None


def parse_float(text: str, label: str) -> float:
    """A finite number from text ('0.01', '1e-3'), else ValueError naming `label`."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{label} must be a number such as 0.01 or 1e-3, got {text.strip()!r}.") \
            from None
    if not math.isfinite(value):
        raise ValueError(f"{label} must be a finite number, got {text.strip()!r}.")
    return value


class FieldEditor(QWidget):
    """Base: an input row plus a hidden red message line under it."""

    sigCommitted = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(0, 0, 0, 0)
        self.outer.setSpacing(1)
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.outer.addLayout(self.row)
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setStyleSheet("color: #b00020; font-size: 8pt;")
        self._message.hide()
        self.outer.addWidget(self._message)
        self.setToolTip(spec.tooltip)

    def input_widget(self) -> QWidget:
        """The widget that gets the red border."""
        raise NotImplementedError

    def value(self) -> object:
        """The edited value (ValueError if the text cannot be read)."""
        raise NotImplementedError

    def set_value(self, value: object) -> None:
        """Show `value` without emitting sigCommitted."""
        raise NotImplementedError

    def set_error(self, message: str) -> None:
        """Show `message` under the field with a red border ('' clears it)."""
        widget = self.input_widget()
        widget.setStyleSheet(_ERROR_BORDER if message else "")
        widget.setToolTip(f"{message}\n\n{self.spec.tooltip}" if message else self.spec.tooltip)
        self._message.setText(message)
        self._message.setVisible(bool(message))

    def error_text(self) -> str:
        """The message currently shown under the field ('' when valid)."""
        return self._message.text() if not self._message.isHidden() else ""


class TextEditor(FieldEditor):
    """A line edit committed on Enter / focus-out; the text is parsed by `parse`."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None,
                 placeholder: str = "") -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit()
        self.line.setPlaceholderText(placeholder)
        self.line.setToolTip(spec.tooltip)
        self.line.editingFinished.connect(self._on_finished)
        self.row.addWidget(self.line, 1)
        self._last_text = ""

    def input_widget(self) -> QWidget:
        return self.line

    def _on_finished(self) -> None:
        # editingFinished also fires on focus-out without changes: commit only real edits.
        if self.line.text() != self._last_text:
            self._last_text = self.line.text()
            self.sigCommitted.emit()

    def commit_text(self, text: str) -> None:
        """Type `text` and commit it, as a user pressing Enter would (used by tests and dialogs)."""
        self.line.setText(text)
        self._on_finished()

    def set_value(self, value: object) -> None:
        self.line.setText(self.format(value))
        self._last_text = self.line.text()

    def format(self, value: object) -> str:
        """Text shown for `value`."""
        return "" if value is None else _number_text(value)

    def value(self) -> object:
        spec, text = self.spec, self.line.text()
        if spec.optional and not text.strip():
            return None
        if spec.kind == "int":
            return parse_int(text, spec.label)
        if spec.kind == "float":
            return parse_float(text, spec.label)
        return text.strip()


class LogSliderEditor(TextEditor):
    """A number box beside a log-scale slider (for the learning rate: 1e-6 … 10)."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None,
                 decades: tuple[int, int] = (-6, 1)) -> None:
        super().__init__(spec, parent)
        self.line.setMaximumWidth(80)
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setRange(decades[0] * _SLIDER_STEPS_PER_DECADE,
                              decades[1] * _SLIDER_STEPS_PER_DECADE)
        self._slider.setToolTip(spec.tooltip + " Slider: log scale, 10 steps per decade.")
        self._slider.valueChanged.connect(self._on_slider_moved)
        self._slider.sliderReleased.connect(self._on_finished)
        self.row.insertWidget(0, self._slider, 1)
        self.sigCommitted.connect(self._follow_text)    # a typed value moves the slider too

    def _follow_text(self) -> None:
        """Put the slider where the typed number is (left alone if the text is not valid)."""
        try:
            value = float(self.line.text())
        except ValueError:
            return
        if math.isfinite(value) and value > 0:
            blocked = self._slider.blockSignals(True)
            self._slider.setValue(round(math.log10(value) * _SLIDER_STEPS_PER_DECADE))
            self._slider.blockSignals(blocked)

    def _on_slider_moved(self, position: int) -> None:
        self.line.setText(f"{10.0 ** (position / _SLIDER_STEPS_PER_DECADE):.3g}")
        if not self._slider.isSliderDown():
            self._on_finished()

    def set_value(self, value: object) -> None:
        super().set_value(value)
        self._follow_text()


class ListEditor(TextEditor):
    """Comma-separated layer sizes ('64, 64, 32'); empty = None."""

    def format(self, value: object) -> str:
        return "" if value is None else ", ".join(str(v) for v in value)

    def value(self) -> object:
        parts = [p for p in self.line.text().replace(";", ",").split(",") if p.strip()]
        if not parts:
            return None
        return [parse_int(p, f"Each entry of {self.spec.label}") for p in parts]


class DictEditor(TextEditor):
    """'alpha=0.1, beta=2' → {'alpha': 0.1, 'beta': 2.0}; empty = {}."""

    def format(self, value: object) -> str:
        return ", ".join(f"{k}={_number_text(v)}" for k, v in (value or {}).items())

    def value(self) -> object:
        params: dict[str, float] = {}
        for part in (p.strip() for p in self.line.text().split(",")):
            if not part:
                continue
            name, sep, number = part.partition("=")
            if not sep or not name.strip():
                raise ValueError(f"Write {self.spec.label} as name=value pairs such as "
                                 f"alpha=0.1, got {part!r}.")
            params[name.strip()] = parse_float(number, f"{self.spec.label} {name.strip()}")
        return params


class PathEditor(TextEditor):
    """A file path with a 'Load CSV…' button opening the native file dialog."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent, placeholder="no file")
        button = QPushButton("Load CSV…")
        button.setToolTip("Choose a CSV file: numeric feature columns, target in the last column")
        button.clicked.connect(self._browse)
        self.row.addWidget(button)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a CSV dataset", self.line.text(),
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.commit_text(path)


class BoolEditor(FieldEditor):
    """A check box, committed on toggle."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.box = QCheckBox(spec.label)
        self.box.setToolTip(spec.tooltip)
        self.box.toggled.connect(self.sigCommitted)
        self.row.addWidget(self.box)

    def input_widget(self) -> QWidget:
        return self.box

    def value(self) -> object:
        return self.box.isChecked()

    def set_value(self, value: object) -> None:
        blocked = self.box.blockSignals(True)
        self.box.setChecked(bool(value))
        self.box.blockSignals(blocked)


class ChoiceEditor(FieldEditor):
    """A combo box of the spec's choices ('(automatic)' first when the field is optional).

    For per-layer fields (activation) a text box beside it takes one name per hidden layer.
    """

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox()
        if spec.optional:
            self.combo.addItem(AUTO_TEXT)
        self.combo.addItems(list(spec.choices))
        self.combo.setToolTip(spec.tooltip)
        self.combo.setMaxVisibleItems(20)
        self.combo.currentIndexChanged.connect(self.sigCommitted)
        self.row.addWidget(self.combo, 1)
        self.per_layer: QLineEdit | None = None
        if spec.per_layer:
            # the activation can also be typed: a formula such as formula:x*sigmoid(x)
            self.combo.setEditable(True)
            self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            self.combo.setToolTip(spec.tooltip + " Or type your own: formula:x*tanh(softplus(x))"
                                  " (see Help ▸ Activation reference).")
            self._typed = self.combo.currentText()
            self.combo.lineEdit().editingFinished.connect(self._on_typed)
            self.per_layer = QLineEdit()
            self.per_layer.setPlaceholderText("or per layer: relu, relu, tanh, …")
            self.per_layer.setToolTip("Optional: one name per hidden layer, comma-separated; "
                                      "overrides the box on the left. Empty = the same for all.")
            self.per_layer.editingFinished.connect(self._on_per_layer_finished)
            self.outer.insertWidget(1, self.per_layer)
            self._last_per_layer = ""

    def input_widget(self) -> QWidget:
        if self.per_layer is not None and self.per_layer.text().strip():
            return self.per_layer
        return self.combo

    def _on_typed(self) -> None:
        """A typed activation (Enter or focus out) is committed once, when it changed."""
        if self.combo.currentText() != self._typed:
            self._typed = self.combo.currentText()
            self.sigCommitted.emit()

    def _on_per_layer_finished(self) -> None:
        if self.per_layer.text() != self._last_per_layer:
            self._last_per_layer = self.per_layer.text()
            self.combo.setEnabled(not self._last_per_layer.strip())
            self.sigCommitted.emit()

    def value(self) -> object:
        if self.per_layer is not None and self.per_layer.text().strip():
            return [p.strip() for p in split_activation_list(self.per_layer.text()) if p.strip()]
        text = self.combo.currentText()
        return None if text == AUTO_TEXT else text

    def set_value(self, value: object) -> None:
        blocked = self.combo.blockSignals(True)
        if isinstance(value, list):
            self.per_layer.setText(", ".join(value))
            if self.combo.findText(value[0]) < 0:
                self.combo.addItem(value[0])
            self.combo.setCurrentText(value[0])
        else:
            if self.per_layer is not None:
                self.per_layer.clear()
            text = AUTO_TEXT if value is None else str(value)
            if self.combo.findText(text) < 0:
                self.combo.addItem(text)      # a formula activation (typed or from a session)
            self.combo.setCurrentText(text)
        if self.per_layer is not None:
            self._last_per_layer = self.per_layer.text()
            self.combo.setEnabled(not self._last_per_layer.strip())
            self._typed = self.combo.currentText()
        self.combo.blockSignals(blocked)


def make_editor(spec: FieldSpec, parent: QWidget | None = None) -> FieldEditor:
    """The editor that fits `spec.kind` (the learning rate gets a log slider)."""
    if spec.name == "lr":
        return LogSliderEditor(spec, parent)
    if spec.kind == "bool":
        return BoolEditor(spec, parent)
    if spec.kind == "choice":
        return ChoiceEditor(spec, parent)
    if spec.kind == "list":
        return ListEditor(spec, parent, placeholder="e.g. 64, 64, 32 (empty = depth × width)")
    if spec.kind == "dict":
        return DictEditor(spec, parent, placeholder="e.g. alpha=0.1 (empty = defaults)")
    if spec.name == "csv_path":
        return PathEditor(spec, parent)
    return TextEditor(spec, parent)
