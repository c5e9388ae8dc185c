"""A probe-style run file with real module names (a small transformer), written without torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from actiscope_probe.runformat import (
    WINDOW_SINCE_START,
    Manifest,
    ParamLayer,
    RunWriter,
    Site,
    Topology,
)

D = 16   # model width


def transformer_params(n_layers: int = 2) -> list[ParamLayer]:
    """named_parameters() of embed -> n_layers x (attention, ff = Sequential(Linear, GELU,
    Linear), norm) -> head, as an nn.Module of that shape names them."""
    params = [ParamLayer("embed.weight", (D, 8)), ParamLayer("embed.bias", (D,))]
    for i in range(n_layers):
        block = f"encoder.layers.{i}"
        params += [ParamLayer(f"{block}.self_attn.in_proj_weight", (3 * D, D)),
                   ParamLayer(f"{block}.self_attn.in_proj_bias", (3 * D,)),
                   ParamLayer(f"{block}.self_attn.out_proj.weight", (D, D)),
                   ParamLayer(f"{block}.self_attn.out_proj.bias", (D,)),
                   ParamLayer(f"{block}.ff.0.weight", (4 * D, D)),
                   ParamLayer(f"{block}.ff.0.bias", (4 * D,)),
                   ParamLayer(f"{block}.ff.2.weight", (D, 4 * D)),
                   ParamLayer(f"{block}.ff.2.bias", (D,)),
                   ParamLayer(f"{block}.norm.weight", (D,)),
                   ParamLayer(f"{block}.norm.bias", (D,))]
    return [*params, ParamLayer("head.weight", (2, D)), ParamLayer("head.bias", (2,))]


def transformer_sites(n_layers: int = 2) -> list[Site]:
    """One GELU site per block, inside its feed-forward Sequential."""
    return [Site(f"encoder.layers.{i}.ff.1", "module", 4 * D, "gelu") for i in range(n_layers)]


def grad_norms(params: list[ParamLayer], step: int) -> np.ndarray:
    """Deterministic norms: weights ~1e-2 growing towards the output, biases 10x smaller."""
    depth = np.linspace(0.0, 1.0, len(params))
    base = 1e-2 * 10.0 ** depth * (1.0 + 0.05 * step)
    return np.array([b * (0.1 if "bias" in p.name else 1.0) for b, p in zip(base, params,
                                                                             strict=True)])


def write_param_run(path: Path, n_steps: int = 4, n_layers: int = 2) -> Path:
    """A closed run folder with `n_steps` records of ‖grad‖, update ratio and site signals."""
    params, sites = transformer_params(n_layers), transformer_sites(n_layers)
    topology = Topology(sites=tuple(sites), params=tuple(params))
    writer = RunWriter(path, Manifest(topology, window=WINDOW_SINCE_START), rank=0,
                       flush_seconds=3600, always_flush=10**9)
    for step in range(1, n_steps + 1):
        norms = grad_norms(params, step)
        writer.append(step=step, rank=0, wall_time=1.8e9 + step, loss=1.0 / step,
                      grad_norm=norms, weight_norm=np.ones(len(params)),
                      update_ratio=norms * 0.1, signal_norm=np.full(len(sites), 3e-2 * step),
                      dead_batch=np.zeros(len(sites)), diverged=False, skipped=False,
                      message="", scalars={})
    writer.close()
    return path
