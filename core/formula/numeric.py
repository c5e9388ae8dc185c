"""Sympy expressions -> a straight-line numpy program (no exec, no lambdify).

Why not lambdify: it prints code and execs it. The tree is ours, so that would be safe, but a
walk is just as short, needs no exec at all, shares common subexpressions between f and f'
(sympy nodes hash by structure, so each distinct node is one step), frees every intermediate
array after its last use, and maps each function to a stable kernel we choose:
    sigmoid(u)  = 1/(1 + e^-u) via e^-|u|;  softplus(u) = max(u, 0) + log1p(e^-|u|)
    erf(u)      = Taylor series for |u| < 2, else 1 - erfc(|u|) with core.special.erfc
    where(c, a, b) evaluates both branches and keeps one, so a branch's overflow or NaN never
    reaches the result.
Everything runs in float64 under np.errstate(all="ignore"); the caller casts the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from core.formula.grammar import FormulaError
from core.formula.symbolic import Log1p, Maximum, Minimum, RealAbs, RealSign, Sigmoid, Softplus, X
from core.special import erfc

Value = np.ndarray | float


def sigmoid(u: Value) -> np.ndarray:
    """Logistic sigmoid without overflow; float64, shape of u."""
    e = np.exp(-np.abs(u))
    r = 1.0 / (1.0 + e)
    return np.where(np.asarray(u) >= 0, r, e * r)


def softplus(u: Value) -> np.ndarray:
    """log(1 + e^u) without overflow; float64, shape of u."""
    return np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))


# erf(u) = 2/√π Σ (-1)^n u^(2n+1) / (n! (2n+1)): 34 terms reach 1e-17 for |u| < 2; beyond,
# erfc(|u|) < 0.005, so 1 - erfc keeps its relative accuracy (5e-14) as an absolute one.
_ERF_SERIES = tuple((-1) ** n * 2.0 / math.sqrt(math.pi) / (math.factorial(n) * (2 * n + 1))
                    for n in range(34))
_ERF_SERIES_LIMIT = 2.0


def erf(u: Value) -> np.ndarray:
    """Error function with full relative accuracy near 0 and in the tails; float64."""
    u = np.asarray(u, dtype=np.float64)
    flat = u.reshape(-1)
    out = np.empty_like(flat)
    near = np.abs(flat) < _ERF_SERIES_LIMIT
    # Each element evaluates only its own branch (like core.special.erfc does).
    z = flat[near]
    z2 = z * z
    series = np.full_like(z, _ERF_SERIES[-1])
    for c in reversed(_ERF_SERIES[:-1]):
        series *= z2
        series += c
    out[near] = z * series
    far = flat[~near]
    out[~near] = np.sign(far) * (1.0 - erfc(np.abs(far)))
    return out.reshape(u.shape)


def _add(*args: Value) -> Value:
    total = args[0] + args[1]
    for arg in args[2:]:
        total = total + arg
    return total


def _mul(*args: Value) -> Value:
    product = args[0] * args[1]
    for arg in args[2:]:
        product = product * arg
    return product


def _pow_step(exponent: sp.Expr) -> Callable[..., Value] | None:
    """A one-argument kernel for base**exponent with a constant exponent (None: not constant)."""
    if not exponent.is_Number:
        return None
    e = float(exponent)
    if e == 0.5:
        return np.sqrt
    if e == -0.5:
        return lambda b: 1.0 / np.sqrt(b)
    if e == -1.0:
        return lambda b: 1.0 / np.asarray(b, dtype=np.float64)
    if e == 2.0:
        return lambda b: b * b
    return lambda b: np.power(np.asarray(b, dtype=np.float64), e)


def _piecewise(*args: Value) -> Value:
    """args = (e1, c1, e2, c2, ...); the first true condition's expression, NaN if none."""
    result: Value = np.nan
    for expr, cond in reversed(list(zip(args[::2], args[1::2], strict=True))):
        result = np.where(cond, expr, result)
    return result


_UNARY: dict[type, Callable[[Value], Value]] = {
    sp.exp: np.exp, sp.log: np.log, Log1p: np.log1p, sp.tanh: np.tanh, Sigmoid: sigmoid,
    Softplus: softplus, sp.erf: erf, sp.sin: np.sin, sp.cos: np.cos, RealAbs: np.abs,
    RealSign: np.sign,
}
_NARY: dict[type, Callable[..., Value]] = {
    sp.Add: _add, sp.Mul: _mul, sp.StrictLessThan: np.less, sp.LessThan: np.less_equal,
    sp.StrictGreaterThan: np.greater, sp.GreaterThan: np.greater_equal,
    sp.And: np.logical_and, sp.Or: np.logical_or, sp.Not: np.logical_not,
    sp.Eq: np.equal, sp.Ne: np.not_equal, sp.ITE: np.where,
    Maximum: lambda a, b: np.where(np.greater(a, b), a, b),
    Minimum: lambda a, b: np.where(np.less(a, b), a, b),
}


class Program:
    """Evaluates several sympy expressions of x and parameters at once, sharing subresults."""

    def __init__(self, outputs: Sequence[sp.Expr], param_names: Sequence[str]) -> None:
        self._slots: dict[sp.Basic, int] = {}
        self._constants: dict[int, Value] = {}
        self._inputs: dict[int, str] = {}          # slot -> "x" or a parameter name
        self._steps: list[tuple[Callable[..., Value], tuple[int, ...], int]] = []
        self._param_symbols = {sp.Symbol(name, real=True): name for name in param_names}
        self._outputs = [self._slot(expr) for expr in outputs]
        last_use: dict[int, int] = {}
        for index, (_, args, _) in enumerate(self._steps):
            for slot in args:
                last_use[slot] = index
        computed = {out for _, _, out in self._steps}
        # Computed slots dropped right after their last use (never the outputs).
        self._free_after = [[s for s in set(args) if last_use[s] == index
                             and s not in self._outputs and s in computed]
                            for index, (_, args, _) in enumerate(self._steps)]

    def __len__(self) -> int:
        """Number of numpy steps."""
        return len(self._steps)

    def _new_slot(self, expr: sp.Basic) -> int:
        slot = self._slots[expr] = len(self._slots)
        return slot

    def _slot(self, expr: sp.Basic) -> int:
        """The slot holding expr's value, adding the steps that compute it (post-order)."""
        if expr in self._slots:
            return self._slots[expr]
        if expr == X:
            self._inputs[slot := self._new_slot(expr)] = "x"
            return slot
        if expr in self._param_symbols:
            self._inputs[slot := self._new_slot(expr)] = self._param_symbols[expr]
            return slot
        if isinstance(expr, sp.Expr) and not expr.free_symbols:
            # Exact constants (sqrt(2), exp(1)/2) become one float, rounded once by sympy;
            # sympy cannot evaluate our own functions (softplus(2)): those become steps.
            try:
                value = float(expr)
            except TypeError:
                value = None
            if value is not None:
                self._constants[slot := self._new_slot(expr)] = value
                return slot
        if expr in (sp.true, sp.false):
            self._constants[slot := self._new_slot(expr)] = bool(expr)
            return slot
        if isinstance(expr, sp.Piecewise):
            args = tuple(self._slot(part) for pair in expr.args for part in pair)
            function: Callable[..., Value] = _piecewise
        elif isinstance(expr, sp.Pow) and (kernel := _pow_step(expr.exp)) is not None:
            args, function = (self._slot(expr.base),), kernel
        elif isinstance(expr, sp.Pow):
            args = (self._slot(expr.base), self._slot(expr.exp))
            function = lambda b, e: np.power(np.asarray(b, dtype=np.float64), e)  # noqa: E731
        elif type(expr) in _UNARY:
            args, function = (self._slot(expr.args[0]),), _UNARY[type(expr)]
        elif type(expr) in _NARY:
            args, function = tuple(self._slot(arg) for arg in expr.args), _NARY[type(expr)]
        else:
            raise FormulaError(f"The formula needs {type(expr).__name__}, which Actiscope "
                               "cannot evaluate.")
        slot = self._new_slot(expr)
        self._steps.append((function, args, slot))
        return slot

    def run(self, x: np.ndarray, params: Mapping[str, float]) -> list[np.ndarray]:
        """Every output at x (float64 array) as a new float64 array of x's shape."""
        values: dict[int, Value] = dict(self._constants)
        for slot, name in self._inputs.items():
            values[slot] = x if name == "x" else float(params[name])
        with np.errstate(all="ignore"):
            for (function, args, out), free in zip(self._steps, self._free_after, strict=True):
                values[out] = function(*(values[slot] for slot in args))
                for slot in free:
                    del values[slot]
            results: list[np.ndarray] = []
            for slot in self._outputs:
                value = values[slot]
                # Never hand out x itself or one array twice: callers may write into results.
                if (value is x or not isinstance(value, np.ndarray) or value.shape != x.shape
                        or any(value is known for known in results)):
                    value = np.array(np.broadcast_to(value, x.shape), dtype=np.float64)
                results.append(value.astype(np.float64, copy=False))
        return results
