"""What a view hands to the exporters: a title, its widget, its plot item and its drawn data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


@dataclass
class ExportTarget:
    """One exportable plot of a view (see ARCHITECTURE.md, gui/export)."""

    title: str
    widget: QWidget
    item: Any | None = None
    csv: Callable[[], tuple[list[str], np.ndarray]] | None = None
