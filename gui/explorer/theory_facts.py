"""Mean-field facts for the Explorer's side panel: E[f'(z)²] and the critical σ_w² at σ_b² = 0.

Computed with core.theory and cached per (activation, parameters). E[f'²] is one quadrature
(~0.3 ms); the critical σ_w² is a line search (~30-60 ms), so the panel shows the first at once
and computes the second after a short pause (a slider drag does not wait for it).
"""

from __future__ import annotations

import math

from core.activations import get_activation
from core.theory import TheoryError, critical_sigma_w2, moments

CACHE_SIZE = 512
_SLOPES: dict[tuple, float] = {}
_CRITICAL: dict[tuple, float] = {}


def _key(name: str, params: dict[str, float]) -> tuple:
    return name, tuple(sorted(params.items()))


def _store(cache: dict[tuple, float], key: tuple, value: float) -> float:
    """Put a value in a bounded cache (the oldest entry leaves first)."""
    cache[key] = value
    if len(cache) > CACHE_SIZE:
        cache.pop(next(iter(cache)))
    return value


def mean_square_slope(name: str, params: dict[str, float]) -> float:
    """E[f'(z)²] for z ~ N(0, 1): the squared-gradient gain per layer at σ_w² = 1, q = 1."""
    key = _key(name, params)
    if key not in _SLOPES:
        act = get_activation(name, **params)
        _store(_SLOPES, key, float(moments(act, 1.0).dphi2[0]))
    return _SLOPES[key]


def cached_critical(name: str, params: dict[str, float]) -> float | None:
    """The critical σ_w² if already computed, else None (no work done)."""
    return _CRITICAL.get(_key(name, params))


def critical_weight_variance(name: str, params: dict[str, float]) -> float:
    """σ_w² where gradients turn from vanishing to exploding at σ_b² = 0 (nan: never)."""
    key = _key(name, params)
    if key not in _CRITICAL:
        try:
            value = critical_sigma_w2(get_activation(name, **params), 0.0)
        except TheoryError:
            value = math.nan
        _store(_CRITICAL, key, value)
    return _CRITICAL[key]


def slope_text(value: float) -> str:
    """E[f'²] for the panel."""
    if not math.isfinite(value):
        return "not finite (f\u2032 grows too fast for a unit Gaussian)"
    return f"{value:.4g}"


def critical_text(value: float) -> str:
    """The critical σ_w² as panel HTML, with its meaning; 'never critical' when not finite."""
    if math.isnan(value):
        return ("never critical: gradients vanish for every \u03c3<sub>w</sub>\u00b2 up to "
                "10<sup>5</sup>")
    if math.isinf(value):
        return "never critical at a finite \u03c3<sub>w</sub>\u00b2"
    return (f"{value:.4g} &nbsp;<span style='color:#707070'>(below: gradients vanish, "
            "above: they explode)</span>")
