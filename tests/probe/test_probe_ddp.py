"""A two-process gloo DDP run: same parameter statistics on both ranks, one stream per rank, and
the app's FileRun merging ranks (dead since the window start = dead on every rank)."""

from __future__ import annotations

import os
import socket
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is missing")


def _worker(rank: int, port: int, run: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        sys.path.insert(0, os.path.dirname(__file__))
        import actiscope_probe
        from probe_helpers import mlp
        model = mlp()
        with torch.no_grad():  # unit 4 is dead where x0 < 1: on rank 0's data, not on rank 1's
            model[0].weight[4] = 0.0
            model[0].weight[4, 0] = 1.0
            model[0].bias[4] = -1.0
        ddp = torch.nn.parallel.DistributedDataParallel(model)
        opt = torch.optim.SGD(ddp.parameters(), lr=0.001)
        gen = torch.Generator().manual_seed(rank)
        with actiscope_probe.attach(ddp, opt, run=run, every=1) as probe:
            for _ in range(4):
                x = torch.randn(16, 8, generator=gen)
                x[:, 0] = -1.0 if rank == 0 else 3.0
                loss = (ddp(x) ** 2).mean()
                loss.backward()
                opt.step()
                opt.zero_grad()
                probe.log(loss=loss)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_rank_gloo_run(tmp_path) -> None:
    run = tmp_path / "ddp.actirun"
    mp.start_processes(_worker, args=(_free_port(), str(run)), nprocs=2, join=True,
                       start_method="spawn")
    from probe_helpers import arr, rows
    assert sorted(p.name for p in run.iterdir()) == ["manifest.json", "rank0.arrows",
                                                    "rank1.arrows"]
    zero, one = rows(run, 0), rows(run, 1)
    assert zero["step"] == one["step"] == [1, 2, 3, 4]
    assert zero["rank"] == [0] * 4 and one["rank"] == [1] * 4
    np.testing.assert_allclose(arr(zero["grad_norm"]), arr(one["grad_norm"]), rtol=1e-6)
    np.testing.assert_allclose(arr(zero["weight_norm"]), arr(one["weight_norm"]), rtol=1e-6)
    assert arr(zero["dead_window"])[:, 0].tolist() == [5 / 16] * 4
    assert arr(one["dead_window"])[:, 0].tolist() == [4 / 16] * 4
    from actiscope_probe.runformat import read_manifest
    assert read_manifest(run).world_size == 2
    assert read_manifest(run).topology.params[0].name == "0.weight"  # DDP's module. stripped
    from core.runs import FileRun
    merged = FileRun(run)
    assert len(merged) == 4
    np.testing.assert_allclose(merged.series("dead_window")[:, 0], [4 / 16] * 4)
    record = merged.record(0)
    assert record.dead_units[:16].tolist() == [True] * 4 + [False] * 12
