"""The side panel describing the selected activation: formulas, properties, parameters, notes."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from core.activations import activation_info
from gui.explorer import theory_facts
from gui.explorer.palette import activation_colour
from gui.explorer.param_controls import GREEK

FORMULA_FONT = "DejaVu Serif, Cambria, Times New Roman, serif"
SLOPE_KEY = "E[f\u2032(z)\u00b2], z ~ N(0,1)"
CRITICAL_KEY = "Critical \u03c3<sub>w</sub>\u00b2 (\u03c3<sub>b</sub>\u00b2 = 0)"
CRITICAL_DELAY_MS = 150   # the critical σ_w² waits until a slider rests this long
# (and until the panel has been painted once: at start-up the line search, ~60-150 ms, would
# otherwise run before the window's first paint)


def _section(title: str) -> QLabel:
    """A small grey heading."""
    label = QLabel(title.upper())
    label.setStyleSheet("color: #707070; font-size: 8pt; font-weight: 600; letter-spacing: 1px;"
                        "margin-top: 10px;")
    return label


def _wrapping_label(tooltip: str = "") -> QLabel:
    """A rich-text label that wraps and can be selected (to copy a formula)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setToolTip(tooltip)
    return label


class InfoPanel(QScrollArea):
    """Everything the core knows about one activation, for the activation selected in the list."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(240)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel()
        title_font = QFont()
        title_font.setPointSizeF(14)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setWordWrap(True)      # a formula's name is its (long) expression
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.subtitle.setStyleSheet("color: #707070;")
        self.function = _wrapping_label("The function: drawn as a solid line")
        self.derivative = _wrapping_label("Its derivative: drawn as a dashed line in the same "
                                          "colour")
        self.properties = QFormLayout()
        self.properties.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.property_values = {key: QLabel() for key in
                                ("Output range", "Max |f\u2032|", "Zero-centred", "Monotonic",
                                 "Smooth (C\u00b9)")}
        for key, value in self.property_values.items():
            value.setWordWrap(True)
            self.properties.addRow(key, value)
        self.theory = QFormLayout()
        self.theory.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.theory_values = {key: _wrapping_label() for key in (SLOPE_KEY, CRITICAL_KEY)}
        tips = {SLOPE_KEY: "Mean-field theory: with weights N(0, \u03c3_w\u00b2/fan-in), each "
                           "layer multiplies the squared gradient by \u03c7 = \u03c3_w\u00b2 "
                           "E[f\u2032(z)\u00b2] (here at pre-activation variance 1).",
                CRITICAL_KEY: "The weight variance \u03c3_w\u00b2 = Var(W)\u00b7fan-in at "
                              "which \u03c7 = 1 for a deep net with zero biases (edge of "
                              "chaos): He's 2 for ReLU, 1 for tanh. Assumes random, not "
                              "constant, biases."}
        for key, value in self.theory_values.items():
            label = QLabel(key)
            label.setToolTip(tips[key])
            value.setToolTip(tips[key])
            self.theory.addRow(label, value)
        self._critical_timer = QTimer(self, singleShot=True, interval=CRITICAL_DELAY_MS)
        self._critical_timer.timeout.connect(self._show_critical)
        self._painted = False             # the critical σ_w² is computed only once painted
        self.viewport().installEventFilter(self)
        self._critical_for: tuple[str, dict[str, float]] = ("", {})
        self.parameters = _wrapping_label("Change them with the sliders on the left")
        self.notes = _wrapping_label()
        for widget in (self.title, self.subtitle, _section("Formula"), self.function,
                       self.derivative, _section("Properties")):
            layout.addWidget(widget)
        layout.addLayout(self.properties)
        layout.addWidget(_section("Signal propagation"))
        layout.addLayout(self.theory)
        for widget in (_section("Parameters"), self.parameters, _section("Notes"), self.notes):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setWidget(body)
        self.shown_name = ""

    def show_activation(self, name: str, params: dict[str, float]) -> None:
        """Describe activation `name` with its current parameter values."""
        info = activation_info(name)
        self.shown_name = info.name
        colour = activation_colour(info.name)
        self.title.setText(f"<span style='color:{colour}'>\u25a0</span> "
                           f"{html.escape(info.display_name)}")
        self.subtitle.setText(f"name: <code>{info.name}</code>")
        formula_style = f"font-family:{FORMULA_FONT}; font-size:13pt;"
        self.function.setText(f"<span style='{formula_style}'>{info.formula_html}</span>")
        self.derivative.setText(f"<span style='{formula_style}'>{info.derivative_html}</span>")
        values = (info.output_range, info.max_abs_derivative, _yes_no(info.zero_centred),
                  _yes_no(info.monotonic), _yes_no(info.smooth))
        for label, text in zip(self.property_values.values(), values, strict=True):
            label.setText(text)
        if info.params:
            rows = []
            for spec in info.params:
                current = params.get(spec.name, spec.default)
                symbol = GREEK.get(spec.name, spec.name)
                rows.append(f"<b>{symbol} = {current:.3g}</b> &nbsp;<span style='color:#707070'>"
                            f"(default {spec.default:g}, range {spec.low:g} to {spec.high:g})"
                            f"</span><br>{html.escape(spec.description)}")
            self.parameters.setText("<br>".join(rows))
        else:
            self.parameters.setText("<span style='color:#707070'>none</span>")
        self.notes.setText(html.escape(info.notes))
        self._show_theory(info.name, dict(params))

    def _show_theory(self, name: str, params: dict[str, float]) -> None:
        """E[f'²] now; the critical σ_w² now if cached, else after the sliders rest."""
        self.theory_values[SLOPE_KEY].setText(
            theory_facts.slope_text(theory_facts.mean_square_slope(name, params)))
        self._critical_for = (name, params)
        known = theory_facts.cached_critical(name, params)
        if known is not None:
            self._critical_timer.stop()
            self.theory_values[CRITICAL_KEY].setText(theory_facts.critical_text(known))
        else:
            self.theory_values[CRITICAL_KEY].setText("<span style='color:#707070'>…</span>")
            if self._painted:
                self._critical_timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """On the first paint of the panel, start the critical σ_w² that waited for it."""
        if event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            self.viewport().removeEventFilter(self)
            name, params = self._critical_for
            if name and theory_facts.cached_critical(name, params) is None:
                self._critical_timer.start()
        return False

    def _show_critical(self) -> None:
        """Compute (cached) and show the critical σ_w² of the activation now described."""
        name, params = self._critical_for
        if name:
            value = theory_facts.critical_weight_variance(name, params)
            self.theory_values[CRITICAL_KEY].setText(theory_facts.critical_text(value))


def _yes_no(flag: bool) -> str:
    """'yes' / 'no' for a property flag."""
    return "yes" if flag else "no"
