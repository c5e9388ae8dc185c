"""Layer-by-layer prediction: q^l from the length map, chi(q^l) and the gradient-norm ratios."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.theory.checks import check_activation, check_depth, check_variance
from core.theory.meanfield import Q_INF, Q_ZERO, _breakpoints, _pair
from core.theory.quadrature import gaussian_rule


@dataclass(frozen=True)
class Propagation:
    """Mean-field prediction for `depth` layers, all arrays (depth,), layer l at index l - 1.

    q[l]: pre-activation variance of layer l + 1, q[0] = q0; chi[l] = sigma_w2 E[phi'(z)^2] at
    q[l]; grad_ratio[l] = ||delta^{l+1}||^2 / ||delta^depth||^2 = prod_{k >= l, k < depth-1} chi[k]
    (1 at the last layer); log_grad_ratio is its natural log (no under/overflow).
    """

    layer: np.ndarray
    q: np.ndarray
    chi: np.ndarray
    grad_ratio: np.ndarray
    log_grad_ratio: np.ndarray
    sigma_w2: float
    sigma_b2: float
    q0: float


def _step(pair, breakpoints: tuple[float, ...], q: float) -> tuple[float, float]:
    """(E[phi^2], E[phi'^2]) at one q, one quadrature pass."""
    # q = 0 means the limit q -> 0+, q = inf the limit q -> inf (taken at 1e24).
    std = math.sqrt(max(q, Q_ZERO)) if math.isfinite(q) else math.sqrt(Q_INF)
    z, w = gaussian_rule(std, breakpoints=breakpoints)
    x = std * z[0]
    f, df = pair(x)
    weights = w[0]
    return float(np.dot(weights, f * f)), float(np.dot(weights, df * df))


def propagate(act: Any, sigma_w2: float, sigma_b2: float, depth: int,
              q0: float = 1.0) -> Propagation:
    """q^l, chi(q^l) and ||delta^l||^2/||delta^L||^2 for l = 1..depth, starting from q^1 = q0.

    The recursion is sequential (one quadrature per layer); once q stops changing in float64 the
    remaining layers repeat the last values. q = 0 is treated as the limit q -> 0+ (so relu'
    counts as 1/2 on average, not relu'(0) = 0). A q that overflows stays inf and its chi is
    the q -> inf limit.
    """
    act = check_activation(act)
    w = check_variance("sigma_w2", sigma_w2)
    b = check_variance("sigma_b2", sigma_b2)
    q0 = check_variance("q0", q0)
    depth = check_depth(depth)
    pair, breakpoints = _pair(act), _breakpoints(act)
    q = np.empty(depth)
    chi = np.empty(depth)
    q[0] = q0
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for layer in range(depth):
            phi2, dphi2 = _step(pair, breakpoints, q[layer])
            chi[layer] = w * dphi2
            if layer + 1 == depth:
                break
            nxt = w * phi2 + b
            # q only overflows when phi^2 grows without bound, so once inf it stays inf.
            overflowed = math.isinf(q[layer]) and w > 0
            q[layer + 1] = nxt if math.isfinite(nxt) and not overflowed else math.inf
            if q[layer + 1] == q[layer]:
                # Converged to the last bit: every later layer is identical.
                q[layer + 1:] = q[layer]
                chi[layer + 1:] = chi[layer]
                break
        log_chi = np.log(chi[:-1]) if depth > 1 else np.empty(0)
        # Sum from the output side: log ratio at layer l = sum_{k=l}^{L-2} log chi[k].
        log_ratio = np.concatenate([np.cumsum(log_chi[::-1])[::-1], [0.0]])
        ratio = np.exp(log_ratio)
    return Propagation(np.arange(1, depth + 1), q, chi, ratio, log_ratio, w, b, q0)
