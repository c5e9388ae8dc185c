"""Which units are saturated, per unit, for the network diagram (StepStats has only fractions).

It runs one forward pass (Network.max_abs_derivative) on a fixed subsample of the training set,
only when the step reports some saturation at all (never for ReLU-like nets), and at most once per
dead-statistics refresh, so it costs nothing in the common case.
"""

from __future__ import annotations

import numpy as np

FLOP_BUDGET = 3e8        # multiply-adds per probe: about 10 ms of float64 GEMM on this machine
MIN_SAMPLES, MAX_SAMPLES = 16, 256


class SaturationProbe:
    """Per hidden layer bool mask (width,): |f'(z)| < threshold on every probe sample, not dead."""

    def __init__(self) -> None:
        self.masks: list[np.ndarray] | None = None
        self.n_samples = 0
        self.measured_step = -1
        self.threshold = 0.0
        self._rows: np.ndarray | None = None

    def reset(self, trainer) -> None:
        """Pick the fixed subsample for this network (seeded by the config's seed)."""
        sizes = trainer.network.sizes
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        n_train = len(trainer.dataset.X_train)
        wanted = int(np.clip(FLOP_BUDGET / max(weights, 1), MIN_SAMPLES, MAX_SAMPLES))
        rng = np.random.default_rng(int(trainer.config.seed))
        self._rows = np.sort(rng.choice(n_train, size=min(wanted, n_train), replace=False))
        self.n_samples = len(self._rows)
        self.masks = None
        self.measured_step = -1

    def update(self, trainer) -> list[np.ndarray] | None:
        """Re-measure if the step shows saturation and the dead stats were refreshed since."""
        stats = trainer.last
        if stats is None or self._rows is None or trainer.network.n_hidden == 0:
            return None
        if not np.any(np.nan_to_num(stats.saturated_fraction) > 0):
            self.masks = None
            return None
        if self.masks is not None and stats.dataset_stats_step == self.measured_step:
            return self.masks
        self.threshold = float(trainer.config.saturation_threshold)
        with np.errstate(all="ignore"):
            max_abs = trainer.network.max_abs_derivative(trainer.dataset.X_train[self._rows])
        self.masks = [(m < self.threshold) & (m != 0) for m in max_abs]
        self.measured_step = stats.dataset_stats_step
        return self.masks

    def definition(self) -> str:
        """One line saying what 'saturated' means here."""
        return (f"saturated: |f′(z)| < {self.threshold:g} on all {self.n_samples} probe samples "
                f"(and not dead), as of step {self.measured_step}")
