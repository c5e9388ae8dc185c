"""‖ΔW‖/‖W‖ against the weights before and after each step, for every way the probe reads it."""

from __future__ import annotations

import numpy as np
import pytest
from probe_helpers import arr, mlp, rows

torch = pytest.importorskip("torch")
import actiscope_probe  # noqa: E402


class SubSGD(torch.optim.SGD):
    """A subclass may step differently (here, a decoupled shrink): not SGD's update."""

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001, ANN201
        loss = super().step(closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(0.99)
        return loss


OPTIMIZERS = {
    "sgd momentum (buffer)": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd momentum, weight decay, dampening (buffer)":
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
    "sgd maximize (buffer)": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.5, maximize=True),
    "sgd plain (grad)": lambda p: torch.optim.SGD(p, lr=0.05),
    "sgd weight decay (snapshot)": lambda p: torch.optim.SGD(p, lr=0.05, weight_decay=0.1),
    "sgd nesterov (snapshot)": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "sgd subclass (snapshot)": lambda p: SubSGD(p, lr=0.05, momentum=0.9),
    "adamw (snapshot)": lambda p: torch.optim.AdamW(p, lr=0.01),
    "two groups, one frozen by lr 0": lambda p: torch.optim.SGD(
        [{"params": p[:2], "lr": 0.0, "momentum": 0.9}, {"params": p[2:]}], lr=0.05, momentum=0.9),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_update_ratio_is_the_step_that_was_taken(tmp_path, name: str) -> None:
    model = mlp(dead_bias=0.0)
    opt = OPTIMIZERS[name](list(model.parameters()))
    schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)  # lr changes
    expect = []
    run = tmp_path / "u.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1):
        torch.manual_seed(4)
        for _ in range(5):
            opt.zero_grad()
            ((model(torch.randn(16, 8)) - 1.0) ** 2).mean().backward()
            before = [p.detach().clone() for p in model.parameters()]
            opt.step()
            schedule.step()
            expect.append([(torch.linalg.vector_norm(p.detach().double() - b.double()) /
                            torch.linalg.vector_norm(p.detach().double())).item()
                           for p, b in zip(model.parameters(), before, strict=True)])
    got = arr(rows(run)["update_ratio"])
    assert got.shape == (5, 6)
    assert np.count_nonzero(np.array(expect)) > 0
    np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-12)


def test_a_step_that_raised_does_not_stop_the_recording(tmp_path) -> None:
    model = mlp(dead_bias=0.0)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    run = tmp_path / "r.actirun"

    def failing() -> None:
        raise RuntimeError("closure failed")

    with actiscope_probe.attach(model, opt, run=run, every=1):
        for i in range(4):
            opt.zero_grad()
            model(torch.randn(4, 8)).sum().backward()
            if i == 1:
                with pytest.raises(RuntimeError):
                    opt.step(failing)  # pre-hook ran, post-hook never does
            opt.step()
    assert rows(run)["step"] == [1, 2, 3, 4]
