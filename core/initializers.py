"""Weight initialisers (PyTorch's formulas), all drawn from an explicit np.random.Generator.

Weights are shaped (fan_in, fan_out) = (sizes[i], sizes[i+1]), the transpose of torch's nn.Linear.
"""

from __future__ import annotations

import math

import numpy as np

INITIALIZERS: tuple[str, ...] = (
    "zeros",
    "normal",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "orthogonal",
    "pytorch_default",
)


class InitializerError(ValueError):
    """An unknown initialiser name or an invalid initialiser parameter."""


def available_initializers() -> list[str]:
    """The initialiser names, in display order."""
    return list(INITIALIZERS)


def check_initializer(name: str) -> str:
    """Return `name` if it is a known initialiser, else raise InitializerError naming choices."""
    if name not in INITIALIZERS:
        raise InitializerError(
            f"Unknown initialiser {name!r}; choose one of: {', '.join(INITIALIZERS)}."
        )
    return name


def _orthogonal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """(fan_in, fan_out) matrix, orthonormal columns (rows if fan_in < fan_out), like torch."""
    rows, cols = max(fan_in, fan_out), min(fan_in, fan_out)
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    # QR is unique only up to column signs; fixing them makes Q uniformly (Haar) distributed.
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    return q if fan_in >= fan_out else q.T.copy()


def init_weight(
    name: str, fan_in: int, fan_out: int, rng: np.random.Generator, *, std: float = 0.01
) -> np.ndarray:
    """Weight matrix (fan_in, fan_out) float64; `std`: std for "normal", limit for "uniform"."""
    check_initializer(name)
    shape = (fan_in, fan_out)
    if name == "zeros":
        return np.zeros(shape)
    if name == "normal":
        return rng.normal(0.0, std, shape)
    if name == "uniform":
        return rng.uniform(-std, std, shape)
    if name == "xavier_normal":
        return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), shape)
    if name == "xavier_uniform":
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape)
    if name == "he_normal":
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)
    if name == "he_uniform":
        limit = math.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, shape)
    if name == "lecun_normal":
        return rng.normal(0.0, math.sqrt(1.0 / fan_in), shape)
    if name == "orthogonal":
        return _orthogonal(fan_in, fan_out, rng)
    limit = 1.0 / math.sqrt(fan_in)  # pytorch_default
    return rng.uniform(-limit, limit, shape)


def init_bias(
    name: str, fan_in: int, fan_out: int, rng: np.random.Generator, *, bias_init: float = 0.0,
    bias_std: float = 0.0,
) -> np.ndarray:
    """One bias vector (fan_out,) float64: U(±1/√fan_in) for "pytorch_default", else
    N(bias_init, bias_std²) (the constant `bias_init` when bias_std is 0).

    bias_std = 0 draws nothing from rng, so such a network's weights match the older builds.
    """
    check_initializer(name)
    if name == "pytorch_default":
        limit = 1.0 / math.sqrt(fan_in)
        return rng.uniform(-limit, limit, fan_out)
    if bias_std > 0:
        return rng.normal(float(bias_init), float(bias_std), fan_out)
    return np.full(fan_out, float(bias_init))
