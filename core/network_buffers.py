"""Preallocated buffers and in-place activation kernels for Network's hot loop.

A training step reuses one Workspace, so it allocates (almost) nothing. ReLU, leaky ReLU and tanh
are computed into those buffers directly (same values as their Activation.f_df, checked by tests);
every other activation goes through Activation.f_df.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.activations import Activation

# The precisions every buffer (and so the network) can be made in; the config offers these.
DTYPES: tuple[str, ...] = ("float64", "float32")

# Activations whose derivative is never negative: max |f'| over a batch needs no abs() pass.
_NONNEGATIVE_DERIVATIVE = {"relu", "tanh", "sigmoid", "softplus", "softsign", "hard_sigmoid",
                           "binary_step"}


def split_views(flat: np.ndarray, widths: Sequence[int]) -> list[np.ndarray]:
    """Consecutive views of `flat` with the given lengths."""
    ends = np.cumsum(widths).tolist()
    return [flat[end - width:end] for width, end in zip(widths, ends, strict=True)]


def equal_width_runs(widths: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """(first index, count, width, offset in the concatenation) per run of equal widths in a row."""
    runs: list[tuple[int, int, int, int]] = []
    offset = 0
    for i, width in enumerate(widths):
        if runs and runs[-1][2] == width:
            first, count, _, start = runs[-1]
            runs[-1] = (first, count + 1, width, start)
        else:
            runs.append((i, 1, width, offset))
        offset += width
    return runs


def derivative_is_nonnegative(act: Activation) -> bool:
    """True when f'(x) >= 0 everywhere for this activation and its parameters."""
    if act.name in ("leaky_relu", "elu"):
        return act.params["alpha"] >= 0
    if act.name == "linear":
        return act.params["c"] >= 0
    return act.name in _NONNEGATIVE_DERIVATIVE


def has_inplace_kernel(act: Activation) -> bool:
    """True when activate_into computes this activation in the given buffers."""
    return act.name in ("relu", "leaky_relu", "tanh")


def activate_into(act: Activation, z: np.ndarray, h: np.ndarray, d: np.ndarray,
                  mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f(z), f'(z)), written into h and d (and bool scratch `mask`) when a kernel exists."""
    name = act.name
    if name == "relu":
        np.greater(z, 0, out=d)  # relu'(0) = 0, as torch
        np.multiply(z, d, out=h)  # several times faster than np.maximum(z, 0)
        return h, d
    if name == "leaky_relu":
        np.greater(z, 0, out=mask)
        d.fill(act.params["alpha"])  # leaky'(0) = alpha, as torch
        np.copyto(d, 1, where=mask)
        np.multiply(z, d, out=h)
        return h, d
    if name == "tanh":
        np.tanh(z, out=h)
        np.multiply(h, h, out=d)
        np.subtract(1, d, out=d)
        return h, d
    return act.f_df(z)


def peak_abs_derivative(act: Activation, d: np.ndarray, ones: np.ndarray, out: np.ndarray,
                        scratch: np.ndarray) -> None:
    """Write max over rows of |d| (n, w) into out (w,); ones is (n,) of 1s, scratch like d."""
    if act.name == "relu":
        # d is 0 or 1: a column sum by BLAS is much faster than a max-reduction over rows.
        np.dot(ones, d, out=out)
        np.minimum(out, 1, out=out)
        return
    if not derivative_is_nonnegative(act):
        d = np.abs(d, out=scratch)
    np.maximum.reduce(d, axis=0, out=out)


def relu_rows(z: np.ndarray, bufs: ForwardBuffers, h: np.ndarray, peaks: np.ndarray | None,
              first: bool) -> np.ndarray:
    """ReLU of the chunk z (k, w) into h; folds its max |f'| (0 or 1) per column into peaks.

    max(z, 0) against a zero array is a fast SIMD loop (a scalar 0 is not). A column's sum of
    relu(z) >= 0 is positive iff some z > 0; a NaN sum falls back to counting z > 0 directly.
    """
    k, width = z.shape
    np.maximum(z, bufs.zeros[width][:k], out=h)
    if peaks is None:
        return h
    peak = peaks if first else bufs.peak[:width]
    total = np.dot(bufs.ones[:k], h, out=bufs.peak_sum[:width])
    if np.isnan(total).any():
        total = np.dot(bufs.ones[:k], np.greater(z, 0, out=bufs.d[width][:k]), out=total)
    np.greater(total, 0, out=peak)
    if not first:
        np.maximum(peaks, peak, out=peaks)
    return h


def packed_parameters(sizes: list[int], dtype: np.dtype, extra: int = 0
                      ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """One flat buffer and its views: every weight matrix, then every bias vector.

    `extra` more entries follow the biases (normalization's γ and β; the caller splits them).
    """
    shapes = [(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    n_weights = sum(a * b for a, b in shapes)
    flat = np.empty(n_weights + sum(sizes[1:]) + extra, dtype)
    ends = np.cumsum([a * b for a, b in shapes]).tolist()
    weights = [flat[end - a * b:end].reshape(a, b)
               for (a, b), end in zip(shapes, ends, strict=True)]
    return flat, weights, split_views(flat[n_weights:n_weights + sum(sizes[1:])], sizes[1:])


class Workspace:
    """Every array one forward + backward pass over `n` rows needs, allocated once."""

    def __init__(self, sizes: list[int], n: int, dtype: np.dtype, skip: list[bool],
                 extra: int = 0) -> None:
        """Allocate for layer sizes `sizes`, batch size n; skip[i]: weight layer i is residual.

        extra: gradient entries after the biases in grad_flat (normalization's dγ and dβ);
        db_flat covers them too, so bias_grad_norm and its finiteness check include them.
        """
        n_layers = len(sizes) - 1
        hidden = sizes[1:-1]
        self.n = n
        self.ones = np.ones(n, dtype)  # column sums as BLAS dot products
        self.z = [np.empty(0, dtype)] + [np.empty((n, s), dtype) for s in sizes[1:]]
        self.h = [np.empty(0, dtype)] + [np.empty((n, s), dtype) for s in hidden]
        # Hidden layers of equal width in a row keep f' and dL/dz in one stacked (count, n, width)
        # array each, so their column sums (bias gradients, mean |dL/dz|, ReLU peaks) take one
        # batched BLAS call per run instead of one per layer (same values: tested).
        self.runs = equal_width_runs(hidden)
        self.d_runs = [np.empty((count, n, width), dtype) for _, count, width, _ in self.runs]
        self.grad_z_runs = [np.empty((count, n, width), dtype) for _, count, width, _ in self.runs]
        self.d = [np.empty(0, dtype)] + [s[k] for s in self.d_runs for k in range(len(s))]
        self.grad_z = [np.empty(0, dtype), *(s[k] for s in self.grad_z_runs for k in range(len(s))),
                       np.empty((n, sizes[-1]), dtype)]
        self.grad_a = [np.empty((n, s), dtype) for s in sizes[:-1]]
        self.skip_out = [np.empty((n, sizes[i + 1]), dtype) if skip[i] else None
                         for i in range(n_layers)]
        self.scratch = {w: np.empty((n, w), dtype) for w in set(sizes)}
        self.mask = {w: np.empty((n, w), bool) for w in set(hidden)}
        self.grad_flat, self.dW, self.db = packed_parameters(sizes, dtype, extra)
        self.db_flat = self.grad_flat[sum(w.size for w in self.dW):]
        self.grad_sq = np.empty(n_layers)
        self.signal_norms = np.empty(n_layers)
        self.unit_grad_flat = np.empty(sum(sizes), dtype)
        self.unit_grad = split_views(self.unit_grad_flat, sizes)
        self.max_abs_df_flat = np.zeros(sum(hidden), dtype)
        self.max_abs_df = split_views(self.max_abs_df_flat, hidden)
        self.dead_flat = np.empty(sum(hidden), bool)
        self.dead_mask = split_views(self.dead_flat, hidden)
        self.saturated_flat = np.empty(sum(hidden), bool)
        self.saturated_mask = split_views(self.saturated_flat, hidden)
        self.hidden_widths = hidden

        def rows(flat: np.ndarray, start: int, count: int, width: int) -> np.ndarray:
            return flat[start:start + count * width].reshape(count, width)

        # Per run, (count, width) views: bias gradients, mean |dL/dz|, max |f'|.
        self.db_runs = [rows(self.db_flat, start, c, w) for _, c, w, start in self.runs]
        self.unit_grad_runs = [rows(self.unit_grad_flat, sizes[0] + start, c, w)
                               for _, c, w, start in self.runs]
        self.max_abs_df_runs = [rows(self.max_abs_df_flat, start, c, w)
                                for _, c, w, start in self.runs]


def column_statistics(ws: Workspace, sizes: list[int], activations: list[Activation]) -> None:
    """Mean |dL/dunit| per unit and ReLU peaks, one batched call per run of equal widths.

    Overwrites the hidden dL/dz buffers with their absolute values (nothing reads them later).
    """
    ones, last = ws.ones, len(sizes) - 1
    np.dot(ones, np.abs(ws.grad_a[0], out=ws.scratch[sizes[0]]), out=ws.unit_grad[0])
    np.dot(ones, np.abs(ws.grad_z[last], out=ws.scratch[sizes[-1]]), out=ws.unit_grad[last])
    for grad_z, unit in zip(ws.grad_z_runs, ws.unit_grad_runs, strict=True):
        np.matmul(ones, np.abs(grad_z, out=grad_z), out=unit)
    ws.unit_grad_flat *= 1.0 / len(ones)
    relu = [act.name == "relu" for act in activations]
    for (first, count, _, _), d, peak in zip(ws.runs, ws.d_runs, ws.max_abs_df_runs,
                                             strict=True):
        # f' is 0 or 1: a column sum by BLAS is much faster than a max-reduction over rows.
        if all(relu[first:first + count]):
            np.minimum(np.matmul(ones, d, out=peak), 1, out=peak)
            continue
        for k in range(count):
            if relu[first + k]:
                np.minimum(np.dot(ones, d[k], out=peak[k]), 1, out=peak[k])


class ForwardBuffers:
    """Buffers for forward-only passes over chunks of up to `rows` rows (one set per width)."""

    def __init__(self, sizes: list[int], rows: int, dtype: np.dtype) -> None:
        """Allocate z per width, two alternating h per hidden width, f' and scratch."""
        hidden = set(sizes[1:-1])
        self.rows = rows
        self.ones = np.ones(rows, dtype)
        self.z = {w: np.empty((rows, w), dtype) for w in set(sizes[1:])}
        self.h = {w: (np.empty((rows, w), dtype), np.empty((rows, w), dtype)) for w in hidden}
        self.d = {w: np.empty((rows, w), dtype) for w in hidden}
        self.scratch = {w: np.empty((rows, w), dtype) for w in hidden}
        self.mask = {w: np.empty((rows, w), bool) for w in hidden}
        self.zeros = {w: np.zeros((rows, w), dtype) for w in hidden}
        self.peak = np.empty(max(hidden, default=0), dtype)
        self.peak_sum = np.empty(max(hidden, default=0), dtype)


def safe_norm(x: np.ndarray) -> float:
    """‖x‖_F in float64 without overflowing the squares (scaled by max |x|).

    inf only when x holds inf or the norm itself exceeds the float64 range; nan when x holds nan.
    """
    with np.errstate(all="ignore"):
        peak = float(np.max(np.abs(x), initial=0.0))
        if peak == 0.0 or not np.isfinite(peak):
            return peak
        scaled = np.asarray(x, np.float64) / peak
        return peak * float(np.sqrt(np.vdot(scaled, scaled)))


def _safe_column_mean_abs(x: np.ndarray) -> np.ndarray:
    """Mean over rows of |x| (n, w) -> (w,), computed without the column sums overflowing."""
    with np.errstate(all="ignore"):
        peak = float(np.max(np.abs(x), initial=0.0))
        if peak == 0.0 or not np.isfinite(peak):
            return np.abs(x).mean(axis=0, dtype=np.float64)
        return np.abs(np.asarray(x, np.float64) / peak).mean(axis=0) * peak


def repair_overflowed_statistics(ws: Workspace, grad_norms: np.ndarray) -> bool:
    """Recompute in place, overflow-safely, each gradient norm or unit mean that came out inf.

    The fast path squares and sums in the network's dtype (float32 overflows near 1.8e19); only
    entries that overflowed are redone, so after this a value is non-finite only if the gradient
    itself holds inf/nan (or its norm exceeds the float64 range). Returns True if all are finite.
    """
    if (np.isfinite(grad_norms).all() and np.isfinite(ws.signal_norms).all()
            and np.isfinite(ws.unit_grad_flat).all()):
        return True  # the fast path: one check per vector
    for values, sources in ((grad_norms, ws.dW), (ws.signal_norms, ws.grad_a)):
        for i in np.flatnonzero(~np.isfinite(values)):
            values[i] = safe_norm(sources[i])
    sources = [ws.grad_a[0], *ws.grad_z[1:]]
    for unit, source in zip(ws.unit_grad, sources, strict=True):
        if not np.isfinite(unit).all():
            unit[:] = _safe_column_mean_abs(source)
    return bool(np.isfinite(grad_norms).all() and np.isfinite(ws.signal_norms).all()
                and np.isfinite(ws.unit_grad_flat).all())
