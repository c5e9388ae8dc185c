"""Generated datasets: shapes, label sets, ranges, determinism, and argument errors."""

from __future__ import annotations

import numpy as np
import pytest

from core.datasets import (
    DatasetError,
    available_datasets,
    dataset_task,
    default_loss,
    make_dataset,
)

GENERATED = [name for name in available_datasets() if name != "csv"]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_available_datasets() -> None:
    assert available_datasets() == ["xor", "circles", "spirals", "moons", "blobs", "sine", "csv"]


@pytest.mark.parametrize("name", GENERATED)
def test_shapes_dtypes_and_split(name: str) -> None:
    data = make_dataset(name, n_samples=500, test_fraction=0.2, rng=rng())
    assert data.name == name
    assert data.X_train.shape[0] == 400 and data.X_test.shape[0] == 100
    assert data.X_train.dtype == np.float64 and data.X_train.ndim == 2
    assert data.input_dim == (1 if name == "sine" else 2) == len(data.feature_names)
    assert len(data.y_train) == 400 and len(data.y_test) == 100
    assert np.isfinite(data.X_train).all() and np.isfinite(data.y_train).all()
    assert data.task == dataset_task(name)


@pytest.mark.parametrize("name", ["xor", "circles", "moons"])
def test_binary_sets_have_balanced_int_labels(name: str) -> None:
    data = make_dataset(name, n_samples=2000, noise=0.0, rng=rng())
    y = np.concatenate([data.y_train, data.y_test])
    assert data.task == "binary" and data.n_classes == 2
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize("name", ["xor", "circles", "spirals", "moons", "blobs"])
def test_two_d_sets_lie_roughly_in_the_box(name: str) -> None:
    data = make_dataset(name, n_samples=5000, noise=0.1, rng=rng())
    X = np.concatenate([data.X_train, data.X_test])
    assert np.quantile(np.abs(X), 0.99) <= 1.6
    assert np.abs(X).max() > 0.9          # actually fills the box, not a dot in the middle


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spirals_and_blobs_take_the_class_count(k: int) -> None:
    for name in ("spirals", "blobs"):
        data = make_dataset(name, n_samples=1000, n_classes=k, rng=rng())
        labels = np.unique(np.concatenate([data.y_train, data.y_test]))
        np.testing.assert_array_equal(labels, np.arange(k))
        assert data.n_classes == k
        assert data.task == ("binary" if k == 2 else "multiclass")


def test_labels_follow_the_geometry_without_noise() -> None:
    xor = make_dataset("xor", n_samples=400, noise=0.0, rng=rng())
    np.testing.assert_array_equal(xor.y_train, xor.X_train[:, 0] * xor.X_train[:, 1] > 0)
    circles = make_dataset("circles", n_samples=400, noise=0.0, rng=rng())
    radius = np.linalg.norm(circles.X_train, axis=1)
    np.testing.assert_allclose(radius, np.where(circles.y_train == 1, 0.5, 1.0))


def test_sine_is_regression_with_noise_on_the_target() -> None:
    clean = make_dataset("sine", n_samples=300, noise=0.0, rng=rng())
    assert clean.task == "regression" and clean.n_classes == 0
    assert clean.y_train.dtype == np.float64
    np.testing.assert_allclose(clean.y_train, np.sin(2 * clean.X_train[:, 0]))
    noisy = make_dataset("sine", n_samples=3000, noise=0.3, rng=rng())
    residual = noisy.y_train - np.sin(2 * noisy.X_train[:, 0])
    assert 0.25 < residual.std() < 0.35


def test_noise_moves_points() -> None:
    quiet = make_dataset("circles", n_samples=1000, noise=0.0, rng=rng())
    loud = make_dataset("circles", n_samples=1000, noise=0.3, rng=rng())
    spread = lambda d: np.linalg.norm(d.X_train, axis=1)[d.y_train == 0].std()  # noqa: E731
    assert spread(quiet) < 1e-12 < 0.2 < spread(loud)


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_data_different_seed_different_data(name: str) -> None:
    a = make_dataset(name, n_samples=200, rng=rng(7))
    b = make_dataset(name, n_samples=200, rng=rng(7))
    c = make_dataset(name, n_samples=200, rng=rng(8))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_data_is_shuffled() -> None:
    data = make_dataset("blobs", n_samples=1000, rng=rng())
    assert len(set(data.y_train[:20].tolist())) > 1


def test_smallest_split_leaves_a_training_row() -> None:
    data = make_dataset("xor", n_samples=8, test_fraction=0.9, rng=rng())
    assert len(data.X_train) >= 1 and len(data.X_test) >= 1
    assert len(data.X_train) + len(data.X_test) == 8


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "mnist"}, "Unknown dataset 'mnist'; valid datasets are xor"),
    ({"name": "csv"}, "loaded from a file with load_csv"),
    ({"name": "xor", "n_samples": 7}, "n_samples must be between 8 and 1,000,000"),
    ({"name": "xor", "test_fraction": 0.0}, "test_fraction must be in (0, 0.9]"),
    ({"name": "xor", "noise": -1.0}, "noise must be a finite number >= 0"),
    ({"name": "xor", "noise": float("nan")}, "noise must be a finite number >= 0"),
    ({"name": "spirals", "n_classes": 1}, "n_classes must be between 2 and 10"),
])
def test_bad_arguments(kwargs: dict, message: str) -> None:
    name = kwargs.pop("name")
    with pytest.raises(DatasetError) as caught:
        make_dataset(name, rng=rng(), **kwargs)
    assert message in str(caught.value)


def test_default_loss() -> None:
    assert default_loss("binary") == "bce"
    assert default_loss("multiclass") == "cross_entropy"
    assert default_loss("regression") == "mse"
    with pytest.raises(DatasetError, match="valid tasks are binary, multiclass, regression"):
        default_loss("ranking")
    assert dataset_task("csv") is None
