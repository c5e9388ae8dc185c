"""Do two source trees train the built-in network to the same numbers? (refactor check)

Runs fixed-seed Trainer runs (every normalization x several activations x residual x dtype) in
each tree, in a subprocess with that tree first on sys.path, and prints per setting the max
absolute and relative difference over every StepStats number and the final parameters, plus
forward-only outputs (predict, max |f'|) on the training inputs.

    .venv/bin/python bench/compare_network_numbers.py /tmp/before_tree .
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SETTINGS = [
    dict(normalization=norm, activation=act, residual=res, dtype=dtype)
    for norm in ("none", "batchnorm", "layernorm")
    for act in ("relu", "tanh", "leaky_relu", "sigmoid", "gelu")
    for res in (False, True)
    for dtype in ("float64", "float32")
]
STEPS = 30

_CHILD = r"""
import sys, json, numpy as np
sys.path.insert(0, sys.argv[1])
from core.config import ExperimentConfig
from core.trainer import Trainer
out = {}
for s in json.loads(sys.argv[2]):
    cfg = ExperimentConfig(depth=6, width=24, batch_size=64, init="he_normal", optimizer="adam",
                           lr=3e-3, dataset="spirals", n_samples=400, seed=3, **s).validate()
    t = Trainer(cfg)
    rows = []
    for _ in range(int(sys.argv[3])):
        st = t.step()
        rows.append(np.concatenate([[st.loss, st.train_accuracy, st.test_accuracy],
                                    st.grad_norms, st.signal_norms, *st.unit_grad,
                                    st.dead_fraction, st.saturated_fraction, st.update_ratio,
                                    st.dead_fraction_dataset]).astype(float))
    net = t.network
    X = t.dataset.X_train
    extra = [net.packed_parameters(), net.forward(X).ravel(), *net.max_abs_derivative(X),
             *net.running_mean, *net.running_var]
    rows += [np.asarray(e, float).ravel() for e in extra]
    out[json.dumps(s)] = np.concatenate(rows).tolist()
print(json.dumps(out))
"""


def run(tree: str) -> dict[str, list[float]]:
    """Every setting's numbers from the tree at `tree`."""
    result = subprocess.run([sys.executable, "-c", _CHILD, str(Path(tree).resolve()),
                             json.dumps(SETTINGS), str(STEPS)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main() -> int:
    """Print the differences between the trees given as arguments (before, after)."""
    import numpy as np

    before, after = run(sys.argv[1]), run(sys.argv[2])
    worst = 0.0
    for key, a in before.items():
        a, b = np.asarray(a), np.asarray(after[key])
        same_nan = np.isnan(a) == np.isnan(b)
        a, b = np.nan_to_num(a), np.nan_to_num(b)
        diff = np.abs(a - b)
        rel = float((diff / np.maximum(np.abs(a), 1e-30)).max())
        worst = max(worst, float(diff.max()))
        print(f"{key}: n={len(a)} max|diff|={diff.max():.3g} max rel={rel:.3g} "
              f"identical={bool((a == b).all() and same_nan.all())}")
    print(f"worst max|diff| over all settings: {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
