"""Phase diagram: the mean-field map of σ_w² × σ_b² for the current activation (core.theory).

Colour = ln χ at the fixed point (blue ordered: gradients vanish, red chaotic: they explode),
the critical line χ = 1, contours of the correlation depth scale ξ_c and the current init as a
dot. phase_grid runs on a plain worker thread; its result reaches the GUI thread through a
queued signal. A click on the map emits sigInitChosen(σ_w², σ_b²).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from core.network_settings import build_activations
from core.runs import Run
from core.theory import critical_sigma_w2, phase_grid, sigma_b2_for_init, sigma_w2_for_init
from gui.export import ExportTarget
from gui.lab.views import theme
from gui.lab.views.run_view import layer_sizes

GRID_N = 60
XI_LEVELS = (3.0, 10.0, 30.0)             # depth-scale contours, in layers
SIGMA_B2_MAX = 1.0
XI_CAP = 1e6                                # ξ_c written to CSV in place of ∞ (critical line)
LOG_CHI_SPAN = 2.0                         # largest colour scale ±, ln χ (χ from 0.14 to 7.4)
LABEL_HEIGHTS = (0.82, 0.62, 0.42)          # where on the σ_b² axis each contour is labelled
PHASE_COLORS = pg.ColorMap([0.0, 0.5, 1.0], [(50, 110, 230), (28, 30, 36), (235, 70, 60)])


@dataclass(frozen=True)
class PhaseResult:
    """What the worker computed for one activation: the grid and the critical σ_w² at σ_b² = 0."""

    key: tuple
    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    log_chi: np.ndarray          # (nb, nw)
    xi_c: np.ndarray             # (nb, nw)
    line_w: np.ndarray           # critical line met from q0 = 1, per σ_b²
    error: str = ""


def compute_phase(key: tuple, act) -> PhaseResult:
    """The grid for `act` over σ_w² ∈ (0, ~2.5 × critical], σ_b² ∈ [0, 1] (no Qt: worker side)."""
    try:
        critical = critical_sigma_w2(act, 0.5)
        top = 4.0 if not math.isfinite(critical) else min(max(2.5 * critical, 4.0), 250.0)
        w = np.linspace(top / GRID_N, top, GRID_N)
        b = np.linspace(0.0, SIGMA_B2_MAX, GRID_N)
        grid = phase_grid(act, w, b)
        line = np.asarray(grid.critical_line.sigma_w2_from_q0, dtype=np.float64)
        return PhaseResult(key, w, b, grid.log_chi, grid.xi_c, line)
    except (ValueError, ArithmeticError) as exc:
        empty = np.zeros(0)
        return PhaseResult(key, empty, empty, np.zeros((0, 0)), np.zeros((0, 0)), empty,
                           f"no phase diagram for this activation: {exc}")


def init_point(config, sizes: list[int]) -> tuple[float, float]:
    """(σ_w², σ_b²) of the config's hidden layers (the second weight layer's fans)."""
    fan_in = sizes[1]
    fan_out = sizes[2] if len(sizes) > 2 else sizes[1]
    w = sigma_w2_for_init(config.init, fan_in, fan_out, config.init_std)
    b = sigma_b2_for_init(config.init, fan_in, getattr(config, "bias_std", 0.0))
    return w, b


def config_at_point(config, sigma_w2: float, sigma_b2: float):
    """`config` started at (σ_w², σ_b²): init normal, std √(σ_w²/fan-in), bias std √σ_b².

    fan-in is the hidden width (the first hidden layer's); the same std then also sets the
    input and output layers' weights, as init "normal" always does.
    """
    fan_in = config.hidden_layer_sizes()[0]
    std = math.sqrt(max(sigma_w2, 1e-12) / fan_in)
    return config.replace(init="normal", init_std=std, bias_std=math.sqrt(max(sigma_b2, 0.0)))


class _Relay(QObject):
    """Carries a finished PhaseResult from the worker to the GUI thread (queued)."""

    sigDone = Signal(object)


class _Worker:
    """One background computation at a time; results after close() are dropped, never emitted."""

    def __init__(self, relay: _Relay) -> None:
        self.relay = relay
        self.lock = threading.Lock()
        self.closed = False
        self.thread: threading.Thread | None = None

    def start(self, key: tuple, act) -> None:
        """Compute in a new daemon thread (an older one finishes; its result is stale)."""
        def run() -> None:
            result = compute_phase(key, act)
            with self.lock:   # close() takes the lock: no emit can race the relay's deletion
                if not self.closed:
                    self.relay.sigDone.emit(result)
        self.thread = threading.Thread(target=run, name="actiscope-phase", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """No emit after this returns; waits for a computation in flight (≤ ~0.3 s)."""
        with self.lock:
            self.closed = True
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=2.0)


class PhaseDiagramView(QWidget):
    """σ_w² × σ_b² map of the current activation with the critical line and ξ_c contours."""

    title = "Phase diagram"
    sigInitChosen = Signal(float, float)     # σ_w², σ_b² clicked on the map

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = theme.make_graphics_widget()
        self.plot = theme.add_plot(self.graphics, self.title, "σ_w²  (weight variance × fan-in)",
                                   "σ_b²  (bias variance)", row=0, col=0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(PHASE_COLORS.getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.line = self.plot.plot(pen=theme.pen("#f2f2f2", 2.2))
        self.contours = [self.plot.plot(pen=theme.pen("#d8d8d8", 1.0, dashed=True))
                         for _ in XI_LEVELS]
        self.labels = [pg.TextItem(color="#e8e8e8", anchor=(0.5, 0.5), fill=(21, 24, 29, 190))
                       for _ in XI_LEVELS]
        for label in self.labels:
            self.plot.addItem(label)
        self.dot = pg.ScatterPlotItem(size=13, brush=pg.mkBrush(255, 215, 80),
                                      pen=pg.mkPen("#111111", width=1.5), symbol="o")
        self.plot.addItem(self.dot)
        self.bar = pg.ColorBarItem(values=(-LOG_CHI_SPAN, LOG_CHI_SPAN), colorMap=PHASE_COLORS,
                                   interactive=False, width=14)
        theme.style_colorbar(self.bar, "ln χ per layer  (blue ordered · red chaotic)",
                             self.graphics)
        self.graphics.addItem(self.bar, row=0, col=1)
        self.note = QLabel("computing…")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {theme.FOREGROUND}; background: {theme.BACKGROUND}; "
                                "padding: 3px 6px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.note)
        self.setToolTip(
            "Mean-field theory of the network at init (random weights N(0, σ_w²/fan-in), random "
            "biases N(0, σ_b²)). Colour: ln χ, the factor by which the squared gradient norm "
            "grows per layer going back — blue (< 0) ordered, gradients vanish; red (> 0) "
            "chaotic, gradients explode; dark = χ ≈ 1. White line: the edge of chaos (χ = 1). "
            "Dashed: correlation depth ξ_c in layers; a net much deeper than ξ_c (≳ 6 ξ_c) "
            "is hard to train. Yellow dot: this config. Click to start from that init "
            "(normal, std √(σ_w²/fan-in), bias std √σ_b²); the run resets. The theory assumes "
            "random biases: a constant bias init shifts the mean and is not modelled.")
        self.graphics.scene().sigMouseClicked.connect(self._on_clicked)
        self._relay = _Relay(self)
        self._relay.sigDone.connect(self._on_result, Qt.ConnectionType.QueuedConnection)
        self._worker = _Worker(self._relay)
        worker = self._worker
        self.destroyed.connect(lambda *_: worker.close())
        self._key: tuple | None = None
        self._act = None
        self.result: PhaseResult | None = None
        self.point = (math.nan, math.nan)
        self._context = ""

    # -- view protocol -------------------------------------------------------------------
    def reset_view(self, run: Run) -> None:
        """New config: move the dot; recompute the map only if the activation changed."""
        if not isinstance(run.config, dict):
            self._key = None
            self.result = None
            self.image.clear()
            self.line.setData([], [])
            self.point = (math.nan, math.nan)
            self._context = ""
            self._draw_dot()
            self._show_note("phase diagram: it needs the built-in network's init settings, "
                            "which this run does not hold")
            return
        config = SimpleNamespace(**{"bias_std": 0.0, **run.config})
        sizes = layer_sizes(run)
        activations = build_activations(config.activation, dict(config.activation_params),
                                        len(sizes) - 2)
        self.point = init_point(config, sizes)
        act = activations[0] if activations else None
        notes = []
        if len(set(activations)) > 1:
            notes.append("the net mixes activations: map of hidden layer 1's")
        if config.residual:
            notes.append("theory for plain nets; residual connections change it")
        if config.bias_init != 0 and config.bias_std == 0:
            notes.append(f"assumes random biases, the constant bias {config.bias_init:g} is "
                         "not modelled")
        self._context = "; ".join(notes)
        self._draw_dot()
        if act is None:
            self._show_note("no hidden layer: nothing to predict")
            return
        key = (act.name, tuple(sorted(act.params.items())))
        if key != self._key:
            self._key = key
            self.result = None
            self._show_note("computing the phase diagram…")
            self._act = act
            self._worker.start(key, act)
        else:
            self._show_note()

    def show_record(self, run: Run, index: int = -1, force: bool = False) -> None:
        """Nothing moves while training: the map describes the init."""

    def shutdown(self) -> None:
        """Drop any computation in flight (its result is never delivered)."""
        self._worker.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._worker.close()
        super().closeEvent(event)

    # -- drawing -------------------------------------------------------------------------
    def _on_result(self, result: PhaseResult) -> None:
        """Draw a finished grid unless the activation changed meanwhile (stale)."""
        if result.key != self._key:
            return
        self.result = result
        if result.error:
            self.image.clear()
            self._show_note(result.error)
            return
        w, b = result.sigma_w2, result.sigma_b2
        finite = result.log_chi[np.isfinite(result.log_chi)]
        # Symmetric around 0 (χ = 1 is always the dark middle), as wide as most of the map.
        span = float(np.clip(np.percentile(np.abs(finite), 95), 0.25, LOG_CHI_SPAN)) \
            if finite.size else LOG_CHI_SPAN
        colour = np.nan_to_num(result.log_chi, nan=0.0, posinf=span, neginf=-span)
        self.image.setImage(np.clip(colour, -span, span), levels=(-span, span))
        self.bar.setLevels((-span, span))
        dw, db = w[1] - w[0], b[1] - b[0]
        self.image.setRect(QRectF(w[0] - dw / 2, b[0] - db / 2, dw * len(w), db * len(b)))
        on_map = np.isfinite(result.line_w) & (result.line_w <= w[-1])
        self.line.setData(result.line_w[on_map], b[on_map])
        self._draw_contours(w, b, result.xi_c)
        self.plot.setRange(xRange=(0.0, w[-1]), yRange=(0.0, b[-1]), padding=0.02)
        self._draw_dot()
        self._show_note()

    def _draw_contours(self, w: np.ndarray, b: np.ndarray, xi: np.ndarray) -> None:
        """ξ_c = level contours (both phases), each labelled on its longest piece at its own
        height so the labels never overlap."""
        data = np.nan_to_num(xi, nan=1e6, posinf=1e6)
        for level, curve, label, height in zip(XI_LEVELS, self.contours, self.labels,
                                               LABEL_HEIGHTS, strict=True):
            pieces = pg.functions.isocurve(data, level, connected=True)
            xs, ys, joins, best = [], [], [], None
            for piece in pieces:
                arr = np.asarray(piece, dtype=np.float64)
                # isocurve works in cell corners: index i → centre coordinate w[0] + i·dw
                px = np.interp(arr[:, 1] - 0.5, np.arange(len(w)), w)
                py = np.interp(arr[:, 0] - 0.5, np.arange(len(b)), b)
                xs += list(px)
                ys += list(py)
                joins += [1] * (len(px) - 1) + [0]   # pieces are not joined to each other
                if best is None or len(px) > len(best[0]):
                    best = (px, py)
            curve.setData(np.array(xs), np.array(ys), connect=np.array(joins, dtype=np.int32))
            if best is not None and len(best[0]) > 2:
                at = int(np.argmin(np.abs(best[1] - height * b[-1])))
                label.setText(f"ξ_c={level:g}")
                label.setPos(best[0][at], best[1][at])
            else:
                label.setText("")

    def _draw_dot(self) -> None:
        """The current init, if it lies on the map (else the note says where it is)."""
        w, b = self.point
        if math.isfinite(w) and math.isfinite(b):
            self.dot.setData([w], [b])
        else:
            self.dot.setData([], [])

    def _show_note(self, text: str | None = None) -> None:
        """The note under the map: state, where the dot is, any caveat."""
        w, b = self.point
        parts = [text] if text else []
        if not text and math.isfinite(w):
            where = f"this init: σ_w² = {w:.3g}, σ_b² = {b:.3g}"
            if self.result is not None and self.result.sigma_w2.size and \
                    (w > self.result.sigma_w2[-1] or b > self.result.sigma_b2[-1]):
                where += " (off the map)"
            parts.append(where)
            parts.append("click the map to start from another init")
        if self._context:
            parts.append(self._context)
        self.note.setText("  ·  ".join(parts))

    def _on_clicked(self, event) -> None:
        """A left click inside the map: emit its (σ_w², σ_b²), clamped to the drawn square."""
        if event.button() != Qt.MouseButton.LeftButton or self.result is None \
                or not self.result.sigma_w2.size:
            return
        view = self.plot.getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        w = float(np.clip(point.x(), self.result.sigma_w2[0], self.result.sigma_w2[-1]))
        b = float(np.clip(point.y(), 0.0, self.result.sigma_b2[-1]))
        self.sigInitChosen.emit(w, b)

    def export_targets(self) -> list[ExportTarget]:
        """The map (PNG/SVG) and its grid as CSV (σ_w², σ_b², ln χ, ξ_c)."""
        return [ExportTarget(self.title, self, self.plot, self._csv)]

    def _csv(self) -> tuple[list[str], np.ndarray]:
        """One row per grid point; unbounded values written as ±XI_CAP / ln of the tiniest χ."""
        headers = ["sigma_w2", "sigma_b2", "ln_chi", f"xi_c (layers, {XI_CAP:g} = unbounded)"]
        if self.result is None and self._act is not None:   # an export before the worker is done
            self._on_result(compute_phase(self._key, self._act))
        if self.result is None or not self.result.sigma_w2.size:
            return headers, np.zeros((0, 4))
        ww, bb = np.meshgrid(self.result.sigma_w2, self.result.sigma_b2)
        log_chi = np.nan_to_num(self.result.log_chi, nan=0.0, neginf=-745.0, posinf=745.0)
        xi = np.nan_to_num(np.minimum(self.result.xi_c, XI_CAP), nan=XI_CAP, posinf=XI_CAP)
        return headers, np.column_stack([ww.ravel(), bb.ravel(), log_chi.ravel(), xi.ravel()])
