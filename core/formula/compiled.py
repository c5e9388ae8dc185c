"""compile_formula: text -> checked, differentiated, numerically stable f and f' (cached)."""

from __future__ import annotations

import ast
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from core.activation_catalog import ParamSpec
from core.formula.declarations import split_formula
from core.formula.grammar import FormulaError, shorten
from core.formula.numeric import Program
from core.formula.printing import formula_html, formula_text
from core.formula.symbolic import (
    RealAbs,
    RealSign,
    build,
    check_real,
    differentiate,
    param_symbols,
    rewrite_stable,
)
from core.formula.syntax import check_expression, check_text, parse_expression

# Distinct subexpressions of f and f' together; bounds evaluation cost per call.
MAX_PROGRAM_STEPS = 5000
_CACHE_SIZE = 256


@dataclass(frozen=True)
class CompiledFormula:
    """A checked formula: f and f' as sympy and as shared numpy programs, plus their texts.

    text: normalised "EXPR; a=1 in [0, 5]" (reads back to itself); expression: EXPR only;
    stable_text: f as evaluated after the stability rewrites (rewritten: whether any
    applied); derivative_text: f' in the same
    grammar (valid as a formula itself).
    """

    text: str
    expression: str
    params: tuple[ParamSpec, ...]
    f_expr: sp.Expr = field(repr=False)
    df_expr: sp.Expr = field(repr=False)
    stable_text: str
    rewritten: bool
    derivative_text: str
    formula_html: str
    derivative_html: str
    _f_program: Program = field(repr=False, compare=False)
    _f_df_program: Program = field(repr=False, compare=False)

    @property
    def param_names(self) -> tuple[str, ...]:
        """Declared parameter names, in declaration order."""
        return tuple(spec.name for spec in self.params)

    def defaults(self) -> dict[str, float]:
        """{name: default} for every declared parameter."""
        return {spec.name: spec.default for spec in self.params}

    def f(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """f(x) in float64, x's shape (x: float64 array; params: every declared name)."""
        return self._f_program.run(x, params)[0]

    def df(self, x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """f'(x) in float64, x's shape."""
        return self._f_df_program.run(x, params)[1]

    def f_df(self, x: np.ndarray, params: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(f(x), f'(x)) sharing common subexpressions; float64, x's shape."""
        f, df = self._f_df_program.run(x, params)
        return f, df


def _to_real_functions(expr: sp.Expr) -> sp.Expr:
    """sympy's own Abs/sign (from sqrt(u**2) etc.) as the real-valued versions we differentiate."""
    return expr.replace(sp.Abs, RealAbs).replace(sp.sign, RealSign)


def _symbolic(checked: tuple, names: list[str]) -> tuple[sp.Expr, sp.Expr, bool]:
    """(f, f', rewritten) with f and f' in stable form; FormulaError if not real."""
    raw = _to_real_functions(build(checked, param_symbols(names)))
    f = rewrite_stable(raw)
    check_real(f, "formula")
    df = differentiate(f)
    check_real(df, "derivative")
    return f, df, f != raw


@functools.lru_cache(maxsize=_CACHE_SIZE)
def compile_formula(text: str) -> CompiledFormula:
    """Check, differentiate and compile a formula 'EXPR; a=1 in [0, 5]' (no 'formula:' prefix).

    Raises FormulaError (a ValueError) with one sentence for anything not in the grammar; the
    work is bounded by the limits in core.formula.grammar before sympy sees anything.
    """
    clean = check_text(text)
    expression_text, params, declarations = split_formula(clean)
    tree = parse_expression(expression_text)
    names = [spec.name for spec in params]
    checked, used = check_expression(tree, names, expression_text)
    unused = [name for name in names if name not in used]
    if unused:
        raise FormulaError(f"Parameter {unused[0]!r} is declared but not used in the formula.")
    expression = ast.unparse(tree)
    normal = "; ".join([expression, *declarations])
    try:
        f, df, rewritten = _symbolic(checked, names)
        f_program = Program([f], names)
        f_df_program = Program([f, df], names)
    except FormulaError:
        raise
    except (RecursionError, MemoryError):
        raise FormulaError(f"The formula {shorten(expression)!r} is too complex to "
                           "differentiate.") from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, NotImplementedError):
        raise FormulaError(f"The formula {shorten(expression)!r} could not be "
                           "differentiated.") from None
    if len(f_df_program) > MAX_PROGRAM_STEPS:
        raise FormulaError(f"The formula and its derivative need {len(f_df_program)} steps; at "
                           f"most {MAX_PROGRAM_STEPS} are allowed.")
    derivative = formula_text(df)
    return CompiledFormula(
        text=normal, expression=expression, params=params, f_expr=f, df_expr=df,
        stable_text=formula_text(f), rewritten=rewritten, derivative_text=derivative,
        formula_html=formula_html(expression), derivative_html=formula_html(derivative),
        _f_program=f_program, _f_df_program=f_df_program,
    )
