"""Batch and layer normalization before a hidden layer's activation (PyTorch's definitions).

A normalized hidden layer computes z = a W + b, ẑ = (z - mean) / sqrt(var + eps), u = γ ẑ + β and
h = act(u) (+ a with a residual connection). "batchnorm" (torch.nn.BatchNorm1d) takes mean and
biased var per unit over the batch while training and keeps running averages for evaluation
(momentum 0.1, updated with the unbiased batch variance); "layernorm" (torch.nn.LayerNorm) takes
them per sample over the layer's units, the same in both modes. eps = 1e-5; γ starts at 1, β at 0.

Each function works in place or into the buffers it is given (shapes in the docstrings), so a
training step makes no (n, w) temporaries. The passes through a whole network are in
core/network_normalized.py.
"""

from __future__ import annotations

import numpy as np

NORMALIZATIONS: tuple[str, ...] = ("none", "batchnorm", "layernorm")
EPS = 1e-5
MOMENTUM = 0.1


def batchnorm_train(z: np.ndarray, bias: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                    ones: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray,
                    inv: np.ndarray, u: np.ndarray) -> np.ndarray:
    """u (n, w) = γ ẑ + β from z (n, w) = a W *without* b, with batch statistics per unit.

    The bias cancels in z - mean, so it is only added to the running mean. z becomes z - mean in
    place and inv (w,) = 1/sqrt(var + eps): both are kept for batchnorm_backward. ones is (n,)
    of 1s; the running statistics (w,) are updated in place; u is also used as scratch.
    A batch of one sample has no variance: it normalizes to β, and its variance (0) goes into
    the running one unscaled (torch refuses such a batch in training mode).
    """
    n = len(z)
    mean = np.dot(ones, z, out=inv)
    mean *= 1.0 / n
    z -= mean
    running_mean *= 1.0 - MOMENTUM
    running_mean += MOMENTUM * (mean + bias)
    var = np.dot(ones, np.square(z, out=u), out=inv)
    var *= 1.0 / n
    running_var *= 1.0 - MOMENTUM
    running_var += (MOMENTUM * n / max(n - 1, 1)) * var
    var += EPS
    np.sqrt(var, out=var)
    np.divide(1.0, var, out=inv)
    np.multiply(z, gamma * inv, out=u)
    u += beta
    return u


def batchnorm_backward(grad_u: np.ndarray, centered: np.ndarray, inv: np.ndarray,
                       gamma: np.ndarray, ones: np.ndarray, dz: np.ndarray, scratch: np.ndarray,
                       dgamma: np.ndarray, dbeta: np.ndarray) -> np.ndarray:
    """dL/dz (n, w) into dz from dL/du (n, w); writes dγ and dβ (w,). dL/db is exactly 0.

    dz = γ inv (g - mean(g) - ẑ mean(g ẑ)) with ẑ = centered * inv (torch's formula), written
    as A g + B + C centered with per-unit A, B, C so that ẑ is never formed. scratch is (n, w).
    """
    n = len(grad_u)
    np.dot(ones, grad_u, out=dbeta)
    np.dot(ones, np.multiply(grad_u, centered, out=dz), out=dgamma)  # Σ g (z - mean)
    scale = gamma * inv
    np.multiply(grad_u, scale, out=dz)
    np.multiply(centered, scale * (inv * inv) * dgamma * (-1.0 / n), out=scratch)
    dz += scratch
    dz += scale * dbeta * (-1.0 / n)
    dgamma *= inv
    return dz


def batchnorm_eval(z: np.ndarray, bias: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                   running_mean: np.ndarray, running_var: np.ndarray) -> np.ndarray:
    """u (n, w) in place of z = a W (without b), with the running statistics (eval mode)."""
    scale = gamma / np.sqrt(running_var + EPS)
    z *= scale
    z += beta + (bias - running_mean) * scale
    return z


def layernorm_forward(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, ones_w: np.ndarray,
                      inv_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """u (n, w) = γ ẑ + β from z (n, w) = a W + b, with statistics per sample (row).

    z becomes ẑ in place and inv_rows (n,) = 1/sqrt(var + eps), both kept for the backward pass;
    ones_w is (w,) of 1s; u is also used as scratch.
    """
    width = z.shape[1]
    mean = np.dot(z, ones_w, out=inv_rows)
    mean *= 1.0 / width
    z -= mean[:, None]
    var = np.dot(np.square(z, out=u), ones_w, out=inv_rows)
    var *= 1.0 / width
    var += EPS
    np.sqrt(var, out=var)
    np.divide(1.0, var, out=inv_rows)
    z *= inv_rows[:, None]
    np.multiply(z, gamma, out=u)
    u += beta
    return u


def layernorm_backward(grad_u: np.ndarray, normalized: np.ndarray, inv_rows: np.ndarray,
                       gamma: np.ndarray, ones: np.ndarray, dz: np.ndarray, scratch: np.ndarray,
                       dgamma: np.ndarray, dbeta: np.ndarray, row_a: np.ndarray,
                       row_b: np.ndarray) -> np.ndarray:
    """dL/dz (n, w) into dz from dL/du (n, w) and ẑ (n, w); writes dγ and dβ (w,).

    dz = inv (γg - mean_j(γg) - ẑ mean_j(γg ẑ)) per row; the row means are gemv products with
    γ. scratch is (n, w); row_a, row_b are (n,) scratch.
    """
    width = grad_u.shape[1]
    np.dot(ones, grad_u, out=dbeta)
    product = np.multiply(grad_u, normalized, out=scratch)
    np.dot(ones, product, out=dgamma)
    mean_gx = np.dot(product, gamma, out=row_b)
    mean_gx *= 1.0 / width
    mean_g = np.dot(grad_u, gamma, out=row_a)
    mean_g *= 1.0 / width
    np.multiply(grad_u, gamma, out=dz)
    dz -= mean_g[:, None]
    dz -= np.multiply(normalized, mean_gx[:, None], out=scratch)
    dz *= inv_rows[:, None]
    return dz
