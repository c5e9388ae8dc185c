"""Normalization's part of Network's passes: the step from a hidden layer's input to u.

Network's one layer loop (core/network.py) asks this module, for each hidden layer, for
u = γ ẑ + β from the layer input a (forward) and for dL/dz from dL/du (backward); everything
else (activation, residual, statistics, dW) is the loop's own. Training passes
(loss_and_gradients, backward_stats) use batch statistics and update BatchNorm's running ones;
forward-only passes (forward, predict, max_abs_derivative: test accuracy, the dataset statistics
pass, the decision boundary) use the running statistics, as a PyTorch model in eval mode.

Dead and saturated masks, max |f'| and unit_grad are measured at the activation's own input u
(after normalization, γ and β): "dead" still means f'(u) = 0 for every sample.
"""

from __future__ import annotations

import numpy as np

from core.network_buffers import ForwardBuffers, Workspace, split_views
from core.normalization import (
    ColumnTiles,
    batchnorm_backward,
    batchnorm_eval_weights,
    batchnorm_train,
    layernorm_backward,
    layernorm_forward,
    update_running_statistics,
)


class NormalizedLayers:
    """γ and β per hidden layer (views of the packed parameters), running statistics, and the
    per-layer steps of the passes.

    kind: "batchnorm" | "layernorm". tail: the packed-parameter tail, all γ then all β.
    A training pass calls start_train, then train_forward per hidden layer, end_forward, then
    train_backward per hidden layer (last to first).
    """

    def __init__(self, kind: str, hidden: list[int], tail: np.ndarray) -> None:
        """γ = 1, β = 0; running mean 0 and running variance 1 (torch's start)."""
        self.kind = kind
        self.batch = kind == "batchnorm"
        self.hidden = hidden
        params = split_views(tail, hidden + hidden)
        self.gammas, self.betas = params[:len(hidden)], params[len(hidden):]
        tail[:sum(hidden)] = 1.0
        tail[sum(hidden):] = 0.0
        dtype = tail.dtype
        # Views of one vector each, so a step updates them in one go (update_running_statistics)
        self._running = (np.zeros(sum(hidden), dtype), np.ones(sum(hidden), dtype))
        self.running_mean = split_views(self._running[0], hidden) if self.batch else []
        self.running_var = split_views(self._running[1], hidden) if self.batch else []
        self._running_views = (list(self.running_mean), list(self.running_var))
        self._scratch: dict = {}  # per-pass buffers for the current batch size
        self._layer: dict = {}  # per-layer folded weights and row scratch (any batch size)
        self._grads: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])  # this pass's dγ, dβ

    # ----- buffers -------------------------------------------------------------------------------
    def _buffers(self, n: int, dtype: np.dtype) -> dict:
        """Per-pass scratch for n rows: dz per width, 1/std per layer, batch statistics."""
        if self._scratch.get("n") != n:
            widths = set(self.hidden)
            stats = np.empty(2 * sum(self.hidden), dtype)  # batch mean, then var, per unit
            self._scratch = {
                "n": n,
                "dz": {w: np.empty((n, w), dtype) for w in widths},
                "inv": [np.empty(w if self.batch else n, dtype) for w in self.hidden],
                "stats": (stats[:len(stats) // 2], stats[len(stats) // 2:]),
                "mean": split_views(stats[:len(stats) // 2], self.hidden),
                "var": split_views(stats[len(stats) // 2:], self.hidden),
                "row_a": np.empty(n, dtype), "row_b": np.empty(n, dtype),
            }
        return self._scratch

    def _layers(self, weights: list[np.ndarray], dtype: np.dtype) -> dict:
        """Buffers shaped by the layers, not the batch: BatchNorm's eval-mode folded weights and
        biases per hidden layer, 1s and column tiles per width."""
        key = tuple(w.shape for w in weights[:-1]), dtype
        if self._layer.get("key") != key:
            widths = set(self.hidden)
            self._layer = {
                "key": key,
                "w": [np.empty(w.shape, dtype) for w in weights[:-1]],
                "b": [np.empty(w.shape[1], dtype) for w in weights[:-1]],
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

    # ----- training pass -------------------------------------------------------------------------
    def start_train(self, weights: list[np.ndarray], ws: Workspace) -> None:
        """Ready the buffers for a training pass through `ws` (dγ, dβ: ws.grad_flat's tail)."""
        dtype = ws.ones.dtype
        self._buffers(ws.n, dtype)
        self._layers(weights, dtype)
        grads = split_views(ws.grad_flat[len(ws.grad_flat) - 2 * sum(self.hidden):],
                            self.hidden + self.hidden)
        self._grads = grads[:len(self.hidden)], grads[len(self.hidden):]

    def train_forward(self, i: int, a: np.ndarray, w: np.ndarray, b: np.ndarray,
                      ws: Workspace) -> np.ndarray:
        """u (n, width) of hidden layer i from its input a, with batch statistics.

        Keeps what train_backward needs: ws.z[i + 1] (z centred for BatchNorm, ẑ for LayerNorm)
        and 1/std; u lives in ws.scratch[width] (free again once f(u), f'(u) are out).
        """
        scratch, width = self._scratch, w.shape[1]
        tiles = self._layer["tiles"][width]
        z = np.matmul(a, w, out=ws.z[i + 1])
        if self.batch:
            mean = scratch["mean"][i]
            u = batchnorm_train(z, self.gammas[i], self.betas[i], ws.ones, tiles, mean,
                                scratch["var"][i], scratch["inv"][i], ws.scratch[width])
            mean += b  # the running mean is of z = a W + b
            return u
        np.copyto(tiles.tile, b)
        tiles.apply(np.add, z, z)
        return layernorm_forward(z, self.gammas[i], self.betas[i], self._layer["ones_w"][width],
                                 tiles, scratch["inv"][i], ws.scratch[width])

    def end_forward(self, n: int) -> None:
        """After the forward pass: fold BatchNorm's batch statistics into the running ones."""
        if not self.batch:
            return
        mean, var = self._scratch["stats"]
        views = self.running_mean + self.running_var
        if all(a is b for a, b in zip(views, self._running_views[0] + self._running_views[1],
                                      strict=True)):
            update_running_statistics(*self._running, mean, var, n)
            return
        for rm, rv, m, v in zip(self.running_mean, self.running_var, self._scratch["mean"],
                                self._scratch["var"], strict=True):  # arrays were replaced
            update_running_statistics(rm, rv, m, v, n)

    def train_backward(self, i: int, grad_u: np.ndarray, ws: Workspace) -> np.ndarray:
        """dL/dz (n, width) of hidden layer i from dL/du; writes ws.db[i], dγ_i and dβ_i."""
        scratch, width = self._scratch, grad_u.shape[1]
        tiles = self._layer["tiles"][width]
        dgamma, dbeta = self._grads[0][i], self._grads[1][i]
        if self.batch:
            g = batchnorm_backward(grad_u, ws.z[i + 1], scratch["inv"][i], self.gammas[i],
                                   ws.ones, tiles, scratch["dz"][width], dgamma, dbeta)
            ws.db[i].fill(0.0)  # the mean subtraction cancels b exactly
            return g
        g = layernorm_backward(grad_u, ws.z[i + 1], scratch["inv"][i], self.gammas[i], ws.ones,
                               tiles, scratch["dz"][width], ws.scratch[width], dgamma, dbeta,
                               scratch["row_a"], scratch["row_b"])
        np.dot(ws.ones, g, out=ws.db[i])
        return g

    # ----- forward only (eval mode) --------------------------------------------------------------
    def start_eval(self, weights: list[np.ndarray]) -> None:
        """Ready the buffers for a forward-only pass (eval_forward per hidden layer)."""
        self._layers(weights, weights[0].dtype)

    def eval_forward(self, i: int, a: np.ndarray, weights: list[np.ndarray],
                     biases: list[np.ndarray], bufs: ForwardBuffers) -> np.ndarray:
        """u (k, width) of hidden layer i for the rows a, with running statistics (in bufs.z)."""
        k, w, b = len(a), weights[i], biases[i]
        width = w.shape[1]
        layer = self._layer
        tiles = layer["tiles"][width]
        if self.batch:  # u = a (W scale) + shift
            w, b = layer["w"][i], layer["b"][i]
            batchnorm_eval_weights(weights[i], biases[i], self.gammas[i], self.betas[i],
                                   self.running_mean[i], self.running_var[i], w, b)
        z = np.matmul(a, w, out=bufs.z[width][:k])
        np.copyto(tiles.tile, b)
        u = tiles.apply(np.add, z, z)
        if self.batch:
            return u
        return layernorm_forward(z, self.gammas[i], self.betas[i], layer["ones_w"][width],
                                 tiles, self._row_scratch(k, z.dtype), bufs.scratch[width][:k])
