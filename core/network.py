"""A fully connected network (MLP) in numpy with exact gradients and per-layer gradient statistics.

Weight layer i maps a_i (n, sizes[i]) to z_{i+1} = a_i @ W_i + b_i; hidden layers apply
a_{i+1} = act(z_{i+1}) (plus a_i with residual connections where widths match); the output layer
is linear (logits). Backward results match torch.autograd (mean-reduced losses). With
normalization, z is normalized before the activation: the one layer loop below takes u = γ ẑ + β
and dL/dz from core/network_normalized.py for each hidden layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.activations import Activation
from core.initializers import check_initializer, init_bias, init_weight
from core.losses import check_loss, loss_and_logit_grad, prepare_targets, probabilities
from core.network_buffers import (
    ForwardBuffers,
    Workspace,
    activate_into,
    column_statistics,
    has_inplace_kernel,
    packed_parameters,
    peak_abs_derivative,
    relu_rows,
    repair_overflowed_statistics,
    safe_norm,
    split_views,
)
from core.network_normalized import NormalizedLayers
from core.network_settings import build_activations, check_network_arguments

# Rows per chunk for forward-only passes over big sets, to bound memory.
_CHUNK_ROWS = 1024


class NetworkError(ValueError):
    """Layer sizes or an input that do not fit the network (a bad setting raises ConfigError)."""


@dataclass
class BackwardResult:
    """Everything one forward + backward pass yields (no extra passes)."""

    loss: float
    logits: np.ndarray  # (n, sizes[-1])
    dW: list[np.ndarray]  # shaped like weights
    db: list[np.ndarray]  # shaped like biases
    signal_norms: np.ndarray  # (n_weight_layers,) ‖∂L/∂a_i‖_F, a_0 = X
    unit_grad: list[np.ndarray]  # len(sizes): mean |∂L/∂unit| (inputs, pre-activations z, logits)
    dead_mask: list[np.ndarray]  # per hidden layer bool (width,): f'(z) == 0 on every sample
    saturated_mask: list[np.ndarray]  # per hidden layer bool (width,): |f'| < thr, not dead
    max_abs_derivative: np.ndarray  # (sum of hidden widths,) max over the batch of |f'(z)|
    grad_norms: np.ndarray  # (n_weight_layers,) ‖dW_i‖_F (weights only, never γ/β)
    bias_grad_norm: float  # ‖(db_0, ..., db_L-1, dγ, dβ)‖: every non-weight gradient
    # Norms and unit means never overflow on their own: each is non-finite only if the gradient
    # it summarises holds inf/nan (or, for a norm, exceeds the float64 range).
    grad_flat: np.ndarray  # dW, db (then dγ, dβ) in one flat array, as packed_parameters
    statistics_finite: bool = True  # every norm above and every unit_grad entry is finite
    dgamma: list[np.ndarray] = field(default_factory=list)  # per hidden layer (width,) or []
    dbeta: list[np.ndarray] = field(default_factory=list)  # per hidden layer (width,) or []


def dead_and_saturated(peaks: np.ndarray, threshold: float = 0.01,
                       dead: np.ndarray | None = None,
                       saturated: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(dead, saturated) bool masks, shaped like `peaks` (max |f'(z)| per unit over a set).

    The one definition of both: dead = f'(z) is 0 for every sample (peak == 0); saturated =
    |f'(z)| < threshold for every sample, yet not dead. `dead`/`saturated` are optional
    output buffers.
    """
    dead = np.equal(peaks, 0, out=dead)
    saturated = np.less(peaks, threshold, out=saturated)
    saturated &= ~dead
    return dead, saturated


class Network:
    """MLP with configurable activations, initialiser, loss, residual connections and dtype."""

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "relu",
        init: str = "he_normal",
        loss: str = "mse",
        seed: int = 0,
        *,
        activation_params: dict[str, float] | None = None,
        init_std: float = 0.01,
        bias_init: float = 0.0,
        bias_std: float = 0.0,
        residual: bool = False,
        normalization: str = "none",
        dtype: str = "float64",
        rng: np.random.Generator | None = None,
    ) -> None:
        """Build and initialise; weights[i] (sizes[i], sizes[i+1]), biases[i] (sizes[i+1],).

        normalization "batchnorm" | "layernorm" normalizes every hidden layer's z before its
        activation (core/normalization.py): gammas[l], betas[l] (width,) are learned, and
        BatchNorm's running_mean/running_var serve the forward-only passes (eval mode).
        """
        self.sizes = [int(s) for s in sizes]
        if len(self.sizes) < 2 or any(s < 1 for s in self.sizes):
            raise NetworkError(
                f"Layer sizes must be at least two positive integers, got {list(sizes)}."
            )
        self.n_weight_layers = len(self.sizes) - 1
        self.n_hidden = len(self.sizes) - 2
        params = check_network_arguments(self.sizes[1:-1], activation,
                                  {} if activation_params is None else activation_params,
                                  init=init, loss=loss, seed=seed, init_std=init_std,
                                  bias_init=bias_init, bias_std=bias_std, residual=residual,
                                  normalization=normalization, dtype=dtype)
        self.dtype = np.dtype(dtype)
        self.loss = check_loss(loss)
        self.init = check_initializer(init)
        self.residual = bool(residual)
        self.activations = build_activations(activation, params, self.n_hidden)
        # Weight layer i is a skip layer when it maps a hidden layer to an equally wide one.
        self.skip = [self.residual and 1 <= i < self.n_weight_layers - 1
                     and self.sizes[i] == self.sizes[i + 1] for i in range(self.n_weight_layers)]
        generator = rng if rng is not None else np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w = init_weight(init, fan_in, fan_out, generator, std=init_std)
            b = init_bias(init, fan_in, fan_out, generator, bias_init=bias_init,
                          bias_std=bias_std)
            self.weights.append(w)
            self.biases.append(b)
        # Parameters live in one flat buffer so an optimizer can update them all in one pass;
        # normalization's γ and β follow the biases there.
        self.normalization = normalization
        self._extra = 0 if normalization == "none" else 2 * sum(self.sizes[1:-1])
        self._flat, weights, biases = packed_parameters(self.sizes, self.dtype, self._extra)
        for view, value in zip(weights + biases, self.weights + self.biases, strict=True):
            view[...] = value
        self.weights, self.biases = weights, biases
        self._norm = None if normalization == "none" else NormalizedLayers(
            normalization, self.sizes[1:-1], self._flat[len(self._flat) - self._extra:])
        norm = self._norm
        # Per hidden layer (width,), edited in place; [] when not normalized (running_*: or LN).
        self.gammas, self.betas, self.running_mean, self.running_var = ([], [], [], []) \
            if norm is None else (norm.gammas, norm.betas, norm.running_mean, norm.running_var)
        self._packed = (list(weights), list(biases) + self.gammas + self.betas)
        self._workspace: Workspace | None = None
        self._forward_cache: ForwardBuffers | None = None

    def packed_parameters(self) -> np.ndarray | None:
        """All weights then all biases as one flat array whose views are `weights`/`biases`.

        None once a caller has replaced an array in `weights` or `biases` (in-place edits keep
        the packing), so the flat array never goes stale. With normalization, all γ then all
        β follow the biases.
        """
        packed_w, packed_rest = self._packed
        rest = self.biases + self.gammas + self.betas
        if len(self.weights) == len(packed_w) and len(rest) == len(packed_rest) and all(
            a is b for a, b in zip(self.weights + rest, packed_w + packed_rest, strict=True)
        ):
            return self._flat
        return None

    # ----- forward -----------------------------------------------------------------------------
    def _input(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise NetworkError(f"Input must be shaped (n, {self.sizes[0]}), got {X.shape}.")
        return X.astype(self.dtype, copy=False)

    def _forward_rows(self, a: np.ndarray, bufs: ForwardBuffers,
                      peaks: list[np.ndarray] | None, first: bool = False) -> np.ndarray:
        """Logits of the rows `a` (a view into bufs).

        With `peaks`, folds max |f'(z)| into them instead (written directly when `first`, the
        first chunk) and stops after the last hidden layer: the logits are not needed then.
        """
        k, norm = len(a), self._norm
        if norm is not None:  # eval mode: BatchNorm uses its running statistics
            norm.start_eval(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            width = w.shape[1]
            if norm is None or i == self.n_weight_layers - 1:
                z = np.matmul(a, w, out=bufs.z[width][:k])
                z += b
                if i == self.n_weight_layers - 1:
                    return z
            else:  # z is u = γ ẑ + β, the activation's input
                z = norm.eval_forward(i, a, self.weights, self.biases, bufs)
            act = self.activations[i]
            h_buf = bufs.h[width][i % 2][:k]  # alternate so h never overwrites its own input
            if act.name == "relu":  # f' is not needed: its peak comes from the column sums of h
                h = relu_rows(z, bufs, h_buf, None if peaks is None else peaks[i], first)
            elif peaks is None and not has_inplace_kernel(act):
                h = act.f(z)
            else:
                h, d = activate_into(act, z, h_buf, bufs.d[width][:k], bufs.mask[width][:k])
                if peaks is not None:
                    peak = peaks[i] if first else bufs.peak[:width]
                    peak_abs_derivative(act, d, bufs.ones[:k], peak, bufs.scratch[width][:k])
                    if not first:
                        np.maximum(peaks[i], peak, out=peaks[i])
            if peaks is not None and i == self.n_hidden - 1:
                return z
            if self.skip[i]:
                h = np.add(h, a, out=h_buf)
            a = h
        raise AssertionError("unreachable: the loop returns at the output layer")

    def _forward_buffers(self, n: int) -> ForwardBuffers:
        """Cached buffers for forward passes in chunks of up to _CHUNK_ROWS rows."""
        rows = max(1, min(n, _CHUNK_ROWS))
        bufs = self._forward_cache
        if bufs is None or bufs.rows < rows:
            bufs = self._forward_cache = ForwardBuffers(self.sizes, rows, self.dtype)
        return bufs

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Logits (n, sizes[-1]) for inputs X (n, sizes[0])."""
        X = self._input(X)
        logits = np.empty((len(X), self.sizes[-1]), self.dtype)
        bufs = self._forward_buffers(len(X))
        with np.errstate(all="ignore"):
            for start in range(0, len(X), bufs.rows):
                stop = start + bufs.rows
                logits[start:stop] = self._forward_rows(X[start:stop], bufs, None)
        return logits

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probabilities (bce: (n,) P(class 1), ce: (n, k)) or values (mse: (n, k))."""
        with np.errstate(all="ignore"):
            return probabilities(self.loss, self.forward(X))

    def max_abs_derivative(self, X: np.ndarray) -> list[np.ndarray]:
        """Per hidden layer (width,): max over the rows of X of |f'(z)| (forward only, chunked)."""
        X = self._input(X)
        if len(X) == 0:
            raise NetworkError("Dead and saturated units need at least one sample.")
        result = [np.zeros(w, self.dtype) for w in self.sizes[1:-1]]
        bufs = self._forward_buffers(len(X))
        with np.errstate(all="ignore"):
            for start in range(0, len(X), bufs.rows):
                self._forward_rows(X[start:start + bufs.rows], bufs, result, first=start == 0)
        return result

    def dead_units(self, X: np.ndarray) -> list[np.ndarray]:
        """Per hidden layer bool (width,): f'(z) == 0 for every row of X ("dead on this set")."""
        return [dead_and_saturated(m)[0] for m in self.max_abs_derivative(X)]

    def dead_fraction(self, X: np.ndarray) -> list[float]:
        """Per hidden layer: fraction of units dead on X."""
        return [float(d.mean()) for d in self.dead_units(X)]

    def saturated_fraction(self, X: np.ndarray, threshold: float = 0.01) -> list[float]:
        """Per hidden layer: fraction of units with 0 < max |f'(z)| < threshold over X."""
        return [float(dead_and_saturated(m, threshold)[1].mean())
                for m in self.max_abs_derivative(X)]

    # ----- backward ----------------------------------------------------------------------------
    def loss_and_gradients(
        self, X: np.ndarray, y: np.ndarray, *, reuse_buffers: bool = False
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """(mean loss, dW list shaped like weights, db list shaped like biases) for a batch.

        reuse_buffers: as in backward_stats (internal arrays, overwritten by the next call).
        """
        X = self._input(X)
        targets = prepare_targets(self.loss, y, len(X), self.sizes[-1], self.dtype)
        ws = self._buffers(len(X), reuse_buffers)
        with np.errstate(all="ignore"):
            loss = self._pass(X, targets, ws, stats=False)
        return loss, ws.dW, ws.db

    def backward_stats(
        self, X: np.ndarray, y: np.ndarray, saturation_threshold: float = 0.01, *,
        reuse_buffers: bool = False,
    ) -> BackwardResult:
        """One forward + backward pass with every gradient statistic.

        With reuse_buffers=True the arrays are internal buffers overwritten by the next call (the
        trainer's allocation-free path); otherwise they are fresh arrays.
        """
        X = self._input(X)
        n = len(X)
        if n == 0:
            raise NetworkError("A backward pass needs at least one sample.")
        targets = prepare_targets(self.loss, y, n, self.sizes[-1], self.dtype)
        ws = self._buffers(n, reuse_buffers)
        with np.errstate(all="ignore"):
            loss = self._pass(X, targets, ws, stats=True)
            flat = ws.max_abs_df_flat
            dead_and_saturated(flat, saturation_threshold, ws.dead_flat, ws.saturated_flat)
            grad_norms = np.sqrt(ws.grad_sq)
            finite = repair_overflowed_statistics(ws, grad_norms)
            bias_norm = float(np.sqrt(np.vdot(ws.db_flat, ws.db_flat)))
            if not math.isfinite(bias_norm):
                bias_norm = safe_norm(ws.db_flat)
                finite = finite and math.isfinite(bias_norm)
        return BackwardResult(
            loss=loss, logits=ws.z[-1], dW=ws.dW, db=ws.db,
            signal_norms=ws.signal_norms, unit_grad=ws.unit_grad,
            dead_mask=ws.dead_mask, saturated_mask=ws.saturated_mask,
            max_abs_derivative=flat, grad_norms=grad_norms, bias_grad_norm=bias_norm,
            statistics_finite=finite,
            grad_flat=ws.grad_flat,
            **self._norm_gradients(ws),
        )

    def _norm_gradients(self, ws: Workspace) -> dict[str, list[np.ndarray]]:
        """dgamma/dbeta views of ws.grad_flat's tail (empty without normalization)."""
        if self._norm is None:
            return {}
        hidden = self.sizes[1:-1]
        views = split_views(ws.grad_flat[len(ws.grad_flat) - self._extra:], hidden + hidden)
        return {"dgamma": views[:self.n_hidden], "dbeta": views[self.n_hidden:]}

    def _buffers(self, n: int, reuse: bool) -> Workspace:
        """The cached workspace for batch size n (made on first use), or a fresh one."""
        ws = self._workspace
        if not reuse or ws is None or ws.n != n:
            ws = Workspace(self.sizes, n, self.dtype, self.skip, self._extra)
            if reuse:
                self._workspace = ws
        return ws

    def _pass(self, X: np.ndarray, y: np.ndarray, ws: Workspace, stats: bool) -> float:
        """Forward and backward through the buffers of `ws`; returns the loss."""
        weights, biases, n_layers = self.weights, self.biases, self.n_weight_layers
        norm = self._norm
        if norm is not None:
            norm.start_train(weights, ws)
        acts: list[np.ndarray] = [X]
        dfs: list[np.ndarray] = [X]  # dfs[i] is f'(z_i) for hidden layer i (index 0 unused)
        for i in range(n_layers):
            if norm is None or i == n_layers - 1:
                z = np.matmul(acts[i], weights[i], out=ws.z[i + 1])
                z += biases[i]
                if i == n_layers - 1:
                    break
            else:  # z is u = γ ẑ + β, the activation's input
                z = norm.train_forward(i, acts[i], weights[i], biases[i], ws)
            act = self.activations[i]
            h, d = activate_into(act, z, ws.h[i + 1], ws.d[i + 1], ws.mask[z.shape[1]])
            if self.skip[i]:
                h = np.add(h, acts[i], out=ws.skip_out[i])
            acts.append(h)
            dfs.append(d)
            if stats and act.name != "relu":  # ReLU peaks are taken per run after the pass
                peak_abs_derivative(act, d, ws.ones, ws.max_abs_df[i], ws.scratch[d.shape[1]])
        if norm is not None:
            norm.end_forward(len(X))
        loss = loss_and_logit_grad(self.loss, ws.z[-1], y, ws.grad_z[-1])
        for i in range(n_layers - 1, -1, -1):
            g = ws.grad_z[i + 1]  # with normalization, dL/du of a hidden layer: stays for stats
            if norm is not None and i < n_layers - 1:
                g = norm.train_backward(i, g, ws)  # dL/dz; writes db[i], dγ, dβ
            w = weights[i]
            dW = np.matmul(acts[i].T, g, out=ws.dW[i])
            if stats:
                ws.grad_sq[i] = np.vdot(dW, dW)
            if i == 0 and not stats:
                break
            grad_a = np.matmul(g, w.T, out=ws.grad_a[i])
            if self.skip[i]:
                grad_a += ws.grad_a[i + 1]
            if stats:
                ws.signal_norms[i] = np.vdot(grad_a, grad_a)
            if i > 0:
                np.multiply(grad_a, dfs[i], out=ws.grad_z[i])
        g_out = ws.grad_z[-1]
        np.dot(ws.ones, g_out, out=ws.db[-1])
        if norm is None:  # hidden layers' db: one batched call per run of equal widths
            for grad_z, db in zip(ws.grad_z_runs, ws.db_runs, strict=True):
                np.matmul(ws.ones, grad_z, out=db)
        if stats:
            column_statistics(ws, self.sizes, self.activations)
            np.sqrt(ws.signal_norms, out=ws.signal_norms)
        return loss
