"""The adaptive sampler: how often to record so that the probe stays inside its overhead budget.

What a recorded step costs is measured from wall time, not only from the probe's own timers: the
timers miss autograd's tensor-hook bookkeeping, the allocator and cache effects of temporaries and
the writer thread's share of the interpreter (together 2-4 times the timed cost on a 10x256 MLP).
So the extra cost of a recorded step is the median wall time of recent recorded steps minus that
of recent plain steps (never less than the timed cost), and the training time per step is the
median plain step minus the probe's timed cost on it.

The dead-since-window masks are updated on every step (dead since the window start is then exact)
unless they alone would take more than half the budget (a tiny model, or activation maps that
are large next to the step's compute); then every `window_stride` steps, so that they take half
of it, and dead since the window start means dead on every sampled batch.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

MAX_STRIDE = 1000
_EMA = 0.2
_RECENT = 9   # steps of each kind whose median wall time is used


class Budget:
    """Chooses the sampling strides so the probe's measured cost stays within `fraction`."""

    def __init__(self, fraction: float) -> None:
        """`fraction`: allowed probe time per unit of training time (0.03 = 3 %)."""
        if not 0 < fraction < 1:
            raise ValueError(f"The overhead budget must lie in (0, 1), not {fraction}.")
        self.fraction = fraction
        # plan for 70 % of the budget: the plain steps' hook calls are not timed at all
        self._plan = 0.7 * fraction
        self.train: float | None = None     # seconds per step without the probe
        self.recorded: float | None = None  # probe seconds on a recorded step (timers)
        self.base: float | None = None      # probe seconds on a plain step that updates the window
        self.extra: float | None = None     # a recorded step's cost beyond a plain step's
        self.stride = 1         # record every `stride` steps
        self.window_stride = 1  # update the dead-since-window masks every `window_stride` steps
        self._seen = 0
        self._walls: dict[bool, deque[float]] = {True: deque(maxlen=_RECENT),
                                                 False: deque(maxlen=_RECENT)}

    def observe(self, wall: float, cost: float, recorded: bool, window: bool = True) -> None:
        """Fold in one step's wall time and the probe's timed cost, then update both strides.

        `recorded`: the step was recorded; `window`: it updated the dead-since-window masks.
        """
        self._seen += 1
        if self._seen == 1:
            return  # the first step also pays for building the run folder and the model warm-up
        if recorded:
            self.recorded = _ema(self.recorded, cost)
        elif window:
            self.base = _ema(self.base, cost)
        self._walls[recorded].append(wall)
        if self.recorded is None:
            return
        # until a plain step was seen, assume it costs a fifth of a recorded one (window masks)
        base = self.base if self.base is not None else 0.2 * self.recorded
        # medians, not means: a step's wall time also holds whatever the loop did in between
        # (evaluation, checkpoints, another model's steps)
        plain = self._walls[False]
        if plain:  # plain steps update the window masks on every window_stride-th step
            self.train = max(statistics.median(plain) - base / self.window_stride, 1e-9)
        else:
            self.train = max(statistics.median(self._walls[True]) - self.recorded, 1e-9)
        timed = max(self.recorded - base, 0.0)
        measured = statistics.median(self._walls[True]) - statistics.median(plain) \
            if plain and self._walls[True] else 0.0
        self.extra = max(timed, measured)
        budget = self._plan * self.train
        # the window masks may take half the budget (records need room too), else are sampled
        self.window_stride = max(1, min(MAX_STRIDE, math.ceil(base / (0.5 * budget))))
        room = budget - base / self.window_stride
        # at least every other step plain: without plain steps a record's cost cannot be measured
        self.stride = MAX_STRIDE if room <= 0 else \
            max(2, min(MAX_STRIDE, math.ceil(self.extra / room)))

    @property
    def overhead(self) -> float | None:
        """The expected probe overhead at the current strides (fraction of training time)."""
        if self.train is None or self.extra is None:
            return None
        plain = (self.base or 0.0) / self.window_stride
        return (plain + self.extra / self.stride) / self.train


def _ema(old: float | None, new: float) -> float:
    return new if old is None else (1 - _EMA) * old + _EMA * new
