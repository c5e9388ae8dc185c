"""Main window: tabs follow the tab protocol (menus, export, settings, shutdown), menus work."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from gui.app import create_main_window
from gui.explorer.explorer_view import ExplorerView
from gui.export import ExportTarget
from gui.main_window import MainWindow
from gui.settings import app_settings


class DummyTab(QWidget):
    """The smallest widget that follows the tab protocol."""

    tab_title = "Dummy"

    def __init__(self) -> None:
        super().__init__()
        self.label = QLabel("dummy", self)
        self.action = QAction("Do it", self)
        self.saved = self.restored = self.shut_down = False

    def export_targets(self):
        return [ExportTarget("Dummy plot", self.label)]

    def menu_actions(self):
        return [self.action]

    def save_settings(self, settings):
        self.saved = True

    def restore_settings(self, settings):
        self.restored = True

    def shutdown(self):
        self.shut_down = True


def menu_titles(window: MainWindow) -> list[str]:
    return [a.text().replace("&", "") for a in window.menuBar().actions()]


def test_create_main_window_has_title_icon_and_explorer(qtbot):
    window = create_main_window()
    qtbot.addWidget(window)
    assert window.windowTitle().endswith("Actiscope")  # "Untitled[*] — Actiscope" with sessions
    assert not window.windowIcon().isNull()
    assert isinstance(window.tab_widgets()[0], ExplorerView)
    assert menu_titles(window)[:2] == ["File", "View"] and menu_titles(window)[-1] == "Help"
    assert "Explorer" in menu_titles(window)
    shortcuts = {a.shortcut().toString() for a in window.file_menu().actions()}
    assert {"Ctrl+E", "Ctrl+Shift+E", "Ctrl+Q"} <= shortcuts


def test_adding_a_tab_is_one_call(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.add_tab(ExplorerView())
    dummy = DummyTab()
    window.add_tab(dummy)
    assert dummy.restored
    assert window.tabs.count() == 2
    assert menu_titles(window) == ["File", "View", "Explorer", "Dummy", "Help"]
    view_texts = [a.text() for a in window._view_menu.actions()]
    assert any("Dummy" in t for t in view_texts)
    titles = [t.title for t in window.export_targets()]
    assert titles == ["Explorer curves", "Dummy plot"]
    window.tabs.setCurrentIndex(1)
    assert [t.title for t in window.export_targets()][0] == "Dummy plot"
    assert [t.title for t in window.export_targets(current_tab_only=True)] == ["Dummy plot"]


def test_close_saves_every_tab_and_shuts_it_down(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.add_tab(ExplorerView())
    dummy = DummyTab()
    window.add_tab(dummy)
    window.tabs.setCurrentIndex(1)
    window.resize(640, 480)      # fits the offscreen screen (restoreGeometry clamps to it)
    window.show()
    qtbot.waitExposed(window)
    size = (window.width(), window.height())
    window.close()
    assert dummy.saved and dummy.shut_down
    assert int(app_settings().value("window/tab")) == 1
    again = MainWindow()
    qtbot.addWidget(again)
    again.add_tab(ExplorerView())
    again.add_tab(DummyTab())
    assert again.tabs.currentIndex() == 1
    # The offscreen platform adjusts widths to minimum sizes; the height is kept exactly.
    assert again.height() == size[1] != 900 and again.width() < 1400


def test_explorer_state_survives_a_restart(qtbot):
    window = create_main_window()
    qtbot.addWidget(window)
    explorer = window.tab_widgets()[0]
    explorer.activation_list.set_checked_names(["elu", "selu"])
    explorer.set_param("elu", "alpha", 0.5)
    window.close()
    again = create_main_window()
    qtbot.addWidget(again)
    restored = again.tab_widgets()[0]
    assert restored.activation_list.checked_names() == ["elu", "selu"]
    assert restored.params("elu") == {"alpha": 0.5}


def test_corrupt_window_settings_are_ignored(qtbot):
    settings = app_settings()
    for key in ("window/geometry", "window/state", "window/tab", "explorer/state",
                "explorer/splitter"):
        settings.setValue(key, "garbage")
    settings.sync()
    window = create_main_window()
    qtbot.addWidget(window)
    assert window.tabs.currentIndex() == 0
    assert window.tab_widgets()[0].activation_list.checked_names() == ["sigmoid", "tanh", "relu"]


def test_file_menu_has_an_insertion_point_before_export(qtbot):
    window = create_main_window()
    qtbot.addWidget(window)
    open_action = QAction("Open session…", window)
    window.file_menu().insertAction(window.export_action, open_action)
    actions = window.file_menu().actions()
    assert actions.index(open_action) < actions.index(window.export_action)
    assert actions[-1] is window.quit_action


def test_view_reset_layout_shows_the_side_panel(qtbot):
    window = create_main_window()
    qtbot.addWidget(window)
    explorer = window.tab_widgets()[0]
    explorer.explorer_actions.side_panel.setChecked(False)
    assert explorer.info_panel.isHidden()
    window.reset_layout()
    assert not explorer.info_panel.isHidden()


def test_file_menu_holds_the_run_actions(qtbot):
    from gui.app import create_main_window
    window = create_main_window()
    qtbot.addWidget(window)
    entries = {a.text(): a.shortcut().toString() for a in window.file_menu().actions()
               if a.text()}
    assert entries["Open &run…"] == "Ctrl+Shift+O"
    assert entries["Save run as…"] == "Ctrl+Alt+S"
    shortcuts = [s for s in entries.values() if s]
    assert len(shortcuts) == len(set(shortcuts))      # no shortcut on two actions
