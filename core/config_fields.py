"""The table of experiment settings: type, default, range or choices, label and tooltip per field.

The GUI builds its form from FIELD_SPECS and ExperimentConfig.validate checks each value against
it with `normalised`, so a range lives in exactly one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.activations import (
    ActivationError,
    activation_info,
    available_activations,
    get_activation,
    is_formula_name,
)
from core.dataset_base import MAX_TEST_FRACTION
from core.datasets import (
    MAX_GENERATED_CLASSES,
    MAX_SAMPLES,
    MIN_CLASSES,
    MIN_SAMPLES,
    available_datasets,
)
from core.initializers import INITIALIZERS
from core.losses import LOSSES
from core.network_buffers import DTYPES
from core.normalization import NORMALIZATIONS
from core.optimizers import OPTIMIZERS

MAX_DEPTH = 200
MAX_WIDTH = 1024
KINDS = ("int", "float", "str", "bool", "choice", "list", "dict")


@dataclass(frozen=True)
class FieldSpec:
    """One experiment setting as the GUI form and the validator see it.

    kind: int | float | str | bool | choice | list (of ints) | dict (name -> float).
    low/high bound numbers (and list entries); low_open/high_open make a bound exclusive.
    optional: None is allowed (meaning given in the tooltip). per_layer: a list with one
    choice per hidden layer is accepted as well as a single choice.
    """

    name: str
    kind: str
    default: object
    label: str
    tooltip: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False
    per_layer: bool = False
    live: bool = False

    def range_text(self) -> str:
        """The valid range as interval text, e.g. "(0, 0.9]"."""
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def in_range(self, value: float) -> bool:
        """True if value lies within [low, high] (or the open variant)."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


def _specs() -> dict[str, FieldSpec]:
    """Build the table; each list of choices comes from the module that implements it."""
    s = [
        FieldSpec("depth", "int", 6, "Depth", "Number of hidden layers (1–200); ignored when "
                  "hidden sizes are given.", 1, MAX_DEPTH),
        FieldSpec("width", "int", 32, "Width", "Units per hidden layer (1–1024); ignored when "
                  "hidden sizes are given.", 1, MAX_WIDTH),
        FieldSpec("hidden_sizes", "list", None, "Hidden sizes", "Explicit units per hidden "
                  "layer, e.g. 64, 32, 16 (each 1–1024); empty = depth × width.", 1, MAX_WIDTH,
                  optional=True),
        FieldSpec("activation", "choice", "relu", "Activation", "Activation of every hidden "
                  "layer (or a list with one per hidden layer); the output layer is linear. "
                  "'formula:<expression in x>' is your own activation.",
                  choices=tuple(available_activations()), per_layer=True),
        FieldSpec("activation_params", "dict", {}, "Activation parameters", "Parameters such "
                  "as alpha or beta, applied to every hidden layer; empty = the defaults."),
        FieldSpec("init", "choice", "he_normal", "Weight init", "How weights start: He suits "
                  "ReLU-like units, Xavier suits tanh/sigmoid; normal/uniform use the std below.",
                  choices=INITIALIZERS),
        FieldSpec("init_std", "float", 0.01, "Init std", "Standard deviation for init 'normal', "
                  "half-width for 'uniform' (dimensionless weight units).", 0.0, 1e3,
                  low_open=True),
        FieldSpec("bias_init", "float", 0.0, "Bias init", "Starting value of every bias; a "
                  "negative value pushes ReLU units towards dying.", -10.0, 10.0),
        FieldSpec("bias_std", "float", 0.0, "Bias std", "0 = every bias starts at bias init; "
                  "above 0 biases are drawn from N(bias init, std²). The theory views assume "
                  "random biases with σ_b² = std² (a constant bias shifts the mean instead). "
                  "pytorch_default keeps its own uniform biases.", 0.0, 10.0),
        FieldSpec("residual", "bool", False, "Residual connections", "Adds skip connections "
                  "h + f(Wh + b) between consecutive hidden layers of equal width; where widths "
                  "differ the layer stays plain (no-op)."),
        FieldSpec("normalization", "choice", "none", "Normalization", "Normalizes every hidden "
                  "layer's pre-activation before its activation: z = Wh + b, then γ·norm(z) + β "
                  "(γ, β learned), then f. batchnorm: per unit over the batch while training, "
                  "running averages for test accuracy and the boundary; layernorm: over the units "
                  "of each sample; none: plain layers.", choices=NORMALIZATIONS),
        FieldSpec("dataset", "choice", "spirals", "Dataset", "Toy problem to learn, or 'csv' "
                  "for your own file (set the CSV path).", choices=tuple(available_datasets())),
        FieldSpec("noise", "float", 0.1, "Noise", "Std of Gaussian jitter added to the points "
                  "(to the target for sine), in input units.", 0.0, 5.0),
        FieldSpec("n_samples", "int", 1000, "Samples", f"Points generated ({MIN_SAMPLES}–"
                  f"{MAX_SAMPLES:,}), split into train and test.", MIN_SAMPLES, MAX_SAMPLES),
        FieldSpec("n_classes", "int", 3, "Classes", "Classes for spirals and blobs "
                  f"({MIN_CLASSES}–{MAX_GENERATED_CLASSES}; 2 makes a binary task).",
                  MIN_CLASSES, MAX_GENERATED_CLASSES),
        FieldSpec("test_fraction", "float", 0.2, "Test fraction", "Share of samples held out "
                  f"for the test accuracy, in (0, {MAX_TEST_FRACTION:g}].", 0.0,
                  MAX_TEST_FRACTION, low_open=True),
        FieldSpec("csv_path", "str", None, "CSV path", "Your comma-separated file (numeric "
                  "features, target in the last column); used when the dataset is 'csv'.",
                  optional=True),
        FieldSpec("loss", "choice", None, "Loss", "Training loss; empty = natural for the task "
                  "(bce for binary, cross-entropy for multiclass, mse for regression).",
                  choices=LOSSES, optional=True),
        FieldSpec("optimizer", "choice", "sgd", "Optimizer", "Update rule: plain SGD, SGD with "
                  "momentum, or Adam.", choices=OPTIMIZERS, live=True),
        FieldSpec("momentum", "float", 0.9, "Momentum", "Momentum coefficient (optimizer "
                  "'momentum'), in [0, 1).", 0.0, 1.0, high_open=True, live=True),
        FieldSpec("beta1", "float", 0.9, "Adam β1", "Decay of Adam's first-moment average, "
                  "in [0, 1).", 0.0, 1.0, high_open=True, live=True),
        FieldSpec("beta2", "float", 0.999, "Adam β2", "Decay of Adam's second-moment average, "
                  "in [0, 1).", 0.0, 1.0, high_open=True, live=True),
        FieldSpec("eps", "float", 1e-8, "Adam ε", "Added to Adam's denominator for stability, "
                  "in (0, 1].", 0.0, 1.0, low_open=True, live=True),
        FieldSpec("lr", "float", 0.01, "Learning rate", "Step size per update, > 0 (up to 1e6, "
                  "where training diverges).", 0.0, 1e6, low_open=True, live=True),
        FieldSpec("batch_size", "int", 128, "Batch size", "Training samples drawn per step "
                  "(1 or more).", 1, MAX_SAMPLES, live=True),
        FieldSpec("l2", "float", 0.0, "L2 penalty", "L2 weight-decay coefficient on the weights "
                  "(0 = none), in [0, 10].", 0.0, 10.0, live=True),
        FieldSpec("seed", "int", 0, "Seed", "Seeds weights, data and batches; the same seed "
                  "gives the same run.", 0, 2**63 - 1),
        FieldSpec("dtype", "choice", "float64", "Precision", "float64 is exact enough for tiny "
                  "gradients; float32 is faster.", choices=DTYPES),
        FieldSpec("dead_refresh_every", "int", 10, "Dead-unit refresh", "Steps between "
                  "recounting units dead on the whole training set (1–100,000).", 1, 100_000,
                  live=True),
        FieldSpec("saturation_threshold", "float", 0.01, "Saturation threshold", "A unit is "
                  "saturated when |f'(z)| stays below this for every sample, in (0, 1].", 0.0,
                  1.0, low_open=True, live=True),
    ]
    return {spec.name: spec for spec in s}


FIELD_SPECS: dict[str, FieldSpec] = _specs()
LIVE_FIELDS: frozenset[str] = frozenset(n for n, spec in FIELD_SPECS.items() if spec.live)


class ConfigError(ValueError):
    """An invalid setting or session file; the message is one sentence for the user."""


def shown(value: object) -> str:
    """A short printable form of a user value for error messages."""
    if is_int(value) and abs(int(value)) >= 10**15:
        return _big_int_text(int(value))
    try:
        text = repr(value)
    except ValueError:  # e.g. an object whose repr fails
        return f"a {type(value).__name__} value"
    return text if len(text) <= 60 else text[:57] + "..."


def _big_int_text(value: int) -> str:
    """A huge int as "about 1e+400" (never converted to float, never printed in full)."""
    try:
        return f"{float(value):g}"
    except OverflowError:
        digits = int(abs(value).bit_length() * math.log10(2))
        return f"about {'-' if value < 0 else ''}1e+{digits}"


def _number_text(value: int | float) -> str:
    """A number for an error message, %g-style, safe for ints beyond the float range."""
    return _big_int_text(value) if isinstance(value, int) else f"{value:g}"


def is_int(value: object) -> bool:
    """True for Python/numpy integers, False for bools (JSON true is not a layer count)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: object) -> bool:
    """True for ints and floats (numpy too), False for bools."""
    return is_int(value) or isinstance(value, (float, np.floating))


def _check_number(spec: FieldSpec, value: object, what: str) -> int | float:
    """value as int/float within the spec's range, or ConfigError naming `what`."""
    if spec.kind == "int" or spec.kind == "list":
        if not is_int(value):
            raise ConfigError(f"{what} must be a whole number, got {shown(value)}.")
        number: int | float = int(value)
    else:
        if not _is_real(value):
            raise ConfigError(f"{what} must be a number, got {shown(value)}.")
        number = _finite_float(value)
        if number is None:
            raise ConfigError(f"{what} must be a finite number, got {shown(value)}.")
    if not spec.in_range(number):
        raise ConfigError(f"{what} must be in {spec.range_text()}, got {_number_text(number)}.")
    return number


def _finite_float(value: int | float) -> float | None:
    """float(value), or None when it is inf/nan or an int beyond the float range."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _check_choice(spec: FieldSpec, value: object, what: str) -> str:
    """value if it is one of the spec's choices, else ConfigError listing them.

    An activation may also be "formula:<text>": it is compiled (a bad one gives its one
    sentence) and stored as its canonical text, so sessions keep the formula and re-check it.
    """
    if spec.name == "activation" and is_formula_name(value):
        try:
            return activation_info(value).name
        except ActivationError as exc:
            raise ConfigError(str(exc)) from None
    if not isinstance(value, str) or value not in spec.choices:
        raise ConfigError(f"Unknown {what} {shown(value)}; valid choices are "
                          f"{', '.join(spec.choices)}.")
    return value


def normalised(spec: FieldSpec, value: object) -> object:
    """The field value type- and range-checked, as plain Python (ints, floats, lists, dicts).

    Raises ConfigError with one sentence naming the field.
    """
    name = spec.name
    if value is None:
        if spec.optional:
            return None
        raise ConfigError(f"{name} must be set; it cannot be null.")
    if spec.kind in ("int", "float"):
        return _check_number(spec, value, name)
    if spec.kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(f"{name} must be true or false, got {shown(value)}.")
        return bool(value)
    if spec.kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be text, got {shown(value)}.")
        return value
    if spec.kind == "choice":
        if spec.per_layer and isinstance(value, (list, tuple)):
            if not value:
                raise ConfigError(f"{name} must be a name or a non-empty list of names.")
            return [_check_choice(spec, item, name) for item in value]
        return _check_choice(spec, value, name)
    if spec.kind == "list":
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_DEPTH:
            raise ConfigError(f"{name} must be a list of 1 to {MAX_DEPTH} layer sizes, "
                              f"got {shown(value)}.")
        return [_check_number(spec, item, f"each entry of {name}") for item in value]
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a mapping of names to numbers, got {shown(value)}.")
    checked = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise ConfigError(f"{name} keys must be parameter names, got {shown(key)}.")
        number = _finite_float(item) if _is_real(item) else None
        if number is None:
            raise ConfigError(f"{name}['{key}'] must be a finite number, got {shown(item)}.")
        checked[key] = number
    return checked


def check_field(name: str, value: object) -> object:
    """`value` checked against FIELD_SPECS[name] exactly as validate() checks it (normalised)."""
    return normalised(FIELD_SPECS[name], value)


def check_activations(activation: str | list[str], params: dict[str, float],
                      n_hidden: int) -> None:
    """One activation name, or one per hidden layer; every parameter must suit an activation.

    With a single name each parameter must be one it takes; with a list each layer takes the ones
    its activation knows, and a parameter no activation in the list takes is refused.
    """
    if isinstance(activation, list) and len(activation) != n_hidden:
        raise ConfigError(f"activation lists {len(activation)} names but the network has "
                          f"{n_hidden} hidden layers; give one activation per hidden layer or a "
                          "single name.")
    try:
        if isinstance(activation, str):
            get_activation(activation, **params)
            return
        used: set[str] = set()
        for name in dict.fromkeys(activation):
            known = {spec.name for spec in get_activation(name).info.params}
            get_activation(name, **{k: v for k, v in params.items() if k in known})
            used |= known
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(exc)) from None
    unused = [key for key in params if key not in used]
    if unused:
        raise ConfigError(f"No activation in the list takes the parameter '{unused[0]}'.")
