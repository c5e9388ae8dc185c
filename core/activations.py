"""Activation functions and their derivatives, vectorised, with PyTorch's definitions.

    act = get_activation("leaky_relu", alpha=0.1)
    y, dy = act.f_df(x)          # x: any shape, float32 stays float32

Kernels live in core.activation_kernels, descriptions in core.activation_catalog.
A name "formula:<text>" is a user formula (core.formula, loaded with sympy on first use).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.activation_catalog import ALIASES, CATALOG, ActivationInfo, ParamSpec
from core.activation_kernels import KERNELS, Kernel

# Light: grammar holds constants only; the formula machinery (sympy) loads on first use.
from core.formula.grammar import FORMULA_PREFIX, FormulaError

__all__ = [
    "FORMULA_PREFIX",
    "Activation",
    "ActivationError",
    "ActivationInfo",
    "ParamSpec",
    "activation_info",
    "available_activations",
    "get_activation",
    "is_formula_name",
    "split_activation_list",
]


class ActivationError(ValueError):
    """An unknown activation name, an unknown parameter or a parameter out of range."""


def _as_float_array(x: Any) -> np.ndarray:
    """x as a floating ndarray (integers and bools become float64)."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def _same_dtype(result: np.ndarray, like: np.ndarray) -> np.ndarray:
    return np.asarray(result).astype(like.dtype, copy=False)


class Activation:
    """An activation with its parameters bound: f, f' and both at once, element-wise."""

    def __init__(self, name: str, params: dict[str, float], info: ActivationInfo | None = None,
                 kernel: Kernel | None = None) -> None:
        self.name: str = name
        self.params: dict[str, float] = dict(params)
        # info/kernel are given for formulas ("formula:..."), looked up for built-ins.
        self.info: ActivationInfo = info if info is not None else CATALOG[name]
        self._kernel: Kernel = kernel if kernel is not None else KERNELS[name]

    def f(self, x: np.ndarray) -> np.ndarray:
        """f(x) element-wise; same shape and floating dtype as x (integers become float64)."""
        arr = _as_float_array(x)
        return _same_dtype(self._kernel.f(arr, self.params), arr)

    def df(self, x: np.ndarray) -> np.ndarray:
        """f'(x) element-wise (PyTorch's value at kinks); same shape and dtype as x."""
        arr = _as_float_array(x)
        return _same_dtype(self._kernel.derivative(arr, self.params), arr)

    def f_df(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(f(x), f'(x)) sharing intermediate results; each of x's shape and dtype."""
        arr = _as_float_array(x)
        f, df = self._kernel.f_df(arr, self.params)
        return _same_dtype(f, arr), _same_dtype(df, arr)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return self.name == other.name and self.params == other.params

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params.items()))))

    def __repr__(self) -> str:
        args = "".join(f", {key}={value!r}" for key, value in self.params.items())
        return f"get_activation({self.name!r}{args})"


def available_activations() -> list[str]:
    """The 16 canonical activation names, in display order."""
    return list(CATALOG)


def _resolve(name: str) -> tuple[str, dict[str, float]]:
    """Canonical name and alias-fixed params for a user-given name (case and '-' tolerant)."""
    if not isinstance(name, str):
        raise ActivationError(f"Activation name must be a string, got {name!r}.")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in CATALOG:
        return key, {}
    if key in ALIASES:
        canonical, fixed = ALIASES[key]
        return canonical, dict(fixed)
    choices = ", ".join([*CATALOG, *ALIASES])
    raise ActivationError(f"Unknown activation {name!r}; choose one of: {choices}.")


def is_formula_name(name: object) -> bool:
    """True for "formula:<text>" (prefix case-insensitive): a user formula, not a built-in."""
    return (isinstance(name, str)
            and name.lstrip()[: len(FORMULA_PREFIX)].lower() == FORMULA_PREFIX)


def _formula(name: str, params: dict[str, Any]) -> tuple[ActivationInfo, Kernel, dict]:
    """Info, kernel and bound parameters of "formula:<text>"; ActivationError if not valid."""
    from core.formula.activation import formula_parts  # loads sympy, so only when used

    try:
        return formula_parts(name, params)
    except FormulaError as exc:  # already one sentence
        raise ActivationError(str(exc)) from None


def activation_info(name: str) -> ActivationInfo:
    """The description of an activation by canonical name, alias ("silu") or "formula:<text>"."""
    if is_formula_name(name):
        return _formula(name, {})[0]
    return CATALOG[_resolve(name)[0]]


def _check_param(activation: str, spec: ParamSpec, value: Any) -> float:
    valid = f"a number in [{spec.low:g}, {spec.high:g}]"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ActivationError(
            f"{activation} parameter {spec.name!r} must be {valid}, got {value!r}."
        )
    number = float(value)
    if not math.isfinite(number) or not spec.low <= number <= spec.high:
        raise ActivationError(
            f"{activation} parameter {spec.name!r} must be {valid}, got {number:g}."
        )
    return number


def get_activation(name: str, **params: float) -> Activation:
    """An Activation with defaults filled in; raises ActivationError on a bad name or param.

    "formula:<text>" is the user's formula (docs/formula-activations.md); its parameters are the
    ones it declares.
    """
    if is_formula_name(name):
        info, kernel, values = _formula(name, params)
        return Activation(info.name, values, info, kernel)
    canonical, fixed = _resolve(name)
    specs = {spec.name: spec for spec in CATALOG[canonical].params}
    settable = {} if fixed else specs
    for key in params:
        if key not in settable:
            if settable:
                valid = ", ".join(settable)
                raise ActivationError(
                    f"{name} has no parameter {key!r}; its parameters are: {valid}."
                )
            raise ActivationError(f"{name} takes no parameters, got {key!r}.")
    values = {key: spec.default for key, spec in specs.items()}
    values.update(fixed)
    for key, value in params.items():
        values[key] = _check_param(name, specs[key], value)
    return Activation(canonical, values)


def split_activation_list(text: str) -> list[str]:
    """Split at commas outside () and [], so 'relu,formula:where(x > 0, x, 0)' is two items."""
    parts: list[str] = []
    depth = start = 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
