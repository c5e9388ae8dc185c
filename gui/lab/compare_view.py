"""Compare mode: config B = config A with a few fields changed, trained in lockstep, same data.

The Lab's own trainer is A. CompareView owns trainer B (built on A's Dataset object, same seed) and
the paired plots; LabView's controller steps [A, B] together while this page is shown.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from core.activations import activation_info, available_activations
from core.config import ExperimentConfig
from core.initializers import available_initializers
from core.runs import Run
from core.trainer import Trainer
from gui.explorer.param_controls import GREEK
from gui.export import ExportTarget
from gui.lab.compare_plots import COLOUR_A, COLOUR_B, ComparePlots
from gui.lab.compare_sources import CompareSources, run_name

VARIED_FIELDS = ("activation", "activation_params", "init", "residual", "lr")
RESCUE_ALPHA = 0.1   # the leaky slope of the leaky-relu-rescue preset: visibly better than ReLU


def default_variation(config_a: ExperimentConfig) -> dict:
    """The first comparison a user wants: ReLU vs leaky ReLU with slope 0.1 (or the current
    activation vs ReLU)."""
    activation = config_a.activation if isinstance(config_a.activation, str) else "mixed"
    if activation == "relu":
        return {"activation": "leaky_relu", "activation_params": {"alpha": RESCUE_ALPHA}}
    return {"activation": "relu", "activation_params": {}}


def describe(config: ExperimentConfig) -> str:
    """'leaky_relu α=0.1, he_normal, lr 0.01' — the varied fields of a config, short."""
    activation = config.activation if isinstance(config.activation, str) else "per-layer"
    params = " ".join(f"{GREEK.get(k, k)}={v:g}" for k, v in config.activation_params.items())
    parts = [f"{activation} {params}".strip(), config.init]
    if config.residual:
        parts.append("residual")
    parts.append(f"lr {config.lr:g}")
    return ", ".join(parts)


class CompareView(QWidget):
    """A small 'vary for B' form over the paired plots; build_trainer_b() makes B from A."""

    sigVariationChanged = Signal()      # B's fields changed: LabView rebuilds B and resets both

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config_a = ExperimentConfig()
        self._trainer_b: Trainer | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.sources = CompareSources()     # A and B: Lab training, varied, or run files
        layout.addWidget(self.sources)
        self._form = QWidget()              # hidden while B is a run file
        form = QHBoxLayout(self._form)
        form.setContentsMargins(6, 4, 6, 0)
        # Legend and error get rows of their own (word-wrapped) so the form stays narrow.
        self._legend = QLabel()
        self._legend.setWordWrap(True)
        self._legend.setContentsMargins(6, 4, 6, 0)
        layout.addWidget(self._legend)
        form.addWidget(QLabel("B differs in —"))
        self.activation_box = QComboBox()
        self.activation_box.addItems(available_activations())
        self.activation_box.setToolTip("Activation of every hidden layer of B")
        self.init_box = QComboBox()
        self.init_box.addItems(available_initializers())
        self.init_box.setToolTip("Weight initialisation of B")
        self.residual_box = QCheckBox("residual")
        self.residual_box.setToolTip("B adds skip connections h + f(z) between equal-width layers")
        self.lr_edit = QLineEdit()
        self.lr_edit.setMaximumWidth(80)
        self.lr_edit.setToolTip("Learning rate of B (a positive number, e.g. 0.01 or 1e-3)")
        # B's activation parameters (α, β, c), rebuilt when B's activation changes
        self._param_row = QHBoxLayout()
        self._param_row.setContentsMargins(0, 0, 0, 0)
        self._param_spins: dict[str, QDoubleSpinBox] = {}
        self._params_of = ""         # the activation whose parameters the spin boxes show
        for label, widget in (("activation", self.activation_box), (None, self._param_row),
                              ("init", self.init_box), (None, self.residual_box),
                              ("lr", self.lr_edit)):
            if label:
                form.addWidget(QLabel(label + ":"))
            if isinstance(widget, QHBoxLayout):
                form.addLayout(widget)
            else:
                form.addWidget(widget)
        form.addStretch(1)
        layout.addWidget(self._form)
        self._error = QLabel()
        self._error.setStyleSheet("color: #b00020;")
        self._error.setWordWrap(True)
        self._error.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self._error)
        self._plots: ComparePlots | None = None     # built on first need (start-up: never)
        self._titles = ("A", "B")
        self.sources.sigError.connect(self.show_error)
        self.sources.sigChanged.connect(self._error.clear)
        self.activation_box.currentTextChanged.connect(self._on_form_changed)
        self.init_box.currentTextChanged.connect(self._on_form_changed)
        self.residual_box.toggled.connect(self._on_form_changed)
        self.lr_edit.editingFinished.connect(self._on_form_changed)
        self._variation: dict = {}
        self.set_config_a(self._config_a, default_variation(self._config_a))

    @property
    def plots(self) -> ComparePlots:
        """The paired plots, built the first time they are needed (five pyqtgraph plots cost
        start-up time, and most sessions never open Compare)."""
        if self._plots is None:
            self._plots = ComparePlots(self)
            self._plots.set_titles(*self._titles)
            self.layout().addWidget(self._plots, 1)
            self._plots.show()      # added to a page already shown: not shown by itself
        return self._plots

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """The page is shown: its plots exist from now on."""
        _ = self.plots
        super().showEvent(event)

    # -- configuration -----------------------------------------------------------------------
    def set_config_a(self, config_a: ExperimentConfig, variation: dict | None = None) -> None:
        """A changed: keep B's differing fields (or use `variation`) and refill the form."""
        self._config_a = config_a
        if variation is not None:
            self._variation = {k: v for k, v in variation.items() if k in VARIED_FIELDS}
        try:
            config_b = self.config_b()
        except ValueError:
            self._variation = default_variation(config_a)   # a stored variation that no longer fits
            config_b = self.config_b()
        self._fill_form(config_b)

    def variation(self) -> dict:
        """The fields where B differs from A."""
        return dict(self._variation)

    def config_b(self) -> ExperimentConfig:
        """A with the varied fields applied (validated)."""
        return self._config_a.replace(**self._variation)

    def _fill_form(self, config_b: ExperimentConfig) -> None:
        widgets = (self.activation_box, self.init_box, self.residual_box, self.lr_edit)
        blocked = [w.blockSignals(True) for w in widgets]
        activation = config_b.activation if isinstance(config_b.activation, str) else "relu"
        self.activation_box.setCurrentText(activation)
        self._show_params(activation, config_b.activation_params)
        self.init_box.setCurrentText(config_b.init)
        self.residual_box.setChecked(config_b.residual)
        self.lr_edit.setText(f"{config_b.lr:g}")
        for widget, was in zip(widgets, blocked, strict=True):
            widget.blockSignals(was)
        self._error.clear()
        self.lr_edit.setStyleSheet("")
        self.show_names()

    def show_names(self) -> None:
        """Legend and plot titles name each side: its config, or a run file's folder name
        (the legend adds its writer and steps)."""
        names, titles = [], []
        for side, run in enumerate(self.sources.files):
            if run is not None:
                names.append(run_name(run, self.sources.paths[side]))
                titles.append(Path(self.sources.paths[side]).name)
                continue
            try:
                names.append(describe(self._config_a if side == 0 else self.config_b()))
            except ValueError:
                names.append("AB"[side])
            titles.append(names[-1])
        self._legend.setText(" &nbsp; ".join(
            f"<span style='color:{colour}'>■</span> <b>{side}</b> {html.escape(name)}"
            for side, colour, name in zip("AB", (COLOUR_A, COLOUR_B), names, strict=True)))
        self._form.setVisible(not self.sources.is_file(1))
        self._titles = tuple(titles)
        if self._plots is not None:
            self._plots.set_titles(*self._titles)

    def _show_params(self, activation: str, values: dict[str, float]) -> None:
        """One spin box per parameter of B's activation (none for ReLU, tanh, …)."""
        specs = activation_info(activation).params
        same = activation == self._params_of          # same boxes (and ranges): new values
        self._params_of = activation
        if same:
            for spec in specs:
                spin = self._param_spins[spec.name]
                spin.blockSignals(True)
                spin.setValue(values.get(spec.name, spec.default))
                spin.blockSignals(False)
            return
        while self._param_row.count():
            item = self._param_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()     # Qt deletes the old boxes, not the collector
        self._param_spins = {}
        for spec in specs:
            label = QLabel(f"{GREEK.get(spec.name, spec.name)}:", self)
            spin = QDoubleSpinBox(self)
            spin.setDecimals(3)
            spin.setRange(spec.low, spec.high)
            spin.setSingleStep(0.01 if spec.high <= 1 else 0.1)
            spin.setValue(values.get(spec.name, spec.default))
            spin.setKeyboardTracking(False)
            spin.setToolTip(f"B's {spec.description} (range {spec.low:g} to {spec.high:g})")
            spin.valueChanged.connect(self._on_form_changed)
            self._param_row.addWidget(label)
            self._param_row.addWidget(spin)
            self._param_spins[spec.name] = spin

    def _on_form_changed(self, *_args) -> None:
        try:
            lr = float(self.lr_edit.text())
        except ValueError:
            self._show_error("B's learning rate must be a number such as 0.01 or 1e-3.")
            return
        activation = self.activation_box.currentText()
        names = [spec.name for spec in activation_info(activation).params]
        if activation != self._params_of:         # the activation changed: its own defaults
            self._show_params(activation, {})
        wanted = {"activation": activation,
                  "activation_params": {n: self._param_spins[n].value() for n in names},
                  "init": self.init_box.currentText(),
                  "residual": self.residual_box.isChecked(), "lr": lr}
        variation = {k: v for k, v in wanted.items() if getattr(self._config_a, k) != v}
        try:
            self._config_a.replace(**variation)
        except ValueError as exc:
            self._show_error(str(exc))
            return
        if variation == self._variation:
            return
        self._variation = variation
        self._fill_form(self.config_b())
        self.sigVariationChanged.emit()

    def error_text(self) -> str:
        """The form's current error message ('' when B's fields are valid)."""
        return self._error.text()

    def _show_error(self, message: str) -> None:
        self.lr_edit.setStyleSheet("border: 1px solid #d32f2f;")
        self._error.setText(message)

    def show_error(self, message: str) -> None:
        """Say `message` (one sentence) in the page's error line."""
        self._error.setText(message)

    # -- training ------------------------------------------------------------------------------
    def build_trainer_b(self, trainer_a: Trainer) -> Trainer:
        """A fresh trainer B on A's dataset (same data, same seed)."""
        self._trainer_b = Trainer(self.config_b(), dataset=trainer_a.dataset)
        return self._trainer_b

    @property
    def trainer_b(self) -> Trainer | None:
        """The current trainer B (None before compare mode was first shown)."""
        return self._trainer_b

    def reset_view(self, run_a: Run, run_b: Run) -> None:
        """Both runs were rebuilt: clear and redraw the paired plots."""
        self.show_names()
        self.plots.reset_view(run_a, run_b)

    def show_record(self, run_a: Run, run_b: Run, step: int | None = None) -> None:
        """Redraw the paired plots with both runs at `step` (default: the newest both have)."""
        self.plots.show_record(run_a, run_b, step)

    def export_targets(self) -> list[ExportTarget]:
        """The paired plots as one figure."""
        return self.plots.export_targets()
