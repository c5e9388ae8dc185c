"""The writer thread's vectorised site columns against a per-site hand computation."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from actiscope_probe.site_columns import Layout, site_columns  # noqa: E402
from actiscope_probe.sites import SiteState  # noqa: E402
from torch import nn  # noqa: E402


def _site(kind: str, width: int, index: int) -> SiteState:
    return SiteState(name=f"s{index}", module=nn.Identity(), kind=kind, index=index, width=width)


def test_mixed_kinds_match_a_per_site_computation() -> None:
    sites = [_site("relu", 4, 0), _site("tanh", 3, 1), _site("gelu", 2, 2), _site("sigmoid", 2, 3)]
    parts = {
        "w0": np.array([0.0, 1.0, 0.0, 2.0]), "w1": np.array([0.0, 0.005, 0.9]),
        "w2": np.array([1.0, 1.0]), "w3": np.array([0.2, 0.001]),
        "b0": np.array([0.0, 0.0, 0.0, 3.0]), "b1": np.array([0.5, 0.001, 0.001]),
        "b2": np.array([1.0, 1.0]),  # no b3: site 3 did not run this step
        "s0": np.array([2.0]), "s2": np.array([0.5]),
        "u0": np.array([4.0, 8.0, 0.0, 2.0]), "u1": np.array([3.0, 3.0, 6.0]),
    }
    row: dict = {}
    site_columns(Layout(sites), parts, True, [2.0, 3.0, 0.0, 5.0], row)
    np.testing.assert_allclose(row["dead_window"], [0.5, 1 / 3, np.nan, 0.0])
    np.testing.assert_allclose(row["dead_batch"], [0.75, 0.0, np.nan, np.nan])
    np.testing.assert_allclose(row["saturated_batch"], [0.0, 2 / 3, np.nan, np.nan])
    np.testing.assert_allclose(row["signal_norm"], [2.0, np.nan, 0.5, np.nan])
    np.testing.assert_allclose(row["unit_grad"],
                               [2.0, 4.0, 0.0, 1.0, 1.0, 1.0, 2.0, np.nan, np.nan, np.nan, np.nan])
    assert row["dead_units"].tolist() == [True, False, True, False, True, False, False,
                                          False, False, False, False]
    assert row["saturated_units"].tolist() == [False] * 4 + [False, True, False] + [False] * 2 \
        + [False, True]
