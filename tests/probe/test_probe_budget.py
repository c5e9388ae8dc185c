"""The adaptive sampler's arithmetic on synthetic step times (no torch needed)."""

from __future__ import annotations

import math

import pytest
from actiscope_probe.budget import PLANNED, STALE, Budget


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


def _simulate(budget: Budget, first: int, last: int, slow_window: float = 0.0) -> None:
    """Steps first..last as the probe drives the sampler: 7 ms of training; a record costs 1.5 ms
    (timers 1.2 ms), a window step 0.3 ms (timers 0.2 ms), the step after a record 0.6 ms more;
    window steps `slow_window` seconds slower still (something else slowed them down)."""
    after = False
    for step in range(first, last + 1):
        recorded = step <= 20 or (step - 20) % budget.stride == 0
        window = recorded or step % budget.window_stride == 0
        wall, cost = (0.0085, 0.0012) if recorded else (0.0073, 0.0002) if window else (0.007, 0)
        wall += (0.0006 if after and not recorded else 0.0) + (
            slow_window if window and not recorded else 0.0)
        budget.observe(wall, cost, recorded, window)
        after = recorded


def test_slow_window_steps_neither_make_records_free_nor_lock_the_stride_at_two() -> None:
    # window steps 3 ms slower for a while had made a record look free next to them (stride 2),
    # and at stride 2 every plain step follows a record, so no plain step time came to correct it
    budget = Budget(0.03)
    _simulate(budget, 1, 400)
    steady = budget.stride, budget.window_stride
    assert steady[0] > 10
    _simulate(budget, 401, 700, slow_window=0.003)
    assert budget.stride > 10          # the timers' 1 ms is a floor under a record's cost
    _simulate(budget, 701, 2200)
    assert (budget.stride, budget.window_stride) == steady


def test_plain_step_times_not_refreshed_for_long_are_dropped() -> None:
    budget = Budget(0.03)
    _simulate(budget, 1, 400)
    # old plain step times of 100 ms (training looks slow, so records look cheap: stride 2), and
    # at stride 2 no plain step time of either kind comes to replace them
    budget._walls["window"].extend([(budget._seen, 0.1)] * 9)
    budget._walls["idle"].extend([(budget._seen, 0.1)] * 9)
    budget.stride = 2
    _simulate(budget, 401, 400 + 3 * STALE + 3 * budget.window_stride)
    assert budget.train < 0.01
    assert budget.stride > 10
