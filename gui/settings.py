"""The app's QSettings, redirectable to a file with ACTISCOPE_SETTINGS (tests use tmp_path)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

ORGANIZATION = "Actiscope"
APPLICATION = "Actiscope"


def app_settings() -> QSettings:
    """Open the settings store: $ACTISCOPE_SETTINGS (an .ini path) if set, else the user's."""
    path = os.environ.get("ACTISCOPE_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION,
                     APPLICATION)
