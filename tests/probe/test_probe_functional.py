"""The opt-in torch.fx pass: F.relu / torch.tanh calls recorded as sites, and detach undoing it."""

from __future__ import annotations

import numpy as np
import pytest
from probe_helpers import arr, rows

torch = pytest.importorskip("torch")
import actiscope_probe  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from actiscope_probe.fx import watch_functional  # noqa: E402
from actiscope_probe.runformat import read_manifest  # noqa: E402
from torch import nn  # noqa: E402


class Functional(nn.Module):
    """8 -> 16 F.relu -> 12 torch.tanh -> 1: four dead ReLU units, three saturated tanh units."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.l1, self.l2, self.l3 = nn.Linear(8, 16), nn.Linear(16, 12), nn.Linear(12, 1)
        with torch.no_grad():
            self.l1.bias[:4] = -50.0
            self.l2.bias[:3] = 6.0  # tanh ≈ 1 - 1e-5: saturated, not exactly 1 (dead)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.l1(x))
        t = torch.tanh(self.l2(h))
        return self.l3(F.dropout(t, 0.0, self.training))


class Untraceable(Functional):
    """Data-dependent control flow: symbolic tracing cannot follow it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.l1(x))
        if h.sum() > 0:
            h = h * 2
        return self.l3(torch.tanh(self.l2(h)))


def _by_hand(model: Functional, x: torch.Tensor) -> tuple[list[float], list[float]]:
    with torch.no_grad():
        h = F.relu(model.l1(x))
        t = torch.tanh(model.l2(h))
    dead = [(h == 0).all(0).float().mean().item(), (1 - t * t == 0).all(0).float().mean().item()]
    peak = (1 - t * t).amax(0)
    saturated = [0.0, ((peak < 0.01) & (peak > 0)).float().mean().item()]
    return dead, saturated


def _state(model: nn.Module) -> list:
    state = []
    for module in model.modules():
        state.append(sorted(vars(module)))
        state += [dict(getattr(module, k)) for k in vars(module) if k.endswith("hooks")]
    return state


def test_functional_calls_are_sites_with_hand_computed_dead_fractions(tmp_path) -> None:
    model = Functional()
    before, forward = _state(model), model.forward
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    run = tmp_path / "fx.actirun"
    gen = torch.Generator().manual_seed(1)
    expect_dead, expect_sat = [], []
    with actiscope_probe.attach(model, opt, run=run, every=1, trace_functional=True) as probe:
        assert "forward" in vars(model)  # routed through the traced forward while attached
        for _ in range(4):
            x = torch.randn(32, 8, generator=gen)
            dead, saturated = _by_hand(model, x)
            expect_dead.append(dead)
            expect_sat.append(saturated)
            (model(x) ** 2).mean().backward()
            opt.step()
            opt.zero_grad()
        assert [s.name for s in probe.sites] == ["relu", "tanh"]
    sites = read_manifest(run).topology.sites
    assert [(s.name, s.kind, s.width, s.activation) for s in sites] == [
        ("relu", "functional", 16, "relu"), ("tanh", "functional", 12, "tanh")]
    got = rows(run)
    np.testing.assert_allclose(arr(got["dead_batch"]), expect_dead)
    np.testing.assert_allclose(arr(got["saturated_batch"]), expect_sat)
    assert arr(got["dead_batch"])[:, 0].min() >= 4 / 16
    assert arr(got["saturated_batch"])[:, 1].min() >= 3 / 12
    assert np.isfinite(arr(got["signal_norm"])).all()
    # detach gave the model back exactly: no forward attribute, no hook, the class's forward
    assert _state(model) == before and "forward" not in vars(model)
    assert model.forward.__func__ is type(model).forward and forward.__func__ is Functional.forward
    x = torch.randn(5, 8)
    expected = model.l3(torch.tanh(model.l2(F.relu(model.l1(x)))))
    torch.testing.assert_close(model(x), expected)


def test_eval_mode_uses_the_models_own_forward(tmp_path) -> None:
    model = Functional()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with actiscope_probe.attach(model, opt, run=tmp_path / "e.actirun", trace_functional=True):
        model.eval()
        calls = []
        handle = model.l1.register_forward_hook(lambda *_: calls.append(1))
        model(torch.randn(3, 8))
        handle.remove()
        assert calls == [1] and model.training is False


def test_watch_functional_returns_a_graph_module_and_leaves_the_model(tmp_path) -> None:
    model = Functional()
    before = _state(model)
    traced = watch_functional(model)
    assert isinstance(traced, torch.fx.GraphModule) and _state(model) == before
    assert traced.l1.weight is model.l1.weight  # shared, not copied
    x = torch.randn(6, 8)
    torch.testing.assert_close(traced(x), model(x))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    run = tmp_path / "w.actirun"
    with actiscope_probe.attach(traced, opt, run=run, every=1) as probe:
        (traced(x) ** 2).mean().backward()
        opt.step()
    assert [(s.name, s.kind) for s in probe.sites] == [("relu", "functional"),
                                                       ("tanh", "functional")]
    assert arr(rows(run)["dead_batch"])[0, 0] == pytest.approx(_by_hand(model, x)[0][0])


def test_methods_and_parameters_of_functional_calls() -> None:
    class Calls(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = F.hardtanh(x, -2.0, max_val=3.0) + F.elu(x, alpha=0.5) + F.softplus(x, beta=2.0)
            return y + x.relu() + F.leaky_relu(x, 0.2) + F.gelu(x) + torch.sigmoid(x)
    traced = watch_functional(Calls())
    sites = {name: m for name, m in traced.named_modules() if hasattr(m, "actiscope_kind")}
    kinds = sorted(m.actiscope_kind for m in sites.values())
    assert kinds == ["elu", "gelu", "hardtanh", "leaky_relu", "relu", "sigmoid", "softplus"]
    by_kind = {m.actiscope_kind: m for m in sites.values()}
    assert (by_kind["hardtanh"].min_val, by_kind["hardtanh"].max_val) == (-2.0, 3.0)
    assert by_kind["elu"].alpha == 0.5 and by_kind["softplus"].beta == 2.0
    x = torch.randn(4, 5)
    torch.testing.assert_close(traced(x), Calls()(x))


def test_untraceable_model_gets_one_clear_sentence(tmp_path) -> None:
    model = Untraceable()
    before = _state(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(TypeError, match="wrap its activations in modules") as error:
        actiscope_probe.attach(model, opt, run=tmp_path / "u.actirun", trace_functional=True)
    message = str(error.value)
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message
    assert _state(model) == before and not (tmp_path / "u.actirun").exists()
