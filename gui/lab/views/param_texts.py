"""Hover texts of per-parameter points: the parameter's full name, shape, kind, value and step."""

from __future__ import annotations

import html

import numpy as np

from core.runs import ParamGroups, Run
from gui.export.table import NAME_HEADER
from gui.lab.views.safe_values import describe_value


def shape_text(shape: tuple[int, ...]) -> str:
    """(256, 128) as '256×128', () as 'scalar'."""
    return "×".join(str(int(s)) for s in shape) if len(shape) else "scalar"


def param_names(groups: ParamGroups) -> list[str]:
    """Display names of the drawn parameters ('L3 (weight layer 3)' for built-in runs)."""
    if groups.numbered:
        return [f"{name} (weight layer {k})" for k, name in enumerate(groups.names, start=1)]
    return list(groups.names)


def value_text(value: float) -> str:
    """A measured norm as the hover label says it (an exact 0 is 'no gradient')."""
    if value == 0:
        return "0 (no gradient)"
    return describe_value(value, False, not np.isfinite(value))


def param_texts(run: Run, groups: ParamGroups, quantity: str, values: np.ndarray, step: int
                ) -> list[str]:
    """One html text per drawn parameter: name, shape · kind, `quantity` = value · step."""
    shapes = [run.topology.params[i].shape for i in groups.order]
    names = param_names(groups)
    return [f"<b>{html.escape(name)}</b><br>shape {shape_text(shape)}"
            + ("" if groups.numbered else f" · {kind}")
            + f"<br>{quantity} = {value_text(float(v))} · step {step}"
            for name, shape, kind, v in zip(names, shapes, groups.kinds, values, strict=True)]


def signal_texts(run: Run, groups: ParamGroups, sources: list[int], targets: np.ndarray,
                 values: np.ndarray, step: int) -> list[str]:
    """One html text per drawn signal point. `sources`: -1 for the input, else the site index;
    `targets`: drawn position of the parameter it flows into."""
    names = param_names(groups)
    texts = []
    for source, target, value in zip(sources, targets, values, strict=True):
        if source < 0:
            origin = "signal from the input"
        else:
            site = run.topology.sites[source]
            origin = (f"signal out of {html.escape(site.name)} "
                      f"({html.escape(site.activation)}, {site.width} units)")
        texts.append(f"<b>{origin}</b><br>into {html.escape(names[int(target)])}"
                     f"<br>‖∂L/∂a‖ = {value_text(float(value))} · step {step}")
    return texts


def axis_header(groups: ParamGroups) -> str:
    """CSV header of the x column: the layer number, or the drawn position of a named run."""
    return "layer (1 = input side)" if groups.numbered else "position (x, grouped by module)"


def with_names(names: list[str], headers: list[str], columns: np.ndarray
               ) -> tuple[list[str], np.ndarray]:
    """The table with the parameter names as a first, text column (an object array)."""
    table = np.empty((columns.shape[0], columns.shape[1] + 1), dtype=object)
    table[:, 0] = names if len(names) == len(columns) else [""] * len(columns)
    table[:, 1:] = columns
    return [NAME_HEADER, *headers], table
