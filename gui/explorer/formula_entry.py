"""A line edit where the user types an activation formula, checked before it joins the list."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

from core.activations import FORMULA_PREFIX, ActivationError, get_activation, is_formula_name

PLACEHOLDER = "x*tanh(softplus(x))  or  where(x > 0, x, a*(exp(x) - 1)); a=1 in [0.1, 5]"


def formula_name(text: str) -> str:
    """The canonical "formula:…" name of typed text (prefix optional); ActivationError if bad."""
    text = text.strip()
    if not text:
        raise ActivationError("Type a formula in x first, e.g. x*sigmoid(x).")
    name = text if is_formula_name(text) else FORMULA_PREFIX + text
    return get_activation(name).name


class FormulaEntry(QWidget):
    """Formula text + Add; a bad formula shows its one sentence in red under the field."""

    sigFormulaAdded = Signal(str)      # canonical "formula:…" name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.edit.setMaxLength(2000)
        self.edit.setToolTip(
            "Your own activation: an expression in x with + - * / **, numbers, pi, exp log "
            "log1p sqrt abs sign tanh sigmoid softplus erf sin cos, minimum(a, b), "
            "maximum(a, b), where(condition, a, b). Declare parameters after ';', e.g. "
            "'; a=1 in [0.1, 5]' (they get sliders). The derivative is computed for you.")
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Check the formula and add it to the list (drawn, with its "
                                   "derivative)")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d62728;")
        self.error.hide()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(2)
        grid.addWidget(QLabel("<b>Your formula</b>"), 0, 0, 1, 2)
        grid.addWidget(self.edit, 1, 0)
        grid.addWidget(self.add_button, 1, 1)
        grid.addWidget(self.error, 2, 0, 1, 2)
        self.add_button.clicked.connect(self.submit)
        self.edit.returnPressed.connect(self.submit)
        self.edit.textEdited.connect(lambda _text: self.error.hide())

    def submit(self) -> bool:
        """Check the typed text: emit sigFormulaAdded and clear the field, or show why not."""
        try:
            name = formula_name(self.edit.text())
        except ActivationError as exc:
            self.show_error(str(exc))
            return False
        self.error.hide()
        self.edit.clear()
        self.sigFormulaAdded.emit(name)
        return True

    def show_error(self, sentence: str) -> None:
        """One sentence in red under the field."""
        self.error.setText(sentence)
        self.error.show()
