"""Step-by-step training of a Network on a Dataset, recording gradient flow and dead units."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.boundary import decision_grid
from core.config import ConfigError, ExperimentConfig
from core.datasets import Dataset, default_loss, load_csv, make_dataset
from core.history import History
from core.losses import prepare_targets
from core.network import BackwardResult, Network, dead_and_saturated
from core.optimizers import Optimizer, frobenius_norms, make_optimizer

__all__ = ["StepStats", "Trainer", "TrainerError", "decision_grid"]


class TrainerError(ValueError):
    """A configuration the trainer cannot run (e.g. a loss that does not fit the dataset's task)."""


@dataclass
class StepStats:
    """What one training step measured; every array is a copy the caller may keep."""

    step: int  # 1 after the first step
    loss: float  # training loss on this batch, before the update
    train_accuracy: float  # on this batch (nan for regression)
    test_accuracy: float  # on the test split as of dataset_stats_step (nan for regression)
    grad_norms: np.ndarray  # (n_weight_layers,) ‖dW_i‖_F
    signal_norms: np.ndarray  # (n_weight_layers,) ‖∂L/∂a_i‖_F, a_0 = batch inputs
    unit_grad: list[np.ndarray]  # len(sizes): mean |∂L/∂unit| (inputs, pre-activations, logits)
    dead_fraction: np.ndarray  # (n_hidden,) dead on this batch
    dead_fraction_dataset: np.ndarray  # (n_hidden,) dead on the training set
    dead_units_dataset: list[np.ndarray]  # per hidden layer bool (width,), read-only
    dataset_stats_step: int  # step at which the *_dataset fields and test_accuracy were measured
    saturated_fraction: np.ndarray  # (n_hidden,) on this batch
    saturated_units_dataset: list[np.ndarray]  # per hidden layer bool (width,), read-only, as of
    # dataset_stats_step: |f'(z)| < saturation_threshold on every training sample, not dead
    update_ratio: np.ndarray  # (n_weight_layers,) ‖ΔW_i‖_F / ‖W_i‖_F (nan where W_i = 0)
    diverged: bool  # loss or a gradient non-finite: weights NOT updated
    message: str  # "" or the one-sentence reason and what to try

    @property
    def accuracy(self) -> float:
        """Training accuracy on this batch."""
        return self.train_accuracy


def _validated(config: ExperimentConfig) -> ExperimentConfig:
    """A validated copy of `config`; ConfigError for anything validate() refuses."""
    if not isinstance(config, ExperimentConfig):
        raise ConfigError(f"A trainer needs an ExperimentConfig, got {type(config).__name__}.")
    return config.replace()


def _output_width(loss: str, dataset: Dataset) -> int:
    """Logit count the loss needs for this dataset; TrainerError if they do not fit."""
    task = dataset.task
    if loss == "cross_entropy" and task != "regression":
        return max(dataset.n_classes, 2)
    if loss == "bce" and task == "binary":
        return 1
    if loss == "mse":
        return dataset.n_classes if task == "multiclass" else 1
    raise TrainerError(f"The {loss} loss does not fit a {task} dataset; use {default_loss(task)}.")


class Trainer:
    """Owns a dataset, a network, an optimizer and a History; `step()` trains one minibatch."""

    def __init__(self, config: ExperimentConfig, dataset: Dataset | None = None) -> None:
        """Build the dataset (unless given), network and optimizer from `config`.

        The config is validated first (ConfigError, as ExperimentConfig.validate() raises it);
        the trainer keeps a validated copy, so later edits of `config` do not reach it.
        """
        self.config = _validated(config)
        data_seq, self._init_seq, self._batch_seq = np.random.SeedSequence(config.seed).spawn(3)
        if dataset is None:
            data_rng = np.random.default_rng(data_seq)
            if config.dataset == "csv":
                dataset = load_csv(config.csv_path, test_fraction=config.test_fraction,
                                   rng=data_rng)
            else:
                dataset = make_dataset(
                    config.dataset, config.n_samples, config.noise, n_classes=config.n_classes,
                    test_fraction=config.test_fraction, rng=data_rng,
                )
        self.dataset = dataset
        self.reset()

    def reset(self) -> None:
        """Rebuild network, optimizer and history from `config` (same data, same seeds)."""
        cfg, ds = self.config, self.dataset
        loss = cfg.loss or default_loss(ds.task)
        width = _output_width(loss, ds)
        sizes = [ds.input_dim, *cfg.hidden_layer_sizes(), width]
        self.network = Network(
            sizes, cfg.activation, cfg.init, loss, activation_params=dict(cfg.activation_params),
            init_std=cfg.init_std, bias_init=cfg.bias_init, bias_std=cfg.bias_std,
            residual=cfg.residual, normalization=cfg.normalization, dtype=cfg.dtype,
            rng=np.random.default_rng(self._init_seq),
        )
        net = self.network
        self._weight_sizes = [w.size for w in net.weights]
        self.optimizer: Optimizer = self._make_optimizer(cfg)
        self.history = History(net.n_weight_layers, net.n_hidden)
        self.step_count = 0
        self.diverged = False
        self.last: StepStats | None = None
        self._batch_rng = np.random.default_rng(self._batch_seq)
        self._order = np.empty(0, np.int64)
        self._position = 0
        self._X_train = np.ascontiguousarray(ds.X_train, dtype=net.dtype)
        self._X_test = np.ascontiguousarray(ds.X_test, dtype=net.dtype)
        self._labels = np.asarray(ds.y_train)
        if loss == "mse" and ds.task == "multiclass":
            targets = np.eye(width)[self._labels.astype(np.int64)]
        else:
            targets = self._labels
        self._targets = prepare_targets(loss, targets, len(self._labels), width, net.dtype)
        self._X_batch = np.empty((0, sizes[0]), net.dtype)
        hidden = sizes[1:-1]
        self._hidden_offsets = np.cumsum([0, *hidden[:-1]]).astype(np.intp)
        self._hidden_widths = np.asarray(hidden, np.float64)
        self._flag_buffer = np.empty((2, sum(hidden)), bool)
        # Slices of the one float64 copy per step: unit_grad per layer, then the signal norms.
        ends = np.cumsum([*sizes, net.n_weight_layers]).tolist()
        self._unit_slices = [slice(end - size, end)
                             for size, end in zip([*sizes, net.n_weight_layers], ends, strict=True)]
        self._dead_units = [np.zeros(w, bool) for w in hidden]
        self._saturated_units = [np.zeros(w, bool) for w in hidden]
        self._dead_fraction_dataset = np.zeros(len(hidden))
        self._test_accuracy = math.nan
        self._dataset_stats_step = 0

    def _make_optimizer(self, cfg: ExperimentConfig) -> Optimizer:
        return make_optimizer(cfg.optimizer, lr=cfg.lr, l2=cfg.l2, momentum=cfg.momentum,
                              beta1=cfg.beta1, beta2=cfg.beta2, eps=cfg.eps)

    def apply_live_changes(self, config: ExperimentConfig) -> bool:
        """Adopt `config` without a reset if only live fields differ; returns whether it did.

        An invalid config raises ConfigError and changes nothing.
        """
        config = _validated(config)
        if not config.only_live_changes(self.config):
            return False
        new_optimizer = config.optimizer != self.config.optimizer
        self.config = config
        if new_optimizer:
            self.optimizer = self._make_optimizer(config)
        else:
            opt = self.optimizer
            opt.lr, opt.l2, opt.momentum = config.lr, config.l2, config.momentum
            opt.beta1, opt.beta2, opt.eps = config.beta1, config.beta2, config.eps
        return True

    def run(self, n_steps: int, callback: Callable[[StepStats], object] | None = None
            ) -> StepStats | None:
        """Up to `n_steps` steps (stops early on divergence); callback(stats) after each."""
        for _ in range(n_steps):
            stats = self.step()
            if callback is not None:
                callback(stats)
            if self.diverged:
                break
        return self.last

    # ----- one step -----------------------------------------------------------------------------
    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows for the next minibatch: shuffled epochs without replacement, fixed batch size."""
        n = len(self._X_train)
        size = min(self.config.batch_size, n)
        if self._position + size > len(self._order):
            self._order = self._batch_rng.permutation(n)
            self._position = 0
        index = self._order[self._position:self._position + size]
        self._position += size
        if self._X_batch.shape[0] != size:
            self._X_batch = np.empty((size, self._X_train.shape[1]), self._X_train.dtype)
        np.take(self._X_train, index, axis=0, out=self._X_batch)
        return index, self._X_batch

    def _accuracy(self, logits: np.ndarray, labels: np.ndarray) -> float:
        """Fraction of correct predictions (nan for regression)."""
        task = self.dataset.task
        if task == "regression" or len(labels) == 0:
            return math.nan
        if logits.shape[1] > 1:
            predicted = logits.argmax(axis=1)
        else:
            predicted = logits[:, 0] > (0.0 if self.network.loss == "bce" else 0.5)
        return float(np.count_nonzero(predicted == labels)) / len(labels)

    def _refresh_dataset_stats(self) -> None:
        """Dead and saturated units on the training set and test accuracy, as of this step.

        Both are forward-only passes, so a BatchNorm network uses its running statistics here
        (eval mode), as the decision boundary does.
        """
        net = self.network
        if net.n_hidden:
            threshold = self.config.saturation_threshold
            dead, saturated = [], []
            for peaks in net.max_abs_derivative(self._X_train):
                masks = dead_and_saturated(peaks, threshold)
                for mask in masks:
                    mask.flags.writeable = False  # shared by the StepStats until the next refresh
                dead.append(masks[0])
                saturated.append(masks[1])
            self._dead_units = dead
            self._saturated_units = saturated
            self._dead_fraction_dataset = np.array([d.mean() for d in dead])
            self._dead_fraction_dataset.flags.writeable = False
        if len(self._X_test):
            self._test_accuracy = self._accuracy(net.forward(self._X_test), self.dataset.y_test)
        self._dataset_stats_step = self.step_count

    def step(self) -> StepStats:
        """Train on one minibatch and return its statistics (returns `last` once diverged)."""
        if self.diverged and self.last is not None:
            return self.last
        with np.errstate(all="ignore"):
            return self._step()

    def _step(self) -> StepStats:
        net, cfg = self.network, self.config
        index, X = self._next_batch()
        y = self._targets[index]
        result = net.backward_stats(X, y, cfg.saturation_threshold, reuse_buffers=True)
        self.step_count += 1
        grad_norms = result.grad_norms
        problem = _divergence(result)
        n_layers = net.n_weight_layers
        update_ratio = np.full(n_layers, math.nan)
        if not problem:
            weight_norms = frobenius_norms(net.weights)
            packed = net.packed_parameters()
            if packed is not None:
                update_norms = self.optimizer.step_flat(packed, result.grad_flat,
                                                        self._weight_sizes, grad_norms,
                                                        weight_norms)
            else:
                # γ and β (when normalized) are updated like biases: no L2, not in the norms
                update_norms = self.optimizer.step(
                    net.weights, net.biases + net.gammas + net.betas, result.dW,
                    result.db + result.dgamma + result.dbeta, grad_norms, weight_norms)
            if self.optimizer.applied:  # False: the update overflowed and was not applied
                np.divide(update_norms, weight_norms, out=update_ratio, where=weight_norms > 0)
            else:
                problem = "the weight update overflowed"
        message = ""
        if problem:
            self.diverged = True
            message = (f"Training diverged at step {self.step_count}: {problem}; try a lower "
                       "learning rate, a smaller initial weight scale, a bounded activation such "
                       "as tanh, or the Adam optimizer.")
        labels = self._labels[index]
        train_accuracy = self._accuracy(result.logits, labels)
        every = max(int(cfg.dead_refresh_every), 1)
        if not problem and (self.step_count == 1 or self.step_count % every == 0):
            self._refresh_dataset_stats()
        stats = self._make_stats(result, grad_norms, update_ratio, train_accuracy, message)
        self.last = stats
        self.history.append(stats)
        return stats

    def _make_stats(self, result, grad_norms, update_ratio, train_accuracy, message) -> StepStats:
        """Copy what the GUI may keep out of the network's reused buffers (one copy each)."""
        copied = np.concatenate([*result.unit_grad, result.signal_norms], dtype=np.float64)
        if self._hidden_offsets.size:
            flags = self._flag_buffer  # row 0 dead, row 1 saturated, per hidden unit
            np.concatenate(result.dead_mask, out=flags[0])
            np.concatenate(result.saturated_mask, out=flags[1])
            fractions = np.add.reduceat(flags, self._hidden_offsets, axis=1, dtype=np.float64)
            fractions /= self._hidden_widths
            dead_fraction, saturated_fraction = fractions
        else:
            dead_fraction = saturated_fraction = np.zeros(0)
        return StepStats(
            step=self.step_count, loss=result.loss, train_accuracy=train_accuracy,
            test_accuracy=self._test_accuracy, grad_norms=grad_norms,
            signal_norms=copied[self._unit_slices[-1]],
            unit_grad=[copied[part] for part in self._unit_slices[:-1]],
            dead_fraction=dead_fraction, dead_fraction_dataset=self._dead_fraction_dataset,
            dead_units_dataset=self._dead_units, dataset_stats_step=self._dataset_stats_step,
            saturated_fraction=saturated_fraction,
            saturated_units_dataset=self._saturated_units, update_ratio=update_ratio,
            diverged=self.diverged, message=message,
        )


def _divergence(result: BackwardResult) -> str:
    """"" if the loss and every gradient statistic are finite, else what went wrong.

    The network computes its norms overflow-safely, so a non-finite one means the gradient holds
    inf/nan (or is too large for float64): a step that is not flagged has only finite statistics.
    """
    if not math.isfinite(result.loss):
        return "the loss became infinite or NaN"
    return "" if result.statistics_finite else "a gradient became infinite or NaN"
