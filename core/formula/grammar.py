"""What a formula may contain, its size limits and its one error type (no sympy here)."""

from __future__ import annotations

import keyword

FORMULA_PREFIX = "formula:"  # an activation name starting with this is a formula
MAX_TEXT_LENGTH = 2000      # characters of the whole text, checked before anything else
MAX_NESTING = 50            # calls and operators inside one another (a + b + c is one level)
MAX_NODES = 300             # syntax-tree nodes of the expression
MAX_POWER = 1000            # product of constant exponents applied to any subexpression
MAX_MAGNITUDE = 1e300       # largest |number| a literal or a folded constant may have
MAX_PARAMS = 8

# name -> number of arguments. sign is not in the list: it is what abs differentiates
# to, and accepting it keeps every printed derivative a valid formula.
FUNCTION_ARITY: dict[str, int] = {
    "exp": 1, "log": 1, "log1p": 1, "sqrt": 1, "abs": 1, "sign": 1, "tanh": 1, "sigmoid": 1,
    "softplus": 1, "erf": 1, "sin": 1, "cos": 1, "minimum": 2, "maximum": 2, "where": 3,
}
FUNCTIONS_TEXT = ", ".join(FUNCTION_ARITY)
GRAMMAR_TEXT = ("numbers, x, declared parameters, pi, + - * / ** and the functions "
                + FUNCTIONS_TEXT)
RESERVED_NAMES = frozenset({"x", "pi", *FUNCTION_ARITY, *keyword.kwlist, *keyword.softkwlist})


class FormulaError(ValueError):
    """A formula that cannot be used as an activation; the message is one sentence.

    The registry (core.activations) re-raises it as its ActivationError, keeping the message.
    """


def shorten(text: str, limit: int = 40) -> str:
    """text cut to `limit` characters with an ellipsis, for quoting user input in messages."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number_text(value: float) -> str:
    """Shortest text that reads back as the same float, without a trailing '.0' (1, 0.1, 1e-05)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text
