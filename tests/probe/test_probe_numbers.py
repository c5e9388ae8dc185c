"""The probe's numbers against independent computations (CPU): norms, dead units, signal."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from probe_helpers import arr, mlp, rows

torch = pytest.importorskip("torch")
import actiscope_probe  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402


def test_import_does_not_load_torch() -> None:
    code = "import sys, actiscope_probe, actiscope_probe.runformat; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_inplace_relu_mlp_matches_a_hand_computation(tmp_path) -> None:
    model = mlp(inplace=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    expect = {"grad": [], "update": [], "dead": [], "signal": [], "window": [], "unit": []}
    alive = torch.zeros(16, dtype=torch.bool)
    run = tmp_path / "r.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1, units_every=1) as probe:
        for _ in range(6):
            x, y = torch.randn(32, 8), torch.randn(32, 1)
            w1, b1, w2, b2, w3, b3 = (p.detach().clone().requires_grad_() for p in
                                      model.parameters())
            a = F.relu(F.linear(x, w1, b1))
            a.retain_grad()
            t = torch.tanh(F.linear(a, w2, b2))
            ((F.linear(t, w3, b3) - y) ** 2).mean().backward()
            expect["dead"].append([(a == 0).all(0).float().mean().item(), 0.0])
            alive |= (a != 0).any(0)
            expect["window"].append((~alive).float().mean().item())
            expect["signal"].append(torch.linalg.vector_norm(a.grad).item())
            expect["unit"].append(a.grad.abs().mean(0).numpy())
            loss = ((model(x) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            expect["grad"].append([torch.linalg.vector_norm(p.grad).item()
                                   for p in model.parameters()])
            before = [p.detach().clone() for p in model.parameters()]
            opt.step()
            expect["update"].append([(torch.linalg.vector_norm(p.detach() - b) /
                                      torch.linalg.vector_norm(p.detach())).item()
                                     for p, b in zip(model.parameters(), before, strict=True)])
            probe.log(loss=loss, lr=0.05)
    got = rows(run)
    assert got["step"] == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(arr(got["grad_norm"]), expect["grad"], rtol=1e-5)
    np.testing.assert_allclose(arr(got["update_ratio"]), expect["update"], rtol=1e-4)
    np.testing.assert_allclose(arr(got["dead_batch"]), expect["dead"])
    assert arr(got["dead_batch"])[:, 0].min() >= 0.25  # the four biased units are dead
    np.testing.assert_allclose(arr(got["dead_window"])[:, 0], expect["window"])
    np.testing.assert_allclose(arr(got["signal_norm"])[:, 0], expect["signal"], rtol=1e-4)
    unit = arr(got["unit_grad"])[:, :16]
    np.testing.assert_allclose(unit, np.array(expect["unit"]), rtol=1e-4, atol=1e-9)
    assert all(v is not None for v in got["loss"]) and got["scalars"][0] == [("lr", 0.05)]
    dead_units = np.array(got["dead_units"][-1][:16])
    assert dead_units[:4].all()


def test_conv_units_are_channels_over_nhw(tmp_path) -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(6 * 8 * 8, 2))
    with torch.no_grad():
        model[0].bias[:2] = -100.0
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    run = tmp_path / "c.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1) as probe:
        for _ in range(3):
            x = torch.randn(4, 3, 8, 8)
            with torch.no_grad():
                dead = (F.relu(model[0](x)) == 0).all(dim=(0, 2, 3)).float().mean().item()
            F.cross_entropy(model(x), torch.tensor([0, 1, 0, 1])).backward()
            opt.step()
            opt.zero_grad()
            probe.log(dead_by_hand=dead)
    got = rows(run)
    assert probe.sites[0].width == 6
    by_hand = [dict(s)["dead_by_hand"] for s in got["scalars"]]
    np.testing.assert_allclose(arr(got["dead_batch"])[:, 0], by_hand)


def test_saturated_tanh_units(tmp_path) -> None:
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    with torch.no_grad():
        model[0].bias[:3] = 6.0  # tanh ≈ 1 - 2e-5: f' < 0.01 on every sample, never exactly 0
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    run = tmp_path / "t.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1):
        model(torch.randn(16, 4)).sum().backward()
        opt.step()
    got = rows(run)
    assert got["saturated_batch"][0][0] == pytest.approx(3 / 8)
    assert got["dead_batch"][0][0] == 0.0


def test_gradient_accumulation_is_one_record_per_step(tmp_path) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    run = tmp_path / "a.actirun"
    norms = []
    with actiscope_probe.attach(model, opt, run=run, every=1):
        for _ in range(3):
            for _ in range(4):
                (model(torch.randn(8, 8)) ** 2).mean().backward()
            norms.append(torch.linalg.vector_norm(model[0].weight.grad).item())
            opt.step()
            opt.zero_grad()
    got = rows(run)
    assert got["step"] == [1, 2, 3]
    np.testing.assert_allclose(arr(got["grad_norm"])[:, 0], norms, rtol=1e-5)


def test_frozen_and_shared_parameters(tmp_path) -> None:
    torch.manual_seed(3)
    first, second = nn.Linear(6, 6), nn.Linear(6, 6)
    second.weight = first.weight  # tied
    frozen = nn.Linear(6, 6)
    frozen.requires_grad_(False)
    model = nn.Sequential(frozen, first, nn.ReLU(), second)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    run = tmp_path / "f.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1):
        model(torch.randn(5, 6)).pow(2).sum().backward()
        expected = torch.linalg.vector_norm(first.weight.grad).item()
        opt.step()
    names = [p.name for p in __import__("actiscope_probe.runformat", fromlist=["x"])
             .read_manifest(run).topology.params]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "3.bias"]
    grad = arr(rows(run)["grad_norm"])[0]
    assert np.isnan(grad[:2]).all()          # frozen: no gradient
    assert grad[2] == pytest.approx(expected, rel=1e-5)  # shared: both uses accumulated
    assert arr(rows(run)["update_ratio"])[0][:2].tolist() == [0.0, 0.0]


def test_sampling_records_first_20_then_every_k(tmp_path) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.001)
    run = tmp_path / "s.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=5):
        for _ in range(31):
            model(torch.randn(4, 8)).sum().backward()
            opt.step()
    assert rows(run)["step"] == [*range(1, 21), 25, 30]


def test_epoch_starts_a_new_dead_since_window(tmp_path) -> None:
    model = mlp(dead_bias=0.0)
    with torch.no_grad():  # unit 0 is dead where x0 < 0
        model[0].weight[0] = 0.0
        model[0].weight[0, 0] = 1.0
        model[0].bias[0] = 0.0
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    run = tmp_path / "e.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1) as probe:
        for step in range(4):
            if step == 2:
                probe.epoch()
            x = torch.randn(32, 8)
            x[:, 0] = 1.0 if step == 1 else -1.0  # alive only on step 2's batch
            model(x).sum().backward()
            opt.step()
    got = rows(run)
    assert got["window_step"] == [1, 1, 3, 3]
    dead0 = [np.array(row[0]) for row in got["dead_window"]]
    assert [d > 0 for d in dead0] == [True, False, True, True]


def test_adaptive_sampling_thins_out_after_the_first_20_steps(tmp_path) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.001)
    run = tmp_path / "adaptive.actirun"
    with actiscope_probe.attach(model, opt, run=run) as probe:
        for _ in range(80):
            model(torch.randn(4, 8)).sum().backward()
            opt.step()
    steps = rows(run)["step"]
    assert steps[:20] == list(range(1, 21))
    assert probe.stride > 1 and len(steps) < 80  # a tiny model: the probe would dominate
