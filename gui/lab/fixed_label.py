"""Labels whose text changes every frame without re-laying the window out."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def fix_label_size(label: QLabel, widest_text: str, min_width: int = 0) -> None:
    """Fix `label`'s size to what `widest_text` needs (at least `min_width` wide).

    QLabel.setText re-computes the size hint and asks the parent layout to re-lay out; unless
    the label's minimum and maximum sizes are equal in both directions, that request climbs to
    the main window. For the Lab's step and rate readouts it did, on every frame (8 layout
    passes, ~3.5 ms of the GUI thread per frame offscreen). A fixed size stops it at the label.
    """
    text = label.text()
    label.setText(widest_text)
    hint = label.sizeHint()
    label.setText(text)
    label.setFixedSize(max(hint.width(), min_width), hint.height())
