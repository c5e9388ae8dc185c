"""Feed History 1,000,000 steps of depth-50 statistics (no training); print memory and speed.

Run: .venv/bin/python bench/bench_history_memory.py [--steps N] [--depth D]
The last line is machine-readable (tests/core/test_history.py parses it).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.history import History  # noqa: E402


@dataclass
class FakeStepStats:
    """The StepStats fields History reads, with fixed per-layer arrays."""

    step: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    grad_norms: np.ndarray
    signal_norms: np.ndarray
    dead_fraction: np.ndarray
    dead_fraction_dataset: np.ndarray
    saturated_fraction: np.ndarray
    update_ratio: np.ndarray


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB.

    Linux's VmHWM starts afresh at exec; ru_maxrss would also count the RSS of the parent that
    forked us (e.g. pytest's), which can hide this process's own growth entirely.
    """
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status
                        if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def main() -> None:
    """Append the steps, read every series back once, print the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--depth", type=int, default=50, help="hidden layers")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    weights = rng.random(args.depth + 1)
    hidden = rng.random(args.depth)
    baseline = peak_rss_mb()
    history = History(n_weight_layers=args.depth + 1, n_hidden=args.depth)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        history.append(FakeStepStats(step, 1.0 / step, 0.5, 0.5, weights, weights, hidden,
                                     hidden, hidden, weights))
    elapsed = time.perf_counter() - start
    for name in History.FIELDS:
        history.series(name)
    growth = peak_rss_mb() - baseline
    steps = history.steps()
    print(f"{args.steps:,} appends (depth {args.depth}) in {elapsed:.1f} s "
          f"({args.steps / elapsed:,.0f} steps/s)")
    print(f"records held: {len(history):,} (last {history.recent:,} complete, older every "
          f"{history.stride}th); first step {steps[0]}, last {steps[-1]}")
    print(f"buffers: {history.nbytes() / 2**20:.1f} MB; peak RSS growth: {growth:.1f} MB "
          f"(baseline {baseline:.1f} MB)")
    print(f"RESULT nbytes_mb={history.nbytes() / 2**20:.2f} rss_growth_mb={growth:.2f} "
          f"records={len(history)}")


if __name__ == "__main__":
    main()
