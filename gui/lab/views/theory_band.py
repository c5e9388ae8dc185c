"""Mean-field prediction of the per-layer gradient norm, drawn as a dashed band on a log-y plot.

Theory (core/theory/meanfield.py): ‖δ^i‖² / ‖δ^L‖² = Π_{k=i}^{L-1} χ(q^k), and one
example's weight gradient has ‖dW_i‖² = ‖δ^i‖² ‖a_{i-1}‖² with ‖a_{i-1}‖² = n_{i-1} E[φ(√q z)²]
(the data's own mean ‖x‖² for i = 1). The band is that shape scaled so layer L sits on the
measured output-layer norm; its width is one network's finite-width scatter (≈ ±2σ in log).
It describes the network at init: training moves the weights away from the random ensemble.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from core.datasets import load_csv, make_dataset
from core.network_settings import build_activations
from core.runs import Run
from core.theory import TheoryError, expect, moments, sigma_b2_for_init, sigma_w2_for_init
from gui.lab.views import theme
from gui.lab.views.run_view import layer_sizes

BAND_COLOR = QColor(255, 205, 90)   # amber: not the accent (measured) nor the signal colour
# Floor for χ and ‖a‖² in logs: a layer with χ = 0 (binary step) predicts no gradient at all.
_TINY = 1e-300


@dataclass(frozen=True)
class BandModel:
    """Predicted log ‖dW_i‖² relative to the output layer, i = 1..L, and its log spread.

    log_ratio (L,): ln(‖dW_i‖² / ‖dW_L‖²) for a typical network (0 at i = L); log_spread (L,):
    ±2σ of ln ‖dW_i‖
    for one finite-width network; q (L,): pre-activation variance of layer i's output.
    """

    log_ratio: np.ndarray
    log_spread: np.ndarray
    q: np.ndarray
    note: str


_DATA_FIELDS = ("dataset", "csv_path", "n_samples", "noise", "n_classes", "test_fraction", "seed")


@lru_cache(maxsize=8)
def _input_mean_square(data: tuple) -> float:
    """Mean ‖x‖² of the training inputs the built-in trainer makes from these data settings."""
    settings = dict(zip(_DATA_FIELDS, data, strict=True))
    data_seq = np.random.SeedSequence(settings["seed"]).spawn(3)[0]   # as Trainer draws it
    rng = np.random.default_rng(data_seq)
    if settings["dataset"] == "csv":
        dataset = load_csv(settings["csv_path"], test_fraction=settings["test_fraction"],
                           rng=rng)
    else:
        dataset = make_dataset(settings["dataset"], settings["n_samples"], settings["noise"],
                               n_classes=settings["n_classes"],
                               test_fraction=settings["test_fraction"], rng=rng)
    x = np.asarray(dataset.X_train, dtype=np.float64)
    return float(np.mean(np.sum(x * x, axis=1)))


def _key(run: Run) -> tuple:
    """What the prediction depends on (the config's network and data parts, the topology)."""
    c = run.config or {}
    params = c.get("activation_params") or {}
    activation = c.get("activation")
    return (repr(activation), tuple(sorted(params.items())), c.get("init"), c.get("init_std"),
            c.get("bias_init"), c.get("bias_std", 0.0), tuple(layer_sizes(run)),
            c.get("residual"), c.get("normalization", "none"),
            tuple(repr(c.get(name)) for name in _DATA_FIELDS))


def band_model(run: Run) -> BandModel | str:
    """The prediction for this run's network at init, or one sentence why there is none."""
    if not isinstance(run.config, dict):
        return "no theory band: it needs the built-in network's settings, which this run lacks"
    c = SimpleNamespace(**{"bias_std": 0.0, "normalization": "none", **run.config})
    if c.residual:
        return "no theory band: the mean-field prediction is for plain (non-residual) nets"
    if c.normalization not in ("none", None):
        return "no theory band: the mean-field prediction is for unnormalized nets"
    sizes = layer_sizes(run)
    n_layers = len(sizes) - 1
    activations = build_activations(c.activation, dict(c.activation_params), len(sizes) - 2)
    try:
        mean_square = _input_mean_square(tuple(run.config.get(name) for name in _DATA_FIELDS))
    except (OSError, ValueError) as exc:
        return f"no theory band: the training data cannot be read ({exc})"
    sw2 = [sigma_w2_for_init(c.init, sizes[i], sizes[i + 1], c.init_std) for i in range(n_layers)]
    sb2 = [sigma_b2_for_init(c.init, sizes[i], c.bias_std)
           for i in range(n_layers)]
    log_a = np.empty(n_layers)             # ln ‖a_{i-1}‖², input of weight layer i
    log_a[0] = math.log(max(mean_square, _TINY))
    q = np.empty(n_layers)
    q[0] = sw2[0] * math.exp(log_a[0]) / sizes[0] + sb2[0]
    log_chi = np.zeros(n_layers)           # ln χ of hidden layer i (entry i-1); last unused
    var_step = np.zeros(n_layers)          # log-variance ‖δ‖² gains passing hidden layer i
    for i, act in enumerate(activations):
        m = moments(act, q[i])
        phi2, dphi2 = float(m.phi2[0]), float(m.dphi2[0])
        log_a[i + 1] = math.log(max(sizes[i + 1] * phi2, _TINY))
        chi_i = sw2[i + 1] * dphi2
        log_chi[i] = math.log(max(chi_i, _TINY))
        # One unit's φ'² (W^T δ)²: relative variance (3 E[φ'^4]/E[φ'^2]² - 1) / n per layer.
        dphi4 = float(expect(lambda u, a=act: a.df(u) ** 4, q[i])[0])
        kurt = dphi4 / dphi2 ** 2 if dphi2 > 0 else 1.0
        var_step[i] = max(3.0 * kurt - 1.0, 0.0) / sizes[i + 1]
        q[i + 1] = sw2[i + 1] * phi2 + sb2[i + 1]
    # ln G_i = Σ_{k=i}^{L-1} ln χ_k: the layers the error passes on its way back to layer i.
    log_g = np.concatenate([np.cumsum(log_chi[:-1][::-1])[::-1], [0.0]])
    # Log-variance of ‖δ^i‖²/‖δ^L‖² from the backward gains still to come. Theory gives the
    # ensemble mean of the squared norm; one network's product of random gains is log-normal,
    # so its typical (median) value sits exp(-var/2) below the mean: the band is centred there.
    var_back = np.concatenate([np.cumsum(var_step[:-1][::-1])[::-1], [0.0]])
    log_ratio = log_g - 0.5 * var_back + log_a - log_a[-1]
    # The band adds the forward lengths' scatter (2/n per layer; it moves the anchor too).
    var = var_back + sum(2.0 / n for n in sizes[1:-1])
    spread = 2.0 * 0.5 * np.sqrt(var)   # ±2σ of ln ‖dW‖ (σ of the square halved)
    note = "theory band: mean-field prediction at init, scaled to the measured layer L"
    if c.bias_init != 0 and c.bias_std == 0:
        note += f"; assumes random biases, the constant bias {c.bias_init:g} is not modelled"
    return BandModel(log_ratio, spread, q, note)


class TheoryBand:
    """The predicted ‖dW_i‖ (dashed) and its finite-width spread on a log-y PlotItem.

    The three lines are plain curves holding log10 of the norms (the log axis's view units): it
    is redrawn every frame, and a PlotDataItem's setData cost about 3x as much.
    """

    def __init__(self, plot: pg.PlotItem, legend: pg.LegendItem | None = None) -> None:
        """Add the (empty) items to `plot`, which owns them."""
        self.plot = plot
        self.center = pg.PlotCurveItem(pen=theme.pen(BAND_COLOR, 1.6, dashed=True))
        self.upper = pg.PlotCurveItem(pen=theme.pen(theme.faded(BAND_COLOR, 90), 0.8, dashed=True))
        self.lower = pg.PlotCurveItem(pen=theme.pen(theme.faded(BAND_COLOR, 90), 0.8, dashed=True))
        for curve in (self.center, self.upper, self.lower):
            plot.addItem(curve)
        self.fill = pg.FillBetweenItem(self.upper, self.lower,
                                       brush=pg.mkBrush(theme.faded(BAND_COLOR, 40)))
        plot.addItem(self.fill)
        if legend is not None:
            legend.addItem(self.center, "theory at init (band: spread)")
        self._key: tuple | None = None
        self._model: BandModel | str = ""
        self.predicted: np.ndarray = np.zeros(0)   # (L,) the norms drawn (nan at layer 1)
        self.note = ""

    def model(self, run: Run) -> BandModel | str:
        """The cached prediction (recomputed only when the network or data change)."""
        key = _key(run)
        if key != self._key:
            try:
                self._model = band_model(run)
            except (TheoryError, ValueError) as exc:
                self._model = f"no theory band: {exc}"
            self._key = key
        return self._model

    def update(self, run: Run, measured_grad_norms: np.ndarray) -> None:
        """Redraw the band for layers 2..L scaled to measured_grad_norms[-1] (not if it is <= 0)."""
        model = self.model(run)
        measured = np.asarray(measured_grad_norms, dtype=np.float64)
        last = float(measured[-1]) if measured.size else math.nan
        if isinstance(model, str) or not (math.isfinite(last) and last > 0) \
                or model.log_ratio.size != measured.size:
            self.clear()
            self.note = model if isinstance(model, str) else ""
            return
        log_center = math.log(last) + 0.5 * model.log_ratio
        # Far below double range the log axis cannot draw it; clip to a visible floor.
        log_center = np.clip(log_center, -690.0, 690.0)
        # Layer 1 is left out: its gradient is set by the data's few input features and their
        # geometry, which the mean-field ensemble does not describe (measured: off by up to 7x).
        layers = np.arange(2, measured.size + 1, dtype=np.float64)
        self.predicted = np.exp(log_center)
        self.predicted[0] = math.nan
        center, spread = log_center[1:], model.log_spread[1:]
        to_log10 = 1.0 / math.log(10.0)
        self.center.setData(layers, center * to_log10)
        self.upper.setData(layers, (center + spread) * to_log10)
        self.lower.setData(layers, (center - spread) * to_log10)
        self.note = model.note

    def clear(self) -> None:
        """Hide the band (no prediction for this network or no measurement yet)."""
        for curve in (self.center, self.upper, self.lower):
            curve.setData([], [])
        self.predicted = np.zeros(0)
