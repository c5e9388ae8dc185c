"""The checked tree -> a sympy expression, rewritten into numerically stable forms, and f'.

Sympy only ever sees objects built here from the whitelisted tree (Symbol, Integer, Float,
Add, Mul, Pow, the functions below, Piecewise); no user text reaches sympify or parse_expr.
x and the parameters are real symbols, so sympy itself simplifies log(exp(u)) to u and
sqrt(u**2) to abs(u).

Rewrites (applied bottom-up to f before differentiating, and to f' again); c is a positive
constant, so these are identities wherever the left side is defined:
    log1p(exp(u))                   -> softplus(u)
    log(c + exp(u))                 -> log(c) + softplus(u - log(c))
    (c + exp(u))**-n                -> (sigmoid(log(c) - u) / c)**n
    exp(v) * sigmoid(w), v + w = d  -> exp(d) * sigmoid(-w)   (exp(u)/(1 + exp(u)) = sigmoid(u))
    log(sigmoid(u))                 -> -softplus(-u)
    where(c, 0, b) * rest           -> where(c, 0, b * rest)
Conventions: where(c, a, b)' = where(c, a', b'); maximum(a, b) = where(a > b, a, b) and
minimum(a, b) = where(a < b, a, b), so ties take the second argument (relu'(0) = 0 for
maximum(x, 0)); abs'(u) = sign(u) (0 at 0) and sign' = 0, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.core.logic import fuzzy_and

from core.formula.grammar import FormulaError
from core.formula.syntax import Node

X = sp.Symbol("x", real=True)


class Sigmoid(sp.Function):
    """The logistic function 1 / (1 + exp(-u)); sigmoid' = sigmoid(u) sigmoid(-u) (stable)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d sigmoid(u) / du."""
        u = self.args[0]
        return Sigmoid(u) * Sigmoid(-u)

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None


class Softplus(sp.Function):
    """log(1 + exp(u)), evaluated stably; softplus' = sigmoid."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d softplus(u) / du."""
        return Sigmoid(self.args[0])

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None


class Log1p(sp.Function):
    """log(1 + u) accurate for small u."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d log1p(u) / du."""
        return 1 / (1 + self.args[0])


class RealSign(sp.Function):
    """sign(u) in {-1, 0, 1}; its derivative is taken as 0 everywhere (PyTorch's)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d sign(u) / du, taken as 0."""
        return sp.S.Zero

    def _eval_is_extended_real(self) -> bool | None:
        return True


class RealAbs(sp.Function):
    """|u| for real u with abs' = sign (sympy's Abs differentiates through re/im otherwise)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        """d |u| / du = sign(u)."""
        return RealSign(self.args[0])

    def _eval_is_extended_real(self) -> bool | None:
        return self.args[0].is_extended_real

    def _eval_is_nonnegative(self) -> bool | None:
        return True if self.args[0].is_extended_real else None


class _Extremum(sp.Function):
    """maximum/minimum of two values; ties take the second argument (and its derivative)."""

    nargs = 2

    @staticmethod
    def _first_wins(a: sp.Expr, b: sp.Expr) -> sp.Basic:
        raise NotImplementedError

    def _eval_derivative(self, symbol: sp.Symbol) -> sp.Expr:
        """where(first wins, a', b'): the chosen branch's derivative, never 0 * (the other)."""
        a, b = self.args
        return sp.Piecewise((a.diff(symbol), self._first_wins(a, b)), (b.diff(symbol), True))

    def _eval_is_extended_real(self) -> bool | None:
        return fuzzy_and(arg.is_extended_real for arg in self.args)


class Maximum(_Extremum):
    """where(a > b, a, b)."""

    @staticmethod
    def _first_wins(a: sp.Expr, b: sp.Expr) -> sp.Basic:
        return sp.StrictGreaterThan(a, b)


class Minimum(_Extremum):
    """where(a < b, a, b)."""

    @staticmethod
    def _first_wins(a: sp.Expr, b: sp.Expr) -> sp.Basic:
        return sp.StrictLessThan(a, b)


_FUNCTIONS = {
    "exp": sp.exp, "log": sp.log, "log1p": Log1p, "sqrt": sp.sqrt, "abs": RealAbs,
    "sign": RealSign, "tanh": sp.tanh, "sigmoid": Sigmoid, "softplus": Softplus, "erf": sp.erf,
    "sin": sp.sin, "cos": sp.cos, "maximum": Maximum, "minimum": Minimum,
}
_RELATIONS = {"<": sp.StrictLessThan, "<=": sp.LessThan, ">": sp.StrictGreaterThan,
              ">=": sp.GreaterThan}


def build(node: Node, params: Mapping[str, sp.Symbol]) -> sp.Expr:
    """The sympy expression of a checked tree (see core.formula.syntax for its node kinds)."""
    kind = node[0]
    if kind == "num":
        return sp.Integer(node[1]) if isinstance(node[1], int) else sp.Float(node[1])
    if kind == "pi":
        return sp.pi
    if kind == "x":
        return X
    if kind == "param":
        return params[node[1]]
    if kind == "neg":
        return -build(node[1], params)
    if kind in ("add", "sub", "mul", "div", "pow"):
        a, b = build(node[1], params), build(node[2], params)
        if kind == "add":
            return a + b
        if kind == "sub":
            return a - b
        if kind == "mul":
            return a * b
        return a / b if kind == "div" else a ** b
    if kind == "where":
        op, lhs, rhs = node[1]
        condition = _RELATIONS[op](build(lhs, params), build(rhs, params))
        return sp.Piecewise((build(node[2], params), condition), (build(node[3], params), True))
    return _FUNCTIONS[node[1]](*(build(arg, params) for arg in node[2]))


def _constant_plus_exp(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """(c, u) when expr is c + exp(u) with a positive constant c, else None."""
    if isinstance(expr, sp.Add) and len(expr.args) == 2:
        for c, other in (expr.args, expr.args[::-1]):
            if isinstance(other, sp.exp) and not c.free_symbols and c.is_positive:
                return c, other.args[0]
    return None


def _rewrite_node(expr: sp.Expr) -> sp.Expr:
    """One node's stable form (its arguments are already rewritten)."""
    if isinstance(expr, Log1p) and isinstance(expr.args[0], sp.exp):
        return Softplus(expr.args[0].args[0])
    if isinstance(expr, sp.log):
        arg = expr.args[0]
        if isinstance(arg, Sigmoid):
            return -Softplus(-arg.args[0])
        match = _constant_plus_exp(arg)
        if match is not None:  # log(c + e^u) = log c + softplus(u - log c)
            c, u = match
            return sp.log(c) + Softplus(u - sp.log(c))
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        match = _constant_plus_exp(base)
        if match is not None and exponent.is_Integer and exponent < 0:
            c, u = match  # 1/(c + e^u) = sigmoid(log c - u) / c
            return (Sigmoid(sp.log(c) - u) / c) ** (-exponent)
    if isinstance(expr, sp.Mul):
        merged = _merge_exp_sigmoid(expr)
        return merged if merged != expr else _fold_into_where(expr)
    return expr


def _fold_into_where(expr: sp.Mul) -> sp.Expr:
    """where(c, 0, b) * rest -> where(c, 0, b * rest): the unchosen 0 stays 0 when rest overflows.

    The chain rule through maximum/minimum multiplies a branch's derivative by an exact 0 where
    the other branch is chosen; that term is 0 whatever the derivative is (even inf or NaN).
    """
    for i, factor in enumerate(expr.args):
        if isinstance(factor, sp.Piecewise) and any(pair.expr == 0 for pair in factor.args):
            rest = sp.Mul(*(f for k, f in enumerate(expr.args) if k != i))
            return sp.Piecewise(*((_rewrite_node(pair.expr * rest), pair.cond)
                                  for pair in factor.args))
    return expr


def _merge_exp_sigmoid(expr: sp.Mul) -> sp.Expr:
    """exp(v) * sigmoid(w)**k * rest -> exp(v + w) * sigmoid(-w) * sigmoid(w)**(k-1) * rest.

    Applied only when v + w is a constant, so no factor can overflow: with w = -v this turns
    exp(v) * sigmoid(-v), i.e. exp(v)/(1 + exp(v)), into sigmoid(v).
    """
    factors = list(expr.args)
    for i, factor in enumerate(factors):
        if not isinstance(factor, sp.exp):
            continue
        v = factor.args[0]
        for j, other in enumerate(factors):
            base, power = other.as_base_exp()
            if not (isinstance(base, Sigmoid) and power.is_Integer and power > 0):
                continue
            w = base.args[0]
            if not (v + w).free_symbols:
                rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                return sp.Mul(sp.exp(v + w), Sigmoid(-w), base ** (power - 1), *rest)
    return expr


def rewrite_stable(expr: sp.Expr) -> sp.Expr:
    """expr with the overflow-prone patterns above replaced, bottom-up."""
    memo: dict[sp.Basic, sp.Basic] = {}

    def walk(node: sp.Basic) -> sp.Basic:
        if node in memo:
            return memo[node]
        if not node.args or isinstance(node, sp.Symbol):
            result = node
        else:
            new_args = [walk(arg) for arg in node.args]
            rebuilt = node.func(*new_args) if new_args != list(node.args) else node
            result = _rewrite_node(rebuilt) if isinstance(rebuilt, sp.Expr) else rebuilt
            while result != rebuilt:  # a rewrite may expose another (exp*sigmoid after 1/(1+e))
                rebuilt = result
                result = _rewrite_node(rebuilt) if isinstance(rebuilt, sp.Expr) else rebuilt
        memo[node] = result
        return result

    return walk(expr)


def check_real(expr: sp.Expr, what: str) -> None:
    """FormulaError unless expr is a finite real expression of supported pieces."""
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise FormulaError(f"The {what} is undefined (it divides by zero or is infinite).")
    if expr.has(sp.I) or expr.has(sp.re) or expr.has(sp.im):
        raise FormulaError(f"The {what} is not a real number for any x.")


def differentiate(f: sp.Expr) -> sp.Expr:
    """f' with respect to x, stable forms applied."""
    df = sp.diff(f, X)
    return rewrite_stable(df)


def param_symbols(names: list[str]) -> dict[str, sp.Symbol]:
    """A real sympy Symbol per parameter name."""
    return {name: sp.Symbol(name, real=True) for name in names}
