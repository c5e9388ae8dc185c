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
    relu_rows,
    split_views,
)
from core.normalization import (
    ColumnTiles,
    batchnorm_backward,
    batchnorm_eval_weights,
    batchnorm_train,
    layernorm_backward,
    layernorm_forward,
    update_running_statistics,
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
        # Views of one vector each, so a step updates them in one go (update_running_statistics)
        self._running = (np.zeros(sum(hidden), dtype), np.ones(sum(hidden), dtype))
        self.running_mean = split_views(self._running[0], hidden) if batch else []
        self.running_var = split_views(self._running[1], hidden) if batch else []
        self._running_views = (list(self.running_mean), list(self.running_var))
        self._scratch: dict = {}  # per-pass buffers for the current batch size
        self._layer: dict = {}  # per-layer folded weights and row scratch (any batch size)

    # ----- buffers -------------------------------------------------------------------------------
    def _buffers(self, n: int, dtype: np.dtype) -> dict:
        """Per-pass scratch for n rows: dz per width, 1/std per layer, batch statistics."""
        if self._scratch.get("n") != n:
            widths = set(self.hidden)
            batch = self.kind == "batchnorm"
            stats = np.empty(2 * sum(self.hidden), dtype)  # batch mean, then var, per unit
            self._scratch = {
                "n": n,
                "dz": {w: np.empty((n, w), dtype) for w in widths},
                "inv": [np.empty(w if batch else n, dtype) for w in self.hidden],
                "stats": (stats[:len(stats) // 2], stats[len(stats) // 2:]),
                "mean": split_views(stats[:len(stats) // 2], self.hidden),
                "var": split_views(stats[len(stats) // 2:], self.hidden),
                "row_a": np.empty(n, dtype), "row_b": np.empty(n, dtype),
            }
        return self._scratch

    def _layers(self, net: Network) -> dict:
        """Buffers shaped by the layers, not the batch: BatchNorm's eval-mode folded weights and
        biases per hidden layer, 1s and column tiles per width."""
        key = tuple(w.shape for w in net.weights[:-1]), net.dtype
        if self._layer.get("key") != key:
            dtype, widths = net.dtype, set(self.hidden)
            self._layer = {
                "key": key,
                "w": [np.empty(w.shape, dtype) for w in net.weights[:-1]],
                "b": [np.empty(w.shape[1], dtype) for w in net.weights[:-1]],
                "ones_w": {w: np.ones(w, dtype) for w in widths},
                "tiles": {w: ColumnTiles(w, dtype) for w in widths},
            }
        return self._layer

    def _row_scratch(self, k: int, dtype: np.dtype) -> np.ndarray:
        """(k,) scratch for forward-only passes (1/std per row)."""
        rows = self._layer.get("forward_rows")
        if rows is None or len(rows) < k:
            rows = self._layer["forward_rows"] = np.empty(k, dtype)
        return rows[:k]

    def _update_running(self, n: int) -> None:
        """Fold this pass's batch statistics (scratch "stats") into the running ones."""
        mean, var = self._scratch["stats"]
        views = self.running_mean + self.running_var
        if all(a is b for a, b in zip(views, self._running_views[0] + self._running_views[1],
                                      strict=True)):
            update_running_statistics(*self._running, mean, var, n)
            return
        for rm, rv, m, v in zip(self.running_mean, self.running_var, self._scratch["mean"],
                                self._scratch["var"], strict=True):  # arrays were replaced
            update_running_statistics(rm, rv, m, v, n)

    # ----- training pass -------------------------------------------------------------------------
    def train_pass(self, net: Network, X: np.ndarray, y: np.ndarray, ws: Workspace,
                   stats: bool) -> float:
        """Forward (batch statistics) and backward through `ws`; returns the loss.

        Fills ws like Network's plain pass (dW, db, signal norms, unit_grad at u, max |f'(u)|)
        and dγ, dβ in ws.grad_flat's tail (after the biases), in the packed parameters' order.
        """
        weights, biases, n_layers = net.weights, net.biases, net.n_weight_layers
        n_hidden, batch = net.n_hidden, self.kind == "batchnorm"
        scratch, layer = self._buffers(len(X), net.dtype), self._layers(net)
        grads = split_views(ws.grad_flat[len(ws.grad_flat) - 2 * sum(self.hidden):],
                            self.hidden + self.hidden)
        dgammas, dbetas = grads[:n_hidden], grads[n_hidden:]
        acts: list[np.ndarray] = [X]
        dfs: list[np.ndarray] = [X]  # dfs[i] is f'(u_i) for hidden layer i (index 0 unused)
        for i in range(n_layers):
            if i == n_layers - 1:
                z = np.matmul(acts[i], weights[i], out=ws.z[i + 1])
                z += biases[i]
                break
            width = weights[i].shape[1]
            tiles = layer["tiles"][width]
            u_buf = ws.scratch[width]  # u is dead once f(u), f'(u) are out: scratch may hold it
            if batch:
                z = np.matmul(acts[i], weights[i], out=ws.z[i + 1])
                mean = scratch["mean"][i]
                u = batchnorm_train(z, self.gammas[i], self.betas[i], ws.ones, tiles, mean,
                                    scratch["var"][i], scratch["inv"][i], u_buf)
                mean += biases[i]  # the running mean is of z = a W + b
            else:
                z = np.matmul(acts[i], weights[i], out=ws.z[i + 1])
                np.copyto(tiles.tile, biases[i])
                tiles.apply(np.add, z, z)
                u = layernorm_forward(z, self.gammas[i], self.betas[i], layer["ones_w"][width],
                                      tiles, scratch["inv"][i], u_buf)
            act = net.activations[i]
            h, d = activate_into(act, u, ws.h[i + 1], ws.d[i + 1], ws.mask[width])
            if net.skip[i]:
                h = np.add(h, acts[i], out=ws.skip_out[i])
            acts.append(h)
            dfs.append(d)
            if stats and act.name != "relu":  # ReLU peaks are taken per run after the pass
                peak_abs_derivative(act, d, ws.ones, ws.max_abs_df[i], ws.scratch[width])
        if batch:
            self._update_running(len(X))
        loss = loss_and_logit_grad(net.loss, ws.z[-1], y, ws.grad_z[-1])
        np.dot(ws.ones, ws.grad_z[-1], out=ws.db[-1])
        for i in range(n_layers - 1, -1, -1):
            if i == n_layers - 1:
                g = ws.grad_z[-1]
            else:  # through the normalization of hidden layer i + 1 (ws.grad_z holds dL/du)
                grad_u, width = ws.grad_z[i + 1], weights[i].shape[1]
                tiles = layer["tiles"][width]
                if batch:
                    g = batchnorm_backward(grad_u, ws.z[i + 1], scratch["inv"][i],
                                           self.gammas[i], ws.ones, tiles,
                                           scratch["dz"][width], dgammas[i], dbetas[i])
                    ws.db[i].fill(0.0)  # the mean subtraction cancels b exactly
                else:
                    g = layernorm_backward(grad_u, ws.z[i + 1], scratch["inv"][i],
                                           self.gammas[i], ws.ones, tiles, scratch["dz"][width],
                                           ws.scratch[width], dgammas[i], dbetas[i],
                                           scratch["row_a"], scratch["row_b"])
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
        layer = self._layers(net)
        for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
            width = w.shape[1]
            if i == net.n_weight_layers - 1:
                z = np.matmul(a, w, out=bufs.z[width][:k])
                z += b
                return z
            tiles, w_fold, b_fold = layer["tiles"][width], layer["w"][i], layer["b"][i]
            if self.kind == "batchnorm":  # u = a (W scale) + shift
                batchnorm_eval_weights(w, b, self.gammas[i], self.betas[i],
                                       self.running_mean[i], self.running_var[i], w_fold, b_fold)
                w, b = w_fold, b_fold
            z = np.matmul(a, w, out=bufs.z[width][:k])
            np.copyto(tiles.tile, b)
            u = tiles.apply(np.add, z, z)
            if self.kind == "layernorm":
                u = layernorm_forward(z, self.gammas[i], self.betas[i], layer["ones_w"][width],
                                      tiles, self._row_scratch(k, z.dtype),
                                      bufs.scratch[width][:k])
            act = net.activations[i]
            h_buf = bufs.h[width][i % 2][:k]  # alternate so h never overwrites its own input
            if act.name == "relu":  # f' is not needed: its peak comes from the column sums of h
                h = relu_rows(u, bufs, h_buf, None if peaks is None else peaks[i], first)
            else:
                h, d = activate_into(act, u, h_buf, bufs.d[width][:k], bufs.mask[width][:k])
                if peaks is not None:
                    peak = peaks[i] if first else bufs.peak[:width]
                    peak_abs_derivative(act, d, bufs.ones[:k], peak, bufs.scratch[width][:k])
                    if not first:
                        np.maximum(peaks[i], peak, out=peaks[i])
            if peaks is not None and i == net.n_hidden - 1:
                return z
            if net.skip[i]:
                h = np.add(h, a, out=h_buf)
            a = h
        raise AssertionError("unreachable: the loop returns at the output layer")
