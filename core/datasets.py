"""Toy datasets generated from a seeded Generator, and the user's CSV (core.csv_loader).

Every generator draws only from the `rng` it is given (no global random state), shuffles, and
splits into train/test by `test_fraction`. 2-D sets lie roughly in [-1.5, 1.5]².
"""

from __future__ import annotations

import numpy as np

from core.csv_loader import load_csv_dataset
from core.dataset_base import (
    MAX_SAMPLES,
    MIN_CLASSES,
    MIN_SAMPLES,
    TASKS,
    Dataset,
    DatasetError,
    check_test_fraction,
    split_shuffled,
)

__all__ = ["Dataset", "DatasetError", "MAX_GENERATED_CLASSES", "MAX_SAMPLES", "MIN_CLASSES",
           "MIN_SAMPLES", "available_datasets", "dataset_task", "default_loss", "load_csv",
           "make_dataset"]

# Upper end of n_classes for spirals and blobs (arms / blobs drawn in the plane); a CSV target's
# label count has its own, larger limit (csv_loader.MAX_CSV_CLASSES).
MAX_GENERATED_CLASSES = 10

_BINARY_SETS = ("xor", "circles", "moons")
_CLASS_COUNT_SETS = ("spirals", "blobs")   # these take n_classes
_GENERATED = ("xor", "circles", "spirals", "moons", "blobs", "sine")


def available_datasets() -> list[str]:
    """Dataset names accepted by the config: the generated sets, then "csv" (the user's file)."""
    return [*_GENERATED, "csv"]


def default_loss(task: str) -> str:
    """The natural loss: binary -> bce, multiclass -> cross_entropy, regression -> mse."""
    losses = {"binary": "bce", "multiclass": "cross_entropy", "regression": "mse"}
    if task not in losses:
        raise DatasetError(f"Unknown task '{task}'; valid tasks are {', '.join(TASKS)}.")
    return losses[task]


def dataset_task(name: str, n_classes: int = 3) -> str | None:
    """The task a generated dataset poses ("binary", "multiclass", "regression"); None for csv."""
    if name == "csv":
        return None
    if name == "sine":
        return "regression"
    if name in _BINARY_SETS:
        return "binary"
    if name in _CLASS_COUNT_SETS:
        return "binary" if n_classes == 2 else "multiclass"
    raise DatasetError(f"Unknown dataset '{name}'; valid datasets are "
                       f"{', '.join(available_datasets())}.")


def _check_split_args(n_samples: int, test_fraction: float) -> None:
    """Reject a sample count or test fraction the split cannot honour."""
    if not MIN_SAMPLES <= n_samples <= MAX_SAMPLES:
        raise DatasetError(f"n_samples must be between {MIN_SAMPLES} and {MAX_SAMPLES:,}, "
                           f"got {n_samples}.")
    check_test_fraction(test_fraction)


def _xor(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in [-1.2, 1.2]²; class 1 where x1·x2 > 0 (same-sign quadrants)."""
    X = rng.uniform(-1.2, 1.2, size=(n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def _circles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric rings: class 0 at radius 1.0, class 1 at radius 0.5."""
    y = rng.integers(0, 2, size=n)
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    radius = np.where(y == 1, 0.5, 1.0)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return X, y.astype(np.int64)


def _moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles (as in scikit-learn), centred and scaled to about ±1.3."""
    y = rng.integers(0, 2, size=n)
    t = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where((y == 0)[:, None], upper, lower)
    X = (X - np.array([0.5, 0.25])) * np.array([0.85, 1.2])
    return X, y.astype(np.int64)


def _spirals(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k interleaved spiral arms (CS231n style), radius 0..1.4, one class per arm."""
    y = rng.integers(0, k, size=n)
    r = rng.uniform(0.0, 1.0, size=n)
    theta = 2 * np.pi * y / k + 4.0 * r
    X = 1.4 * r[:, None] * np.stack([np.sin(theta), np.cos(theta)], axis=1)
    return X, y.astype(np.int64)


def _blobs(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """k Gaussian blobs (std 0.25) centred on a circle of radius 1."""
    y = rng.integers(0, k, size=n)
    angle = 2 * np.pi * y / k + np.pi / 4
    centres = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X = centres + 0.25 * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def _sine(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """1-D regression: x uniform in [-1.5, 1.5], y = sin(2x) + noise·N(0, 1)."""
    X = rng.uniform(-1.5, 1.5, size=(n, 1))
    y = np.sin(2.0 * X[:, 0]) + noise * rng.standard_normal(n)
    return X, y


def make_dataset(name: str, n_samples: int = 1000, noise: float = 0.1, *, n_classes: int = 3,
                 test_fraction: float = 0.2, rng: np.random.Generator) -> Dataset:
    """Generate a named toy dataset; noise is the std of Gaussian jitter added to the points.

    For sine the noise is added to the target instead. spirals and blobs take n_classes (2 gives a
    binary task). Raises DatasetError on an unknown name or out-of-range argument.
    """
    if name == "csv":
        raise DatasetError("The csv dataset is loaded from a file with load_csv, not generated.")
    task = dataset_task(name, n_classes)
    _check_split_args(n_samples, test_fraction)
    if not (np.isfinite(noise) and noise >= 0):
        raise DatasetError(f"noise must be a finite number >= 0, got {noise}.")
    if name in _CLASS_COUNT_SETS and not MIN_CLASSES <= n_classes <= MAX_GENERATED_CLASSES:
        raise DatasetError(f"n_classes must be between {MIN_CLASSES} and "
                           f"{MAX_GENERATED_CLASSES}, got {n_classes}.")
    if name == "sine":
        X, y = _sine(n_samples, noise, rng)
        names = ["x"]
        n_out = 0
    else:
        if name in _CLASS_COUNT_SETS:
            X, y = (_spirals if name == "spirals" else _blobs)(n_samples, n_classes, rng)
            n_out = n_classes
        else:
            X, y = {"xor": _xor, "circles": _circles, "moons": _moons}[name](n_samples, rng)
            n_out = 2
        X = X + noise * rng.standard_normal(X.shape)
        names = ["x1", "x2"]
    X_train, y_train, X_test, y_test = split_shuffled(X, y, test_fraction, rng)
    return Dataset(name=name, task=task, X_train=X_train, y_train=y_train, X_test=X_test,
                   y_test=y_test, n_classes=n_out, feature_names=names)


def load_csv(path, *, target_column: int = -1, task: str = "auto", test_fraction: float = 0.2,
             rng: np.random.Generator) -> Dataset:
    """Load the user's CSV (numeric features + one target column); see core.csv_loader."""
    return load_csv_dataset(path, target_column=target_column, task=task,
                            test_fraction=test_fraction, rng=rng)
