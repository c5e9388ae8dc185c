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


@pytest.fixture
def qtbot(qtbot):
    """pytest-qt's qtbot, but the widgets it is given stay alive until the test is over.

    pytest-qt keeps only weak references. A test that builds views in a loop drops each one as
    it makes the next; a pyqtgraph view sits in reference cycles, so Python's cyclic collector
    frees it later, at whatever allocation triggers a collection. Deleting a Qt widget tree from
    inside the collector runs C++ destructors that call Python overrides (ViewBox.itemChange) on
    wrappers the collector has half torn down: the segfault seen in test_lab_views. Here every
    widget dies through Qt instead: pytest-qt closes it and calls deleteLater, the teardown below
    runs the deferred deletes while the wrappers are still alive, then lets the wrappers go.
    """
    kept: list = []
    add_widget = qtbot.addWidget

    def add_and_keep(widget, *args, **kwargs):
        kept.append(widget)
        return add_widget(widget, *args, **kwargs)

    qtbot.addWidget = add_and_keep
    yield qtbot
    flush_deferred_deletes()
    kept.clear()


def flush_deferred_deletes() -> None:
    """Run pending deleteLater() calls now (Qt runs them only when an event loop returns)."""
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None and qtcore.QCoreApplication.instance() is not None:
        qtcore.QCoreApplication.sendPostedEvents(None, qtcore.QEvent.Type.DeferredDelete)


@pytest.fixture(autouse=True)
def _delete_closed_widgets():
    """Widgets closed during a test (deleteLater) are deleted by Qt before the next test."""
    yield
    flush_deferred_deletes()


# scripts/stress-gui.sh sets ACTISCOPE_GC_STRESS=N: the cyclic collector then runs every N
# allocations (3 reproduced the old segfault in 2 runs of 3) and after every test, and a test that
# leaves a window or menu alive (an object with no Qt owner) fails.
if os.environ.get("ACTISCOPE_GC_STRESS"):
    import gc

    gc.set_threshold(max(1, int(os.environ["ACTISCOPE_GC_STRESS"])), 1, 1)

    @pytest.fixture(autouse=True)
    def _collect_and_check_owners(_delete_closed_widgets):
        yield
        gc.collect()
        qtwidgets = sys.modules.get("PySide6.QtWidgets")
        if qtwidgets is None or qtwidgets.QApplication.instance() is None:
            return
        flush_deferred_deletes()
        left = [f"{type(w).__name__} {w.windowTitle() or w.objectName()!r}"
                for w in qtwidgets.QApplication.topLevelWidgets()]
        assert not left, f"widgets with no Qt owner outlived the test: {left[:8]}"
