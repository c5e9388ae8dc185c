"""Frozen-aware access to files in resources/ (source tree or PyInstaller bundle)."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_dir() -> Path:
    """The resources/ folder: inside the PyInstaller bundle when frozen, else beside main.py."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(name: str) -> Path:
    """Path of one file in resources/, e.g. resource_path('icon.png')."""
    return resource_dir() / name
