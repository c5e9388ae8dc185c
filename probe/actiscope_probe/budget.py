"""The adaptive sampler: how often to record so that the probe stays inside its overhead budget.

What a step costs is measured from wall time, not only from the probe's own timers: the timers
miss autograd's tensor-hook bookkeeping and the allocator and cache effects of temporaries
(together 2-4 times the timed cost on a 10x256 MLP).
Steps are of three kinds: recorded, plain steps that update the dead-since-window masks
("window"), and idle plain steps. A recorded step's extra cost is the median wall time of recent
recorded steps minus that of recent window steps, plus the median excess of the plain step right
after a record (it closes the record and hands it over; the writer thread's own work, a batch
every 0.25 s, lands on any step, mostly hides in the medians and is not seen); a window
step's is the median window step minus the median idle step (never less than the timed cost
either way; for a record, the timers' own difference is a floor too: window steps slowed down by
something else had made records look free). The training time per step is the median idle step
(else the median window step minus its cost). Step times older than STALE steps are not used: at
stride 2 every plain step follows a record, so no plain step time came to replace an old one, and
a sampler that had once reached stride 2 stayed there (bench_probe, 1 run in 6).

What no wall time can show is the cost of the hooks merely being there on an idle step (module
calls take their slow path, each hook returns early): about 1-2 % of a 6 ms step of a 10x256 MLP.
So the sampler plans for 40 % of the budget and leaves the rest to that (bench_probe on that MLP:
planning for 1.5 % gave 2.2-4.0 % in 3 runs, planning for 1.2 % gave 0.7-3.3 % in 5 runs).
A step that took over GAP times its expected time also held other work of the loop (evaluation,
a checkpoint, another model's steps) and is not used: a loop whose gaps fell on the recorded
steps had made every record look seconds long and stopped the recording (stride 1000).

The dead-since-window masks are updated on every step (dead since the window start is then exact)
unless they alone would take more than half the planned budget (a tiny model, or activation maps
that are large next to the step's compute); then every `window_stride` steps, and dead since the
window start means dead on every sampled batch.
"""

from __future__ import annotations

import math
import statistics
from collections import deque

MAX_STRIDE = 1000
_EMA = 0.2
_RECENT = 9   # steps of each kind whose median wall time is used
PLANNED = 0.4  # share of the budget the strides are planned for
GAP = 2.0      # a step this many times its expected time also held other work: not measured
STALE = 100    # plain step times not refreshed for this many steps are no longer used


class Budget:
    """Chooses the sampling strides so the probe's measured cost stays within `fraction`."""

    def __init__(self, fraction: float) -> None:
        """`fraction`: allowed probe time per unit of training time (0.03 = 3 %)."""
        if not 0 < fraction < 1:
            raise ValueError(f"The overhead budget must lie in (0, 1), not {fraction}.")
        self.fraction = fraction
        # plan for PLANNED of the budget: the idle steps' hook calls cannot be measured
        self._plan = PLANNED * fraction
        self.train: float | None = None     # seconds per step without the probe
        self.recorded: float | None = None  # probe seconds on a recorded step (timers)
        self.base: float | None = None      # probe seconds on a plain step that updates the window
        self.extra: float | None = None     # a recorded step's cost beyond a window step's
        self.window_cost = 0.0              # a window step's cost beyond an idle step's
        self.stride = 1         # record every `stride` steps
        self.window_stride = 1  # update the dead-since-window masks every `window_stride` steps
        self._seen = 0
        self._walls: dict[str, deque[tuple[int, float]]] = {  # (step count, wall time)
            kind: deque(maxlen=_RECENT) for kind in ("recorded", "window", "idle")}
        self._after = False  # the last step was recorded
        self._after_excess: deque[float] = deque(maxlen=_RECENT)  # on the step after a record

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
        kind = "recorded" if recorded else "window" if window else "idle"
        after, self._after = self._after, recorded
        if self.train is not None and wall > GAP * (self.train + cost):
            pass  # the loop did something else too (evaluation, a checkpoint): not a step time
        elif after and not recorded:  # it closes the record and hands it over
            usual = self._median(kind)
            if usual is not None:
                self._after_excess.append(wall - usual)
        else:
            self._walls[kind].append((self._seen, wall))
        if self.recorded is None:
            return
        walls = {k: self._median(k) for k in self._walls}
        # until a plain step was seen, assume it costs a fifth of a recorded one (window masks)
        timed_base = self.base if self.base is not None else 0.2 * self.recorded
        base = timed_base
        if walls["window"] is not None and walls["idle"] is not None:
            base = max(base, walls["window"] - walls["idle"])
        # medians, not means, and no gap steps: a step's wall time also holds whatever the loop
        # did in between (evaluation, checkpoints, another model's steps)
        if walls["idle"] is not None:
            self.train = walls["idle"]
        elif walls["window"] is not None:
            self.train = max(walls["window"] - base, 1e-9)
        else:
            self.train = max(walls["recorded"] - self.recorded, 1e-9)
        # what a recorded step is compared with: a window step (records update the masks too)
        plain = walls["window"] if walls["window"] is not None else \
            None if walls["idle"] is None else walls["idle"] + base
        # the timers' own difference is a floor (window steps slowed down by something else
        # had made records look free, and stride 2 then kept them from being measured again)
        timed = max(self.recorded - timed_base, 0.0)
        measured = walls["recorded"] - plain if plain is not None else 0.0
        if self._after_excess:
            measured += max(statistics.median(self._after_excess), 0.0)
        self.extra = max(timed, measured)
        self.window_cost = base
        budget = self._plan * self.train
        # the window masks may take half the budget (records need room too), else are sampled
        self.window_stride = max(1, min(MAX_STRIDE, math.ceil(base / (0.5 * budget))))
        room = budget - base / self.window_stride
        # at least every other step plain: without plain steps a record's cost cannot be measured
        self.stride = MAX_STRIDE if room <= 0 else \
            max(2, min(MAX_STRIDE, math.ceil(self.extra / room)))

    def _median(self, kind: str) -> float | None:
        """Median recent wall time of a kind of step, of the times not older than STALE steps
        (window steps: STALE plus three window strides); None if there are none. At stride 2
        every plain step follows a record, so plain step times of a kind may stop coming."""
        horizon = math.inf if kind == "recorded" else \
            STALE + 3 * self.window_stride if kind == "window" else STALE
        recent = [wall for seen, wall in self._walls[kind] if self._seen - seen <= horizon]
        return statistics.median(recent) if recent else None

    @property
    def overhead(self) -> float | None:
        """The expected probe overhead at the current strides (fraction of training time)."""
        if self.train is None or self.extra is None:
            return None
        plain = self.window_cost / self.window_stride
        return (plain + self.extra / self.stride) / self.train


def _ema(old: float | None, new: float) -> float:
    return new if old is None else (1 - _EMA) * old + _EMA * new
