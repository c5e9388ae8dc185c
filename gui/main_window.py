"""The main window: one tab per view, menus File/View/<tab>/Help, status bar, remembered layout.

Tab protocol — a widget passed to `MainWindow.add_tab` provides:

    tab_title: str                                   # tab text and the name of its own menu
    export_targets() -> list[ExportTarget]           # plots File ▸ Export plot… can write
    menu_actions() -> list[QAction]                  # put in a menu named after the tab
    save_settings(settings: QSettings) -> None       # on close
    restore_settings(settings: QSettings) -> None    # right after add_tab
    shutdown() -> None                               # stop timers/work before the window closes

and optionally `view_actions() -> list[QAction]` (added to the View menu) and `reset_layout()`
(called by View ▸ Reset layout). Adding a tab needs nothing else: menus, shortcuts, export and
settings all follow from the protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox, QTabWidget, QWidget

from gui.about import ABOUT_HTML, APP_NAME
from gui.export import ExportError, ExportTarget
from gui.resources import resource_path
from gui.settings import app_settings
from gui.window_shortcuts import WindowShortcuts

GEOMETRY_KEY, STATE_KEY, TAB_KEY = "window/geometry", "window/state", "window/tab"
DEFAULT_SIZE = (1400, 900)


class MainWindow(QMainWindow):
    """Title, icon, tabs, menus and status bar; everything tab-specific comes from the tabs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(QIcon(str(resource_path("icon.png"))))
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.resize(*DEFAULT_SIZE)
        self._tab_menus: dict[int, QMenu] = {}   # id(tab widget) -> its menu
        # Callables asked before closing (e.g. "save the session?"); any False keeps it open.
        self.close_guards: list[Callable[[], bool]] = []
        self._saved_tab = 0
        self._build_menus()
        # Installed on the first show: an application-wide Python event filter built before
        # the tabs sees every event of their construction (~29,000 at start-up).
        self._shortcuts: WindowShortcuts | None = None
        self.statusBar().showMessage("Tick activations on the left; right-click a plot to "
                                     "export it; F1 lists the keyboard shortcuts.")
        self._restore_window()

    # --- menus --------------------------------------------------------------------------------

    def _action(self, menu: QMenu, text: str, shortcut: str | QKeySequence.StandardKey | None,
                tip: str, slot) -> QAction:
        """Add an action with a shortcut and status tip to `menu`."""
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        """File, View and Help; tab menus are inserted before Help by add_tab."""
        bar = self.menuBar()
        self._file_menu = bar.addMenu("&File")
        self.export_action = self._action(self._file_menu, "&Export plot\u2026", "Ctrl+E",
                                          "Export a plot as PNG, SVG or CSV", self.export_plot)
        self._action(self._file_menu, "Export whole &window as PNG\u2026", "Ctrl+Shift+E",
                     "Save a picture of the whole window", self.export_window)
        self._file_menu.addSeparator()
        self.quit_action = self._action(self._file_menu, "&Quit", "Ctrl+Q", "Close Actiscope",
                                        self.close)
        self._view_menu = bar.addMenu("&View")
        self._tab_switch_actions: list[QAction] = []
        self._view_tab_separator = self._view_menu.addSeparator()
        self._action(self._view_menu, "&Reset layout", None,
                     "Default panel sizes and every panel shown", self.reset_layout)
        self._help_menu = bar.addMenu("&Help")
        self._action(self._help_menu, "&Activation reference", "Shift+F1",
                     "Formulas and properties of every activation",
                     self.show_reference)
        self._action(self._help_menu, "&Keyboard shortcuts", "F1", "List every shortcut",
                     self.show_shortcuts)
        self._help_menu.addSeparator()
        self._action(self._help_menu, "A&bout Actiscope", None, "Version and purpose",
                     self.show_about)

    def file_menu(self) -> QMenu:
        """The File menu, for other components' items (Open/Save session, Recent files).

        Insert them before `self.export_action` (top of the menu) with
        `file_menu().insertAction(window.export_action, action)` or insertMenu for submenus,
        and end your group with `insertSeparator(window.export_action)`; Quit stays last.
        """
        return self._file_menu

    # --- tabs ---------------------------------------------------------------------------------

    def add_tab(self, widget: QWidget) -> None:
        """Add a tab following the tab protocol: its menu, View entries, and restored settings."""
        index = self.tabs.addTab(widget, widget.tab_title)
        switch = QAction(f"&{index + 1}  {widget.tab_title}", self)
        switch.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        switch.setStatusTip(f"Show the {widget.tab_title} tab")
        switch.triggered.connect(lambda: self.tabs.setCurrentIndex(index))
        self._view_menu.insertAction(self._view_tab_separator, switch)
        view_actions = getattr(widget, "view_actions", lambda: [])()
        if view_actions:
            self._view_menu.insertActions(self._view_tab_separator, view_actions)
        actions = widget.menu_actions()
        if actions:
            menu = QMenu(widget.tab_title.replace("&", ""), self)
            menu.addActions(actions)
            self.menuBar().insertMenu(self._help_menu.menuAction(), menu)
            self._tab_menus[id(widget)] = menu
        widget.restore_settings(app_settings())
        if index == self._saved_tab:
            self.tabs.setCurrentIndex(index)

    def tab_menu(self, widget: QWidget) -> QMenu | None:
        """The menu add_tab made from `widget.menu_actions()` (None if it had no actions)."""
        return self._tab_menus.get(id(widget))

    def tab_widgets(self) -> list[QWidget]:
        """The tab widgets, in tab order."""
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def export_targets(self, current_tab_only: bool = False) -> list[ExportTarget]:
        """Every tab's export targets (the current tab's first), or only the current tab's."""
        current = self.tabs.currentWidget()
        widgets = [current] if current_tab_only else [current] + [
            w for w in self.tab_widgets() if w is not current]
        return [target for widget in widgets if widget is not None
                for target in widget.export_targets()]

    # --- commands -----------------------------------------------------------------------------

    def export_plot(self) -> None:
        """File ▸ Export plot…: the dialog lists the current tab's plots first, then the rest."""
        from gui.export import ExportDialog
        targets = self.export_targets()
        if not targets:
            QMessageBox.information(self, "Export plot", "This tab has no plot to export.")
            return
        dialog = ExportDialog(targets, parent=self)
        dialog.exec()
        dialog.deleteLater()

    def export_window(self) -> None:
        """File ▸ Export whole window as PNG…"""
        from gui.export import export_widget_png
        path, _ = QFileDialog.getSaveFileName(self, "Export window as PNG",
                                              str(Path.home() / "actiscope-window.png"),
                                              "PNG image (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            export_widget_png(self, path)
        except (ExportError, OSError) as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
            return
        self.statusBar().showMessage(f"Saved {path}", 5000)

    def show_shortcuts(self) -> None:
        """Help ▸ Keyboard shortcuts: every menu action that has one, read from the menus."""
        rows = []
        for menu_action in self.menuBar().actions():
            menu = menu_action.menu()
            for action in menu.actions() if menu is not None else []:
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys:
                    where = f"{menu_action.text()} \u25b8 {action.text()}".replace("&", "")
                    rows.append(f"<tr><td><b>{keys}</b></td><td>{where}</td></tr>")
        rows.append("<tr><td><b>Wheel / drag</b></td><td>zoom / pan a plot</td></tr>"
                    "<tr><td><b>Double-click</b></td><td>reset the Explorer's x range</td></tr>"
                    "<tr><td><b>Right-click</b></td><td>plot menu with Export\u2026</td></tr>")
        box = QMessageBox(QMessageBox.Icon.NoIcon, "Keyboard shortcuts",
                          "<table cellspacing='6'>" + "".join(rows) + "</table>",
                          QMessageBox.StandardButton.Close, self)
        box.exec()
        box.deleteLater()

    def show_reference(self) -> None:
        """Help ▸ Activation reference (its module is loaded on first use)."""
        from gui.explorer.reference_dialog import show_activation_reference
        show_activation_reference(self)

    def show_about(self) -> None:
        """Help ▸ About: version and purpose."""
        QMessageBox.about(self, f"About {APP_NAME}", ABOUT_HTML)

    def reset_layout(self) -> None:
        """View ▸ Reset layout: default window size and every tab's default panel layout."""
        self.resize(*DEFAULT_SIZE)
        for widget in self.tab_widgets():
            reset = getattr(widget, "reset_layout", None)
            if reset is not None:
                reset()

    # --- settings -----------------------------------------------------------------------------

    def _restore_window(self) -> None:
        """Geometry, dock/toolbar state and the tab to show (applied when that tab is added)."""
        settings = app_settings()
        geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        tab = settings.value(TAB_KEY, 0)
        self._saved_tab = int(tab) if str(tab).isdigit() else 0

    def save_settings(self, settings: QSettings | None = None) -> None:
        """Store window geometry/state, the current tab and every tab's settings."""
        settings = settings or app_settings()
        settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        settings.setValue(STATE_KEY, self.saveState())
        settings.setValue(TAB_KEY, self.tabs.currentIndex())
        for widget in self.tab_widgets():
            widget.save_settings(settings)
        settings.sync()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802  (Qt override)
        """Install the window-wide shortcuts filter when the window is first shown."""
        if self._shortcuts is None:
            self._shortcuts = WindowShortcuts(self)
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802  (Qt override)
        """Ask the close guards, save settings, then let every tab stop its work."""
        if not all(guard() for guard in self.close_guards):
            event.ignore()
            return
        self.save_settings()
        for widget in self.tab_widgets():
            widget.shutdown()
        super().closeEvent(event)
