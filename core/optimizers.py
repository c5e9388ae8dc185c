"""SGD, momentum and Adam with PyTorch's update rules, updating weights and biases in place.

L2 is torch's `weight_decay` applied to weights only: g = dW + l2 * W. Hyper-parameters are plain
attributes read at every step, so they can change between steps; state buffers are preallocated.
"""

from __future__ import annotations

import math

import numpy as np

from core.network_buffers import safe_norm


class OptimizerError(ValueError):
    """An unknown optimizer name."""


_RATIO_LIMIT = 1.0 / np.finfo(np.float64).max


def update_fits(update_norms: np.ndarray, weight_norms: np.ndarray | None) -> bool:
    """True when every ‖ΔW_i‖ and every ratio ‖ΔW_i‖ / ‖W_i‖ (where ‖W_i‖ > 0) is finite."""
    if not np.isfinite(update_norms).all():
        return False
    # ratio overflows  <=>  ‖ΔW‖ / max > ‖W‖ (the product only underflows, never warns)
    return weight_norms is None or not (
        (update_norms * _RATIO_LIMIT > weight_norms) & (weight_norms > 0)).any()


def frobenius_norms(pieces: list[np.ndarray]) -> np.ndarray:
    """‖piece‖_F each: the fast squared sum, redone overflow-safely where it overflowed."""
    norms = np.sqrt([float(np.vdot(piece, piece)) for piece in pieces])
    if not np.isfinite(norms).all():
        for i in np.flatnonzero(~np.isfinite(norms)):
            norms[i] = safe_norm(pieces[i])
    return norms


class Optimizer:
    """Base class: `step` updates params in place and returns ‖ΔW_i‖_F per weight layer."""

    name = ""

    def __init__(self, lr: float = 0.01, l2: float = 0.0, momentum: float = 0.9,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        """Store the hyper-parameters (each optimizer reads the ones it uses)."""
        self.lr, self.l2, self.momentum = lr, l2, momentum
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.steps = 0
        self.applied = True  # False after a step whose update overflowed (nothing changed)
        self._state: list[list[np.ndarray]] = []

    def _buffers(self, params: list[np.ndarray], count: int) -> list[list[np.ndarray]]:
        """`count` zero buffers per parameter, reallocated only when the shapes change."""
        layout = [(p.shape, p.dtype) for p in params]
        if [(s[0].shape, s[0].dtype) for s in self._state] != layout:
            self._state = [[np.zeros_like(p) for _ in range(count)] for p in params]
        return self._state

    def step(self, weights: list[np.ndarray], biases: list[np.ndarray],
             dW: list[np.ndarray], db: list[np.ndarray],
             grad_norms: np.ndarray | None = None,
             weight_norms: np.ndarray | None = None) -> np.ndarray:
        """Update weights/biases in place; dW/db are used as scratch (overwritten).

        grad_norms: ‖dW_i‖_F if already known (lets plain SGD skip a pass).
        weight_norms: ‖W_i‖_F before the step; when given, an update whose norms or ratios to
        them overflow (update_fits is False) is NOT applied (the step diverged).
        Returns (n_weight_layers,) ‖ΔW_i‖_F (the weight change of this step).
        """
        self.steps += 1
        params = [*weights, *biases]
        grads = [*dW, *db]
        if self.l2:
            for w, g in zip(weights, dW, strict=True):
                g += self.l2 * w
        deltas = self._deltas(params, grads)
        if self.name == "sgd" and not self.l2 and grad_norms is not None:
            norms = self.lr * np.asarray(grad_norms, np.float64)
        else:
            norms = frobenius_norms(deltas[: len(weights)])
        self.applied = update_fits(norms, weight_norms)
        if self.applied:
            for p, delta in zip(params, deltas, strict=True):
                p -= delta
        return norms

    def step_flat(self, params: np.ndarray, grads: np.ndarray, weight_sizes: list[int],
                  grad_norms: np.ndarray | None = None,
                  weight_norms: np.ndarray | None = None) -> np.ndarray:
        """Same update on packed parameters (all weights, then biases) in a few whole-array ops.

        weight_sizes: element count of each weight matrix (they come first in the packing);
        grad_norms, weight_norms and the return value as in `step`.
        """
        self.steps += 1
        n_weights = sum(weight_sizes)
        if self.l2:
            grads[:n_weights] += self.l2 * params[:n_weights]
        (delta,) = self._deltas([params], [grads])
        if self.name == "sgd" and not self.l2 and grad_norms is not None:
            norms = self.lr * np.asarray(grad_norms, np.float64)
        else:
            ends = np.cumsum(weight_sizes).tolist()
            pieces = [delta[end - size:end] for size, end in zip(weight_sizes, ends, strict=True)]
            norms = frobenius_norms(pieces)
        self.applied = update_fits(norms, weight_norms)
        if self.applied:
            params -= delta
        return norms

    def _deltas(self, params: list[np.ndarray], grads: list[np.ndarray]) -> list[np.ndarray]:
        """Arrays to subtract from each parameter (may be the gradient buffers themselves)."""
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * g."""

    name = "sgd"

    def _deltas(self, params, grads):
        for g in grads:
            g *= self.lr
        return grads


class Momentum(Optimizer):
    """PyTorch SGD with momentum (dampening 0, no Nesterov): v = mu v + g; p -= lr v."""

    name = "momentum"

    def _deltas(self, params, grads):
        state = self._buffers(params, 1)
        for (v,), g in zip(state, grads, strict=True):
            v *= self.momentum
            v += g
            np.multiply(v, self.lr, out=g)
        return grads


class Adam(Optimizer):
    """PyTorch Adam: bias-corrected moments, eps added outside the square root."""

    name = "adam"

    def _deltas(self, params, grads):
        state = self._buffers(params, 2)
        b1, b2, t = self.beta1, self.beta2, self.steps
        step_size = self.lr / (1.0 - b1**t)
        bias_correction2_sqrt = math.sqrt(1.0 - b2**t)
        for (m, v), g in zip(state, grads, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            np.multiply(g, g, out=g)
            g *= 1.0 - b2
            v += g
            # g becomes the step: step_size * m / (sqrt(v) / sqrt(bc2) + eps), torch's order.
            np.sqrt(v, out=g)
            g /= bias_correction2_sqrt
            g += self.eps
            np.divide(m, g, out=g)
            g *= step_size
        return grads


_CLASSES: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}
OPTIMIZERS: tuple[str, ...] = tuple(_CLASSES)  # "sgd", "momentum", "adam"


def make_optimizer(name: str, **hyper: float) -> Optimizer:
    """An optimizer by name ("sgd" | "momentum" | "adam") with the given hyper-parameters."""
    if name not in _CLASSES:
        raise OptimizerError(f"Unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}.")
    return _CLASSES[name](**hyper)
