"""The Dataset container, its error, and the train/test split shared by generated and CSV data.

core.datasets (generators) and core.csv_loader (the user's file) both build on this module, so
neither imports the other's internals and the split rules live once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_SAMPLES = 8  # fewer rows leave too little to train on after the test split
MAX_SAMPLES = 1_000_000  # the largest dataset, generated or loaded, that the app trains on
MIN_CLASSES = 2  # a classifier needs at least two classes
MAX_TEST_FRACTION = 0.9  # test_fraction lies in (0, MAX_TEST_FRACTION]
TASKS = ("binary", "multiclass", "regression")


class DatasetError(ValueError):
    """A dataset cannot be made or loaded; the message is one sentence for the user."""


@dataclass
class Dataset:
    """A train/test split. X float64 (n, d); y int64 labels (classification) or float64 (n,)."""

    name: str
    task: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    feature_names: list[str] = field(default_factory=list)

    @property
    def input_dim(self) -> int:
        """Number of input features d."""
        return int(self.X_train.shape[1])


def check_test_fraction(test_fraction: float) -> None:
    """Reject a test fraction outside (0, MAX_TEST_FRACTION] (DatasetError)."""
    if not (0.0 < test_fraction <= MAX_TEST_FRACTION):
        raise DatasetError(f"test_fraction must be in (0, {MAX_TEST_FRACTION:g}], "
                           f"got {test_fraction}.")


def n_test_rows(n_samples: int, test_fraction: float) -> int:
    """Rows put in the test split: round(n * fraction), at least 1 and leaving 1 for training."""
    return int(min(max(1, round(n_samples * test_fraction)), n_samples - 1))


def split_shuffled(X: np.ndarray, y: np.ndarray, test_fraction: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Shuffle rows with `rng` and split: (X_train, y_train, X_test, y_test)."""
    order = rng.permutation(len(X))
    n_test = n_test_rows(len(X), test_fraction)
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]
