"""The Explorer's remembered state as JSON; every field is checked, bad ones fall back alone."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from core.activations import ActivationError, activation_info, available_activations
from gui.explorer.range_controls import MIN_SPAN, X_LIMIT
from gui.explorer.sampling import DEFAULT_X_RANGE

DEFAULT_CHECKED = ("sigmoid", "tanh", "relu")
MAX_FORMULAS = 32     # a settings file cannot make the Explorer compile more than this


@dataclass
class ExplorerState:
    """What the Explorer remembers across restarts."""

    checked: list[str] = field(default_factory=lambda: list(DEFAULT_CHECKED))
    params: dict[str, dict[str, float]] = field(default_factory=dict)
    x_range: tuple[float, float] = DEFAULT_X_RANGE
    show_functions: bool = True
    show_derivatives: bool = True
    current: str = "sigmoid"
    side_panel: bool = True
    formulas: list[str] = field(default_factory=list)   # the user's "formula:…" activations

    def to_json(self) -> str:
        """Serialise to a JSON object."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: Any) -> ExplorerState:
        """Parse saved JSON; anything missing, mistyped or out of range gets its default."""
        state = cls()
        try:
            data = json.loads(text) if isinstance(text, str | bytes) else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return state
        state.formulas = _valid_formulas(data.get("formulas"))
        names = available_activations() + state.formulas
        checked = data.get("checked")
        if isinstance(checked, list) and all(isinstance(n, str) for n in checked):
            state.checked = [n for n in checked if n in names]
        state.params = _valid_params(data.get("params"), names)
        x_range = data.get("x_range")
        if (isinstance(x_range, list) and len(x_range) == 2
                and all(_is_number(v) and abs(v) <= X_LIMIT for v in x_range)
                and x_range[1] - x_range[0] >= MIN_SPAN):
            state.x_range = (float(x_range[0]), float(x_range[1]))
        for key in ("show_functions", "show_derivatives", "side_panel"):
            if isinstance(data.get(key), bool):
                setattr(state, key, data[key])
        if data.get("current") in names:
            state.current = data["current"]
        return state


def _is_number(value: Any) -> bool:
    """A finite int or float (JSON booleans are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _valid_formulas(raw: Any) -> list[str]:
    """The saved formulas that still compile, as canonical names (each checked again)."""
    result: list[str] = []
    if not isinstance(raw, list):
        return result
    for text in raw[:MAX_FORMULAS]:
        if not isinstance(text, str) or not text.startswith("formula:"):
            continue
        try:
            name = activation_info(text).name
        except ActivationError:   # edited or hostile text: dropped, never evaluated
            continue
        if name not in result:
            result.append(name)
    return result


def _valid_params(raw: Any, names: list[str]) -> dict[str, dict[str, float]]:
    """Keep only known (activation, parameter) pairs with in-range values."""
    result: dict[str, dict[str, float]] = {}
    if not isinstance(raw, dict):
        return result
    for name, values in raw.items():
        if name not in names or not isinstance(values, dict):
            continue
        for spec in activation_info(name).params:
            value = values.get(spec.name)
            if _is_number(value) and spec.low <= value <= spec.high:
                result.setdefault(name, {})[spec.name] = float(value)
    return result
