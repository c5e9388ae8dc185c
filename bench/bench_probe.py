"""Overhead of actiscope_probe on CPU: three models, with and without the probe, in one run.

For each model, four copies with the same weights train in interleaved blocks of steps (the order
rotating each round, since a block that follows another copy refills the caches): without
the probe, with the probe at its defaults (adaptive sampling), with every statistic on every
step (every=1, per-unit data every step), and with the floor under that last one: bare hooks
doing only its tensor reductions (probe_floor.py). Printed: median over the rounds of the time
ratio to the plain copy (goal: <= 1.03 by default, <= 1.15 all-every-step); all-every-step minus
floor is what the probe's bookkeeping costs. Run: python bench/bench_probe.py
To compare two versions of the probe, run it alternately with `--probe-path DIR` (a folder that
holds another `actiscope_probe` package, e.g. one extracted with `git archive`) and without.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "--probe-path" in sys.argv:  # before the first import of actiscope_probe
    sys.path.insert(0, sys.argv[sys.argv.index("--probe-path") + 1])
import actiscope_probe  # noqa: E402
import numpy as np  # noqa: E402
from probe_floor import Floor  # noqa: E402

from core.runs import FileRun  # noqa: E402


class Block(nn.Module):
    """A ResNet basic block: conv-bn-relu-conv-bn plus the shortcut, then relu."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + x)


def mlp() -> tuple[nn.Module, callable]:
    """10 hidden layers of 256 ReLU units, batch 256."""
    layers: list[nn.Module] = [nn.Linear(64, 256), nn.ReLU()]
    for _ in range(9):
        layers += [nn.Linear(256, 256), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(256, 10))
    return model, lambda: (torch.randn(256, 64), torch.randint(0, 10, (256,)))


def cnn() -> tuple[nn.Module, callable]:
    """A small ResNet-style CNN on 32x32 inputs, batch 64."""
    model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                          Block(32), nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
                          Block(64), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    return model, lambda: (torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,)))


class Encoder(nn.Module):
    """A 4-layer transformer encoder, d = 256, sequence 128, mean-pooled classifier."""

    def __init__(self) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, activation=nn.GELU(),
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
        self.head = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x).mean(1))


def transformer() -> tuple[nn.Module, callable]:
    """The encoder on batches of 4 sequences of 128 tokens."""
    return Encoder(), lambda: (torch.randn(4, 128, 256), torch.randint(0, 10, (4,)))


def run_steps(model: nn.Module, opt: torch.optim.Optimizer, batches: list, n: int) -> float:
    """Seconds for n training steps."""
    start = time.perf_counter()
    for i in range(n):
        x, y = batches[i % len(batches)]
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def drain(probes: object) -> float:
    """Seconds spent waiting until the probes' writer threads have written their backlog.

    Two probes (and the floor) share one process here; without this, one probe's writer thread
    would run during (and be charged to) another copy's block.
    """
    start = time.perf_counter()
    for probe in probes:
        sink = probe._sink
        if sink is not None:
            sink.drain()
            sink.writer.flush()
    return time.perf_counter() - start


def bench(name: str, build: callable, rounds: int, block: int, folder: Path) -> dict[str, float]:
    """Median ratio (probe / plain) over interleaved rounds for the default and all-on probes."""
    torch.manual_seed(0)
    base, sample = build()
    batches = [sample() for _ in range(4)]
    copies = {k: copy.deepcopy(base) for k in ("plain", "default", "all", "floor")}
    opts = {k: torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9) for k, m in copies.items()}
    probes = {
        "default": actiscope_probe.attach(copies["default"], opts["default"],
                                          run=folder / f"{name}-default.actirun"),
        "all": actiscope_probe.attach(copies["all"], opts["all"], every=1, units_every=1,
                                      run=folder / f"{name}-all.actirun"),
    }
    floor = Floor(copies["floor"], opts["floor"])
    for key in copies:  # warm-up: the probe's first 20 recorded steps and its stride estimate
        run_steps(copies[key], opts[key], batches, 25)
    ratios: dict[str, list[float]] = {"default": [], "all": [], "floor": []}
    order = ["plain", "default", "all", "floor"]
    for round_ in range(rounds):
        # rotate the order: a block right after another copy pays for refilling the caches
        seconds = {}
        for key in order[round_ % 4:] + order[:round_ % 4]:
            drain(probes.values())
            seconds[key] = run_steps(copies[key], opts[key], batches, block)
            if key == "all":  # its writer thread's backlog belongs to this block
                seconds[key] += drain([probes[key]])
        for key in ratios:
            ratios[key].append(seconds[key] / seconds["plain"])
    plain = seconds["plain"]
    result = {k: statistics.median(v) for k, v in ratios.items()}
    result["stride"] = probes["default"].stride
    result["step_ms"] = plain / block * 1e3
    result["self_default"] = probes["default"]._budget.overhead or float("nan")
    for probe in probes.values():
        probe.close()
    floor.detach()
    run = FileRun(folder / f"{name}-all.actirun")  # the probe's own timers, as the app shows them
    cost = run.series("probe_hook_seconds") + run.series("probe_copy_seconds")
    result["self_all"] = float(np.median(cost / (run.series("step_seconds") - cost)))
    return result


def main() -> None:
    """Print the overhead table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--only", default="", help="models to run, e.g. mlp or mlp,cnn")
    parser.add_argument("--probe-path", default="", help="import actiscope_probe from this folder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    plan = [("mlp 10x256 b256", mlp, 40), ("cnn resnet 32x32 b64", cnn, 10),
            ("transformer 4x256 s128", transformer, 4)]
    if args.only:
        plan = [p for p in plan if p[0].split()[0] in args.only.split(",")]
    rounds = 3 if args.quick else args.rounds
    print(f"torch {torch.__version__}, 1 thread, {rounds} interleaved rounds per model, "
          f"actiscope_probe from {Path(actiscope_probe.__file__).parent}")
    print("ratio = wall time with the probe / without; (self) = the probe's own estimate (default: "
          "its sampler's; all-every-step: its timers in the run file)")
    print(f"{'model':<24} {'plain ms/step':>13} {'default':>9} {'(self)':>7} {'stride':>7} "
          f"{'all-every-step':>15} {'(self)':>7} {'floor':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for name, build, block in plan:
            block = max(2, block // 4) if args.quick else block
            r = bench(name.split()[0], build, rounds, block, Path(folder))
            print(f"{name:<24} {r['step_ms']:>13.1f} {r['default']:>9.3f} "
                  f"{1 + r['self_default']:>7.3f} {r['stride']:>7} {r['all']:>15.3f} "
                  f"{1 + r['self_all']:>7.3f} {r['floor']:>7.3f}", flush=True)
    print("goal: default <= 1.03, all-every-step <= 1.15 (ratios to the same model without probe)")
    print("floor: all-every-step's tensor reductions alone, in bare hooks (bench/probe_floor.py)")


if __name__ == "__main__":
    main()
