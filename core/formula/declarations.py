"""Parameter declarations after the expression: `EXPR; a=1 in [0.1, 5]; b=0.5`.

Each declaration is NAME=DEFAULT, optionally followed by `in [LOW, HIGH]` (the inclusive valid
range, used by sliders and validation). Without a range it is [-10, 10], stretched to include
the default. Declarations are read with a regular expression, never with Python's parser.
"""

from __future__ import annotations

import math
import re

from core.activation_catalog import ParamSpec
from core.formula.grammar import (
    MAX_MAGNITUDE,
    MAX_PARAMS,
    RESERVED_NAMES,
    FormulaError,
    number_text,
    shorten,
)

DEFAULT_RANGE = (-10.0, 10.0)
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_DECLARATION = re.compile(
    rf"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*({_NUMBER})"
    rf"(?:\s+in\s*\[\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\])?\s*"
)
_MAX_NAME = 24


def _number(text: str, declaration: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise FormulaError(f"The number {shorten(text)} in {shorten(declaration.strip())!r} is "
                           f"not finite or larger than {MAX_MAGNITUDE:g}.")
    return value


def parse_declaration(text: str) -> tuple[ParamSpec, str]:
    """One 'a=1 in [0.1, 5]' -> its ParamSpec and normalised text; FormulaError if malformed."""
    match = _DECLARATION.fullmatch(text)
    if match is None:
        raise FormulaError(f"The parameter declaration {shorten(text.strip())!r} is not of "
                           "the form 'a=1' or 'a=1 in [0.1, 5]'.")
    name, default_text, low_text, high_text = match.groups()
    if len(name) > _MAX_NAME:
        raise FormulaError(f"The parameter name {shorten(name)!r} is longer than {_MAX_NAME} "
                           "characters.")
    if name in RESERVED_NAMES:
        raise FormulaError(f"{name!r} cannot be a parameter name: x, pi, the function names "
                           "and Python keywords are taken.")
    default = _number(default_text, text)
    normal = f"{name}={number_text(default)}"
    if low_text is None:
        low, high = min(DEFAULT_RANGE[0], default), max(DEFAULT_RANGE[1], default)
    else:
        low, high = _number(low_text, text), _number(high_text, text)
        if not low < high:
            raise FormulaError(f"The range of parameter {name!r} must have its low end below "
                               f"its high end, got [{low:g}, {high:g}].")
        if not low <= default <= high:
            raise FormulaError(f"The default {default:g} of parameter {name!r} is outside "
                               f"its range [{low:g}, {high:g}].")
        normal += f" in [{number_text(low)}, {number_text(high)}]"
    return ParamSpec(name, default, low, high, f"formula parameter ({normal})"), normal


def split_formula(text: str) -> tuple[str, tuple[ParamSpec, ...], tuple[str, ...]]:
    """'EXPR; a=1; b=2 in [0, 5]' -> (EXPR, param specs, normalised declarations)."""
    expression, *declarations = text.split(";")
    specs: list[ParamSpec] = []
    normals: list[str] = []
    for declaration in declarations:
        if not declaration.strip():
            continue  # a trailing ';' is harmless
        spec, normal = parse_declaration(declaration)
        if any(spec.name == known.name for known in specs):
            raise FormulaError(f"Parameter {spec.name!r} is declared twice.")
        specs.append(spec)
        normals.append(normal)
        if len(specs) > MAX_PARAMS:
            raise FormulaError(f"A formula may declare at most {MAX_PARAMS} parameters.")
    return expression, tuple(specs), tuple(normals)
