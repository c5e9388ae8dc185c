"""The writer's row builder (records.py) against a site-by-site reference, and the sink's hand-over.

The builder computes every site's columns for many records at once from index arrays; the
reference below walks the sites one by one with `SiteState.fractions` (the Lab's definition),
as the writer did before.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import actiscope_probe  # noqa: E402
from actiscope_probe.records import Pending, RowBuilder, SiteLayout  # noqa: E402
from actiscope_probe.sites import SiteState  # noqa: E402
from torch import nn  # noqa: E402

from tests.probe.probe_helpers import mlp, rows  # noqa: E402

KINDS = (("relu", 5), ("tanh", 4), ("gelu", 3), ("leaky_relu", 2), ("sigmoid", 6))
N_PARAMS = 4


def _sites() -> list[SiteState]:
    sites = []
    for i, (kind, width) in enumerate(KINDS):
        sites.append(SiteState(name=f"s{i}", module=nn.Identity(), kind=kind, index=i,
                               width=width))
    return sites


def _pending(step: int, rng: np.random.Generator, sites: list[SiteState], *, units: bool,
             no_batch: int = -1, no_signal: int = -1) -> Pending:
    """A record laid out as probe._capture lays one out, with zeros and tiny peaks mixed in."""
    spec = [("gn", 3), ("wn", N_PARAMS), ("dn", N_PARAMS)]
    values = [rng.uniform(0.1, 2, 3), rng.uniform(0, 2, N_PARAMS), rng.uniform(0, 1, N_PARAMS)]
    values[1][1] = 0.0  # a zero weight norm: ratio NaN
    for prefix in ("w", "b", "s", "u"):
        if prefix == "u" and not units:
            continue
        for i, site in enumerate(sites):
            width = 1 if prefix == "s" else site.width
            missing = (prefix == "b" and i == no_batch) or (prefix == "s" and i == no_signal)
            spec.append(("-" if missing else f"{prefix}{i}", width))
            peaks = rng.choice([0.0, 0.004, 0.5, 1.0], size=width)
            values.append(rng.uniform(0, 3, width) if prefix in "su" else peaks)
    flat = torch.tensor(np.concatenate(values), dtype=torch.float32)
    counts = [float(rng.integers(0, 3)) * 8 for _ in sites]
    return Pending(step=step, spec=spec, host=flat, grad_index=[0, 2, 3], sites=sites,
                   values={"step_seconds": 0.01}, units=units, unit_counts=counts,
                   logs={"loss": torch.tensor(0.25), "lr": 0.1})


def _reference(p: Pending) -> dict:
    """The row, site by site (the writer's code before records.py)."""
    flat = p.host.double().numpy()
    parts, offset = {}, 0
    for name, length in p.spec:
        parts[name] = flat[offset:offset + length]
        offset += length
    grad = np.full(N_PARAMS, np.nan)
    grad[p.grad_index] = parts["gn"]
    weight, delta = parts["wn"], parts["dn"]
    ratio = [d / w if w > 0 else math.nan for w, d in zip(weight, delta, strict=True)]
    row = {"grad_norm": grad, "weight_norm": weight, "update_ratio": np.array(ratio)}
    n = len(p.sites)
    signal, dead_b, sat_b, dead_w = (np.full(n, np.nan) for _ in range(4))
    unit_grad, dead_u, sat_u = [], [], []
    for i, site in enumerate(p.sites):
        dead_w[i], _, dead_mask, sat_mask = site.fractions(parts[f"w{i}"])
        if f"b{i}" in parts:
            dead_b[i], sat_b[i], _, _ = site.fractions(parts[f"b{i}"])
        if f"s{i}" in parts:
            signal[i] = parts[f"s{i}"][0]
        if p.units:
            count = p.unit_counts[i]
            unit_grad.append(parts[f"u{i}"] / count if count else np.full(site.width, np.nan))
            false = np.zeros(site.width, bool)
            dead_u.append(dead_mask if dead_mask is not None else false)
            sat_u.append(sat_mask if sat_mask is not None else false)
    row.update(signal_norm=signal, dead_batch=dead_b, saturated_batch=sat_b, dead_window=dead_w)
    if p.units:
        row.update(unit_grad=np.concatenate(unit_grad), dead_units=np.concatenate(dead_u),
                   saturated_units=np.concatenate(sat_u))
    return row


def test_rows_match_the_site_by_site_reference() -> None:
    rng = np.random.default_rng(0)
    sites = _sites()
    records = [_pending(1, rng, sites, units=True), _pending(2, rng, sites, units=True),
               _pending(3, rng, sites, units=False, no_batch=1, no_signal=3),
               Pending(step=4, spec=[], host=None, values={"skipped": True}),
               _pending(5, rng, sites, units=True, no_batch=0)]
    built = RowBuilder(N_PARAMS).rows(records)
    assert [row["step"] for row in built] == [1, 2, 3, 4, 5]
    assert built[3] == {"step": 4, "skipped": True, "scalars": {}}
    saw_saturated = saw_dead = 0
    for p, row in zip(records, built, strict=True):
        if p.host is None:
            continue
        expected = _reference(p)
        assert set(expected) <= set(row)
        for name, value in expected.items():
            np.testing.assert_allclose(np.asarray(row[name], float), np.asarray(value, float),
                                       rtol=1e-12, err_msg=name)
        assert row["loss"] == 0.25 and row["scalars"] == {"lr": 0.1}
        assert ("unit_grad" in row) == p.units
        saw_saturated += np.nansum(expected["saturated_batch"]) > 0
        saw_dead += np.nansum(expected["dead_window"]) > 0
    assert saw_saturated and saw_dead  # the draw exercised both states


def test_sites_of_width_zero_count_nothing_and_leave_the_others_whole() -> None:
    sites = [SiteState(name=f"s{i}", module=nn.Identity(), kind="relu", index=i, width=w)
             for i, w in enumerate((3, 0, 2, 0))]
    layout = SiteLayout([(f"w{i}", s.width) for i, s in enumerate(sites)], sites)
    dead, _, _, _ = layout.fractions(np.array([[0.0, 0.0, 0.0, 1.0, 0.0]]))
    np.testing.assert_array_equal(dead, [[1.0, 0.0, 0.5, 0.0]])


def test_one_at_a_time_equals_all_at_once() -> None:
    rng = np.random.default_rng(1)
    sites = _sites()
    records = [_pending(i, rng, sites, units=i % 2 == 0) for i in range(1, 7)]
    builder = RowBuilder(N_PARAMS)
    together, alone = builder.rows(records), [builder.row(p) for p in records]
    for a, b in zip(together, alone, strict=True):
        assert a.keys() == b.keys()
        for name in a:
            np.testing.assert_array_equal(np.asarray(a[name], object).astype(str),
                                          np.asarray(b[name], object).astype(str))


def test_drain_hands_every_record_to_the_writer_in_order(tmp_path) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    probe = actiscope_probe.attach(model, opt, run=tmp_path / "d.actirun", every=1)
    for _ in range(30):
        model(torch.randn(4, 8)).sum().backward()
        opt.step()
    model(torch.randn(4, 8))  # the next forward closes the last record
    probe._sink.drain()
    assert probe._sink.writer.appended == 30
    probe.close()
    assert rows(tmp_path / "d.actirun")["step"] == list(range(1, 31))


def test_a_probe_never_closed_is_written_at_exit(tmp_path) -> None:
    import subprocess
    import sys
    script = ("import torch, actiscope_probe\n"
              "from tests.probe.probe_helpers import mlp\n"
              "model = mlp(); opt = torch.optim.SGD(model.parameters(), lr=0.01)\n"
              f"probe = actiscope_probe.attach(model, opt, run={str(tmp_path / 'x.actirun')!r}, "
              "every=1)\n"
              "for _ in range(25):\n"
              "    model(torch.randn(4, 8)).sum().backward(); opt.step()\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert rows(tmp_path / "x.actirun")["step"] == list(range(1, 26))
