"""Where Compare's A and B come from: the Lab's training, B varied from A, or a run file.

A = "Lab training" or a run file; B = "vary A's settings" (a second trainer in lockstep) or a run
file. B can only vary A while A is the Lab's training, so a run file for A asks for B's file too.
"Run file…" opens the native folder dialog (QFileDialog.getExistingDirectory; tests replace it)
and opens core.runs.FileRun: a folder that cannot be read is one sentence (sigError) and nothing
changes.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QWidget

from core.runs import FileRun, Run

LIVE, FILE = 0, 1             # combo rows: the live source, then "Run file…"
LIVE_LABELS = ("Lab training", "vary A's settings")
TIPS = ("A: the Lab's own training, or a saved run folder (.actirun)",
        "B: a second trainer that varies A's settings (trained in lockstep), or a saved run "
        "folder (.actirun)")


def run_name(run: Run, source: str) -> str:
    """'a.actirun (actiscope, 30 records, steps 1–30)' — a run file named for legends."""
    manifest = getattr(run, "manifest", None)
    writer = manifest.writer_name if manifest is not None else "run file"
    steps = run.steps()
    span = (f"{len(run):,} records, steps {int(steps[0]):,}–{int(steps[-1]):,}" if len(run)
            else "no records yet")
    growing = ", growing" if run.growing else ""
    return f"{Path(source).name} ({writer}, {span}{growing})"


def ask_run_folder(parent: QWidget, title: str) -> str:
    """A run folder from the native folder dialog ('' when cancelled)."""
    return QFileDialog.getExistingDirectory(parent, title, "")


class CompareSources(QWidget):
    """Two pickers, A and B; `files` holds the opened run file of each side (None: live)."""

    sigChanged = Signal()        # a side's source changed: the Lab rebuilds the comparison
    sigError = Signal(str)       # a chosen folder could not be read (one sentence)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files: list[FileRun | None] = [None, None]
        self.paths: list[str | None] = [None, None]
        self.boxes: list[QComboBox] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 0)
        for side, live in enumerate(LIVE_LABELS):
            box = QComboBox()
            box.addItems([live, "Run file…"])
            box.setToolTip(TIPS[side])
            box.activated.connect(lambda row, side=side: self._on_chosen(side, row))
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            layout.addWidget(QLabel("AB"[side] + ":"))
            layout.addWidget(box)
            self.boxes.append(box)
        layout.addStretch(1)
        self._show_choice()

    def is_file(self, side: int) -> bool:
        """True when side 0 (A) or 1 (B) is a run file."""
        return self.files[side] is not None

    def set_files(self, path_a: str | None, path_b: str | None) -> None:
        """Open both run folders (None: that side live) and show them; ValueError (one
        sentence, nothing changed) if either cannot be read."""
        runs = [None if path is None
                else self.files[side] if str(path) == self.paths[side]    # kept, not reread
                else FileRun(path) for side, path in enumerate((path_a, path_b))]
        if runs[0] is not None and runs[1] is None:
            raise ValueError("B can vary A's settings only while A is the Lab's training; "
                             "choose a run file for B too.")
        self.files = runs
        self.paths = [None if p is None else str(p) for p in (path_a, path_b)]
        self._show_choice()
        self.sigChanged.emit()

    def _on_chosen(self, side: int, row: int) -> None:
        if row not in (LIVE, FILE):           # the file already shown
            return
        if row == LIVE:
            if self.files[side] is None:
                return
            paths = list(self.paths)
            paths[side] = None
            if side == 1:          # B varies A: only beside the Lab's training
                paths[0] = None
            self._apply(paths)
            return
        title = f"Compare: run folder (.actirun) for {'AB'[side]}"
        folder = ask_run_folder(self, title)
        if not folder:
            self._show_choice()
            return
        paths = list(self.paths)
        paths[side] = folder
        if side == 0 and paths[1] is None:      # a file A needs a file B
            folder_b = ask_run_folder(self, "Compare: run folder (.actirun) for B")
            if not folder_b:
                self._show_choice()
                return
            paths[1] = folder_b
        self._apply(paths)

    def _apply(self, paths: list[str | None]) -> None:
        try:
            self.set_files(*paths)
        except ValueError as exc:
            self._show_choice()
            self.sigError.emit(str(exc))

    def _show_choice(self) -> None:
        """Each combo names its current source (a file by its folder name)."""
        for side, box in enumerate(self.boxes):
            blocked = box.blockSignals(True)
            while box.count() > 2:
                box.removeItem(2)
            if self.files[side] is not None:
                box.addItem(Path(self.paths[side]).name)
                box.setCurrentIndex(2)
                box.setToolTip(html.escape(self.paths[side]))
            else:
                box.setCurrentIndex(LIVE)
                box.setToolTip(TIPS[side])
            box.blockSignals(blocked)
