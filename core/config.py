"""ExperimentConfig: every setting of one experiment, validated, and saved as a session file.

    config = ExperimentConfig(depth=20, activation="tanh").validate()
    config.save("run.actiscope.json");  ExperimentConfig.load("run.actiscope.json") == config

Ranges and choices live in core.config_fields.FIELD_SPECS (the GUI builds its form from it).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.atomic_write import write_text_atomic
from core.config_fields import (
    FIELD_SPECS,
    LIVE_FIELDS,
    ConfigError,
    FieldSpec,
    check_activations,
    is_int,
    normalised,
    shown,
)
from core.datasets import dataset_task
from core.history import DEFAULT_MAX_BYTES as HISTORY_BYTES

__all__ = ["SCHEMA_VERSION", "LIVE_FIELDS", "FIELD_SPECS", "FieldSpec", "ConfigError",
           "ExperimentConfig", "MAX_SESSION_BYTES", "MEMORY_BUDGET_BYTES"]

SCHEMA_VERSION = 1
APP_NAME = "actiscope"
MAX_SESSION_BYTES = 5 * 1024 * 1024
# validate() refuses experiments estimated to need more (a 4 GB laptop must survive any config).
MEMORY_BUDGET_BYTES = 3 * 10**9
# Per-parameter copies held while training: optimizer state, plus one temporary for Adam/L2.
_STATE_COPIES = {"sgd": 0, "momentum": 1, "adam": 2}
# Per hidden unit and batch row the training workspace holds z, f(z), f'(z), dL/dz, dL/da.
_WORKSPACE_COPIES = 5
# mse on class labels regresses the one-hot targets; cross_entropy on a binary set uses 2 logits.
# Settings added after schema 1 was fixed: a session written before them loads with the default.
ADDED_FIELDS: frozenset[str] = frozenset({"bias_std", "normalization"})
_COMPATIBLE_LOSSES = {"binary": ("bce", "cross_entropy", "mse"),
                      "multiclass": ("cross_entropy", "mse"), "regression": ("mse",)}


@dataclass
class ExperimentConfig:
    """All settings of one experiment (network, data, optimizer, statistics)."""

    depth: int = 6
    width: int = 32
    hidden_sizes: list[int] | None = None
    activation: str | list[str] = "relu"
    activation_params: dict[str, float] = field(default_factory=dict)
    init: str = "he_normal"
    init_std: float = 0.01
    bias_init: float = 0.0
    bias_std: float = 0.0
    residual: bool = False
    normalization: str = "none"
    dataset: str = "spirals"
    noise: float = 0.1
    n_samples: int = 1000
    n_classes: int = 3
    test_fraction: float = 0.2
    csv_path: str | None = None
    loss: str | None = None
    optimizer: str = "sgd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    lr: float = 0.01
    batch_size: int = 128
    l2: float = 0.0
    seed: int = 0
    dtype: str = "float64"
    dead_refresh_every: int = 10
    saturation_threshold: float = 0.01

    def hidden_layer_sizes(self) -> list[int]:
        """Units per hidden layer: hidden_sizes if given, else depth copies of width."""
        if self.hidden_sizes is not None:
            return list(self.hidden_sizes)
        return [self.width] * self.depth

    def task(self) -> str | None:
        """The dataset's task ("binary", "multiclass", "regression"); None for csv (unknown)."""
        return dataset_task(self.dataset, self.n_classes)

    def validate(self) -> ExperimentConfig:
        """Check every field and their combinations; raises ConfigError, returns self.

        Whole numbers in float fields become floats and tuples become lists, so a validated
        config serialises the same way however it was built.
        """
        for name, spec in FIELD_SPECS.items():
            setattr(self, name, normalised(spec, getattr(self, name)))
        check_activations(self.activation, self.activation_params,
                          len(self.hidden_layer_sizes()))
        if self.dataset == "csv" and not (self.csv_path or "").strip():
            raise ConfigError("The csv dataset needs csv_path, the file to load.")
        task = self.task()
        if self.loss is not None and task is not None and \
                self.loss not in _COMPATIBLE_LOSSES[task]:
            raise ConfigError(f"Loss '{self.loss}' does not fit the {task} task of dataset "
                              f"'{self.dataset}'; use {' or '.join(_COMPATIBLE_LOSSES[task])}.")
        needed = self.estimated_memory_bytes()
        if needed > MEMORY_BUDGET_BYTES:
            raise ConfigError(
                f"This experiment needs about {needed / 1e9:.1f} GB of memory "
                f"({len(self.hidden_layer_sizes())} hidden layers, "
                f"{max(self.hidden_layer_sizes())} units wide, {self.optimizer}, {self.dtype}, "
                f"batch {self.batch_size}), more than the {MEMORY_BUDGET_BYTES / 1e9:g} GB "
                f"allowed; reduce the width, depth or batch size{self._memory_hint()}.")
        return self

    def _memory_hint(self) -> str:
        """The cheaper choices not taken yet, as the tail of the memory error's advice."""
        hints = [h for h, use in (("float32", self.dtype != "float32"),
                                  ("sgd", self.optimizer != "sgd")) if use]
        return f", or use {' or '.join(hints)}" if hints else ""

    def estimated_memory_bytes(self) -> int:
        """Peak bytes training this config needs: parameters × copies + batch workspace + data.

        Copies: weights, gradients, optimizer state (momentum 1, Adam 2) and one temporary
        (Adam's moment update, L2). A CSV file's feature count is not known here (2 assumed).
        """
        hidden = self.hidden_layer_sizes()
        outputs = self.n_classes if self.task() == "multiclass" else 1
        sizes = [2, *hidden, outputs]
        n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        copies = 2 + _STATE_COPIES.get(self.optimizer, 2) + \
            int(self.optimizer == "adam" or self.l2 > 0)
        itemsize = 4 if self.dtype == "float32" else 8
        n_train = max(1, self.n_samples - int(self.n_samples * self.test_fraction))
        rows = min(self.batch_size, n_train)
        per_unit = _WORKSPACE_COPIES + int(self.residual)
        workspace = rows * sum(hidden) * per_unit * itemsize
        data = self.n_samples * (sizes[0] + 1) * 8 * 2  # float64 split + the dtype copy
        return n_params * copies * itemsize + workspace + data + HISTORY_BYTES

    def replace(self, **changes: object) -> ExperimentConfig:
        """A validated copy with some fields changed (unknown field names -> ConfigError)."""
        for name in changes:
            if name not in FIELD_SPECS:
                raise ConfigError(f"Unknown setting '{name}'.")
        return dataclasses.replace(copy.deepcopy(self), **copy.deepcopy(changes)).validate()

    def changed_fields(self, other: ExperimentConfig) -> set[str]:
        """Names of the fields whose values differ from `other`."""
        return {name for name in FIELD_SPECS if getattr(self, name) != getattr(other, name)}

    def only_live_changes(self, other: ExperimentConfig) -> bool:
        """True if every field that differs from `other` is in LIVE_FIELDS (no reset needed)."""
        return self.changed_fields(other) <= LIVE_FIELDS

    def to_dict(self) -> dict:
        """Every field as plain JSON-ready values (a deep copy)."""
        return {name: copy.deepcopy(getattr(self, name)) for name in FIELD_SPECS}

    @classmethod
    def from_dict(cls, data: object) -> ExperimentConfig:
        """A validated config from a complete field mapping; unknown or missing fields fail."""
        if not isinstance(data, dict):
            raise ConfigError(f"The config must be a mapping of settings, got "
                              f"{type(data).__name__}.")
        _reject_unknown(data)
        missing = [name for name in FIELD_SPECS
                   if name not in data and name not in ADDED_FIELDS]
        if missing:
            raise ConfigError(f"The config is missing the setting '{missing[0]}'"
                              + (f" (and {len(missing) - 1} more)." if len(missing) > 1 else "."))
        return cls(**copy.deepcopy(data)).validate()  # absent ADDED_FIELDS take defaults

    @classmethod
    def from_partial(cls, data: object) -> ExperimentConfig:
        """A validated config from some fields, the rest at their defaults (presets, CLI)."""
        if not isinstance(data, dict):
            raise ConfigError(f"The config must be a mapping of settings, got "
                              f"{type(data).__name__}.")
        _reject_unknown(data)
        return cls(**copy.deepcopy(data)).validate()

    def to_json(self) -> str:
        """The session file text: {"schema_version": 1, "app": "actiscope", "config": {...}}."""
        self.validate()
        envelope = {"schema_version": SCHEMA_VERSION, "app": APP_NAME, "config": self.to_dict()}
        return json.dumps(envelope, indent=2, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> ExperimentConfig:
        """Parse session text (str or UTF-8 bytes); anything malformed -> ConfigError."""
        if len(text) > MAX_SESSION_BYTES:
            raise ConfigError(f"The session is larger than {MAX_SESSION_BYTES // 2**20} MB; "
                              "it cannot be an Actiscope session file.")
        if isinstance(text, (bytes, bytearray)):
            try:
                text = bytes(text).decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigError("The session file is not UTF-8 text; it is not an Actiscope "
                                  "session.") from None
        return cls.from_dict(_unwrap(_parse_json(text)))

    def save(self, path: str | os.PathLike) -> None:
        """Write the session atomically (temp file in the same folder, then os.replace)."""
        text = self.to_json()
        try:
            write_text_atomic(path, text)
        except OSError as exc:
            raise ConfigError(f"Cannot save the session to '{Path(path)}': "
                              f"{exc.strerror or exc}.") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> ExperimentConfig:
        """Read a session file written by save (at most 5 MB); problems -> ConfigError."""
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_SESSION_BYTES + 1)
        except OSError as exc:
            raise ConfigError(f"Cannot open the session file '{path}': "
                              f"{exc.strerror or exc}.") from None
        return cls.from_json(data)


def _reject_unknown(data: dict) -> None:
    unknown = [key for key in data if key not in FIELD_SPECS]
    if unknown:
        raise ConfigError(f"Unknown setting {shown(unknown[0])} in the config; valid settings "
                          f"are {', '.join(FIELD_SPECS)}.")


def _no_constants(name: str) -> float:
    raise ConfigError(f"The session holds {name}, which is not a valid number.")


def _parse_json(text: str) -> object:
    """json.loads that turns every failure (syntax, NaN, deep nesting) into ConfigError."""
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The session is not valid JSON ({exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno}).") from None
    except RecursionError:
        raise ConfigError("The session is nested too deeply to be an Actiscope session.") \
            from None
    except ConfigError:  # from _no_constants
        raise
    except ValueError:  # an integer literal beyond Python's digit limit for str -> int
        raise ConfigError("The session holds a number with thousands of digits, which is not a "
                          "valid setting.") from None


def _unwrap(document: object) -> object:
    """The "config" member of a session envelope, after checking app and schema version."""
    if not isinstance(document, dict) or document.get("app") != APP_NAME:
        raise ConfigError("This JSON is not an Actiscope session (no \"app\": \"actiscope\").")
    version = document.get("schema_version")
    if not is_int(version) or version < 1:
        raise ConfigError(f"The session's schema_version must be a whole number >= 1, got "
                          f"{shown(version)}.")
    if version > SCHEMA_VERSION:
        raise ConfigError(f"This session was written by a newer Actiscope (schema {version} > "
                          f"{SCHEMA_VERSION}); update Actiscope to open it.")
    extra = [key for key in document if key not in ("schema_version", "app", "config")]
    if extra:
        raise ConfigError(f"Unknown entry {shown(extra[0])} in the session file.")
    if "config" not in document:
        raise ConfigError("The session file has no \"config\" entry.")
    return document["config"]
