"""The Lab's configuration: the settings panel and presets edit it, the trainer is rebuilt.

ConfigMixin is LabView's half about its ExperimentConfig. It uses LabView's `_trainer`, `panel`,
`compare`, `controller`, `sigConfigChanged`, `_install_trainers`, `is_comparing` and
`show_status`.
"""

from __future__ import annotations

from core.config import ExperimentConfig
from core.trainer import Trainer

# Fields that define the data: if none changed, a rebuilt trainer reuses the Dataset object.
DATA_FIELDS = frozenset({"dataset", "csv_path", "noise", "n_samples", "n_classes",
                         "test_fraction", "seed"})


class ConfigMixin:
    """config()/set_config(), live edits applied between two steps, rebuilds on other edits."""

    def config(self) -> ExperimentConfig:
        """The config of the current trainer (the last valid one)."""
        return self._trainer.config

    def set_config(self, config: ExperimentConfig) -> None:
        """Validate `config`, rebuild the trainer (ValueError if its data cannot load), reset."""
        config = config.replace()
        self._rebuild(config)
        self.panel.set_config(config)
        self.compare.set_config_a(config)
        self.sigConfigChanged.emit(config)

    @property
    def trainer(self) -> Trainer:
        """The current trainer (A in compare mode)."""
        return self._trainer

    def _on_config_edited(self, config: ExperimentConfig, field: str) -> None:
        old = self._trainer.config
        if config.only_live_changes(old):
            self.compare.set_config_a(config)
            # Applied between two steps of the training worker (at once while paused).
            self.controller.call_when_idle(lambda: self._apply_live_changes(config))
        else:
            try:
                self._rebuild(config)
            except ValueError as exc:
                self.panel.revert(old, field, str(exc))
                return
            self.compare.set_config_a(config)
        self.sigConfigChanged.emit(config)

    def _apply_live_changes(self, config: ExperimentConfig) -> None:
        self._trainer.apply_live_changes(config)
        trainer_b = self.compare.trainer_b
        if self.is_comparing() and trainer_b is not None:
            trainer_b.apply_live_changes(self.compare.config_b())

    def _on_preset_chosen(self, config: ExperimentConfig) -> None:
        try:
            self.set_config(config)
        except ValueError as exc:
            self.show_status(str(exc))

    def _rebuild(self, config: ExperimentConfig) -> None:
        old = self._trainer.config
        same_data = not (old.changed_fields(config) & DATA_FIELDS)
        self._trainer = Trainer(config, dataset=self._trainer.dataset if same_data else None)
        self._install_trainers()
