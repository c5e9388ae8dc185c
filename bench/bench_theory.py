"""Mean-field theory speed: the per-layer prediction for depth 200 and the 60 x 60 phase grid.

Goals (issue 12): theory for depth 200 in <= 20 ms; the phase diagram (60 x 60) in <= 300 ms,
computed off the GUI thread. Prints the median time and its ratio to the goal (< 1 is met) per
activation. "cold" includes the one-off scan of the activation for kinks (cached afterwards, as
after the first phase grid of an activation in the app). Timings are noisy on a shared machine.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.activations import get_activation  # noqa: E402
from core.theory import phase_grid, propagate  # noqa: E402
from core.theory.kinks import _cached  # noqa: E402

ACTIVATIONS = ("tanh", "relu", "gelu", "selu", "swish", "softplus", "sigmoid",
               "formula:x*tanh(log(1 + exp(x)))")
DEPTH_GOAL_MS, GRID_GOAL_MS = 20.0, 300.0
SIGMA_W2 = np.linspace(0.25, 6.0, 60)
SIGMA_B2 = np.linspace(0.0, 2.0, 60)


def median_ms(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU time of fn() over `repeats` calls, in milliseconds.

    CPU time shows the real cost when other processes share the cores (wall time then waits).
    """
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * sorted(wall)[len(wall) // 2], 1000 * sorted(cpu)[len(cpu) // 2]


def main() -> int:
    """Print one line per activation: depth-200 and phase-grid times against their goals."""
    worst_depth, worst_grid = 0.0, 0.0
    for name in ACTIVATIONS:
        act = get_activation(name)
        _cached.cache_clear()
        start = time.perf_counter()
        phase_grid(act, SIGMA_W2, SIGMA_B2)
        cold = 1000 * (time.perf_counter() - start)
        grid, grid_cpu = median_ms(lambda act=act: phase_grid(act, SIGMA_W2, SIGMA_B2), 5)
        depth, depth_cpu = median_ms(lambda act=act: propagate(act, 2.0, 0.05, 200, 1.0), 9)
        worst_depth, worst_grid = max(worst_depth, depth), max(worst_grid, grid)
        print(f"{name[:24]:24s} depth 200: {depth:5.1f} ms (ratio {depth / DEPTH_GOAL_MS:.2f}, "
              f"cpu {depth_cpu:.1f})   60x60 grid: {grid:4.0f} ms (ratio "
              f"{grid / GRID_GOAL_MS:.2f}, cpu {grid_cpu:.0f}, cold {cold:.0f})", flush=True)
    print(f"worst: depth 200 {worst_depth:.1f} ms (goal <= {DEPTH_GOAL_MS:g} ms, ratio "
          f"{worst_depth / DEPTH_GOAL_MS:.2f}); phase grid {worst_grid:.0f} ms (goal <= "
          f"{GRID_GOAL_MS:g} ms, ratio {worst_grid / GRID_GOAL_MS:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
