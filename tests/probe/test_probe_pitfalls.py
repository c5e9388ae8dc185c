"""PyTorch pitfalls the probe must survive (CPU): checkpointing, AMP, compile, detach, disk."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from probe_helpers import arr, mlp, rows

torch = pytest.importorskip("torch")
import actiscope_probe  # noqa: E402
from actiscope_probe.runformat import RunWriteError  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.checkpoint import checkpoint  # noqa: E402


class Checkpointed(nn.Module):
    """Linear-ReLU-Linear-Tanh inside torch.utils.checkpoint (or not)."""

    def __init__(self, reentrant: bool | None) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.block = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh())
        self.head = nn.Linear(16, 1)
        self.reentrant = reentrant
        with torch.no_grad():
            self.block[0].bias[:5] = -50.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.reentrant is None:
            return self.head(self.block(x))
        return self.head(checkpoint(self.block, x, use_reentrant=self.reentrant))


def _train(model: nn.Module, run, steps: int = 4) -> actiscope_probe.Probe:
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(5)
    with actiscope_probe.attach(model, opt, run=run, every=1, units_every=1) as probe:
        for _ in range(steps):
            x = torch.randn(16, 8, generator=gen, requires_grad=True)
            (model(x) ** 2).mean().backward()
            opt.step()
            opt.zero_grad()
    return probe


@pytest.mark.parametrize("reentrant", [True, False])
def test_gradient_checkpointing_counts_each_forward_once(tmp_path, reentrant) -> None:
    plain = _train(Checkpointed(None), tmp_path / "plain.actirun")
    probe = _train(Checkpointed(reentrant), tmp_path / "ckpt.actirun")
    assert probe.forwards == plain.forwards == 4 * 2
    a, b = rows(tmp_path / "plain.actirun"), rows(tmp_path / "ckpt.actirun")
    assert b["step"] == [1, 2, 3, 4]
    for name in ("dead_batch", "dead_window", "signal_norm", "saturated_batch", "grad_norm"):
        np.testing.assert_allclose(arr(b[name]), arr(a[name]), rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(arr(b["unit_grad"]), arr(a["unit_grad"]), rtol=1e-5)
    assert arr(b["dead_batch"])[0, 0] == pytest.approx(5 / 16)


def test_grad_scaler_on_cpu_flags_skipped_steps_and_unscales(tmp_path) -> None:
    try:
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    except (RuntimeError, TypeError, AttributeError) as error:
        pytest.skip(f"torch.amp.GradScaler('cpu') is not supported here ({error})")
    model = mlp(dead_bias=0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    run = tmp_path / "amp.actirun"
    expected = []
    with actiscope_probe.attach(model, opt, run=run, every=1) as probe:
        assert probe.scaler is scaler  # found beside the attach() call
        for step in range(5):
            loss = (model(torch.randn(8, 8)) ** 2).mean()
            scaler.scale(loss).backward()
            if step == 2:
                with torch.no_grad():
                    model[0].weight.grad[0, 0] = float("inf")
            expected.append(torch.linalg.vector_norm(model[2].weight.grad).item()
                            / scaler.get_scale())
            probe.log(loss=loss)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
    got = rows(run)
    assert got["step"] == [1, 2, 3, 4, 5]
    assert got["skipped"] == [False, False, True, False, False]
    assert got["amp_scale"][2] == 2.0**10 and got["amp_scale"][3] == 2.0**9
    assert got["grad_norm"][2] is None and got["loss"][2] is not None
    norms = arr([g for g in got["grad_norm"] if g is not None])[:, 2]
    np.testing.assert_allclose(norms, [e for i, e in enumerate(expected) if i != 2], rtol=1e-5)


def test_attach_before_compile_works_and_after_warns(tmp_path) -> None:
    dynamo = pytest.importorskip("torch._dynamo")
    dynamo.reset()
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    run = tmp_path / "compiled.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1):
        compiled = torch.compile(model, backend="aot_eager")
        for _ in range(3):
            compiled(torch.randn(16, 8)).sum().backward()
            opt.step()
            opt.zero_grad()
    got = rows(run)
    assert got["step"] == [1, 2, 3]
    assert arr(got["dead_batch"])[:, 0].min() >= 0.25
    assert np.isfinite(arr(got["signal_norm"])).all()
    with pytest.warns(UserWarning, match="attach before torch.compile"):
        actiscope_probe.attach(compiled, opt, run=tmp_path / "late.actirun").detach()
    dynamo.reset()


def _hook_state(model: nn.Module, opt: torch.optim.Optimizer) -> list:
    state = []
    for module in model.modules():
        state.append(sorted(vars(module)))
        state += [dict(getattr(module, k)) for k in vars(module) if k.endswith("hooks")]
    state += [sorted(vars(opt)), dict(opt._optimizer_step_pre_hooks),
              dict(opt._optimizer_step_post_hooks)]
    return state


def test_detach_leaves_no_hook_and_no_attribute(tmp_path) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    before = _hook_state(model, opt)
    probe = actiscope_probe.attach(model, opt, run=tmp_path / "d.actirun")
    model(torch.randn(4, 8)).sum().backward()
    opt.step()
    assert _hook_state(model, opt) != before
    probe.close()
    assert _hook_state(model, opt) == before


def test_a_failing_disk_stops_recording_with_one_warning(tmp_path, monkeypatch) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    probe = actiscope_probe.attach(model, opt, run=tmp_path / "f.actirun", every=1)

    def fail(**_: object) -> None:
        raise RunWriteError("Could not write rank0.arrows (No space left on device).")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(5):
            model(torch.randn(4, 8)).sum().backward()
            opt.step()
            if step == 0:
                monkeypatch.setattr(probe._sink.writer, "append", fail)
        probe.close()
    assert len([w for w in caught if "stopped recording" in str(w.message)]) == 1
    assert probe.step <= 5
