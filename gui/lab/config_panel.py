"""The Lab's settings form, built from core.config.FIELD_SPECS as data.

Each edit becomes a candidate config via ExperimentConfig.replace; a ConfigError is shown at the
field (red border + message) and the last valid config stays active. Accepted edits are announced
with sigConfigEdited(config, field_name); LabView decides whether they apply live or reset.
"""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.config import FIELD_SPECS, ExperimentConfig
from gui.lab.field_editors import BoolEditor, FieldEditor, make_editor

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Data", ("dataset", "csv_path", "noise", "n_samples", "n_classes")),
    ("Network", ("depth", "width", "hidden_sizes", "activation", "activation_params", "init",
                 "init_std", "bias_init", "bias_std", "residual", "normalization")),
    ("Optimizer (applies live)", ("optimizer", "lr", "momentum", "beta1", "beta2", "eps",
                                  "batch_size", "l2")),
    ("Run", ("seed", "dtype", "loss", "test_fraction", "dead_refresh_every",
             "saturation_threshold")),
)


def relevant_fields(config: ExperimentConfig | SimpleNamespace) -> set[str]:
    """Fields that matter for `config` (the others are greyed out, e.g. β1 for plain SGD).

    `config` may be the values shown in the form, valid or not: choosing 'csv' before any file
    is loaded is refused as a config ("needs csv_path"), yet it must enable the path field.
    """
    irrelevant: set[str] = set()
    if config.dataset == "csv":
        irrelevant |= {"noise", "n_samples", "n_classes"}
    else:
        irrelevant.add("csv_path")
        if config.dataset not in ("spirals", "blobs"):
            irrelevant.add("n_classes")
    if config.hidden_sizes is not None:
        irrelevant |= {"depth", "width"}
    if config.init not in ("normal", "uniform"):
        irrelevant.add("init_std")
    if config.optimizer != "momentum":
        irrelevant.add("momentum")
    if config.optimizer != "adam":
        irrelevant |= {"beta1", "beta2", "eps"}
    return set(FIELD_SPECS) - irrelevant


class ConfigPanel(QScrollArea):
    """Scrollable form over every ExperimentConfig field; holds the last valid config."""

    sigConfigEdited = Signal(object, str)     # accepted config, the field that changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self._editors: dict[str, FieldEditor] = {}
        self._labels: dict[str, QLabel] = {}
        grouped = {name for _, names in GROUPS for name in names}
        others = tuple(name for name in FIELD_SPECS if name not in grouped)
        for title, names in (*GROUPS, ("Other", others)):
            if not names:
                continue
            box = QGroupBox(title)
            form = QFormLayout(box)
            # A field that does not fit beside its label goes under it: the panel can be narrow.
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            for name in names:
                spec = FIELD_SPECS.get(name)
                if spec is None:
                    continue
                editor = make_editor(spec)
                editor.sigCommitted.connect(lambda name=name: self._on_committed(name))
                self._editors[name] = editor
                if isinstance(editor, BoolEditor):
                    form.addRow("", editor)
                else:
                    label = QLabel(spec.label + ":")
                    label.setToolTip(spec.tooltip)
                    self._labels[name] = label
                    form.addRow(label, editor)
            layout.addWidget(box)
        layout.addStretch(1)
        self.setWidget(body)
        # No horizontal scrolling: never narrower than the (wrapped) form plus the scroll bar.
        self.setMinimumWidth(body.minimumSizeHint().width()
                             + self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth())
        self._config = ExperimentConfig().validate()
        self.set_config(self._config)

    # -- public ------------------------------------------------------------------------------
    def config(self) -> ExperimentConfig:
        """The last valid config (what the trainer uses)."""
        return self._config

    def set_config(self, config: ExperimentConfig) -> None:
        """Show `config` in every editor and clear all field errors (no signal)."""
        self._config = config
        for name, editor in self._editors.items():
            editor.set_value(getattr(config, name))
            editor.set_error("")
        self._update_enabled()

    def editor(self, name: str) -> FieldEditor:
        """The editor of one field (tests type into it)."""
        return self._editors[name]

    def field_error(self, name: str) -> str:
        """The message shown at one field ('' when none)."""
        return self._editors[name].error_text()

    def revert(self, config: ExperimentConfig, name: str, message: str) -> None:
        """Go back to `config` (an edit was refused downstream) and explain why at `name`."""
        self.set_config(config)
        self._editors[name].set_error(message)

    # -- edits ---------------------------------------------------------------------------------
    def _on_committed(self, name: str) -> None:
        editor = self._editors[name]
        try:
            value = editor.value()
            changes = {name: value}
            if name == "csv_path" and value:
                changes["dataset"] = "csv"     # loading a file means: train on it
            candidate = self._config.replace(**changes)
        except ValueError as exc:
            editor.set_error(str(exc))
            self._update_enabled()    # e.g. dataset 'csv' shown: the path field now applies
            return
        editor.set_error("")
        if candidate.changed_fields(self._config) - {name}:
            self.set_config(candidate)         # another field followed along (csv → dataset)
        self._config = candidate
        self._update_enabled()
        self.sigConfigEdited.emit(candidate, name)

    def _shown_values(self) -> SimpleNamespace:
        """Every field as its editor shows it (the config's value where the text is invalid)."""
        values = {}
        for name, editor in self._editors.items():
            try:
                values[name] = editor.value()
            except ValueError:
                values[name] = getattr(self._config, name)
        return SimpleNamespace(**values)

    def _update_enabled(self) -> None:
        relevant = relevant_fields(self._shown_values())
        for name, editor in self._editors.items():
            editor.setEnabled(name in relevant)
            if name in self._labels:
                self._labels[name].setEnabled(name in relevant)
