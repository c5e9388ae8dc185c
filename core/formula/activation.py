"""What the activation registry needs for a formula: its ActivationInfo, Kernel and parameters.

core.activations builds a plain Activation from these (this package never imports the registry,
so the import graph stays one-way).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.activation_catalog import ActivationInfo
from core.activation_kernels import Kernel
from core.formula.compiled import CompiledFormula, compile_formula
from core.formula.grammar import FORMULA_PREFIX, FormulaError, shorten
from core.formula.properties import GRID_LIMIT, measure

_F = "<i>f</i>(<i>x</i>) = "
_D = "<i>f</i>&prime;(<i>x</i>) = "
_DISPLAY_LENGTH = 48


def formula_text(name: str) -> str:
    """The formula after a case-insensitive 'formula:' prefix (the whole name if none)."""
    stripped = name.lstrip()
    if stripped[: len(FORMULA_PREFIX)].lower() == FORMULA_PREFIX:
        return stripped[len(FORMULA_PREFIX):]
    return name


def compile_name(name: str) -> CompiledFormula:
    """compile_formula of 'formula:<text>' (or of bare text)."""
    if not isinstance(name, str):
        raise FormulaError(f"A formula must be text, got {type(name).__name__}.")
    return compile_formula(formula_text(name))


@functools.lru_cache(maxsize=256)
def formula_info(compiled: CompiledFormula) -> ActivationInfo:
    """The ActivationInfo of a formula, properties measured at its default parameters."""
    measured = measure(compiled, compiled.defaults())
    rewritten = (f" It is evaluated as {shorten(compiled.stable_text, 120)} so that it "
                 "cannot overflow." if compiled.rewritten else "")
    notes = (
        "Your own formula, checked against the formula grammar and differentiated "
        f"symbolically with sympy.{rewritten} The properties above were measured on a grid "
        f"over −{GRID_LIMIT:g} ≤ x ≤ {GRID_LIMIT:g} at the default parameters, not proved. "
        "Where the formula is not a real number (log or sqrt of a negative value) f is NaN."
    )
    return ActivationInfo(
        name=FORMULA_PREFIX + compiled.text,
        display_name=shorten(compiled.expression, _DISPLAY_LENGTH),
        formula=f"f(x) = {compiled.expression}",
        derivative=f"f'(x) = {compiled.derivative_text}",
        formula_html=_F + compiled.formula_html,
        derivative_html=_D + compiled.derivative_html,
        params=compiled.params,
        output_range=measured.output_range,
        max_abs_derivative=measured.max_abs_derivative,
        zero_centred=measured.zero_centred,
        monotonic=measured.monotonic,
        smooth=measured.smooth,
        notes=notes,
    )


def bind_params(compiled: CompiledFormula, params: Mapping[str, Any]) -> dict[str, float]:
    """Defaults overridden by `params`, each checked against its declared range."""
    specs = {spec.name: spec for spec in compiled.params}
    for key in params:
        if key not in specs:
            if specs:
                raise FormulaError(f"The formula has no parameter {shorten(str(key))!r}; its "
                                   f"parameters are: {', '.join(specs)}.")
            raise FormulaError(f"The formula declares no parameters, got {shorten(str(key))!r} "
                               "(declare one after a ';', e.g. '; a=1').")
    values = compiled.defaults()
    for key, value in params.items():
        spec = specs[key]
        valid = f"a number in [{spec.low:g}, {spec.high:g}]"
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)):
            raise FormulaError(f"Formula parameter {key!r} must be {valid}, got "
                               f"{shorten(repr(value))}.")
        number = float(value)
        if not math.isfinite(number) or not spec.low <= number <= spec.high:
            raise FormulaError(f"Formula parameter {key!r} must be {valid}, got {number:g}.")
        values[key] = number
    return values


def _kernel_dtype(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    """result (float64) in x's dtype; a value beyond float32's range becomes inf silently."""
    with np.errstate(over="ignore"):
        return result.astype(like.dtype, copy=False)


@functools.lru_cache(maxsize=256)
def formula_kernel(compiled: CompiledFormula) -> Kernel:
    """The Kernel (f, f_df, df) of a formula: computes in float64, returns x's float dtype."""

    def f(x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        return _kernel_dtype(compiled.f(x.astype(np.float64, copy=False), params), x)

    def df(x: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        return _kernel_dtype(compiled.df(x.astype(np.float64, copy=False), params), x)

    def f_df(x: np.ndarray, params: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        value, slope = compiled.f_df(x.astype(np.float64, copy=False), params)
        return _kernel_dtype(value, x), _kernel_dtype(slope, x)

    return Kernel(f=f, f_df=f_df, df=df)


def formula_parts(name: str, params: Mapping[str, Any]) -> tuple[ActivationInfo, Kernel,
                                                                  dict[str, float]]:
    """What core.activations needs for 'formula:<text>': info, kernel and bound parameters."""
    compiled = compile_name(name)
    values = bind_params(compiled, params)
    return formula_info(compiled), formula_kernel(compiled), values
