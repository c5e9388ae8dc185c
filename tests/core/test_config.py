"""ExperimentConfig: every validation branch, strict session JSON, atomic save."""

from __future__ import annotations

import dataclasses
import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.activations import available_activations
from core.config import (
    FIELD_SPECS,
    LIVE_FIELDS,
    MAX_SESSION_BYTES,
    SCHEMA_VERSION,
    ConfigError,
    ExperimentConfig,
)
from core.datasets import available_datasets

NAN = float("nan")


def test_defaults_are_valid_and_match_the_field_table() -> None:
    config = ExperimentConfig().validate()
    fields = {f.name for f in dataclasses.fields(ExperimentConfig)}
    assert fields == set(FIELD_SPECS)
    for name, spec in FIELD_SPECS.items():
        assert getattr(config, name) == spec.default, name
        assert spec.label and spec.tooltip.endswith(".")
    assert FIELD_SPECS["activation"].choices == tuple(available_activations())
    assert FIELD_SPECS["dataset"].choices == tuple(available_datasets())
    assert "no-op" in FIELD_SPECS["residual"].tooltip
    assert config.hidden_layer_sizes() == [32] * 6


def test_live_fields_are_the_contract_set() -> None:
    assert set(LIVE_FIELDS) == {"lr", "optimizer", "momentum", "beta1", "beta2", "eps", "l2",
                                "batch_size", "dead_refresh_every", "saturation_threshold"}


INVALID = [
    ({"depth": 0}, "depth must be in [1, 200], got 0"),
    ({"depth": 201}, "depth must be in [1, 200]"),
    ({"depth": 3.0}, "depth must be a whole number"),
    ({"depth": True}, "depth must be a whole number"),
    ({"width": 0}, "width must be in [1, 1024]"),
    ({"width": 1025}, "width must be in [1, 1024]"),
    ({"hidden_sizes": []}, "hidden_sizes must be a list of 1 to 200"),
    ({"hidden_sizes": [8, 0]}, "each entry of hidden_sizes must be in [1, 1024], got 0"),
    ({"hidden_sizes": [8, 2000]}, "each entry of hidden_sizes"),
    ({"hidden_sizes": [8, "x"]}, "each entry of hidden_sizes must be a whole number"),
    ({"hidden_sizes": "8,8"}, "hidden_sizes must be a list"),
    ({"lr": 0.0}, "lr must be in (0, 1e+06], got 0"),
    ({"lr": -1.0}, "lr must be in (0"),
    ({"lr": NAN}, "lr must be a finite number, got nan"),
    ({"lr": math.inf}, "lr must be a finite number, got inf"),
    ({"lr": "0.1"}, "lr must be a number"),
    ({"activation": "relux"}, "Unknown activation 'relux'; valid choices are linear, "),
    ({"activation": ["relu"] * 5}, "activation lists 5 names but the network has 6 hidden"),
    ({"activation": []}, "non-empty list"),
    ({"activation": ["relu"] * 5 + [3]}, "Unknown activation 3"),
    ({"activation_params": {"alpha": 0.1}}, "relu takes no parameters"),
    ({"activation": "leaky_relu", "activation_params": {"alpha": 5.0}}, "alpha"),
    ({"activation": "leaky_relu", "activation_params": {"alpha": NAN}}, "finite number"),
    ({"activation": "elu", "activation_params": {1: 1.0}}, "keys must be parameter names"),
    ({"activation": ["relu"] * 5 + ["elu"], "activation_params": {"beta": 1.0}},
     "No activation in the list takes the parameter 'beta'"),
    ({"activation_params": [1]}, "activation_params must be a mapping"),
    ({"init": "glorot"}, "Unknown init 'glorot'; valid choices are zeros, normal"),
    ({"init_std": 0.0}, "init_std must be in (0, 1000]"),
    ({"bias_init": NAN}, "bias_init must be a finite number"),
    ({"residual": 1}, "residual must be true or false, got 1"),
    ({"dataset": "mnist"}, "Unknown dataset 'mnist'; valid choices are xor, circles, spirals"),
    ({"noise": -0.1}, "noise must be in [0, 5]"),
    ({"n_samples": 7}, "n_samples must be in [8, 1e+06]"),
    ({"n_samples": 1_000_001}, "n_samples must be in [8, 1e+06]"),
    ({"n_classes": 1}, "n_classes must be in [2, 10]"),
    ({"test_fraction": 0.0}, "test_fraction must be in (0, 0.9]"),
    ({"test_fraction": 0.95}, "test_fraction must be in (0, 0.9]"),
    ({"dataset": "csv"}, "The csv dataset needs csv_path"),
    ({"dataset": "csv", "csv_path": "  "}, "The csv dataset needs csv_path"),
    ({"csv_path": 5}, "csv_path must be text"),
    ({"loss": "hinge"}, "Unknown loss 'hinge'; valid choices are mse, bce, cross_entropy"),
    ({"dataset": "sine", "loss": "cross_entropy"}, "does not fit the regression task"),
    ({"dataset": "sine", "loss": "bce"}, "use mse"),
    ({"dataset": "spirals", "loss": "bce"}, "does not fit the multiclass task"),
    ({"optimizer": "rmsprop"}, "Unknown optimizer 'rmsprop'; valid choices are sgd, momentum"),
    ({"optimizer": None}, "optimizer must be set"),
    ({"momentum": 1.0}, "momentum must be in [0, 1)"),
    ({"beta1": -0.1}, "beta1 must be in [0, 1)"),
    ({"beta2": NAN}, "beta2 must be a finite number"),
    ({"eps": 0.0}, "eps must be in (0, 1]"),
    ({"batch_size": 0}, "batch_size must be in [1, 1e+06]"),
    ({"l2": -1.0}, "l2 must be in [0, 10]"),
    ({"seed": -1}, "seed must be in [0, "),
    ({"dtype": "float16"}, "Unknown dtype 'float16'; valid choices are float64, float32"),
    ({"dead_refresh_every": 0}, "dead_refresh_every must be in [1, 100000]"),
    ({"saturation_threshold": 0.0}, "saturation_threshold must be in (0, 1]"),
]


@pytest.mark.parametrize(("changes", "message"), INVALID, ids=[str(c) for c, _ in INVALID])
def test_invalid_settings_give_one_clear_sentence(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ExperimentConfig(**changes).validate()
    text = str(caught.value)
    assert message in text
    assert text.endswith(".") and "\n" not in text


VALID = [
    {"depth": 200, "width": 1},
    {"hidden_sizes": [64, 32, 16], "activation": ["tanh", "relu", "swish"]},
    {"hidden_sizes": (4, 4)},
    {"activation": "leaky_relu", "activation_params": {"alpha": 0.2}},
    {"activation": ["leaky_relu"] * 5 + ["relu"], "activation_params": {"alpha": 0.2}},
    {"lr": 1e6, "init": "normal", "init_std": 1e3},
    {"lr": 1},
    {"dataset": "sine", "loss": "mse"},
    {"dataset": "xor", "loss": "cross_entropy"},
    {"dataset": "spirals", "n_classes": 2, "loss": "bce"},
    {"dataset": "csv", "csv_path": "/data/x.csv", "loss": "cross_entropy"},
    {"residual": True, "hidden_sizes": [8, 16, 16]},
    {"optimizer": "adam", "beta1": 0.0, "eps": 1.0, "dtype": "float32"},
    {"test_fraction": 0.9, "n_samples": 8},
]


@pytest.mark.parametrize("changes", VALID, ids=[str(c) for c in VALID])
def test_valid_edge_settings_pass_and_round_trip(changes: dict) -> None:
    config = ExperimentConfig(**changes).validate()
    assert ExperimentConfig.from_json(config.to_json()) == config


def test_validate_normalises_types() -> None:
    config = ExperimentConfig(lr=1, hidden_sizes=(4, 4), activation=("relu", "tanh")).validate()
    assert isinstance(config.lr, float) and config.hidden_sizes == [4, 4]
    assert config.activation == ["relu", "tanh"]
    assert config.hidden_layer_sizes() == [4, 4]


def test_replace_validates_and_copies() -> None:
    base = ExperimentConfig(hidden_sizes=[4, 4])
    changed = base.replace(lr=0.5)
    assert changed.lr == 0.5 and base.lr == 0.01
    assert base.changed_fields(changed) == {"lr"}
    changed.hidden_sizes.append(9)
    assert base.hidden_sizes == [4, 4]
    with pytest.raises(ConfigError, match="lr must be in"):
        base.replace(lr=0.0)
    with pytest.raises(ConfigError, match="Unknown setting 'learning_rate'"):
        base.replace(learning_rate=0.1)


def test_only_live_changes_is_the_one_reset_rule() -> None:
    """The trainer, the Lab and the form all ask this: do the differences need a reset?"""
    base = ExperimentConfig().validate()
    assert base.only_live_changes(base)
    assert base.only_live_changes(base.replace(lr=0.5, optimizer="adam", batch_size=7))
    assert not base.only_live_changes(base.replace(depth=3))
    assert not base.only_live_changes(base.replace(lr=0.5, seed=9))
    for name in LIVE_FIELDS:
        assert FIELD_SPECS[name].live


def test_json_round_trip_is_identity() -> None:
    config = ExperimentConfig(hidden_sizes=[16, 8], activation=["elu", "elu"],
                              activation_params={"alpha": 0.5}, lr=3e-4, optimizer="adam",
                              seed=2**40, residual=True, dataset="blobs", n_classes=5)
    text = config.to_json()
    envelope = json.loads(text)
    assert envelope["schema_version"] == SCHEMA_VERSION == 1 and envelope["app"] == "actiscope"
    again = ExperimentConfig.from_json(text)
    assert again == config and again.to_json() == text
    assert ExperimentConfig.from_json(text.encode()) == config


def test_from_dict_is_strict() -> None:
    data = ExperimentConfig().to_dict()
    with pytest.raises(ConfigError, match="Unknown setting 'colour'"):
        ExperimentConfig.from_dict({**data, "colour": "red"})
    missing = dict(data)
    del missing["lr"]
    with pytest.raises(ConfigError, match="missing the setting 'lr'"):
        ExperimentConfig.from_dict(missing)
    with pytest.raises(ConfigError, match=r"missing the setting 'depth' \(and 27 more\)"):
        ExperimentConfig.from_dict({})
    with pytest.raises(ConfigError, match="width must be a whole number, got '32'"):
        ExperimentConfig.from_dict({**data, "width": "32"})
    with pytest.raises(ConfigError, match="must be a mapping"):
        ExperimentConfig.from_dict([1, 2])


def test_from_partial_fills_defaults_but_rejects_unknown() -> None:
    config = ExperimentConfig.from_partial({"depth": 3, "activation": "tanh"})
    assert config == ExperimentConfig(depth=3, activation="tanh")
    with pytest.raises(ConfigError, match="Unknown setting 'dept'"):
        ExperimentConfig.from_partial({"dept": 3})
    with pytest.raises(ConfigError, match="depth must be in"):
        ExperimentConfig.from_partial({"depth": 0})


def _envelope(**changes) -> str:
    document = {"schema_version": 1, "app": "actiscope", "config": ExperimentConfig().to_dict()}
    document.update(changes)
    return json.dumps(document)


BAD_SESSIONS = [
    (b"\x00\xff\xfe garbage \x80", "not UTF-8 text"),
    ("", "not valid JSON"),
    ("{\"schema_version\": 1,", "not valid JSON"),
    ("[1, 2, 3]", "not an Actiscope session"),
    ("{\"app\": \"other\"}", "not an Actiscope session"),
    (_envelope(schema_version=2), "written by a newer Actiscope (schema 2 > 1)"),
    (_envelope(schema_version=0), "schema_version must be a whole number >= 1"),
    (_envelope(schema_version="1"), "schema_version must be a whole number >= 1"),
    (_envelope(extra=1), "Unknown entry 'extra'"),
    (_envelope(config=None), "must be a mapping of settings"),
    (_envelope().replace('"lr": 0.01', '"lr": NaN'), "NaN, which is not a valid number"),
    (_envelope().replace('"lr": 0.01', '"lr": 1e999'), "lr must be a finite number"),
    (_envelope().replace('"residual": false', '"residual": 0'), "residual must be true or false"),
    ('{"app": "actiscope", "schema_version": 1}', "has no \"config\" entry"),
    ("[" * 100_000, "nested too deeply"),
    (" " * (MAX_SESSION_BYTES + 1), "larger than 5 MB"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SESSIONS,
                         ids=[m for _, m in BAD_SESSIONS])
def test_bad_session_text_gives_one_sentence(text, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ExperimentConfig.from_json(text)


SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats()
           | st.text(max_size=12) | st.sampled_from(["relu", "tanh", "csv", "mse", "adam"]))
JSON_VALUES = SCALARS | st.lists(SCALARS, max_size=4) | st.dictionaries(
    st.text(max_size=6) | st.just("alpha"), SCALARS, max_size=2)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_session_files_load_or_fail_cleanly(data) -> None:
    """Any one field replaced by arbitrary JSON: a valid config or ConfigError, nothing else."""
    document = json.loads(_envelope())
    name = data.draw(st.sampled_from(sorted(FIELD_SPECS)))
    document["config"][name] = data.draw(JSON_VALUES)
    try:
        config = ExperimentConfig.from_json(json.dumps(document))
    except ConfigError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
    else:
        assert ExperimentConfig.from_json(config.to_json()) == config


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(raw: bytes) -> None:
    with pytest.raises(ConfigError):
        ExperimentConfig.from_json(raw)


def test_save_and_load(tmp_path) -> None:
    config = ExperimentConfig(depth=3, activation="tanh", lr=0.1)
    path = tmp_path / "my session ünïcode.json"
    config.save(path)
    assert ExperimentConfig.load(path) == config
    assert os.listdir(tmp_path) == [path.name]


def test_saved_session_gets_the_usual_permissions(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        ExperimentConfig().save(tmp_path / "s.json")
    finally:
        os.umask(old)
    assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


def test_failed_save_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch) -> None:
    path = tmp_path / "session.json"
    ExperimentConfig(depth=2).save(path)
    before = path.read_bytes()

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ConfigError, match="Cannot save the session to .*Permission denied"):
        ExperimentConfig(depth=5).save(path)
    assert os.listdir(tmp_path) == ["session.json"]
    assert path.read_bytes() == before


def test_save_into_missing_folder_fails_cleanly(tmp_path) -> None:
    with pytest.raises(ConfigError, match="No such file or directory"):
        ExperimentConfig().save(tmp_path / "missing" / "s.json")
    assert not (tmp_path / "missing").exists()


def test_invalid_config_is_never_saved(tmp_path) -> None:
    with pytest.raises(ConfigError, match="depth"):
        ExperimentConfig(depth=0).save(tmp_path / "s.json")
    assert os.listdir(tmp_path) == []


def test_load_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="Cannot open the session file .*No such file"):
        ExperimentConfig.load(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match="Cannot open the session file"):
        ExperimentConfig.load(tmp_path)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (50 * 2**20))
    with pytest.raises(ConfigError, match="larger than 5 MB"):
        ExperimentConfig.load(big)
    random = tmp_path / "random.json"
    random.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ConfigError, match="not UTF-8"):
        ExperimentConfig.load(random)


SMALL = {"depth": st.integers(1, 4), "width": st.integers(1, 16),
         "hidden_sizes": st.none() | st.lists(st.integers(1, 16), min_size=1, max_size=4),
         "n_samples": st.integers(8, 200), "batch_size": st.integers(1, 64)}


def _valid_values(name: str):
    """In-range values for one setting, kept small so a Trainer builds quickly."""
    spec = FIELD_SPECS[name]
    if name in SMALL:
        return SMALL[name]
    if spec.kind == "choice":
        return st.sampled_from([*spec.choices, *([None] if spec.optional else [])])
    if spec.kind == "float":
        return st.floats(spec.low, spec.high, exclude_min=spec.low_open,
                         exclude_max=spec.high_open)
    if spec.kind == "int":
        return st.integers(int(spec.low), min(int(spec.high), 50))
    if spec.kind == "bool":
        return st.booleans()
    return st.just(spec.default)


BAD_VALUES = st.sampled_from([-1, 0, 10**9, NAN, math.inf, "bogus", None, True, [], {}])
GENERATED_FIELDS = [name for name in FIELD_SPECS if name not in ("csv_path", "activation_params")]


@settings(max_examples=1000, deadline=None)
@given(st.fixed_dictionaries({name: _valid_values(name) for name in GENERATED_FIELDS}),
       st.none() | st.tuples(st.sampled_from(GENERATED_FIELDS), BAD_VALUES))
def test_generated_configs_either_train_or_fail_validation(values: dict, corruption) -> None:
    """Whatever validate() accepts, the Trainer builds and steps; the rest is one clear error."""
    from core.trainer import Trainer

    if corruption is not None:
        values[corruption[0]] = corruption[1]
    try:
        config = ExperimentConfig.from_partial(values)
    except ConfigError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return
    if config.dataset == "csv":
        return
    stats = Trainer(config).step()
    assert stats.step == 1 and len(stats.grad_norms) == len(config.hidden_layer_sizes()) + 1
