"""The adaptive sampler's arithmetic on synthetic step times (no torch needed)."""

from __future__ import annotations

import math

import pytest
from actiscope_probe.budget import PLANNED, Budget


def _feed(budget: Budget, steps: list[tuple]) -> None:
    for wall, cost, recorded, *window in steps:
        budget.observe(wall, cost, recorded, *window)


def test_recorded_cost_comes_from_wall_time_when_the_timers_miss_most_of_it() -> None:
    # training 10 ms; a plain step's window masks 0.05 ms (timed); a recorded step really costs
    # 3 ms more than a plain one, of which the timers see only 1 ms
    budget = Budget(0.03)
    _feed(budget, [(0.01305, 0.00105, True)] * 21 + [(0.01005, 0.00005, False)] * 9
          + [(0.01305, 0.00105, True)] * 9)
    assert budget.train == pytest.approx(0.010, rel=1e-6)
    assert budget.extra == pytest.approx(0.003, rel=1e-6)   # not the timed 0.001
    room = PLANNED * 0.03 * 0.010 - 0.00005
    assert budget.stride == math.ceil(0.003 / room)          # 30; the timers alone would give 10
    assert budget.window_stride == 1                         # exact dead-since-window masks
    assert budget.overhead <= PLANNED * 0.03 + 1e-12


def test_timed_cost_is_a_floor_and_window_masks_thin_out_beyond_half_the_budget() -> None:
    budget = Budget(0.03)
    # wall times say a record costs nothing (noise); the timers say 1 ms: the timers win
    _feed(budget, [(0.011, 0.001, True)] * 21 + [(0.011, 0.0, False)] * 9
          + [(0.011, 0.001, True)] * 3)
    assert budget.extra == pytest.approx(0.001, rel=1e-6)
    # a tiny model: the window masks alone (0.1 ms) cost more than the budget of a 1 ms step
    tiny = Budget(0.03)
    _feed(tiny, [(0.0013, 0.0003, True)] * 21 + [(0.0011, 0.0001, False)] * 9)
    assert tiny.train == pytest.approx(0.0011 - 0.0001 / tiny.window_stride, rel=0.2)
    assert tiny.window_stride == math.ceil(0.0001 / (0.5 * PLANNED * 0.03 * tiny.train)) > 1
    assert tiny.stride > 1


def test_window_cost_comes_from_wall_time_against_idle_steps() -> None:
    # training 10 ms; the window masks really cost 0.5 ms (timers: 0.1 ms), a record 2 ms
    budget = Budget(0.03)
    _feed(budget, [(0.012, 0.001, True)] * 21 + [(0.0105, 0.0001, False, True)] * 9
          + [(0.010, 0.0, False, False)] * 9 + [(0.0125, 0.001, True)] * 9)
    assert budget.window_cost == pytest.approx(0.0005, rel=1e-6)  # not the timed 0.0001
    assert budget.train == pytest.approx(0.010, rel=1e-6)
    assert budget.extra == pytest.approx(0.002, rel=1e-6)
    planned = PLANNED * 0.03 * 0.010
    assert budget.window_stride == math.ceil(0.0005 / (0.5 * planned))  # 7, not 2
    assert budget.overhead <= PLANNED * 0.03 + 1e-12


def test_a_slow_outlier_step_does_not_make_every_step_recorded() -> None:
    # every step recorded so far, one 2 s gap (the loop did something else): still a 10 ms step
    budget = Budget(0.03)
    _feed(budget, [(0.011, 0.001, True)] * 10 + [(2.0, 0.001, True)] + [(0.011, 0.001, True)] * 10)
    assert budget.train == pytest.approx(0.010, rel=1e-6)
    assert budget.stride >= 2  # then plain steps come, whose wall time measures a record's cost


def test_budget_fraction_is_checked() -> None:
    with pytest.raises(ValueError, match="budget"):
        Budget(1.5)


def test_gaps_in_the_loop_on_recorded_steps_do_not_stop_the_recording() -> None:
    # 10 ms steps, records cost 1 ms; from step 40 on every recorded step also holds a 2 s gap
    # (the loop's evaluation happens to fall on the sampled steps)
    budget = Budget(0.03)
    _feed(budget, [(0.011, 0.001, True)] * 21 + [(0.010, 0.0, False)] * 19)
    stride = budget.stride
    assert stride < 50
    for _ in range(30):
        _feed(budget, [(2.011, 0.001, True)] + [(0.010, 0.0, False)] * (budget.stride - 1))
    assert budget.stride == stride
    assert budget.train == pytest.approx(0.010, rel=1e-6)
