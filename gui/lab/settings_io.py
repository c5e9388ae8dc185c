"""The Lab's state in QSettings: config, dock layout, splitter, speed, compare variation."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray

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


# What a hand-edited or other-version value can raise while being read back.
CORRUPT_VALUE_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)


def _int_or(value: object, default: int) -> int:
    """`value` as an int, or `default` if it is not a whole number."""
    try:
        return int(value)
    except CORRUPT_VALUE_ERRORS:
        return default


def _byte_state(value: object) -> QByteArray | None:
    """A saveState() blob read back, or None for anything else (restoreState needs bytes)."""
    if isinstance(value, (QByteArray, bytes)) and len(value) > 0:
        return QByteArray(value)
    return None


def _restore_config(lab, settings) -> None:
    """Config and compare variation; anything unusable loads the defaults with a status note."""
    text = settings.value(KEY_CONFIG)
    if not text:
        return
    try:
        if not isinstance(text, str):
            raise ValueError("it is not text")
        config = ExperimentConfig.from_json(text)
    except CORRUPT_VALUE_ERRORS as exc:
        lab.set_config(ExperimentConfig())
        lab.show_status(f"The saved Lab settings could not be used ({exc}); "
                        "the defaults are loaded.")
        return
    try:
        variation = json.loads(str(settings.value(KEY_VARIATION) or "{}"))
        if isinstance(variation, dict):
            lab.compare.set_config_a(config, variation)
    except CORRUPT_VALUE_ERRORS:
        pass    # a broken stored variation: the Compare tab keeps its default B
    try:
        lab.set_config(config)
    except (ValueError, OSError) as exc:  # e.g. the CSV file it used was moved or deleted
        lab.set_config(ExperimentConfig())
        lab.show_status(f"The last Lab settings could not be restored ({exc}); "
                        "the defaults are loaded.")


def restore_lab_settings(lab, settings) -> None:
    """Apply what save_lab_settings wrote; every corrupt value falls back to its default."""
    _restore_config(lab, settings)
    preset = settings.value(KEY_PRESET)
    if isinstance(preset, str) and preset:
        try:
            lab.presets.show_preset(preset)
        except ValueError:
            lab.presets.show_preset(None)
    lab.plots.restore_layout(settings.value(KEY_LAYOUT))
    splitter = _byte_state(settings.value(KEY_SPLITTER))
    if splitter is not None:
        lab.splitter.restoreState(splitter)
    lab.run_bar.set_steps_per_frame(_int_or(settings.value(KEY_SPEED), 0))
