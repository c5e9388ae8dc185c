"""Your own activation from a formula: `get_activation("formula:x*sigmoid(x)")`.

Text such as `where(x > 0, x, a*(exp(x) - 1)); a=1 in [0.1, 5]` is checked against a small
grammar (syntax, declarations), turned into a sympy expression and differentiated (symbolic),
then evaluated by a numpy program with numerically stable kernels (numeric). See
docs/formula-activations.md for the grammar, the limits and what is guaranteed.

Public API (imported lazily: `core.formula.grammar` is cheap, anything else loads sympy):
    compile_formula(text) -> CompiledFormula     cached; FormulaError on bad text
    formula_parts("formula:<text>", params)      (ActivationInfo, Kernel, bound params)
    FormulaError                                 ValueError subclass, one sentence
    FORMULA_PREFIX                               "formula:"
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FORMULA_PREFIX": "core.formula.grammar",
    "FUNCTION_ARITY": "core.formula.grammar",
    "MAX_NESTING": "core.formula.grammar",
    "MAX_NODES": "core.formula.grammar",
    "MAX_POWER": "core.formula.grammar",
    "MAX_TEXT_LENGTH": "core.formula.grammar",
    "FormulaError": "core.formula.grammar",
    "CompiledFormula": "core.formula.compiled",
    "compile_formula": "core.formula.compiled",
    "bind_params": "core.formula.activation",
    "formula_info": "core.formula.activation",
    "formula_kernel": "core.formula.activation",
    "formula_parts": "core.formula.activation",
    "formula_text": "core.formula.activation",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Load the submodule that defines `name` on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'core.formula' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
