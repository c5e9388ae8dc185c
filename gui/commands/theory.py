"""`main.py theory`: the mean-field prediction per layer as CSV, or the critical sigma_w2 (no Qt).

    python main.py theory --activation tanh --sigma-w2 2 --sigma-b2 0.05 --depth 30 --out t.csv
    python main.py theory --activation tanh --critical --sigma-b2 0.05        # prints 1.76...

Everything is validated before any output exists; the CSV is written atomically.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from core.activations import get_activation
from core.theory import critical_sigma_w2, propagate
from core.theory.checks import check_depth, check_variance
from gui.export.atomic import check_export_path
from gui.export.table import write_csv

HEADERS = ["layer", "q", "chi", "grad_ratio"]
MAX_DEPTH = 100_000


def add_theory_parser(sub: argparse._SubParsersAction) -> None:
    """Register the `theory` sub-command and its options on `sub`."""
    cmd = sub.add_parser("theory", help="mean-field prediction per layer (CSV) or the critical "
                                        "sigma_w2")
    cmd.add_argument("--activation", required=True, help="activation name, e.g. tanh")
    cmd.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="activation parameter, e.g. alpha=0.1 (repeatable)")
    cmd.add_argument("--sigma-w2", type=float, help="weight variance x fan_in (He = 2)")
    cmd.add_argument("--sigma-b2", type=float, help="bias variance")
    cmd.add_argument("--depth", type=int, help="number of layers")
    cmd.add_argument("--q0", type=float, default=1.0,
                     help="pre-activation variance of the first layer (default 1)")
    cmd.add_argument("--out", help="output CSV: layer,q,chi,grad_ratio")
    cmd.add_argument("--critical", action="store_true",
                     help="print the sigma_w2 where chi at the fixed point reached from --q0 "
                          "crosses 1 (needs --sigma-b2)")


def parse_params(assignments: list[str]) -> dict[str, float]:
    """['alpha=0.1'] -> {'alpha': 0.1}; ValueError on a malformed item."""
    params: dict[str, float] = {}
    for text in assignments:
        key, sep, value_text = text.partition("=")
        if not (sep and key.strip()):
            raise ValueError(f"--param '{text}' is not of the form NAME=VALUE (e.g. alpha=0.1).")
        try:
            params[key.strip()] = float(value_text)
        except ValueError:
            raise ValueError(f"--param '{text}': '{value_text}' is not a number.") from None
    return params


def _require(value: object, option: str) -> object:
    if value is None:
        raise ValueError(f"{option} is required (or use --critical --sigma-b2 Y).")
    return value


def run_theory(args: argparse.Namespace) -> int:
    """Validate everything, then print the critical sigma_w2 or write the per-layer CSV."""
    act = get_activation(args.activation, **parse_params(args.param))
    q0 = check_variance("--q0", args.q0)
    if args.critical:
        if args.sigma_b2 is None:
            raise ValueError("--critical needs --sigma-b2 Y.")
        sigma_b2 = check_variance("--sigma-b2", args.sigma_b2)
        value = critical_sigma_w2(act, sigma_b2, q0)
        if math.isnan(value):
            raise ValueError(f"{act.name} never turns chaotic for sigma_w2 up to 1e5 at "
                             f"sigma_b2 = {sigma_b2:g}.")
        print(f"{value:.12g}")
        return 0
    sigma_w2 = check_variance("--sigma-w2", _require(args.sigma_w2, "--sigma-w2"))
    sigma_b2 = check_variance("--sigma-b2", _require(args.sigma_b2, "--sigma-b2"))
    depth = check_depth(_require(args.depth, "--depth"), MAX_DEPTH)
    out: Path = check_export_path(_require(args.out, "--out"), (".csv",))
    pred = propagate(act, sigma_w2, sigma_b2, depth, q0)
    columns = np.column_stack([pred.layer, pred.q, pred.chi, pred.grad_ratio])
    write_csv(out, HEADERS, columns)
    print(f"wrote {out}")
    return 0
