"""Sessions: save/open round trip, bit-for-bit rerun, hostile files, recent list, title marker."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMainWindow, QMenu, QWidget

from core.config import ExperimentConfig
from core.history import History
from core.trainer import Trainer
from gui import session
from gui.session import MAX_RECENT, recent_sessions, remember_session
from gui.session_menu import install_session_menu

SMALL = ExperimentConfig(depth=3, width=8, dataset="spirals", n_samples=200, batch_size=32,
                         optimizer="adam", lr=0.01, activation="leaky_relu",
                         activation_params={"alpha": 0.05}, seed=7)


class FakeLab(QWidget):
    """The LabView surface sessions use: config(), set_config() (validated), sigConfigChanged."""

    sigConfigChanged = Signal(object)

    def __init__(self, config: ExperimentConfig) -> None:
        super().__init__()
        self._config = config

    def config(self) -> ExperimentConfig:
        return self._config

    def set_config(self, config: ExperimentConfig) -> None:
        self._config = config.validate()
        self.sigConfigChanged.emit(self._config)

    def edit(self, **changes) -> None:
        self.set_config(self._config.replace(**changes))

    def open_run(self, path) -> None:
        from core.runs import FileRun
        self.opened_run = FileRun(path)          # RunFormatError (ValueError) if damaged


class Window(QMainWindow):
    """The main-window surface the session menu uses: file_menu() with Export already in it."""

    def __init__(self) -> None:
        super().__init__()
        self._file_menu = self.menuBar().addMenu("&File")
        self.export_action = self._file_menu.addAction("Export…")

    def file_menu(self) -> QMenu:
        return self._file_menu


@pytest.fixture
def messages(monkeypatch) -> list[str]:
    """Every QMessageBox.warning text, instead of a modal box."""
    shown: list[str] = []
    monkeypatch.setattr(session.QMessageBox, "warning",
                        lambda parent, title, text: shown.append(text))
    return shown


@pytest.fixture
def app_parts(qtbot):
    window, lab = Window(), FakeLab(SMALL)
    qtbot.addWidget(window)
    qtbot.addWidget(lab)
    return window, lab, install_session_menu(window, lab)


def test_menu_actions_sit_above_export_with_shortcuts(app_parts):
    window, _, controller = app_parts
    texts = [a.text() for a in window.file_menu().actions()]
    assert texts[:3] == ["&Open session…", "Open &run…", "Open &recent"]
    assert texts.index("&Save session") < texts.index("Save session &as…") < texts.index("Export…")
    shortcuts = {k: a.shortcut().toString() for k, a in controller.actions.items()}
    assert shortcuts == {"open": "Ctrl+O", "open_run": "Ctrl+Shift+O", "save": "Ctrl+S",
                         "save_as": "Ctrl+Shift+S"}
    assert not controller.recent_menu.isEnabled()


def test_save_open_round_trip_and_title_marker(app_parts, tmp_path, messages):
    window, lab, controller = app_parts
    assert window.windowTitle() == "Untitled[*] — Actiscope" and not window.isWindowModified()
    lab.edit(lr=0.05, depth=4)
    assert controller.modified and window.isWindowModified()
    lab.edit(lr=0.01, depth=3)        # back to the saved state: no longer modified
    assert not controller.modified
    lab.edit(lr=0.05, depth=4)
    path = tmp_path / "my run.actiscope.json"
    assert controller.save_to(path)
    assert window.windowTitle() == "my run.actiscope.json[*] — Actiscope"
    assert not window.isWindowModified()
    saved = lab.config()
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["schema_version"] == 1 and document["config"]["seed"] == 7
    lab.set_config(ExperimentConfig())
    assert window.isWindowModified()
    assert controller.open_path(path)
    assert lab.config() == saved and lab.config().to_dict() == saved.to_dict()
    assert not controller.modified and controller.path == path.resolve()
    assert messages == [] and sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def history_arrays(trainer: Trainer) -> dict[str, np.ndarray]:
    return {name: trainer.history.series(name) for name in History.FIELDS} | {
        "steps": trainer.history.steps()}


def test_reopened_session_reproduces_the_run_bit_for_bit(app_parts, tmp_path, messages):
    _, lab, controller = app_parts
    original = Trainer(lab.config())
    original.run(40)
    path = tmp_path / "run.json"
    assert controller.save_to(path)
    lab.set_config(ExperimentConfig())
    assert controller.open_path(path)
    rerun = Trainer(lab.config())
    rerun.run(40)
    expected, got = history_arrays(original), history_arrays(rerun)
    assert len(expected["steps"]) == 40
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    for w_expected, w_got in zip(original.network.weights, rerun.network.weights, strict=True):
        assert w_expected.tobytes() == w_got.tobytes()


GOOD = json.loads(SMALL.to_json())
HOSTILE = {
    "random bytes": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
    "newer schema": json.dumps(GOOD | {"schema_version": 99}).encode(),
    "missing field": json.dumps(GOOD | {"config": {
        k: v for k, v in GOOD["config"].items() if k != "lr"}}).encode(),
    "wrong type": json.dumps(GOOD | {"config": GOOD["config"] | {"depth": "deep"}}).encode(),
    "not a session": b'{"hello": 1}',
    "empty": b"",
    "50 MB": b"{" + b" " * (50 * 2**20) + b"}",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_bad_file_gives_one_message_and_keeps_the_session(app_parts, tmp_path, messages, case):
    window, lab, controller = app_parts
    lab.edit(lr=0.2)
    before, title = lab.config(), window.windowTitle()
    path = tmp_path / "bad.actiscope.json"
    path.write_bytes(HOSTILE[case])
    assert not controller.open_path(path)
    assert len(messages) == 1 and "\n" not in messages[0] and len(messages[0]) < 300
    assert lab.config() == before and controller.modified and controller.path is None
    assert window.windowTitle() == title and recent_sessions() == []


def test_missing_file_and_unwritable_target_are_one_message(app_parts, tmp_path, messages):
    _, lab, controller = app_parts
    assert not controller.open_path(tmp_path / "nope.json")
    assert not controller.save_to(tmp_path / "no such folder" / "x.json")
    assert len(messages) == 2 and all("\n" not in text for text in messages)
    assert lab.config() == SMALL and list(tmp_path.iterdir()) == []


def test_recent_list_order_limit_and_pruning(app_parts, tmp_path, messages):
    window, _, controller = app_parts
    paths = [tmp_path / f"s{i}.actiscope.json" for i in range(MAX_RECENT + 2)]
    for path in paths:
        assert controller.save_to(path)
    assert controller.open_path(paths[3])
    expected = [str(p.resolve()) for p in [paths[3], *reversed(paths[4:]), *reversed(paths[:3])]]
    assert recent_sessions() == expected[:MAX_RECENT]
    remember_session(paths[5])
    assert recent_sessions()[0] == str(paths[5].resolve())
    paths[5].unlink()
    assert not controller.open_recent(str(paths[5].resolve()))
    assert len(messages) == 1 and "no longer exists" in messages[0]
    assert str(paths[5].resolve()) not in recent_sessions()
    paths[9].unlink()
    controller.recent_menu.aboutToShow.emit()
    entries = [a.text() for a in controller.recent_menu.actions() if a.text()]
    assert len(entries) == len(recent_sessions()) + 1 and entries[-1] == "Clear list"
    assert entries[0] == "&1 s3.actiscope.json"
    assert "missing session" in window.statusBar().currentMessage()


def test_unsaved_changes_prompt_can_cancel_an_open(app_parts, tmp_path, monkeypatch, messages):
    _, lab, controller = app_parts
    other = tmp_path / "other.json"
    ExperimentConfig(depth=2).save(other)
    lab.edit(lr=0.3)
    monkeypatch.setattr(session.QMessageBox, "question",
                        lambda *args: session.QMessageBox.StandardButton.Cancel)
    assert not controller.open_recent(str(other))
    assert lab.config().lr == 0.3
    monkeypatch.setattr(session.QMessageBox, "question",
                        lambda *args: session.QMessageBox.StandardButton.Discard)
    assert controller.open_recent(str(other)) and lab.config().depth == 2


def test_real_lab_session_round_trip_and_gui_rerun(qtbot, tmp_path, messages):
    from gui.app import create_main_window
    from gui.lab.lab_view import LabView

    window, lab = create_main_window(), LabView()
    qtbot.addWidget(window)
    qtbot.addWidget(lab)
    controller = install_session_menu(window, lab)
    lab.set_config(SMALL)
    assert controller.modified and window.isWindowModified()
    path = tmp_path / "lab.actiscope.json"
    assert controller.save_to(path) and not window.isWindowModified()
    lab.set_config(ExperimentConfig(depth=2, width=4))
    assert controller.open_path(path) and lab.config() == SMALL
    assert not window.isWindowModified() and messages == []
    lab.advance(25)
    reference = Trainer(ExperimentConfig.load(path))
    reference.run(25)
    expected, got = history_arrays(reference), history_arrays(lab.trainer)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_runs_sit_beside_sessions_in_open_recent(app_parts, tmp_path, messages):
    from core.runs import TrainerRecorder
    _, lab, controller = app_parts
    trainer = Trainer(SMALL)
    run_path = tmp_path / "r.actirun"
    with TrainerRecorder(run_path, trainer) as recorder:
        for _ in range(5):
            recorder.append(trainer.step())
    assert controller.open_run(run_path)
    assert len(lab.opened_run) == 5
    assert recent_sessions()[0] == str(run_path.resolve())
    session_path = tmp_path / "s.actiscope.json"
    assert controller.save_to(session_path)
    assert recent_sessions()[:2] == [str(session_path.resolve()), str(run_path.resolve())]
    controller.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in controller.recent_menu.actions()]
    assert texts[0] == "&1 s.actiscope.json" and texts[1] == "&2 r.actirun  (run)"
    lab.opened_run = None
    assert controller.open_recent(str(run_path.resolve()))       # a run entry opens as a run
    assert len(lab.opened_run) == 5
    bad = tmp_path / "bad.actirun"
    bad.mkdir()
    assert not controller.open_run(bad) and len(messages) == 1  # one message, nothing opened
    import shutil
    shutil.rmtree(run_path)
    controller.recent_menu.aboutToShow.emit()                   # a vanished run is pruned
    assert str(run_path.resolve()) not in recent_sessions()
