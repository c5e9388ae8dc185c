"""History: exact recent record, decimated old record, copies, tables, bounded memory."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.history import History

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeStats:
    """Stand-in with StepStats' attribute names (History uses duck typing)."""

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


def fake(step: int, n_weight: int = 3, n_hidden: int = 2) -> FakeStats:
    """Stats whose every value encodes the step, so order and decimation are checkable."""
    w = step + np.arange(n_weight) / 10
    h = step + np.arange(n_hidden) / 100
    return FakeStats(step, float(step), step + 0.25, step + 0.5, w, -w, h, -h, 2 * h, 3 * w)


def test_short_history_keeps_every_step_in_order() -> None:
    history = History(3, 2)
    for step in range(1, 51):
        history.append(fake(step))
    assert len(history) == 50
    np.testing.assert_array_equal(history.steps(), np.arange(1, 51))
    np.testing.assert_array_equal(history.series("loss"), np.arange(1, 51))
    np.testing.assert_array_equal(history.series("test_accuracy"), np.arange(1, 51) + 0.5)
    grads = history.series("grad_norms")
    assert grads.shape == (50, 3)
    np.testing.assert_allclose(grads[7], 8 + np.array([0, 0.1, 0.2]))
    np.testing.assert_allclose(history.series("dead_fraction_dataset")[9], -(10 + np.array(
        [0, 0.01])))
    np.testing.assert_allclose(history.series("update_ratio")[0], 3 * (1 + np.array([0, .1, .2])))


def test_old_steps_are_decimated_recent_steps_complete() -> None:
    history = History(3, 2, recent=10, older=8)
    for step in range(1, 1001):
        history.append(fake(step))
    steps = history.steps()
    assert len(history) == len(steps) <= 18
    np.testing.assert_array_equal(steps[-10:], np.arange(991, 1001))
    assert np.all(np.diff(steps) > 0)
    older = steps[:-10]
    gaps = np.diff(older)
    assert np.all(gaps == gaps[0]) and gaps[0] == history.stride >= 64
    assert older[0] == 1
    # Values stay attached to their steps after compaction.
    np.testing.assert_array_equal(history.series("loss"), steps)
    np.testing.assert_allclose(history.series("signal_norms")[:, 1], -(steps + 0.1))


def test_series_are_copies() -> None:
    history = History(3, 2)
    for step in range(1, 4):
        history.append(fake(step))
    history.series("grad_norms")[:] = 0
    history.steps()[:] = 0
    assert history.series("grad_norms")[0, 0] == 1
    assert history.steps()[0] == 1


def test_table_headers_expand_layers() -> None:
    history = History(3, 2)
    for step in range(1, 6):
        history.append(fake(step))
    header, rows = history.table(["loss", "grad_norms", "dead_fraction_dataset"])
    assert header == ["step", "loss", "grad_norm_L1", "grad_norm_L2", "grad_norm_L3",
                      "dead_dataset_L1", "dead_dataset_L2"]
    assert rows.shape == (5, 7)
    np.testing.assert_allclose(rows[2], [3, 3, 3, 3.1, 3.2, -3, -3.01])
    full_header, full = history.table()
    assert len(full_header) == 1 + 3 + 3 * 3 + 3 * 2 and full.shape == (5, len(full_header))


def test_integer_and_bool_inputs_are_stored_as_floats() -> None:
    history = History(2, 1)
    stats = fake(1, 2, 1)
    stats.dead_fraction = np.array([True])
    history.append(stats)
    assert history.series("dead_fraction")[0, 0] == 1.0


def test_wrong_layer_count_names_the_field() -> None:
    history = History(3, 2)
    with pytest.raises(ValueError, match="grad_norms"):
        history.append(fake(1, n_weight=4))


def test_unknown_series_lists_fields() -> None:
    with pytest.raises(ValueError, match="dead_fraction_dataset"):
        History(3, 2).series("accuracy")


def test_non_finite_values_are_kept_as_is() -> None:
    history = History(3, 2)
    stats = fake(1)
    stats.loss = float("nan")
    stats.grad_norms = np.array([np.inf, 1.0, 0.0])
    history.append(stats)
    assert np.isnan(history.series("loss")[0])
    assert np.isinf(history.series("grad_norms")[0, 0])


def test_clear_and_last() -> None:
    history = History(3, 2)
    assert history.last("loss") is None
    for step in range(1, 4):
        history.append(fake(step))
    assert history.last("loss") == 3.0
    np.testing.assert_allclose(history.last("grad_norms"), [3, 3.1, 3.2])
    history.clear()
    assert len(history) == 0 and history.steps().shape == (0,)


def test_very_deep_history_shrinks_to_its_memory_budget() -> None:
    history = History(201, 200, max_bytes=160 * 2**20)
    assert history.nbytes() <= 160 * 2**20
    assert history.recent > 1000


@pytest.mark.slow
def test_million_steps_depth_50_stay_under_200_mb() -> None:
    """Fresh process so peak RSS growth is this History's alone."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_history_memory.py")],
                            capture_output=True, text=True, timeout=110, check=True)
    print(result.stdout)
    match = re.search(r"RESULT nbytes_mb=([\d.]+) rss_growth_mb=([\d.]+) records=(\d+)",
                      result.stdout)
    assert match, result.stdout
    nbytes_mb, rss_mb, records = float(match[1]), float(match[2]), int(match[3])
    assert nbytes_mb < 200
    assert rss_mb < 200
    assert 20_000 <= records <= 40_000


def test_rows_since_equals_the_tail_of_series_through_ring_and_thinning():
    from types import SimpleNamespace

    history = History(3, 2, recent=7, older=4)
    for t in range(1, 60):
        history.append(SimpleNamespace(
            step=t, loss=float(t), train_accuracy=0.5, test_accuracy=0.25,
            grad_norms=np.full(3, t), signal_norms=np.arange(3.0) + t, dead_fraction=np.zeros(2),
            dead_fraction_dataset=np.ones(2), saturated_fraction=np.zeros(2),
            update_ratio=np.full(3, -t)))
        steps = history.steps()
        for since in {0, *steps.tolist(), t + 1, t - 3}:
            after = steps > since
            for name in ("loss", "grad_norms", "signal_norms", "update_ratio"):
                got_steps, got = history.rows_since(int(since), name)
                np.testing.assert_array_equal(got_steps, steps[after])
                np.testing.assert_array_equal(got, history.series(name)[after])
    with pytest.raises(ValueError, match="Unknown history field"):
        history.rows_since(0, "nope")
