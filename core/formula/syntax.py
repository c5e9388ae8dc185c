"""Formula text -> a checked expression tree (no sympy, nothing executed).

Text is checked in this order, each step bounded before the next runs: length, characters,
parenthesis depth, then Python's own parser (`ast.parse(mode="eval")`, which only builds a
tree), then a whitelist walk over that tree. Every constant subexpression is also computed as
a float with Python's math module, so `exp(1000)`, `log(0)` or `1/0` is refused before sympy
sees it; exponents are bounded (their product along any nesting at most MAX_POWER), so
`9**9**9` never reaches sympy's exact integers.

The checked tree is made of tuples:
    ("num", int or float literal)   ("pi",)   ("x",)   ("param", name)   ("neg", a)
    ("add" | "sub" | "mul" | "div" | "pow", a, b)   ("call", function, (args...))
    ("where", (op, lhs, rhs), a, b)      op in "<", "<=", ">", ">="
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Collection

from core.formula.grammar import (
    FUNCTION_ARITY,
    FUNCTIONS_TEXT,
    GRAMMAR_TEXT,
    MAX_MAGNITUDE,
    MAX_NESTING,
    MAX_NODES,
    MAX_POWER,
    MAX_TEXT_LENGTH,
    FormulaError,
    shorten,
)

_ALLOWED_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-*/()<>=,;[] "
)
_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_CONSTRUCT_NAMES = {
    ast.Attribute: "attribute access (a.b)", ast.Subscript: "indexing (a[i])",
    ast.Lambda: "lambda", ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.IfExp: "'a if c else b'", ast.BoolOp: "'and'/'or'",
    ast.Tuple: "tuples", ast.List: "lists", ast.Dict: "dictionaries", ast.Set: "sets",
    ast.NamedExpr: "':='", ast.Starred: "starred arguments", ast.Slice: "slices",
    ast.UnaryOp: "'not' and '~'",
}
_OPERATOR_NAMES = {ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<", ast.RShift: ">>",
                   ast.MatMult: "@", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}

Node = tuple


def check_text(text: object) -> str:
    """The formula text with whitespace collapsed; FormulaError on size or characters."""
    if not isinstance(text, str):
        raise FormulaError(f"A formula must be text, got {type(text).__name__}.")
    if len(text) > MAX_TEXT_LENGTH:
        raise FormulaError(f"The formula has {len(text):,} characters; at most "
                           f"{MAX_TEXT_LENGTH:,} are allowed.")
    text = " ".join(text.split())
    for char in text:
        if char not in _ALLOWED_CHARACTERS:
            raise FormulaError(f"The character {char!r} cannot appear in a formula; use "
                               f"{GRAMMAR_TEXT}.")
    depth = deepest = 0
    for char in text:
        depth += (char in "([") - (char in ")]")
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise FormulaError(f"The formula nests parentheses {deepest} deep; at most "
                           f"{MAX_NESTING} levels are allowed.")
    return text


def parse_expression(text: str) -> ast.expr:
    """Python's syntax tree of one expression, size- and depth-checked; FormulaError if not."""
    if not text.strip():
        raise FormulaError("The formula is empty; write an expression in x such as "
                           "x*sigmoid(x).")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        where = f" near column {exc.offset}" if exc.offset else ""
        raise FormulaError(f"The formula {shorten(text)!r} is not a valid expression{where}; "
                           f"use {GRAMMAR_TEXT}.") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(f"The formula {shorten(text)!r} is too deeply nested to read.") \
            from None
    count = 0
    stack = [(tree, 1)]
    while stack:  # iterative: a recursive walk could itself overflow on hostile trees
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(f"The formula has more than {MAX_NODES} terms; write a "
                               "shorter one.")
        if depth > MAX_NESTING:
            raise FormulaError(f"The formula nests operations more than {MAX_NESTING} deep; "
                               "write a flatter one.")
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                stack.append((child, depth + (not _continues_chain(node, child))))
    return tree


def _family(node: ast.AST) -> str | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        return "sum"
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        return "product"
    return None


def _continues_chain(parent: ast.AST, child: ast.AST) -> bool:
    """a + b + c parses as ((a + b) + c): a long sum or product is one level, not many."""
    family = _family(parent)
    return family is not None and isinstance(parent, ast.BinOp) and child is parent.left \
        and _family(child) == family


def _finite(value: float, what: str) -> float:
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise FormulaError(f"The constant {what} is not a finite real number of at most "
                           f"{MAX_MAGNITUDE:g} in size.")
    return float(value)


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _softplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


def _sign(v: float) -> float:
    return float((v > 0) - (v < 0))


# Folding constant calls in plain floats; math raises on overflow or outside the domain.
_FOLD: dict[str, Callable[..., float]] = {
    "exp": math.exp, "log": math.log, "log1p": math.log1p, "sqrt": math.sqrt, "abs": abs,
    "tanh": math.tanh, "sigmoid": _sigmoid, "softplus": _softplus, "erf": math.erf,
    "sin": math.sin, "cos": math.cos, "sign": _sign,
    "minimum": lambda a, b: a if a < b else b, "maximum": lambda a, b: a if a > b else b,
}
_FOLD_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
}
_FOLD_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _fold(function: Callable[..., float], args: list[float], what: str) -> float:
    """function(*args) as a checked finite float; FormulaError quotes `what`."""
    try:
        return _finite(function(*args), what)
    except (OverflowError, ZeroDivisionError, ValueError, TypeError):
        raise FormulaError(f"The constant {what} is not a finite real number of at most "
                           f"{MAX_MAGNITUDE:g} in size.") from None


class _Checker:
    """Walks a parsed expression against the whitelist and builds the checked tree.

    Each step returns (node, value): value is the float of a constant subexpression (None when
    it depends on x or a parameter). Values only validate; the tree keeps constants exact.
    """

    def __init__(self, params: Collection[str], source: str) -> None:
        self.params = set(params)
        self.source = source
        self.used: set[str] = set()

    def quote(self, node: ast.AST) -> str:
        """The node's text as the user typed it, shortened and quoted."""
        return repr(shorten(ast.get_source_segment(self.source, node) or ast.unparse(node)))

    def allowed_names(self) -> str:
        return ", ".join(["x", *sorted(self.params), "pi"])

    def check(self, node: ast.AST, power: float = 1.0) -> tuple[Node, float | None]:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand, value = self.check(node.operand, power)
            if isinstance(node.op, ast.UAdd):
                return operand, value
            return ("neg", operand), (None if value is None else -value)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._binary(node, power)
        if isinstance(node, ast.Call):
            return self._call(node, power)
        if isinstance(node, ast.Compare):
            raise FormulaError("Comparisons are allowed only as the first argument of "
                               "where(condition, if_true, if_false).")
        if isinstance(node, ast.BinOp):
            symbol = _OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)
            raise FormulaError(f"The operator {symbol!r} is not allowed; use {GRAMMAR_TEXT}.")
        construct = _CONSTRUCT_NAMES.get(type(node), type(node).__name__)
        raise FormulaError(f"{construct[0].upper()}{construct[1:]} cannot appear in a "
                           f"formula; use {GRAMMAR_TEXT}.")

    def _number(self, node: ast.Constant) -> tuple[Node, float]:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FormulaError(f"The constant {shorten(repr(value))} cannot appear in a "
                               f"formula; use {GRAMMAR_TEXT}.")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        number = _finite(number, self.quote(node))
        return ("num", value), number

    def _name(self, node: ast.Name) -> tuple[Node, float | None]:
        name = node.id
        if name == "x":
            return ("x",), None
        if name == "pi":
            return ("pi",), math.pi
        if name in self.params:
            self.used.add(name)
            return ("param", name), None
        if name in FUNCTION_ARITY:
            raise FormulaError(f"{name} is a function: call it as {name}(...).")
        raise FormulaError(f"Unknown name {shorten(name)!r} in the formula; the names allowed "
                           f"are {self.allowed_names()} and the functions {FUNCTIONS_TEXT} "
                           "(declare parameters after a ';', e.g. '; a=1').")

    def _binary(self, node: ast.BinOp, power: float) -> tuple[Node, float | None]:
        op = _BINARY[type(node.op)]
        if op == "pow":
            right, right_value = self.check(node.right, power)
            if right_value is not None:
                power *= max(1.0, abs(right_value))
                if power > MAX_POWER:
                    raise FormulaError(f"The powers in {self.quote(node)} multiply "
                                       f"to more than {MAX_POWER}; use smaller exponents.")
            left, left_value = self.check(node.left, power)
        else:
            left, left_value = self.check(node.left, power)
            right, right_value = self.check(node.right, power)
        value = None
        if left_value is not None and right_value is not None:
            value = _fold(_FOLD_BINARY[op], [left_value, right_value], self.quote(node))
        return (op, left, right), value

    def _call(self, node: ast.Call, power: float) -> tuple[Node, float | None]:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTION_ARITY:
            raise FormulaError(f"{self.quote(node.func)} is not a function a formula may call; use "
                               f"{FUNCTIONS_TEXT}.")
        name = node.func.id
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise FormulaError(f"{name} takes plain arguments only (no keywords or *args).")
        arity = FUNCTION_ARITY[name]
        if len(node.args) != arity:
            plural = "s" if arity > 1 else ""
            raise FormulaError(f"{name} takes {arity} argument{plural}, got {len(node.args)}.")
        if name == "where":
            return self._where(node, power)
        checked = [self.check(arg, power) for arg in node.args]
        values = [value for _, value in checked]
        value = None
        if all(v is not None for v in values):
            value = _fold(_FOLD[name], values, self.quote(node))
        return ("call", name, tuple(arg for arg, _ in checked)), value

    def _where(self, node: ast.Call, power: float) -> tuple[Node, float | None]:
        condition = node.args[0]
        if not isinstance(condition, ast.Compare):
            raise FormulaError("The first argument of where must be a comparison such as "
                               "x > 0.")
        if len(condition.ops) != 1 or type(condition.ops[0]) not in _COMPARE:
            raise FormulaError("where takes one comparison with <, <=, > or >= (nest where "
                               "for more conditions).")
        op = _COMPARE[type(condition.ops[0])]
        lhs, lhs_value = self.check(condition.left, power)
        rhs, rhs_value = self.check(condition.comparators[0], power)
        if_true, if_false = (self.check(arg, power) for arg in node.args[1:])
        if lhs_value is not None and rhs_value is not None:
            # A constant condition: only the chosen branch is part of the formula.
            return if_true if _FOLD_COMPARE[op](lhs_value, rhs_value) else if_false
        return ("where", (op, lhs, rhs), if_true[0], if_false[0]), None


def check_expression(tree: ast.expr, params: Collection[str],
                     source: str) -> tuple[Node, set[str]]:
    """The checked tree of `source` parsed as `tree`, and the parameter names it uses."""
    checker = _Checker(params, source)
    try:
        return checker.check(tree)[0], checker.used
    except RecursionError:
        raise FormulaError("The formula is too deeply nested to read.") from None

