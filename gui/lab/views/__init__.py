"""The Lab's live plot views; each is a QWidget with title, reset_view, refresh, export_targets."""

from gui.lab.views.death import DeathView
from gui.lab.views.grad_flow import GradFlowView
from gui.lab.views.grad_heatmap import GradHeatmapView
from gui.lab.views.network_diagram import NetworkDiagramView
from gui.lab.views.phase_diagram import PhaseDiagramView
from gui.lab.views.training import TrainingView
from gui.lab.views.update_ratio import UpdateRatioView

ALL_VIEWS = (NetworkDiagramView, GradFlowView, GradHeatmapView, DeathView, TrainingView,
             UpdateRatioView, PhaseDiagramView)

__all__ = ["ALL_VIEWS", "DeathView", "GradFlowView", "GradHeatmapView", "NetworkDiagramView",
           "PhaseDiagramView", "TrainingView", "UpdateRatioView"]
