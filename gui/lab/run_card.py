"""The run card: what the config panel shows while the Lab replays a run file."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from core.runs import Run


def run_card_html(run: Run, source: str) -> str:
    """Source, writer, topology, steps and start time of `run` as rich text."""
    manifest = getattr(run, "manifest", None)
    topology = run.topology
    widths = [site.width for site in topology.sites]
    shown = ", ".join(str(w) for w in widths[:8]) + (" …" if len(widths) > 8 else "")
    steps = run.steps()
    span = f"{len(run):,} records, steps {int(steps[0]):,}–{int(steps[-1]):,}" if len(run) \
        else "no records yet"
    lines = [f"<b>Run</b> {html.escape(Path(source).name)}",
             f"<span style='color:#999'>{html.escape(str(source))}</span>"]
    if manifest is not None:
        lines.append(f"written by {html.escape(manifest.writer_name)} "
                     f"{html.escape(manifest.writer_version)}")
        if manifest.started:
            lines.append(f"started {html.escape(str(manifest.started))}")
    lines += [f"{len(topology.sites)} activation sites ({shown} units), "
              f"{len(topology.params)} parameter layers",
              span, "still being written (followed)" if run.growing else "complete"]
    config = run.config
    if isinstance(config, dict):
        lines.append(f"built-in: {html.escape(str(config.get('activation')))}, "
                     f"{html.escape(str(config.get('init')))} init, "
                     f"{html.escape(str(config.get('optimizer')))} lr {config.get('lr')}, "
                     f"{html.escape(str(config.get('dataset')))} data")
    return "<br>".join(lines)


class RunCard(QWidget):
    """The replayed run's card and a button back to the live trainer."""

    sigBackToTraining = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.back = QPushButton("Back to training")
        self.back.setToolTip("Leave the replay and show the Lab's own training again")
        self.back.clicked.connect(self.sigBackToTraining)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.back)
        layout.addStretch(1)

    def show_run(self, run: Run, source: str) -> None:
        """Describe `run` (read from `source`)."""
        self.text.setText(run_card_html(run, source))
