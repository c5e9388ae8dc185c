"""Peak-keeping decimation: spikes survive, buckets hold the true extremes, envelopes of any
prefix equal a direct computation over the same buckets."""

from __future__ import annotations

import numpy as np
import pytest

from core.runs.decimate import BASE, PeakEnvelope, peak_decimate, peak_points


def _bucket_truth(values: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct bucket start in `index`: min and max of the raw values up to the next."""
    starts = np.unique(index)
    ends = np.append(starts[1:], len(values))
    lo = np.array([np.nanmin(values[a:b], axis=0) for a, b in zip(starts, ends, strict=True)])
    hi = np.array([np.nanmax(values[a:b], axis=0) for a, b in zip(starts, ends, strict=True)])
    return lo, hi


def test_single_record_spike_survives_a_million_points() -> None:
    values = np.random.default_rng(0).random(1_000_000) * 0.01
    values[654_321] = 5.0
    values[12_345] = -3.0
    index, drawn = peak_decimate(values, 800)
    assert len(drawn) <= 2 * 800
    assert drawn.max() == 5.0 and drawn.min() == -3.0
    # the spike is drawn in the bucket that holds it
    spike_at = index[np.argmax(drawn)]
    assert spike_at <= 654_321 < index[index > spike_at].min()


def test_short_series_is_drawn_as_is() -> None:
    values = np.arange(10.0)
    index, drawn = peak_decimate(values, 8)
    np.testing.assert_array_equal(index, np.arange(10))
    np.testing.assert_array_equal(drawn, values)


def test_peak_points_interleave_min_then_max() -> None:
    index, values = peak_points(np.array([0, 3, 4]), np.array([3, 1, 2]),
                                np.array([1.0, 7.0, 2.0]), np.array([5.0, 7.0, 9.0]))
    np.testing.assert_array_equal(index, [0, 0, 3, 4, 4])
    np.testing.assert_array_equal(values, [1.0, 5.0, 7.0, 2.0, 9.0])


@pytest.mark.parametrize("stop", [BASE * 40, BASE * 4096 + 17, 199_999, 200_000, 65_536 * 3 + 5])
def test_envelope_of_a_prefix_holds_each_buckets_true_extremes(stop: int) -> None:
    rng = np.random.default_rng(stop)
    values = rng.standard_normal((200_000, 3))
    values[rng.integers(0, len(values), 40), rng.integers(0, 3, 40)] = np.nan
    values[150_001, 1] = 99.0            # one spike
    envelope = PeakEnvelope()
    for a in range(0, len(values), 8192):    # folded in pieces, as a reader would
        envelope.extend(values[a:a + 8192])
    assert envelope.covered == len(values)
    whole = stop - stop % BASE
    index, drawn = envelope.envelope(stop, 500, values[whole:stop])
    assert index[0] == 0 and index[-1] <= stop - 1
    assert len(np.unique(index)) <= 2 * 500 + 40
    lo, hi = _bucket_truth(values[:stop], index)
    starts = np.unique(index)
    first = np.searchsorted(index, starts)          # each bucket's first point: its min
    last = np.searchsorted(index, starts, side="right") - 1
    np.testing.assert_array_equal(drawn[first], lo)
    np.testing.assert_array_equal(drawn[last], hi)
    assert (np.nanmax(drawn[:, 1]) == 99.0) == (stop > 150_001)


def test_envelope_refuses_what_it_has_not_folded_in() -> None:
    envelope = PeakEnvelope()
    envelope.extend(np.zeros(BASE * 2))
    with pytest.raises(ValueError, match="covers"):
        envelope.envelope(BASE * 3, 10, np.zeros(0))
    with pytest.raises(ValueError, match="whole blocks"):
        envelope.extend(np.zeros(3))
