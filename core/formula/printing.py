"""Formulas as text in the formula grammar itself (so f' can be pasted back) and as Qt HTML."""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.str import StrPrinter

from core.formula.grammar import number_text
from core.formula.symbolic import Log1p, Maximum, Minimum, RealAbs, RealSign, Sigmoid, Softplus

_FUNCTION_NAMES = {RealAbs: "abs", RealSign: "sign", Sigmoid: "sigmoid", Softplus: "softplus",
                   Log1p: "log1p", Maximum: "maximum", Minimum: "minimum"}


class _GrammarPrinter(StrPrinter):
    """sympy's str() with where(...) for Piecewise, short floats and our function names."""

    def _print_Float(self, expr: sp.Float) -> str:
        return number_text(float(expr))

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "exp(1)"

    def _print_Pi(self, expr: sp.Expr) -> str:
        return "pi"

    def _print_Function(self, expr: sp.Function) -> str:
        name = _FUNCTION_NAMES.get(type(expr), expr.func.__name__)
        return f"{name}({self.stringify(expr.args, ', ')})"

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        pairs = list(expr.args)
        if pairs[-1].cond == sp.true:
            text = self._print(pairs.pop().expr)
        else:
            text = "0/0"  # no branch applies: undefined (does not occur for where/max/min)
        for pair in reversed(pairs):
            text = self._where(pair.cond, self._print(pair.expr), text)
        return text

    def _where(self, cond: sp.Basic, a: str, b: str) -> str:
        """where(cond, a, b) with cond spelled as single comparisons (nested where)."""
        if cond == sp.true:
            return a
        if cond == sp.false:
            return b
        if isinstance(cond, sp.Not):
            return self._where(cond.args[0], b, a)
        if isinstance(cond, sp.Eq):
            lhs, rhs = cond.args
            return self._where(sp.And(lhs >= rhs, lhs <= rhs, evaluate=False), a, b)
        if isinstance(cond, sp.Ne):
            return self._where(sp.Eq(*cond.args, evaluate=False), b, a)
        if isinstance(cond, (sp.And, sp.Or)) and len(cond.args) > 1:
            first, rest = cond.args[0], cond.func(*cond.args[1:], evaluate=False)
            if isinstance(cond, sp.And):
                return self._where(first, self._where(rest, a, b), b)
            return self._where(first, a, self._where(rest, a, b))
        if isinstance(cond, (sp.And, sp.Or)):
            return self._where(cond.args[0], a, b)
        if isinstance(cond, sp.ITE):
            c, when_true, when_false = cond.args
            return self._where(c, self._where(when_true, a, b), self._where(when_false, a, b))
        return f"where({self._print(cond)}, {a}, {b})"


def formula_text(expr: sp.Expr) -> str:
    """expr in the formula grammar, e.g. 'sigmoid(x) + x*sigmoid(x)*sigmoid(-x)'."""
    return _GrammarPrinter().doprint(expr)


_TOKEN = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|\*\*|<=|>=|\s+|.")
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "mu",
          "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "pi"}
_SYMBOLS = {"*": "&middot;", "-": "&minus;", "<": "&lt;", ">": "&gt;", "<=": "&le;",
            ">=": "&ge;", "&": "&amp;"}


def _atom_end(tokens: list[str], start: int) -> int:
    """Index just past the operand starting at tokens[start] (number, name, call or (...))."""
    i = start
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i < len(tokens) and tokens[i] in "-+":
        i += 1
    if i < len(tokens) and tokens[i] != "(":
        i += 1
    if i < len(tokens) and tokens[i] == "(":
        depth = 0
        while i < len(tokens):
            depth += (tokens[i] == "(") - (tokens[i] == ")")
            i += 1
            if depth == 0:
                break
    return i


def _html_tokens(tokens: list[str]) -> str:
    parts: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "**":
            while parts and parts[-1].isspace():  # "x ** 2" -> x<sup>2</sup>, no gap
                parts.pop()
            end = _atom_end(tokens, i + 1)
            exponent = [t for t in tokens[i + 1:end] if not t.isspace()]
            if len(exponent) > 2 and exponent[0] == "(" and exponent[-1] == ")":
                exponent = exponent[1:-1]
            parts.append(f"<sup>{_html_tokens(exponent)}</sup>")
            i = end
            continue
        if re.fullmatch(r"[A-Za-z_]\w*", token):
            is_call = i + 1 < len(tokens) and tokens[i + 1] == "("
            shown = f"&{token};" if token in _GREEK else token
            parts.append(shown if is_call else f"<i>{shown}</i>")
        else:
            parts.append(_SYMBOLS.get(token, token))
        i += 1
    return "".join(parts)


def formula_html(text: str) -> str:
    """Grammar text as simple HTML for Qt labels: italic variables, <sup> powers, real minus."""
    return _html_tokens(_TOKEN.findall(text))
