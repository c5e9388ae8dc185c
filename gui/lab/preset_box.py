"""The preset chooser: a combo box of core.presets and the chosen preset's explanation."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from core.presets import available_presets, get_preset

CHOOSE_TEXT = "Custom settings — load a preset…"
MIN_VISIBLE_CHARS = 18


class PresetBox(QWidget):
    """Choosing an entry emits sigPresetChosen(config) and shows what the preset demonstrates."""

    sigPresetChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        self.combo = QComboBox()
        self.combo.addItem(CHOOSE_TEXT, None)
        for name in available_presets():
            self.combo.addItem(get_preset(name).title, name)
        # Long preset titles must not set the Lab's minimum width: the closed box elides,
        # the open list is as wide as its longest title.
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(MIN_VISIBLE_CHARS)
        view = self.combo.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 2 * view.frameWidth() + 16)
        self.combo.setToolTip("Ready-made experiments that show one phenomenon each; "
                              "loading one replaces every setting below.")
        self.combo.activated.connect(self._on_activated)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)
        self.explanation.setStyleSheet("color: palette(dark); padding: 2px;")
        self.explanation.hide()
        layout.addWidget(self.combo)
        layout.addWidget(self.explanation)

    def current_name(self) -> str | None:
        """The name of the preset last loaded (None if the settings were edited by hand)."""
        return self.combo.currentData()

    def choose(self, name: str) -> None:
        """Load preset `name` as if the user picked it (ValueError for unknown names)."""
        preset = get_preset(name)
        self.combo.setCurrentIndex(self.combo.findData(name))
        self._show(preset)
        self.sigPresetChosen.emit(preset.config)

    def show_config(self, config) -> None:
        """Show the preset whose config this is, or "Custom settings" (an opened session, a
        field edited after loading a preset) so the explanation never describes another run."""
        name = next((n for n in available_presets() if get_preset(n).config == config), None)
        if name != self.current_name() or (name is None and self.explanation.isVisible()):
            self.show_preset(name)

    def show_preset(self, name: str | None) -> None:
        """Select `name` and show its explanation without loading it (settings restore)."""
        index = self.combo.findData(name) if name else 0
        self.combo.setCurrentIndex(max(index, 0))
        if index > 0:
            self._show(get_preset(name))
        else:
            self.explanation.hide()

    def _on_activated(self, index: int) -> None:
        name = self.combo.itemData(index)
        if name:
            self.choose(name)
        else:
            self.explanation.hide()

    def _show(self, preset) -> None:
        self.explanation.setText(f"{preset.explanation}\n\nPress Play (Space); the effect "
                                 f"shows within about {preset.steps:,} steps.")
        self.explanation.show()
