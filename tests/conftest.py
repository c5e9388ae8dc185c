"""Test setup: offscreen Qt and an isolated settings file, set before anything imports Qt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as main.py does; see the note there
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Never touch the user's real settings: each test gets its own .ini file."""
    path = tmp_path_factory.mktemp("settings") / "actiscope.ini"
    monkeypatch.setenv("ACTISCOPE_SETTINGS", str(path))
    yield path
