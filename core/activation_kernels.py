"""Numeric kernels for the activation functions: f and f' with PyTorch's conventions.

Every kernel takes a floating ndarray `x` (any shape) and a params dict and returns arrays of the
same shape. Kernels compute in x's dtype (Python-float constants keep float32 as float32 under
NumPy 2's promotion rules) and use forms that never overflow, so |x| up to 1e300 stays finite.
The derivative at a kink is the one torch.autograd returns (relu'(0) = 0, leaky'(0) = alpha,
elu'(0) = alpha, hard_sigmoid'(±3) = 0, hard_swish'(-3) = 0, hard_swish'(3) = 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from core.special import normal_cdf, normal_pdf

Params = Mapping[str, float]
Pair = tuple[np.ndarray, np.ndarray]

SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
SOFTPLUS_THRESHOLD = 20.0  # PyTorch's default: softplus(x) returns x once beta * x > 20
_GELU_TANH_K = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715
# Beyond this |x| GELU-tanh's sigmoid is exactly 0 or 1; clipping keeps x³ from overflowing.
_GELU_TANH_CLIP = 100.0


@dataclass(frozen=True)
class Kernel:
    """f, f' and (f, f') of one activation; `df` defaults to the second half of `f_df`."""

    f: Callable[[np.ndarray, Params], np.ndarray]
    f_df: Callable[[np.ndarray, Params], Pair]
    df: Callable[[np.ndarray, Params], np.ndarray] | None = None

    def derivative(self, x: np.ndarray, params: Params) -> np.ndarray:
        """f'(x), shape of x."""
        if self.df is not None:
            return self.df(x, params)
        return self.f_df(x, params)[1]


def sigmoid(x: np.ndarray, e: np.ndarray | None = None) -> np.ndarray:
    """Logistic sigmoid 1 / (1 + e^-x) via e^-|x| (never overflows); shape and dtype of x.

    The project's one sigmoid (activations, softplus', mish', the bce loss); pass
    e = exp(-|x|) when the caller has it already.
    """
    if e is None:
        e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


def _constant(x: np.ndarray, value: float) -> np.ndarray:
    return np.full(x.shape, value, dtype=x.dtype)


# linear: f = c x
def _linear_f(x: np.ndarray, p: Params) -> np.ndarray:
    return p["c"] * x


def _linear_df(x: np.ndarray, p: Params) -> np.ndarray:
    return _constant(x, p["c"])


def _linear_f_df(x: np.ndarray, p: Params) -> Pair:
    return _linear_f(x, p), _linear_df(x, p)


# binary_step: heaviside(x, 1); the derivative is 0 wherever it exists, and 0 at the jump too.
def _step_f(x: np.ndarray, p: Params) -> np.ndarray:
    return (x >= 0).astype(x.dtype)


def _step_df(x: np.ndarray, p: Params) -> np.ndarray:
    return np.zeros_like(x)


def _step_f_df(x: np.ndarray, p: Params) -> Pair:
    return _step_f(x, p), _step_df(x, p)


def _sigmoid_f(x: np.ndarray, p: Params) -> np.ndarray:
    return sigmoid(x)


def _sigmoid_f_df(x: np.ndarray, p: Params) -> Pair:
    s = sigmoid(x)
    return s, s * (1.0 - s)


def _tanh_f(x: np.ndarray, p: Params) -> np.ndarray:
    return np.tanh(x)


def _tanh_f_df(x: np.ndarray, p: Params) -> Pair:
    t = np.tanh(x)
    return t, 1.0 - t * t


def _relu_f(x: np.ndarray, p: Params) -> np.ndarray:
    return np.maximum(x, 0.0)


def _relu_df(x: np.ndarray, p: Params) -> np.ndarray:
    return (x > 0).astype(x.dtype)


def _relu_f_df(x: np.ndarray, p: Params) -> Pair:
    positive = x > 0
    return np.where(positive, x, 0.0).astype(x.dtype, copy=False), positive.astype(x.dtype)


def _leaky_f(x: np.ndarray, p: Params) -> np.ndarray:
    return np.where(x > 0, x, p["alpha"] * x)


def _leaky_df(x: np.ndarray, p: Params) -> np.ndarray:
    return np.where(x > 0, 1.0, p["alpha"]).astype(x.dtype, copy=False)


def _leaky_f_df(x: np.ndarray, p: Params) -> Pair:
    positive = x > 0
    alpha = p["alpha"]
    df = np.where(positive, 1.0, alpha).astype(x.dtype, copy=False)
    return np.where(positive, x, alpha * x), df


def _swish_f(x: np.ndarray, p: Params) -> np.ndarray:
    return x * sigmoid(p["beta"] * x)


def _swish_f_df(x: np.ndarray, p: Params) -> Pair:
    beta = p["beta"]
    s = sigmoid(beta * x)
    f = x * s
    return f, s + beta * f * (1.0 - s)


def _elu_f(x: np.ndarray, p: Params) -> np.ndarray:
    return np.where(x > 0, x, p["alpha"] * np.expm1(np.minimum(x, 0.0)))


def _elu_f_df(x: np.ndarray, p: Params) -> Pair:
    alpha = p["alpha"]
    negative_part = np.minimum(x, 0.0)
    positive = x > 0
    exp_neg = np.exp(negative_part)
    f = np.where(positive, x, alpha * np.expm1(negative_part))
    return f, np.where(positive, 1.0, alpha * exp_neg).astype(x.dtype, copy=False)


def _selu_f(x: np.ndarray, p: Params) -> np.ndarray:
    return SELU_LAMBDA * _elu_f(x, {"alpha": SELU_ALPHA})


def _selu_f_df(x: np.ndarray, p: Params) -> Pair:
    f, df = _elu_f_df(x, {"alpha": SELU_ALPHA})
    return SELU_LAMBDA * f, SELU_LAMBDA * df


def _gelu_f(x: np.ndarray, p: Params) -> np.ndarray:
    return x * normal_cdf(x)


def _gelu_f_df(x: np.ndarray, p: Params) -> Pair:
    cdf = normal_cdf(x)
    return x * cdf, cdf + x * normal_pdf(x)


def _gelu_tanh_gate(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, x_c²) with s = (1 + tanh u) / 2 = sigmoid(2u), u = √(2/π)(x + 0.044715 x³).

    The sigmoid form keeps the left tail accurate where tanh(u) rounds to -1.
    """
    xc = np.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    xc2 = xc * xc
    return sigmoid(2.0 * _GELU_TANH_K * (xc + _GELU_TANH_C * xc2 * xc)), xc2


def _gelu_tanh_f(x: np.ndarray, p: Params) -> np.ndarray:
    return x * _gelu_tanh_gate(x)[0]


def _gelu_tanh_f_df(x: np.ndarray, p: Params) -> Pair:
    # (1 - tanh² u) / 2 = 2 s (1 - s).
    s, xc2 = _gelu_tanh_gate(x)
    inner_slope = _GELU_TANH_K * (1.0 + 3.0 * _GELU_TANH_C * xc2)
    return x * s, s + 2.0 * x * s * (1.0 - s) * inner_slope


def _softplus_raw(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) without overflow: max(z, 0) + log1p(e^-|z|)."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _softplus_f(x: np.ndarray, p: Params) -> np.ndarray:
    beta = p["beta"]
    z = beta * x
    return np.where(z > SOFTPLUS_THRESHOLD, x, _softplus_raw(z) / beta)


def _softplus_f_df(x: np.ndarray, p: Params) -> Pair:
    beta = p["beta"]
    z = beta * x
    linear = z > SOFTPLUS_THRESHOLD
    f = np.where(linear, x, _softplus_raw(z) / beta)
    return f, np.where(linear, 1.0, sigmoid(z)).astype(x.dtype, copy=False)


def _mish_f(x: np.ndarray, p: Params) -> np.ndarray:
    return x * np.tanh(_softplus_raw(x))


def _mish_f_df(x: np.ndarray, p: Params) -> Pair:
    # softplus'(x) = sigmoid(x); both come from the same e^-|x|.
    e = np.exp(-np.abs(x))
    sp = np.maximum(x, 0.0) + np.log1p(e)
    s = sigmoid(x, e)
    t = np.tanh(sp)
    return x * t, t + x * s * (1.0 - t * t)


def _softsign_f(x: np.ndarray, p: Params) -> np.ndarray:
    return x / (1.0 + np.abs(x))


def _softsign_f_df(x: np.ndarray, p: Params) -> Pair:
    denominator = 1.0 + np.abs(x)
    r = 1.0 / denominator
    return x / denominator, r * r


def _hard_sigmoid_f(x: np.ndarray, p: Params) -> np.ndarray:
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _hard_sigmoid_df(x: np.ndarray, p: Params) -> np.ndarray:
    return np.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0).astype(x.dtype, copy=False)


def _hard_sigmoid_f_df(x: np.ndarray, p: Params) -> Pair:
    return _hard_sigmoid_f(x, p), _hard_sigmoid_df(x, p)


def _hard_swish_f(x: np.ndarray, p: Params) -> np.ndarray:
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _hard_swish_df(x: np.ndarray, p: Params) -> np.ndarray:
    ramp = np.where(x <= -3.0, 0.0, x / 3.0 + 0.5)
    return np.where(x >= 3.0, 1.0, ramp).astype(x.dtype, copy=False)


def _hard_swish_f_df(x: np.ndarray, p: Params) -> Pair:
    return _hard_swish_f(x, p), _hard_swish_df(x, p)


KERNELS: dict[str, Kernel] = {
    "linear": Kernel(_linear_f, _linear_f_df, _linear_df),
    "binary_step": Kernel(_step_f, _step_f_df, _step_df),
    "sigmoid": Kernel(_sigmoid_f, _sigmoid_f_df),
    "tanh": Kernel(_tanh_f, _tanh_f_df),
    "relu": Kernel(_relu_f, _relu_f_df, _relu_df),
    "leaky_relu": Kernel(_leaky_f, _leaky_f_df, _leaky_df),
    "swish": Kernel(_swish_f, _swish_f_df),
    "elu": Kernel(_elu_f, _elu_f_df),
    "selu": Kernel(_selu_f, _selu_f_df),
    "gelu": Kernel(_gelu_f, _gelu_f_df),
    "gelu_tanh": Kernel(_gelu_tanh_f, _gelu_tanh_f_df),
    "softplus": Kernel(_softplus_f, _softplus_f_df),
    "mish": Kernel(_mish_f, _mish_f_df),
    "softsign": Kernel(_softsign_f, _softsign_f_df),
    "hard_sigmoid": Kernel(_hard_sigmoid_f, _hard_sigmoid_f_df, _hard_sigmoid_df),
    "hard_swish": Kernel(_hard_swish_f, _hard_swish_f_df, _hard_swish_df),
}
