"""The Lab's state in QSettings: config, dock layout, splitter, speed, compare variation."""

from __future__ import annotations

import json

from core.config import ExperimentConfig

KEY_CONFIG = "lab/config"
KEY_LAYOUT = "lab/layout"
KEY_SPLITTER = "lab/splitter"
KEY_SPEED = "lab/steps_per_frame"
KEY_PRESET = "lab/preset"
KEY_VARIATION = "lab/compare_variation"


def save_lab_settings(lab, settings) -> None:
    """Write the lab's state into `settings` (a QSettings)."""
    settings.setValue(KEY_CONFIG, lab.config().to_json())
    settings.setValue(KEY_LAYOUT, lab.plots.save_layout())
    settings.setValue(KEY_SPLITTER, lab.splitter.saveState())
    settings.setValue(KEY_SPEED, lab.run_bar.steps_per_frame())
    settings.setValue(KEY_PRESET, lab.presets.current_name() or "")
    settings.setValue(KEY_VARIATION, json.dumps(lab.compare.variation()))


def _int_or(value: object, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def restore_lab_settings(lab, settings) -> None:
    """Apply what save_lab_settings wrote; a corrupt config falls back to defaults with a note."""
    text = settings.value(KEY_CONFIG)
    if text:
        try:
            config = ExperimentConfig.from_json(str(text))
            variation = json.loads(str(settings.value(KEY_VARIATION) or "{}"))
            if isinstance(variation, dict):
                lab.compare.set_config_a(config, variation)
            lab.set_config(config)
        except ValueError as exc:
            lab.set_config(ExperimentConfig())
            lab.show_status(f"The saved Lab settings could not be used ({exc}); "
                            "the defaults are loaded.")
    preset = settings.value(KEY_PRESET)
    if preset:
        try:
            lab.presets.show_preset(str(preset))
        except ValueError:
            lab.presets.show_preset(None)
    lab.plots.restore_layout(settings.value(KEY_LAYOUT))
    splitter = settings.value(KEY_SPLITTER)
    if splitter:
        lab.splitter.restoreState(splitter)
    lab.run_bar.set_steps_per_frame(_int_or(settings.value(KEY_SPEED), 0))
