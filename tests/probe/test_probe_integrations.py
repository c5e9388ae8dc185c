"""Lightning callback and CUDA path: run when available, skipped otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from probe_helpers import mlp, rows

torch = pytest.importorskip("torch")
import actiscope_probe  # noqa: E402


def _lightning():
    for name in ("lightning.pytorch", "pytorch_lightning"):
        try:
            return __import__(name, fromlist=["Trainer"])
        except ImportError:
            continue
    pytest.skip("lightning is not installed")


def test_lightning_callback_records_each_step_and_opens_epoch_windows(tmp_path) -> None:
    pl = _lightning()
    from actiscope_probe.lightning import ActiscopeCallback

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp()

        def training_step(self, batch, batch_idx):
            x, y = batch
            return ((self.net(x) - y) ** 2).mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    data = torch.utils.data.TensorDataset(torch.randn(64, 8), torch.randn(64, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    run = tmp_path / "pl.actirun"
    trainer = pl.Trainer(max_epochs=2, callbacks=[ActiscopeCallback(str(run), every=1)],
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         accelerator="cpu", enable_model_summary=False)
    trainer.fit(Module(), loader)
    got = rows(run)
    assert got["step"] == list(range(1, 9))
    assert got["window_step"] == [1] * 4 + [5] * 4
    assert all(v is not None for v in got["loss"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_path_pinned_copy(tmp_path) -> None:
    model = mlp().cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    run = tmp_path / "cuda.actirun"
    with actiscope_probe.attach(model, opt, run=run, every=1):
        for _ in range(3):
            (model(torch.randn(16, 8, device="cuda")) ** 2).mean().backward()
            expected = torch.linalg.vector_norm(model[0].weight.grad).item()
            opt.step()
            opt.zero_grad()
    got = rows(run)
    assert got["step"] == [1, 2, 3]
    assert np.isclose(got["grad_norm"][-1][0], expected, rtol=1e-5)
