"""Batch and layer normalization before a hidden layer's activation (PyTorch's definitions).

A normalized hidden layer computes z = a W + b, ẑ = (z - mean) / sqrt(var + eps), u = γ ẑ + β and
h = act(u) (+ a with a residual connection). "batchnorm" (torch.nn.BatchNorm1d) takes mean and
biased var per unit over the batch while training and keeps running averages for evaluation
(momentum 0.1, updated with the unbiased batch variance); "layernorm" (torch.nn.LayerNorm) takes
them per sample over the layer's units, the same in both modes. eps = 1e-5; γ starts at 1, β at 0.

Each function works in place or into the buffers it is given (shapes in the docstrings), so a
training step makes no (n, w) temporaries. The passes through a whole network are in
core/network_normalized.py.

Tried and left out (measured 2026-12, paired in one process, 20x128 batch 256): LayerNorm with
rows centred inside the matmul (row-centred W, b) and γ ẑ as centred * (inv outer γ) from a
k = 2 BLAS product, which avoids three per-row broadcasts (numpy loops those row by row, about
2x a same-shape op). The kernels alone took 10-15 % less time; a whole backward_stats took no
less (LN / plain: float32 1.48x before and after, float64 1.37x): the centred-weight buffers
and the extra products cost what the broadcasts saved. The code is in commit 4c64bb5.
"""

from __future__ import annotations

import numpy as np

NORMALIZATIONS: tuple[str, ...] = ("none", "batchnorm", "layernorm")
EPS = 1e-5
MOMENTUM = 0.1


class ColumnTiles:
    """Fast "(n, w) array op per-column vector" ufunc calls through a tiled copy of the vector.

    numpy runs such a broadcast op in buffered chunks (about 2x a same-shape op; measured in
    bench_normalization's profile). Viewing k whole rows as one row of k * w >= the ufunc buffer
    size and the vector as k copies of itself (one small fill) makes it a plain strided loop:
    the same elementwise operations, so the same results. Rows past the last whole block of k
    (and batches under two blocks) take the ordinary broadcast.
    """

    def __init__(self, width: int, dtype: np.dtype) -> None:
        """Tile buffer (k, width)."""
        self.k = -(-max(np.getbufsize(), 1) // width)
        self.tile = np.empty((self.k, width), dtype)
        self.flat = self.tile.reshape(-1)

    def apply(self, ufunc: np.ufunc, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """out = ufunc(a, vector) for the vector last written into `tile` (every row of it)."""
        k, size = self.k, self.flat.size
        m = (len(a) // k) * k if len(a) >= 2 * k else 0
        if m:
            ufunc(a[:m].reshape(-1, size), self.flat, out=out[:m].reshape(-1, size))
            if m < len(a):
                ufunc(a[m:], self.tile[0], out=out[m:])
        else:
            ufunc(a, self.tile[0], out=out)
        return out


def batchnorm_train(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, ones: np.ndarray,
                    tiles: ColumnTiles, mean: np.ndarray, var: np.ndarray, inv: np.ndarray,
                    u: np.ndarray) -> np.ndarray:
    """u (n, w) = γ ẑ + β from z (n, w) = a W *without* b, with batch statistics per unit.

    The bias cancels in z - mean, so it only enters the running mean. z becomes z - mean in
    place and inv (w,) = 1/sqrt(var + eps): both are kept for batchnorm_backward. ones is (n,)
    of 1s; mean and var (w,) receive the batch mean and biased variance, for
    update_running_statistics after the pass; u is also used as scratch.
    """
    n = len(z)
    np.dot(ones, z, out=mean)
    mean *= 1.0 / n
    np.copyto(tiles.tile, mean)
    tiles.apply(np.subtract, z, z)
    np.dot(ones, np.square(z, out=u), out=var)
    var *= 1.0 / n
    np.add(var, EPS, out=inv)
    np.sqrt(inv, out=inv)
    np.divide(1.0, inv, out=inv)
    np.multiply(gamma, inv, out=tiles.tile)
    tiles.apply(np.multiply, z, u)
    np.copyto(tiles.tile, beta)
    return tiles.apply(np.add, u, u)


def update_running_statistics(running_mean: np.ndarray, running_var: np.ndarray,
                              mean: np.ndarray, var: np.ndarray, n: int) -> None:
    """Fold a batch's mean (with the bias added) and biased var into the running ones (in place).

    Whole-network vectors in one go. Unbiased variance as torch; a batch of one sample has no
    variance: its 0 goes in unscaled (torch refuses such a batch in training mode).
    """
    running_mean *= 1.0 - MOMENTUM
    running_mean += MOMENTUM * mean
    running_var *= 1.0 - MOMENTUM
    running_var += (MOMENTUM * n / max(n - 1, 1)) * var


def batchnorm_backward(grad_u: np.ndarray, centered: np.ndarray, inv: np.ndarray,
                       gamma: np.ndarray, ones: np.ndarray, tiles: ColumnTiles, dz: np.ndarray,
                       dgamma: np.ndarray, dbeta: np.ndarray) -> np.ndarray:
    """dL/dz (n, w) into dz from dL/du (n, w); writes dγ and dβ (w,). dL/db is exactly 0.

    dz = γ inv (g - mean(g) - ẑ mean(g ẑ)) with ẑ = centered * inv (torch's formula), written
    as A g + C centered + B with per-unit A, B, C so that ẑ is never formed. `centered` is
    overwritten (nothing reads it after this).
    """
    n = len(grad_u)
    np.dot(ones, grad_u, out=dbeta)
    np.dot(ones, np.multiply(grad_u, centered, out=dz), out=dgamma)  # Σ g (z - mean)
    scale = gamma * inv
    np.copyto(tiles.tile, scale)
    tiles.apply(np.multiply, grad_u, dz)
    np.multiply(scale * (inv * inv) * dgamma, -1.0 / n, out=tiles.tile)
    tiles.apply(np.multiply, centered, centered)
    dz += centered
    np.multiply(scale * dbeta, -1.0 / n, out=tiles.tile)
    tiles.apply(np.add, dz, dz)
    dgamma *= inv
    return dz


def batchnorm_eval_weights(w: np.ndarray, bias: np.ndarray, gamma: np.ndarray,
                           beta: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray,
                           w_out: np.ndarray, shift: np.ndarray) -> None:
    """Eval-mode BatchNorm folded into the layer: u = a w_out + shift (running statistics).

    γ (a W + b - running mean) / sqrt(running var + eps) + β, with the per-unit scale taken
    into the columns of W (w_out, like W) and the rest into shift (w,).
    """
    scale = gamma / np.sqrt(running_var + EPS)
    np.multiply(w, scale, out=w_out)
    np.subtract(bias, running_mean, out=shift)
    shift *= scale
    shift += beta


def layernorm_forward(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, ones_w: np.ndarray,
                      tiles: ColumnTiles, inv_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
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
    np.copyto(tiles.tile, gamma)
    tiles.apply(np.multiply, z, u)
    np.copyto(tiles.tile, beta)
    return tiles.apply(np.add, u, u)


def layernorm_backward(grad_u: np.ndarray, normalized: np.ndarray, inv_rows: np.ndarray,
                       gamma: np.ndarray, ones: np.ndarray, tiles: ColumnTiles, dz: np.ndarray,
                       scratch: np.ndarray, dgamma: np.ndarray, dbeta: np.ndarray,
                       row_a: np.ndarray, row_b: np.ndarray) -> np.ndarray:
    """dL/dz (n, w) into dz from dL/du (n, w) and ẑ (n, w); writes dγ and dβ (w,).

    dz = inv (γg - mean_j(γg) - ẑ mean_j(γg ẑ)) per row; the row means are gemv products with
    γ. ẑ is overwritten (nothing reads it after this); scratch is (n, w), row_a and row_b (n,).
    """
    width = grad_u.shape[1]
    np.dot(ones, grad_u, out=dbeta)
    product = np.multiply(grad_u, normalized, out=scratch)
    np.dot(ones, product, out=dgamma)
    mean_gx = np.dot(product, gamma, out=row_b)
    mean_gx *= 1.0 / width
    mean_g = np.dot(grad_u, gamma, out=row_a)
    mean_g *= 1.0 / width
    normalized *= mean_gx[:, None]
    np.copyto(tiles.tile, gamma)
    tiles.apply(np.multiply, grad_u, dz)
    dz -= mean_g[:, None]
    dz -= normalized
    dz *= inv_rows[:, None]
    return dz
