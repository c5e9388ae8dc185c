"""The Lab's default arrangement: settings | plots splitter, dock columns and tabbed views."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

DEFAULT_SPLITTER_SIZES = [340, 1260]     # settings panel | plots (pixels, scaled by Qt)

# Default arrangement (by view class name): two columns of two docks (three stacked docks
# collapse to bare axes at 1280×720); the other views are tabs behind (front, behind).
COLUMNS = (("NetworkDiagramView", "GradFlowView"), ("DeathView", "TrainingView"))
TABS = (("GradFlowView", "GradHeatmapView"), ("GradFlowView", "PhaseDiagramView"),
         ("TrainingView", "UpdateRatioView"))


def default_layout(views: list[QWidget]) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Dock columns and tab pairs as view indices, following COLUMNS and TABS."""
    names = [type(v).__name__ for v in views]
    columns = [[names.index(n) for n in column if n in names] for column in COLUMNS]
    tabs = [(names.index(a), names.index(b)) for a, b in TABS if a in names and b in names]
    return columns, tabs
