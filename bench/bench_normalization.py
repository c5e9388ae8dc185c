"""Cost of normalization layers: Trainer.step with batchnorm / layernorm vs without (goal <= 1.3x).

Depth 20 x width 128, batch 256, ReLU, He init, SGD, spirals (1000 samples): the shape of
bench_trainer's middle row. Each step is Trainer.step as a user runs it (every statistic, and the
dataset refresh every 10 steps). Contenders are timed in interleaved rounds and the best round
counts (machine noise is large); rates are per CPU second of this process. `--threads N`
(default 1) sets the BLAS thread count. `--passes` first prints what one pass over a
(256, 128) array costs per kind of numpy call (why core/normalization.py uses ColumnTiles).
`--trees A B` compares source trees (e.g. a `git worktree` of the commit before): one process
per tree, and each round times every contender in every tree in turn.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

_ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_ARGS.add_argument("--threads", type=int, default=1, help="BLAS threads")
_ARGS.add_argument("--seconds", type=float, default=0.5, help="time per contender per round")
_ARGS.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
_ARGS.add_argument("--passes", action="store_true", help="print per-pass costs first")
_ARGS.add_argument("--trees", nargs="+", help="source trees to compare, round by round")
_ARGS.add_argument("--root", help=argparse.SUPPRESS)  # the tree a --trees child imports
ARGS = _ARGS.parse_args()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)  # must precede the numpy import

import subprocess  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, ARGS.root or str(Path(__file__).resolve().parent.parent))

from core.config import ExperimentConfig  # noqa: E402
from core.normalization import ColumnTiles  # noqa: E402
from core.trainer import Trainer  # noqa: E402

GOAL = 1.3
KINDS = ("none", "batchnorm", "layernorm")


def _rate(step, seconds: float) -> float:
    """Steps per CPU second of `step()` over about `seconds` (after a short warm-up).

    CPU time of this process, not wall time: on a shared, loaded machine the wall clock also
    counts the time other processes held the core (BLAS runs single-threaded here).
    """
    for _ in range(3):
        step()
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while True:
        step()
        n += 1
        if time.perf_counter() - start >= seconds and n >= 5:
            return n / (time.process_time() - cpu)


def _cpu_us(call, number: int = 300, repeat: int = 7) -> float:
    """Best CPU microseconds per call of `call()` over `repeat` runs of `number` calls."""
    best = float("inf")
    for _ in range(repeat):
        cpu = time.process_time()
        for _ in range(number):
            call()
        best = min(best, (time.process_time() - cpu) / number)
    return best * 1e6


def _pass_costs(dtype: type, n: int, width: int) -> dict[str, float]:
    """CPU µs per call of each kind of numpy pass over an (n, width) array of `dtype`."""
    a = np.random.default_rng(0).uniform(0.5, 1.5, (n, width)).astype(dtype)
    b, out = a.copy(), np.empty_like(a)
    ones, vec, rows = np.ones(n, dtype), np.ones(width, dtype), np.ones(n, dtype)
    tiles = ColumnTiles(width, dtype)
    np.copyto(tiles.tile, vec)
    calls = {
        "a += b (same shape)": lambda: np.add(a, b, out=a),
        "out = a * b": lambda: np.multiply(a, b, out=out),
        "a += v (per column)": lambda: np.add(a, vec, out=a),
        "out = a * v": lambda: np.multiply(a, vec, out=out),
        "tile fill": lambda: np.copyto(tiles.tile, vec),
        "a += v tiled": lambda: tiles.apply(np.add, a, a),
        "out = a * v tiled": lambda: tiles.apply(np.multiply, a, out),
        "a *= r[:, None] (per row)": lambda: np.multiply(a, rows[:, None], out=a),
        "ones @ a (column sums)": lambda: np.dot(ones, a, out=vec),
        "a.sum(0)": lambda: a.sum(0, out=vec),
        "a @ ones (row sums)": lambda: np.dot(a, vec, out=rows),
    }
    return {name: _cpu_us(call) for name, call in calls.items()}


def print_pass_costs(n: int = 256, width: int = 128) -> None:
    """CPU µs of one pass over an (n, width) array per kind of numpy call, per dtype."""
    print(f"one pass over ({n}, {width}), CPU µs (best of 7 x 300 calls):")
    for dtype in (np.float32, np.float64):
        costs = _pass_costs(dtype, n, width)
        print(f"  {np.dtype(dtype).name}: "
              + ", ".join(f"{name} {us:.1f}" for name, us in costs.items()), flush=True)


def best_rates(rounds: int) -> dict[str, dict[str, float]]:
    """Best steps per CPU second per dtype and normalization kind over interleaved rounds."""
    result = {}
    for dtype in ("float32", "float64"):
        config = ExperimentConfig(depth=20, width=128, batch_size=256, activation="relu",
                                  init="he_normal", optimizer="sgd", lr=1e-3, dtype=dtype,
                                  dataset="spirals", n_samples=1000, seed=0).validate()
        trainers = {kind: Trainer(config.replace(normalization=kind)) for kind in KINDS}
        best = dict.fromkeys(KINDS, 0.0)
        for _ in range(rounds):
            for kind, trainer in trainers.items():
                best[kind] = max(best[kind], _rate(trainer.step, ARGS.seconds))
        result[dtype] = best
    return result


def print_ratios(label: str, rates: dict[str, dict[str, float]]) -> None:
    """Rates and normalized / plain step ratios per dtype."""
    for dtype, best in rates.items():
        text = ", ".join(f"{kind} {rate:.1f}" for kind, rate in best.items())
        print(f"\n{label}{dtype}: steps per CPU second {text}")
        for kind in KINDS[1:]:
            ratio = best["none"] / best[kind]
            verdict = "met" if ratio <= GOAL else "MISSED"
            print(f"  {kind} step / unnormalized step = {ratio:.2f}x "
                  f"(goal <= {GOAL}x: {verdict})", flush=True)


def serve() -> None:
    """A --trees child: build the trainers, then time `dtype kind` requests read from stdin."""
    trainers = {}
    for dtype in ("float32", "float64"):
        config = ExperimentConfig(depth=20, width=128, batch_size=256, activation="relu",
                                  init="he_normal", optimizer="sgd", lr=1e-3, dtype=dtype,
                                  dataset="spirals", n_samples=1000, seed=0).validate()
        for kind in KINDS:
            trainers[dtype, kind] = Trainer(config.replace(normalization=kind))
    print("ready", flush=True)
    for line in sys.stdin:
        dtype, kind = line.split()
        print(_rate(trainers[dtype, kind].step, ARGS.seconds), flush=True)


def compare_trees(trees: list[str]) -> None:
    """One live subprocess per tree; each round times every (dtype, kind) in every tree in turn.

    Prints per tree the best rates and ratios, and the median over rounds of each round's
    ratio (the plain and the normalized step timed back to back in the same tree).
    """
    children = {}
    for tree in trees:
        children[tree] = subprocess.Popen(
            [sys.executable, __file__, "--root", str(Path(tree).resolve()),
             "--seconds", str(ARGS.seconds), "--threads", str(ARGS.threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        children[tree].stdout.readline()  # "ready"
    rates = {(tree, dtype, kind): [] for tree in trees for dtype in ("float32", "float64")
             for kind in KINDS}
    for _ in range(ARGS.rounds):
        for dtype in ("float32", "float64"):
            for kind in KINDS:
                for tree, child in children.items():
                    child.stdin.write(f"{dtype} {kind}\n")
                    child.stdin.flush()
                    rates[tree, dtype, kind].append(float(child.stdout.readline()))
    for child in children.values():
        child.stdin.close()
        child.wait()
    for tree in trees:
        print_ratios(f"{tree} ", {dtype: {kind: max(rates[tree, dtype, kind]) for kind in KINDS}
                                  for dtype in ("float32", "float64")})
        for dtype in ("float32", "float64"):
            plain = np.array(rates[tree, dtype, "none"])
            medians = ", ".join(
                f"{kind} {np.median(plain / np.array(rates[tree, dtype, kind])):.2f}x"
                for kind in KINDS[1:])
            print(f"  {dtype} median of per-round ratios ({ARGS.rounds} rounds): {medians}")


def main() -> int:
    """Time each normalization per dtype and print the ratios to the unnormalized step."""
    if ARGS.root:  # a --trees child
        serve()
        return 0
    print(f"numpy {np.__version__}, {ARGS.threads} BLAS thread(s); depth 20 x width 128, "
          "batch 256, relu, sgd; Trainer.step with every statistic")
    if ARGS.passes:
        print_pass_costs()
    if ARGS.trees:
        print(f"trees {ARGS.trees}, {ARGS.rounds} interleaved rounds")
        compare_trees(ARGS.trees)
        return 0
    print_ratios("", best_rates(ARGS.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
