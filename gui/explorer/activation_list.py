"""The checkable list of every activation, each with its colour swatch (solid f, dashed f')."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from core.activations import activation_info, available_activations
from gui.explorer import theme
from gui.explorer.palette import activation_colour

NAME_ROLE = Qt.ItemDataRole.UserRole


def swatch_icon(colour: str, size: int = 22) -> QIcon:
    """A small icon: a solid line (f) over a dashed line (f') in the activation's colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(theme.function_pen(colour))
    painter.drawLine(2, size // 3, size - 2, size // 3)
    painter.setPen(theme.derivative_pen(colour))
    painter.drawLine(2, 2 * size // 3, size - 2, 2 * size // 3)
    painter.end()
    return QIcon(pixmap)


class ActivationList(QListWidget):
    """All activations in display order; checked ones are drawn, the current one is described."""

    sigCheckedChanged = Signal(str, bool)   # name, checked
    sigCurrentChanged = Signal(str)         # name of the selected row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(QSize(22, 22))
        self.setUniformItemSizes(True)
        for name in available_activations():
            self._add_item(name)
        self.itemChanged.connect(self._on_item_changed)
        self.currentItemChanged.connect(self._on_current_changed)

    def _add_item(self, name: str) -> None:
        """One unticked row with the activation's colour swatch and formula tooltip."""
        info = activation_info(name)
        item = QListWidgetItem(swatch_icon(activation_colour(name)), info.display_name)
        item.setData(NAME_ROLE, name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        item.setToolTip(f"<b>{html.escape(info.display_name)}</b><br>{info.formula_html}<br>"
                        "Tick to draw it: solid line = f(x), dashed line = f\u2032(x).")
        self.addItem(item)

    def add_activation(self, name: str) -> bool:
        """Append a row for `name` (a formula); False if it is already listed."""
        if name in self.names():
            return False
        self._add_item(name)
        return True

    def formula_names(self) -> list[str]:
        """The rows added by the user (formula activations), in list order."""
        builtin = set(available_activations())
        return [name for name in self.names() if name not in builtin]

    def names(self) -> list[str]:
        """Every activation name, in list order."""
        return [self.item(row).data(NAME_ROLE) for row in range(self.count())]

    def checked_names(self) -> list[str]:
        """The ticked activations, in list order."""
        return [self.item(row).data(NAME_ROLE) for row in range(self.count())
                if self.item(row).checkState() == Qt.CheckState.Checked]

    def set_checked(self, name: str, checked: bool) -> None:
        """Tick or untick one activation (emits sigCheckedChanged if it changes)."""
        item = self._item(name)
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        if item.checkState() != state:
            item.setCheckState(state)

    def set_checked_names(self, names: list[str]) -> None:
        """Tick exactly `names` (unknown names are ignored)."""
        wanted = set(names)
        for name in self.names():
            self.set_checked(name, name in wanted)

    def current_name(self) -> str:
        """The selected activation (the first one when nothing is selected)."""
        item = self.currentItem()
        return item.data(NAME_ROLE) if item is not None else self.item(0).data(NAME_ROLE)

    def set_current_name(self, name: str) -> None:
        """Select an activation (its properties show in the side panel)."""
        self.setCurrentItem(self._item(name))

    def _item(self, name: str) -> QListWidgetItem:
        """The row of `name`; KeyError if there is none."""
        for row in range(self.count()):
            if self.item(row).data(NAME_ROLE) == name:
                return self.item(row)
        raise KeyError(name)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        """Forward check-state changes as (name, checked)."""
        self.sigCheckedChanged.emit(item.data(NAME_ROLE),
                                    item.checkState() == Qt.CheckState.Checked)

    def _on_current_changed(self, current: QListWidgetItem | None, _previous) -> None:
        """Forward selection changes as the activation's name."""
        if current is not None:
            self.sigCurrentChanged.emit(current.data(NAME_ROLE))
