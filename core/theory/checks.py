"""Input checks shared by the theory modules: one ValueError subclass, one sentence each."""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np


class TheoryError(ValueError):
    """Bad input to a mean-field computation (negative variance, bad depth, no f/df)."""


class ActivationLike(Protocol):
    """Anything with element-wise f(x) and f'(x) on float64 arrays (core Activation, formulas)."""

    def f(self, x: np.ndarray) -> np.ndarray: ...

    def df(self, x: np.ndarray) -> np.ndarray: ...


def check_activation(act: Any) -> Any:
    """Return `act` if it has callable f and df, else raise TheoryError."""
    if not (callable(getattr(act, "f", None)) and callable(getattr(act, "df", None))):
        raise TheoryError(f"{act!r} is not an activation: it needs element-wise f(x) and df(x).")
    return act


def check_variance(name: str, value: Any, *, positive: bool = False) -> float:
    """`value` as a finite float >= 0 (> 0 if positive), else TheoryError naming `name`."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TheoryError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        bound = "> 0" if positive else ">= 0"
        raise TheoryError(f"{name} must be a finite number {bound}, got {value!r}.")
    return number


def check_values(name: str, values: Any, *, positive: bool = False) -> np.ndarray:
    """A non-empty 1-D float64 array of finite values >= 0 (> 0 if positive)."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError):
        raise TheoryError(f"{name} must be numbers.") from None
    if arr.ndim != 1 or arr.size == 0:
        raise TheoryError(f"{name} must be a non-empty 1-D list of numbers.")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or (positive and np.any(arr == 0)):
        bound = "> 0" if positive else ">= 0"
        raise TheoryError(f"{name} must all be finite numbers {bound}.")
    return arr


def check_depth(depth: Any, limit: int = 100_000) -> int:
    """An integer depth in [1, limit]."""
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
        raise TheoryError(f"depth must be a whole number, got {depth!r}.")
    if not 1 <= int(depth) <= limit:
        raise TheoryError(f"depth must be between 1 and {limit}, got {depth}.")
    return int(depth)
