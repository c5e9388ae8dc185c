"""Training-step speed: Trainer.step (all statistics) vs a bare numpy step vs PyTorch CPU eager.

All float32, ReLU, He init, SGD, cross-entropy on spirals (2 inputs, 3 classes), 1000 samples.
What each contender does per step:
- torch: minibatch gather, forward, loss, backward, per-layer ‖dW‖ (torch._foreach_norm), SGD
  (foreach=True, its fastest CPU path), loss read back as a float.
- bare: the same work in numpy through Network.loss_and_gradients (gather, forward, loss, backward,
  per-layer ‖dW‖, SGD) -- bare/torch is the apples-to-apples engine comparison.
- batch-stats: Trainer.step without the dataset refresh: bare plus every per-batch statistic
  (signal norms, mean |gradient| per unit, dead/saturated masks, update ratios, batch accuracy,
  History record) -- a superset of torch's work.
- trainer: Trainer.step as a user runs it: batch-stats plus, every 10 steps, dead units on the 800
  training rows and accuracy on the 200 test rows (a forward pass over 1000 rows that torch does
  not do). trainer/torch is the issue's goal metric.
Prints steps/s, the ratios, and the fraction of the GEMM bound (3 matmuls per layer, timed alone).
Machine noise is large: contenders are timed in interleaved rounds and the best round counts.

`--threads N` (default 1) sets the BLAS/OpenMP thread count of numpy and torch alike; on a busy
2-core machine multi-threaded OpenBLAS stalls badly on small matrices, so 1 is the stable choice.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

_ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
_ARGS.add_argument("--threads", type=int, default=1, help="BLAS threads for numpy and torch")
_ARGS.add_argument("--seconds", type=float, default=0.4, help="time per contender per round")
ARGS = _ARGS.parse_args()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)  # must precede the numpy import

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import ExperimentConfig  # noqa: E402
from core.trainer import Trainer  # noqa: E402

try:
    import torch

    torch.set_num_threads(ARGS.threads)
except ImportError:  # the comparison is optional
    torch = None

SHAPES = [(10, 64, 128), (20, 128, 256), (50, 256, 256)]  # depth, width, batch
GOALS = {10: 1.5, 20: 1.1, 50: 0.95}
LR = 1e-3


def _rate(step, seconds: float) -> float:
    """Steps per second of `step()` over about `seconds` (after a short warm-up)."""
    for _ in range(3):
        step()
    n, start = 0, time.perf_counter()
    while True:
        step()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and n >= 5:
            return n / elapsed


def _bare_step(trainer: Trainer):
    """Minibatch gather + forward/backward + per-layer ‖dW‖ + in-place SGD: torch's work."""
    net = trainer.network
    X, y = trainer.dataset.X_train.astype(np.float32), trainer.dataset.y_train
    size = trainer.config.batch_size
    rng = np.random.default_rng(0)
    order, pos = rng.permutation(len(X)), [0]
    batch = np.empty((size, X.shape[1]), np.float32)

    def step():
        if pos[0] + size > len(order):
            order[:] = rng.permutation(len(X))
            pos[0] = 0
        index = order[pos[0]:pos[0] + size]
        pos[0] += size
        np.take(X, index, axis=0, out=batch)
        _, dW, db = net.loss_and_gradients(batch, y[index], reuse_buffers=True)
        np.sqrt([float(np.vdot(g, g)) for g in dW])
        for p, g in zip(net.weights + net.biases, dW + db, strict=True):
            g *= LR
            p -= g

    return step


def _torch_step(trainer: Trainer):
    """The same training step in PyTorch eager mode."""
    sizes = trainer.network.sizes
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    opt = torch.optim.SGD(model.parameters(), lr=LR, foreach=True)  # torch's fastest on CPU
    X = torch.tensor(trainer.dataset.X_train, dtype=torch.float32)
    y = torch.tensor(trainer.dataset.y_train, dtype=torch.int64)
    size = trainer.config.batch_size
    generator = torch.Generator().manual_seed(0)
    order, pos = torch.randperm(len(X), generator=generator), [0]
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        nonlocal order
        if pos[0] + size > len(order):
            order = torch.randperm(len(X), generator=generator)
            pos[0] = 0
        index = order[pos[0]:pos[0] + size]
        pos[0] += size
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(X[index]), y[index])
        loss.backward()
        norms = torch._foreach_norm([w.grad for w in weights])
        torch.stack(norms).numpy()
        loss.item()
        opt.step()

    return step


def _gemm_seconds(trainer: Trainer, repeats: int = 20) -> float:
    """Best time of the step's 3 matmuls per layer (forward, dW, input gradient) alone."""
    sizes, n = trainer.network.sizes, trainer.config.batch_size
    rng = np.random.default_rng(0)
    mats = [(rng.standard_normal((n, a), np.float32), rng.standard_normal((a, b), np.float32),
             rng.standard_normal((n, b), np.float32), np.empty((n, b), np.float32),
             np.empty((a, b), np.float32), np.empty((n, a), np.float32))
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for a, w, g, z, dw, da in mats:
            np.matmul(a, w, out=z)
            np.matmul(a.T, g, out=dw)
            np.matmul(g, w.T, out=da)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    """Benchmark every shape and print the table."""
    print(f"numpy {np.__version__}, {ARGS.threads} BLAS thread(s)" + (
        f", torch {torch.__version__}" if torch else ", torch not installed"))
    print("torch = forward, loss, backward, per-layer grad norms, SGD; bare = the same in numpy "
          "(apples to apples);\nbatch-stats = bare + every per-batch statistic (more work than "
          "torch); trainer = batch-stats + dataset refresh\n(dead units on 800 train rows and test "
          "accuracy on 200 rows every 10 steps; the issue's goal metric)")
    for depth, width, batch in SHAPES:
        config = ExperimentConfig(depth=depth, width=width, batch_size=batch, activation="relu",
                                  init="he_normal", optimizer="sgd", lr=LR, dtype="float32",
                                  dataset="spirals", n_samples=1000, seed=0).validate()
        trainer = Trainer(config)
        batch_only = Trainer(config.replace(dead_refresh_every=100_000))
        contenders = {"trainer": trainer.step, "batch-stats": batch_only.step,
                      "bare": _bare_step(Trainer(config))}
        if torch is not None:
            contenders["torch"] = _torch_step(trainer)
        best = dict.fromkeys(contenders, 0.0)
        for _ in range(5):
            for name, step in contenders.items():
                best[name] = max(best[name], _rate(step, ARGS.seconds))
        gemm = _gemm_seconds(trainer)
        rates = ", ".join(f"{name} {rate:.1f}" for name, rate in best.items())
        print(f"\ndepth {depth} x width {width}, batch {batch}: steps/s {rates}")
        batch_cost = best["bare"] / best["batch-stats"] - 1
        print(f"  statistics cost vs bare: batch stats {batch_cost:+.1%}, "
              f"all (with dataset refresh) {best['bare'] / best['trainer'] - 1:+.1%}")
        print(f"  GEMM bound {1 / gemm:.1f} steps/s: trainer at {best['trainer'] * gemm:.0%}, "
              f"bare at {best['bare'] * gemm:.0%}")
        if torch is not None:
            ratio = best["trainer"] / best["torch"]
            verdict = "met" if ratio >= GOALS[depth] else "MISSED"
            print(f"  trainer/torch {ratio:.2f}x (goal {GOALS[depth]}x: {verdict}), "
                  f"batch-stats/torch {best['batch-stats'] / best['torch']:.2f}x, "
                  f"bare/torch {best['bare'] / best['torch']:.2f}x (apples to apples)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
