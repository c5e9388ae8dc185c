"""Parameters grouped by module: which module a parameter belongs to, the order the gradient
views draw them in, and where an activation site's signal goes among them (pure, no Qt).

A parameter name is what `named_parameters()` gives (`0.weight`, `encoder.layers.1.self_attn.
in_proj_weight`); its module is the name before the last dot (`0`, `encoder.layers.1.self_attn`),
"" for a parameter of the model itself. Built-in runs name their weight layers L1..Ln: they
are "numbered" and keep the layer-index axis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["ParamGroups", "group_params", "module_of", "param_kind", "site_positions",
           "spans_at_depth"]

WEIGHT, BIAS, OTHER = "weight", "bias", "other"
ROOT = ""          # the module of a parameter registered on the model itself


def module_of(name: str) -> str:
    """The module that owns parameter `name`: the part before its last dot ("" if none)."""
    return name.rpartition(".")[0]


def param_kind(name: str) -> str:
    """"bias" if the parameter's own name mentions bias (bias, in_proj_bias, bias_ih_l0),
    "weight" if it mentions weight, else "other" (cls_token, pos_embed)."""
    leaf = name.rpartition(".")[2].lower()
    if "bias" in leaf:
        return BIAS
    if "weight" in leaf:
        return WEIGHT
    return OTHER


def _numbered(names: list[str]) -> bool:
    """True for the built-in trainer's weight layers L1, L2, … Ln in that order."""
    return bool(names) and all(name == f"L{i}" for i, name in enumerate(names, start=1))


@dataclass(frozen=True)
class ParamGroups:
    """Parameters in drawing order, grouped by module.

    order: (n,) int64, order[k] = index (in the run's parameter columns) of the k-th parameter
    drawn; names, modules, kinds: per drawn parameter; groups: (module, start, stop) spans of
    drawn positions [start, stop), one per module, in drawing order; numbered: built-in L1..Ln.
    """

    order: np.ndarray
    names: tuple[str, ...]
    modules: tuple[str, ...]
    kinds: tuple[str, ...]
    groups: tuple[tuple[str, int, int], ...]
    numbered: bool

    def __len__(self) -> int:
        """Number of parameters."""
        return len(self.names)

    @property
    def max_depth(self) -> int:
        """Dotted segments of the deepest module name (0 when every parameter is the model's)."""
        return max((len(m.split(".")) for m, _, _ in self.groups if m), default=0)


def group_params(names: list[str] | tuple[str, ...]) -> ParamGroups:
    """Order `names` so each module's parameters are adjacent: modules in order of their first
    parameter, parameters of a module in their own order (named_parameters() order is kept
    whenever it already groups them, as it does for most models)."""
    names = [str(n) for n in names]
    modules = [module_of(n) for n in names]
    first: dict[str, int] = {}
    for i, module in enumerate(modules):
        first.setdefault(module, i)
    order = np.array(sorted(range(len(names)), key=lambda i: (first[modules[i]], i)),
                     dtype=np.int64)
    drawn_modules = tuple(modules[i] for i in order)
    groups = []
    for k, module in enumerate(drawn_modules):
        if groups and groups[-1][0] == module:
            groups[-1][2] = k + 1
        else:
            groups.append([module, k, k + 1])
    return ParamGroups(order=order, names=tuple(names[i] for i in order), modules=drawn_modules,
                       kinds=tuple(param_kind(names[i]) for i in order),
                       groups=tuple((m, a, b) for m, a, b in groups), numbered=_numbered(names))


def spans_at_depth(groups: ParamGroups, depth: int) -> list[tuple[str, int, int]]:
    """Adjacent module groups merged where their first `depth` name segments agree:
    (prefix, start, stop) spans (depth 1 of `enc.layers.0.attn` is `enc`, depth 3 `enc.layers.0`).
    A depth at or beyond max_depth gives the module groups themselves."""
    spans: list[list] = []
    for module, start, stop in groups.groups:
        prefix = ".".join(module.split(".")[:depth]) if module else ROOT
        if spans and spans[-1][0] == prefix:
            spans[-1][2] = stop
        else:
            spans.append([prefix, start, stop])
    return [(p, a, b) for p, a, b in spans]


_INT = re.compile(r"\d+")


def _order(site: list[str], module: list[str]) -> int:
    """-1 if `module` comes before the site in a forward pass, +1 if after, 0 when the names do
    not say: only sibling indices of a Sequential/ModuleList (`body.0` < `body.1`) tell."""
    common = 0
    while common < min(len(site), len(module)) and site[common] == module[common]:
        common += 1
    if common == len(site) or common == len(module):
        return 0
    a, b = site[common], module[common]
    if _INT.fullmatch(a) and _INT.fullmatch(b):
        return -1 if int(b) < int(a) else 1
    return 0


def site_positions(site_names: list[str] | tuple[str, ...], groups: ParamGroups) -> np.ndarray:
    """(n_sites,) int64: drawn position of the first parameter the output of each activation
    site feeds, or -1 when the names do not tell.

    Numbered (built-in) runs: site Li feeds weight layer L(i+1). Otherwise a site goes to the
    module group right after the last group that the names place before it, when the names
    also place that group after it (`body.1` between `body.0` and `body.2`); a site after every
    parameter, or among modules whose order the names do not give, is -1.
    """
    out = np.full(len(site_names), -1, dtype=np.int64)
    if groups.numbered:
        for i, name in enumerate(site_names):
            if name in groups.names:
                k = groups.names.index(name) + 1
                out[i] = k if k < len(groups) else -1
        return out
    paths = [m.split(".") if m else [] for m, _, _ in groups.groups]
    for i, name in enumerate(site_names):
        site = str(name).split(".")
        relations = [_order(site, path) for path in paths]
        before = [g for g, r in enumerate(relations) if r < 0]
        nxt = before[-1] + 1 if before else None
        if nxt is not None and nxt < len(paths) and relations[nxt] > 0:
            out[i] = groups.groups[nxt][1]
    return out
