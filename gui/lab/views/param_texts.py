"""Hover texts of per-parameter points: the parameter's full name, shape, kind, value and step."""

from __future__ import annotations

import html

import numpy as np

from core.runs import ParamGroups, Topology
from gui.export.table import NAME_HEADER
from gui.lab.views.safe_values import describe_value


def shape_text(shape: tuple[int, ...]) -> str:
    """(256, 128) as '256×128', () as 'scalar'."""
    return "×".join(str(int(s)) for s in shape) if len(shape) else "scalar"


def param_name(groups: ParamGroups, k: int) -> str:
    """Display name of drawn parameter k ('L3 (weight layer 3)' for built-in runs)."""
    name = groups.names[k]
    return f"{name} (weight layer {k + 1})" if groups.numbered else name


def value_text(value: float) -> str:
    """A measured norm as the hover label says it (an exact 0 is 'no gradient')."""
    if value == 0:
        return "0 (no gradient)"
    return describe_value(value, False, not np.isfinite(value))


def param_text(topology: Topology, groups: ParamGroups, k: int, quantity: str, value: float,
               step: int) -> str:
    """Html hover text of drawn parameter k: name, shape · kind, `quantity` = value · step."""
    shape = topology.params[int(groups.order[k])].shape
    kind = "" if groups.numbered else f" · {groups.kinds[k]}"
    return (f"<b>{html.escape(param_name(groups, k))}</b><br>shape {shape_text(shape)}{kind}"
            f"<br>{quantity} = {value_text(float(value))} · step {step}")


def signal_text(topology: Topology, groups: ParamGroups, source: int, target: int,
                value: float, step: int) -> str:
    """Html hover text of a signal point: from the input (`source` -1) or out of site `source`,
    into drawn parameter `target`."""
    if source < 0:
        origin = "signal from the input"
    else:
        site = topology.sites[source]
        origin = (f"signal out of {html.escape(site.name)} "
                  f"({html.escape(site.activation)}, {site.width} units)")
    return (f"<b>{origin}</b><br>into {html.escape(param_name(groups, int(target)))}"
            f"<br>‖∂L/∂a‖ = {value_text(float(value))} · step {step}")


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
