"""Opt-in torch.fx pass: functional activations (`F.relu(x)`, `torch.tanh(x)`, `x.relu()`) as sites.

The probe watches activation *modules* with forward hooks. A call such as `F.relu(x)` inside a
forward has no module, so this pass traces the model with `torch.fx.symbolic_trace` and replaces
each such call by a `_FunctionalSite` module that makes the same call; the probe's hooks then see
it like any activation module, named after its fx node (`relu`, `tanh_1`, …).

    traced = actiscope_probe.fx.watch_functional(model)   # a GraphModule; `model` is untouched
    probe = actiscope_probe.attach(traced, optimizer, run=...)   # and train `traced`

or `attach(model, optimizer, run=..., trace_functional=True)`, which routes `model`'s training
forwards through such a GraphModule (an instance `forward` attribute) until `detach()` deletes it.

The GraphModule shares the model's submodules and parameters (nothing is copied). Limits of
symbolic tracing apply: data-dependent control flow cannot be traced (a clear error says so), and
Python values read during tracing (`self.training`, shapes) are frozen into the graph — which is
why `trace_functional=True` uses the traced forward only in training mode.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# the callable, its activation kind, and the parameters peak_derivative reads from the module
_FUNCTIONS: dict[Any, str] = {
    F.relu: "relu", torch.relu: "relu", F.relu_: "relu", torch.relu_: "relu",
    torch.tanh: "tanh", F.tanh: "tanh", torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
    F.gelu: "gelu", F.silu: "silu", F.mish: "mish", F.leaky_relu: "leaky_relu",
    F.elu: "elu", F.selu: "selu", F.softplus: "softplus", F.hardtanh: "hardtanh",
    F.relu6: "hardtanh", F.hardswish: "hardswish",
}
_METHODS = {"relu": "relu", "relu_": "relu", "tanh": "tanh", "tanh_": "tanh",
            "sigmoid": "sigmoid", "sigmoid_": "sigmoid"}
_DEFAULTS = {"hardtanh": {"min_val": -1.0, "max_val": 1.0}, "elu": {"alpha": 1.0},
             "softplus": {"beta": 1.0}}
UNTRACEABLE = ("Actiscope probe: torch.fx could not trace this model's forward ({error}); wrap its "
               "activations in modules (nn.ReLU(), nn.Tanh(), …) and attach without "
               "trace_functional.")


class _FunctionalSite(nn.Module):
    """One functional activation call of a traced forward, as a module the probe can hook."""

    def __init__(self, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], kind: str) -> None:
        """`fn(x, *args, **kwargs)` is the original call (a method name for `x.relu()`)."""
        super().__init__()
        self.fn, self.args, self.kwargs, self.actiscope_kind = fn, args, kwargs, kind
        params = dict(_DEFAULTS.get(kind, {}))
        if fn is F.relu6:
            params = {"min_val": 0.0, "max_val": 6.0}
        elif kind in _DEFAULTS and not isinstance(fn, str):
            try:
                bound = inspect.signature(fn).bind(None, *args, **kwargs).arguments
                params.update({k: bound[k] for k in params if k in bound})
            except (TypeError, ValueError):  # a builtin without a signature: positional order
                params.update(zip(params, args, strict=False))
                params.update({k: kwargs[k] for k in params if k in kwargs})
        for name, value in params.items():
            setattr(self, name, float(value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The original call."""
        if isinstance(self.fn, str):
            return getattr(x, self.fn)(*self.args, **self.kwargs)
        return self.fn(x, *self.args, **self.kwargs)

    def extra_repr(self) -> str:
        """The wrapped call."""
        name = self.fn if isinstance(self.fn, str) else getattr(self.fn, "__name__", self.fn)
        return f"{name}, kind={self.actiscope_kind}"


def _is_node(value: Any) -> bool:
    found = []
    torch.fx.node.map_arg(value, found.append)
    return bool(found)


def watch_functional(model: nn.Module) -> torch.fx.GraphModule:
    """A GraphModule computing `model`'s forward with each functional activation as a module.

    `model` is not modified; the result shares its submodules and parameters. Raises TypeError
    (one sentence) when the forward cannot be symbolically traced.
    """
    try:
        traced = torch.fx.symbolic_trace(model)
    except Exception as error:  # fx raises TraceError, TypeError, NameError… on dynamic code
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise TypeError(UNTRACEABLE.format(error=first[:200])) from error
    graph = traced.graph
    for node in list(graph.nodes):
        if node.op == "call_function":
            kind, fn = _FUNCTIONS.get(node.target), node.target
        elif node.op == "call_method":
            kind, fn = _METHODS.get(node.target), node.target
        else:
            continue
        if kind is None or not node.args or _is_node((node.args[1:], node.kwargs)):
            continue  # not an activation, or its extra arguments are computed in the graph
        name = node.name
        while hasattr(traced, name):
            name += "_"
        traced.add_submodule(name, _FunctionalSite(fn, tuple(node.args[1:]), dict(node.kwargs),
                                                   kind))
        with graph.inserting_after(node):
            site = graph.call_module(name, (node.args[0],))
        node.replace_all_uses_with(site)
        graph.erase_node(node)
    graph.lint()
    traced.recompile()
    return traced


class Routed:
    """`trace_functional=True`: `model.forward` routed through its traced GraphModule in training.

    Installs an instance attribute `forward` on the model (the class's forward stays untouched);
    `remove()` deletes it, leaving `vars(model)` exactly as before.
    """

    def __init__(self, model: nn.Module) -> None:
        """Trace `model` in training mode (restoring every module's mode) and route its forward."""
        if "forward" in vars(model):
            raise TypeError("Actiscope probe: trace_functional needs the model's own forward, "
                            "but an instance attribute 'forward' is already set on it.")
        modes = [(m, m.training) for m in model.modules()]
        model.train()
        try:
            self.traced = watch_functional(model)
        finally:
            for module, mode in modes:
                module.training = mode
        self.model = model
        original = type(model).forward.__get__(model)

        @functools.wraps(original)
        def forward(*args: Any, **kwargs: Any) -> Any:
            return (self.traced if model.training else original)(*args, **kwargs)
        model.forward = forward

    def remove(self) -> None:
        """Give the model back its class's forward."""
        vars(self.model).pop("forward", None)

