"""Network's passes when every hidden layer is normalized before its activation.

A separate, plainer path than network.py's (no ReLU column-sum shortcuts), so the unnormalized
path keeps its speed untouched. Training passes (loss_and_gradients, backward_stats) use batch
statistics and update BatchNorm's running ones; forward-only passes (forward, predict,
max_abs_derivative: test accuracy, the dataset statistics pass, the decision boundary) use the
running statistics, as a PyTorch model in eval mode.

Dead and saturated masks, max |f'| and unit_grad are measured at the activation's own input u
(after normalization, γ and β): "dead" still means f'(u) = 0 for every sample.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from core.activations import Activation
from core.losses import loss_and_logit_grad
from core.network_buffers import (
    ForwardBuffers,
    Workspace,
    activate_into,
    column_statistics,
    peak_abs_derivative,
    split_views,
)
from core.normalization import (
    batchnorm_backward,
    batchnorm_eval,
    batchnorm_train,
    layernorm_backward,
    layernorm_forward,
)


class Network(Protocol):
    """What the passes read of core.network.Network (not imported: it imports this module)."""

    sizes: list[int]
    n_weight_layers: int
    n_hidden: int
    dtype: np.dtype
    loss: str
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activations: list[Activation]
    skip: list[bool]


class NormalizedLayers:
    """γ and β per hidden layer (views of the packed parameters), running statistics, passes.

    kind: "batchnorm" | "layernorm". tail: the packed-parameter tail, all γ then all β.
    """

    def __init__(self, kind: str, hidden: list[int], tail: np.ndarray) -> None:
        """γ = 1, β = 0; running mean 0 and running variance 1 (torch's start)."""
        self.kind = kind
        self.hidden = hidden
        params = split_views(tail, hidden + hidden)
        self.gammas, self.betas = params[:len(hidden)], params[len(hidden):]
        tail[:sum(hidden)] = 1.0
        tail[sum(hidden):] = 0.0
        dtype = tail.dtype
        batch = kind == "batchnorm"
        self.running_mean = [np.zeros(w, dtype) for w in hidden] if batch else []
        self.running_var = [np.ones(w, dtype) for w in hidden] if batch else []
        self._scratch: dict = {}  # per-pass buffers for the current batch size
        self._ones: dict[int, np.ndarray] = {}  # (width,) of 1s for forward-only layer norms

    # ----- buffers -------------------------------------------------------------------------------
    def _buffers(self, n: int, dtype: np.dtype) -> dict:
        """Per-pass scratch for n rows: dz per width, 1/std per layer, row vectors, ones."""
        if self._scratch.get("n") != n:
            widths = set(self.hidden)
            batch = self.kind == "batchnorm"
            self._scratch = {
                "n": n,
                "dz": {w: np.empty((n, w), dtype) for w in widths},
                "inv": [np.empty(w if batch else n, dtype) for w in self.hidden],
                "ones_w": {w: np.ones(w, dtype) for w in widths},
                "row_a": np.empty(n, dtype), "row_b": np.empty(n, dtype),
            }
        return self._scratch

    def _forward_rows_ones(self, width: int, dtype: np.dtype) -> np.ndarray:
        """(width,) of 1s for layer-norm row sums in forward-only passes."""
        if width not in self._ones:
            self._ones[width] = np.ones(width, dtype)
        return self._ones[width]

    # ----- training pass -------------------------------------------------------------------------
    def train_pass(self, net: Network, X: np.ndarray, y: np.ndarray, ws: Workspace,
                   stats: bool) -> float:
        """Forward (batch statistics) and backward through `ws`; returns the loss.

        Fills ws like Network's plain pass (dW, db, signal norms, unit_grad at u, max |f'(u)|)
        and dγ, dβ in ws.grad_flat's tail (after the biases), in the packed parameters' order.
        """
        weights, biases, n_layers = net.weights, net.biases, net.n_weight_layers
        n_hidden, batch = net.n_hidden, self.kind == "batchnorm"
        scratch = self._buffers(len(X), net.dtype)
        grads = split_views(ws.grad_flat[len(ws.grad_flat) - 2 * sum(self.hidden):],
                            self.hidden + self.hidden)
        dgammas, dbetas = grads[:n_hidden], grads[n_hidden:]
        acts: list[np.ndarray] = [X]
        dfs: list[np.ndarray] = [X]  # dfs[i] is f'(u_i) for hidden layer i (index 0 unused)
        for i in range(n_layers):
            z = np.matmul(acts[i], weights[i], out=ws.z[i + 1])
            if i == n_layers - 1:
                z += biases[i]
                break
            width = z.shape[1]
            u_buf = ws.scratch[width]  # u is dead once f(u), f'(u) are out: scratch may hold it
            if batch:
                u = batchnorm_train(z, biases[i], self.gammas[i], self.betas[i], ws.ones,
                                    self.running_mean[i], self.running_var[i],
                                    scratch["inv"][i], u_buf)
            else:
                z += biases[i]
                u = layernorm_forward(z, self.gammas[i], self.betas[i], scratch["ones_w"][width],
                                      scratch["inv"][i], u_buf)
            act = net.activations[i]
            h, d = activate_into(act, u, ws.h[i + 1], ws.d[i + 1], ws.mask[width])
            if net.skip[i]:
                h = np.add(h, acts[i], out=ws.skip_out[i])
            acts.append(h)
            dfs.append(d)
            if stats and act.name != "relu":  # ReLU peaks are taken per run after the pass
                peak_abs_derivative(act, d, ws.ones, ws.max_abs_df[i], ws.scratch[width])
        loss = loss_and_logit_grad(net.loss, ws.z[-1], y, ws.grad_z[-1])
        np.dot(ws.ones, ws.grad_z[-1], out=ws.db[-1])
        for i in range(n_layers - 1, -1, -1):
            if i == n_layers - 1:
                g = ws.grad_z[-1]
            else:  # through the normalization of hidden layer i + 1 (ws.grad_z holds dL/du)
                grad_u, width = ws.grad_z[i + 1], ws.z[i + 1].shape[1]
                args = (grad_u, ws.z[i + 1], scratch["inv"][i], self.gammas[i], ws.ones,
                        scratch["dz"][width], ws.scratch[width], dgammas[i], dbetas[i])
                if batch:
                    g = batchnorm_backward(*args)
                    ws.db[i].fill(0.0)  # the mean subtraction cancels b exactly
                else:
                    g = layernorm_backward(*args, scratch["row_a"], scratch["row_b"])
                    np.dot(ws.ones, g, out=ws.db[i])
            dW = np.matmul(acts[i].T, g, out=ws.dW[i])
            if stats:
                ws.grad_sq[i] = np.vdot(dW, dW)
            if i == 0 and not stats:
                break
            grad_a = np.matmul(g, weights[i].T, out=ws.grad_a[i])
            if net.skip[i]:
                grad_a += ws.grad_a[i + 1]
            if stats:
                ws.signal_norms[i] = np.vdot(grad_a, grad_a)
            if i > 0:
                np.multiply(grad_a, dfs[i], out=ws.grad_z[i])
        if stats:
            column_statistics(ws, net.sizes, net.activations)
            np.sqrt(ws.signal_norms, out=ws.signal_norms)
        return loss

    # ----- forward only (eval mode) --------------------------------------------------------------
    def forward_rows(self, net: Network, a: np.ndarray, bufs: ForwardBuffers,
                     peaks: list[np.ndarray] | None, first: bool = False) -> np.ndarray:
        """Logits of the rows `a` with running statistics; like Network._forward_rows.

        With `peaks`, folds max |f'(u)| into them (written directly when `first`) and stops
        after the last hidden layer.
        """
        k = len(a)
        for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            width = w.shape[1]
            z = np.matmul(a, w, out=bufs.z[width][:k])
            if i == net.n_weight_layers - 1:
                z += b
                return z
            if self.kind == "batchnorm":
                u = batchnorm_eval(z, b, self.gammas[i], self.betas[i], self.running_mean[i],
                                   self.running_var[i])
            else:
                z += b
                u = layernorm_forward(z, self.gammas[i], self.betas[i],
                                      self._forward_rows_ones(width, z.dtype),
                                      np.empty(k, z.dtype), bufs.scratch[width][:k])
            act = net.activations[i]
            h_buf = bufs.h[width][i % 2][:k]  # alternate so h never overwrites its own input
            h, d = activate_into(act, u, h_buf, bufs.d[width][:k], bufs.mask[width][:k])
            if peaks is not None:
                peak = peaks[i] if first else bufs.peak[:width]
                peak_abs_derivative(act, d, bufs.ones[:k], peak, bufs.scratch[width][:k])
                if not first:
                    np.maximum(peaks[i], peak, out=peaks[i])
                if i == net.n_hidden - 1:
                    return z
            if net.skip[i]:
                h = np.add(h, a, out=h_buf)
            a = h
        raise AssertionError("unreachable: the loop returns at the output layer")
