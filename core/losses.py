"""Losses on logits with PyTorch's definitions (mean reduction) and their logit gradients.

mse: mean over all elements of (out - y)^2.  bce: BCEWithLogits, y in {0, 1}, one output.
cross_entropy: softmax cross-entropy on logits with integer labels.
"""

from __future__ import annotations

import numpy as np

from core.activation_kernels import sigmoid

LOSSES: tuple[str, ...] = ("mse", "bce", "cross_entropy")


class LossError(ValueError):
    """An unknown loss name or targets that do not fit the loss / network output."""


def check_loss(name: str) -> str:
    """Return `name` if it is a known loss, else raise LossError listing the choices."""
    if name not in LOSSES:
        raise LossError(f"Unknown loss {name!r}; choose one of: {', '.join(LOSSES)}.")
    return name


def prepare_targets(loss: str, y: np.ndarray, n: int, n_out: int, dtype: np.dtype) -> np.ndarray:
    """Targets in the layout the loss uses: mse (n, n_out) float, bce (n,) float, ce (n,) int64."""
    y = np.asarray(y)
    if loss == "cross_entropy":
        if y.shape != (n,) or not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool):
            raise LossError(
                f"cross_entropy needs integer labels shaped ({n},), got {y.dtype} {y.shape}."
            )
        if n and (y.min() < 0 or y.max() >= n_out):
            raise LossError(f"cross_entropy labels must lie in 0..{n_out - 1} for {n_out} outputs.")
        return y.astype(np.int64, copy=False)
    if loss == "bce":
        if n_out != 1:
            raise LossError(f"bce needs a network with one output, this one has {n_out}.")
        if y.shape not in ((n,), (n, 1)):
            raise LossError(f"bce targets must be shaped ({n},) or ({n}, 1), got {y.shape}.")
        return y.reshape(n).astype(dtype, copy=False)
    if y.shape == (n,) and n_out == 1:
        y = y.reshape(n, 1)
    if y.shape != (n, n_out):
        raise LossError(f"mse targets must be shaped ({n}, {n_out}), got {y.shape}.")
    return y.astype(dtype, copy=False)


def loss_and_logit_grad(loss: str, logits: np.ndarray, y: np.ndarray, out: np.ndarray) -> float:
    """Loss value; writes dL/dlogits into `out` (n, k), C-contiguous.

    `y` must come from prepare_targets.
    """
    n, k = logits.shape
    if not out.flags.c_contiguous:
        raise LossError("The logit gradient buffer must be C-contiguous.")
    if loss == "mse":
        np.subtract(logits, y, out=out)
        value = float(np.vdot(out, out)) / out.size
        out *= 2.0 / out.size
        return value
    if loss == "bce":
        x = logits[:, 0]
        e = np.exp(-np.abs(x))
        value = float(np.add.reduce(np.maximum(x, 0) - x * y + np.log1p(e)) / n)  # the mean
        np.subtract(sigmoid(x, e), y, out=out[:, 0])
        out *= 1.0 / n
        return value
    # Row maxima column by column: exact like .max(axis=1), several times faster for few classes.
    if k <= 8:
        row_max = logits[:, 0].copy()
        for j in range(1, k):
            np.maximum(row_max, logits[:, j], out=row_max)
        row_max = row_max[:, None]
    else:
        row_max = logits.max(axis=1, keepdims=True)
    shifted = np.subtract(logits, row_max, out=out)
    flat = out.reshape(-1)  # a view: out is C-contiguous
    label_index = np.arange(0, n * k, k) + y  # flat index of each row's label
    picked = flat.take(label_index)
    np.exp(shifted, out=out)
    sums = out.sum(axis=1)
    value = float(np.add.reduce(np.log(sums) - picked) / n)  # = np.mean, without its overhead
    out /= sums[:, None]
    flat.put(label_index, flat.take(label_index) - 1.0)
    out *= 1.0 / n
    return value


def probabilities(loss: str, logits: np.ndarray) -> np.ndarray:
    """What the network predicts: bce -> P(class 1) (n,), ce -> softmax (n, k), mse -> logits."""
    if loss == "bce":
        return sigmoid(logits[:, 0])
    if loss == "cross_entropy":
        ex = np.exp(logits - logits.max(axis=1, keepdims=True))
        return ex / ex.sum(axis=1, keepdims=True)
    return logits
