"""PeakEnvelope.span: any span of records [start, stop) in about `target` buckets (a zoomed-in
plot), each bucket's min and max equal to a direct computation over the same records."""

from __future__ import annotations

import numpy as np
import pytest

from core.runs.decimate import BASE, PeakEnvelope

N = 300_000


@pytest.fixture(scope="module")
def folded() -> tuple[np.ndarray, PeakEnvelope]:
    rng = np.random.default_rng(7)
    values = rng.standard_normal((N, 2))
    values[rng.integers(0, N, 50), rng.integers(0, 2, 50)] = np.nan
    values[123_457, 0] = 50.0                     # one spike
    envelope = PeakEnvelope()
    whole = N - N % BASE
    for a in range(0, whole, 8192):
        envelope.extend(values[a:min(a + 8192, whole)])
    return values, envelope


@pytest.mark.parametrize(("start", "stop", "target"), [
    (0, N, 500), (1, N - 1, 500), (123_000, 124_000, 300), (5, 37, 100), (33, 40, 100),
    (BASE * 7, BASE * 9, 2), (100_003, 299_999, 1000), (17, 250_017, 64), (123_400, 123_500, 10),
])
def test_span_buckets_tile_the_span_and_hold_its_true_extremes(folded, start, stop, target):
    values, envelope = folded
    raw_calls = []

    def raw(a: int, b: int) -> np.ndarray:
        raw_calls.append((a, b))
        return values[a:b]

    index, drawn = envelope.span(start, stop, target, raw)
    starts = np.unique(index)
    assert starts[0] == start and (np.diff(index) >= 0).all() and index[-1] < stop
    ends = np.append(starts[1:], stop)
    sizes = ends - starts
    first = np.searchsorted(index, starts)        # each bucket's min, then its max
    last = np.searchsorted(index, starts, side="right") - 1
    for k in range(0, len(starts), max(1, len(starts) // 200)):
        part = values[starts[k]:ends[k]]
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(drawn[first[k]], np.fmin.reduce(part, axis=0))
            np.testing.assert_array_equal(drawn[last[k]], np.fmax.reduce(part, axis=0))
    whole_blocks = sizes[sizes >= BASE]
    assert (whole_blocks % BASE == 0).all()
    if stop - start > 4 * BASE:
        # about `target` buckets of the chosen level, a few finer ones, raw ends < BASE each
        assert len(whole_blocks) <= target + 2 * 16
        assert sum(b - a for a, b in raw_calls) < 2 * BASE
        assert len(starts) >= min(target // 2, (stop - start) // BASE - 2)
    assert (np.nanmax(drawn[:, 0]) == 50.0) == (start <= 123_457 < stop)


def test_span_refuses_blocks_it_has_not_folded_in(folded):
    _, envelope = folded
    with pytest.raises(ValueError, match="covers"):
        envelope.span(0, N + 10 * BASE, 100, lambda a, b: np.zeros((b - a, 2)))
