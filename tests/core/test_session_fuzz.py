"""Mutated and hostile session files: ExperimentConfig.load raises ConfigError and nothing else."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import (
    ADDED_FIELDS,
    FIELD_SPECS,
    SCHEMA_VERSION,
    ConfigError,
    ExperimentConfig,
)

BASE = ExperimentConfig(depth=3, width=8, activation=["tanh", "relu", "elu"],
                        activation_params={"alpha": 0.5}, hidden_sizes=None, n_samples=100,
                        optimizer="adam", lr=0.003, seed=7).validate()
BASE_TEXT = BASE.to_json()
BASE_DOC = json.loads(BASE_TEXT)
ODD_VALUES = [None, True, 0, -1, 1.5, 1e308, "", "x" * 300, [], [1, "a"], {}, {"k": None},
              "nan", 10**30, -(10**30)]


def _load_bytes(tmp_path: Path, blob: bytes) -> ExperimentConfig:
    """Write `blob` as a session file and load it."""
    path = tmp_path / "session.actiscope.json"
    path.write_bytes(blob)
    return ExperimentConfig.load(path)


def _assert_clean(exc: BaseException) -> None:
    """One short non-empty line."""
    message = str(exc)
    assert message.strip() and "\n" not in message and len(message) < 600, repr(message[:700])


def _loads_or_config_error(tmp_path: Path, blob: bytes) -> ExperimentConfig | None:
    """The file loads (a valid config) or raises ConfigError; any other exception fails the test."""
    try:
        config = _load_bytes(tmp_path, blob)
    except ConfigError as exc:
        _assert_clean(exc)
        return None
    assert isinstance(config, ExperimentConfig)
    assert ExperimentConfig.from_json(config.to_json()) == config
    return config


def test_base_session_round_trips(tmp_path):
    path = tmp_path / "ünïcode session ✓.json"
    BASE.save(path)
    assert ExperimentConfig.load(path) == BASE
    assert os.listdir(tmp_path) == [path.name]


@st.composite
def mutated_documents(draw) -> bytes:
    """The base session with 1-4 structural mutations, serialised (sometimes re-damaged)."""
    doc = json.loads(BASE_TEXT)
    config = doc["config"]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "retype", "extra", "envelope", "nest", "swap"]))
        if op == "delete" and config:
            config.pop(draw(st.sampled_from(sorted(config))))
        elif op == "retype" and config:
            config[draw(st.sampled_from(sorted(config)))] = draw(st.sampled_from(ODD_VALUES))
        elif op == "extra":
            config[draw(st.text(max_size=10))] = draw(st.sampled_from(ODD_VALUES))
        elif op == "envelope":
            key = draw(st.sampled_from(["schema_version", "app", "config", "extra"]))
            doc[key] = draw(st.sampled_from([*ODD_VALUES, SCHEMA_VERSION + 1, "actiscope"]))
        elif op == "nest":
            doc = draw(st.sampled_from([[doc], {"session": doc}, config, None, "text", 1]))
            if not isinstance(doc, dict) or "config" not in doc:
                break
            config = doc["config"] if isinstance(doc["config"], dict) else {}
        elif op == "swap" and isinstance(doc, dict):
            doc["config"] = draw(st.sampled_from([[], "config", 3, None, [config]]))
            break
    text = json.dumps(doc).encode("utf-8")
    damage = draw(st.sampled_from(["none", "none", "truncate", "bytes", "splice"]))
    if damage == "truncate":
        text = text[:draw(st.integers(0, len(text)))]
    elif damage == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=20)) + text[at:]
    elif damage == "splice":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999",
                                                 b'"\\ud800"', b"\x00", b"\xef\xbb\xbf"]))\
            + text[at:]
    return text


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(mutated_documents())
def test_mutated_sessions_load_or_raise_config_error(tmp_path, blob):
    _loads_or_config_error(tmp_path, blob)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_random_bytes_raise_config_error(tmp_path, blob):
    _loads_or_config_error(tmp_path, blob)


@pytest.mark.parametrize("field", [name for name in FIELD_SPECS if name not in ADDED_FIELDS])
def test_each_missing_field_is_named(tmp_path, field):
    doc = json.loads(BASE_TEXT)
    del doc["config"][field]
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, json.dumps(doc).encode())
    _assert_clean(info.value)
    assert field in str(info.value)


@pytest.mark.parametrize("version, words", [
    (SCHEMA_VERSION + 1, "newer"), (10**6, "newer"), (0, "schema"), (-1, "schema"),
    ("1", "schema"), (1.0, "schema"), (True, "schema"), (None, "schema"),
])
def test_schema_versions(tmp_path, version, words):
    doc = json.loads(BASE_TEXT)
    doc["schema_version"] = version
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, json.dumps(doc).encode())
    _assert_clean(info.value)
    assert words in str(info.value)


@pytest.mark.parametrize("digits", [400, 5000])
def test_huge_integer_literal_in_session(tmp_path, digits):
    # Valid JSON; 5000 digits also trips CPython's int-string limit (a plain ValueError).
    text = BASE_TEXT.replace('"lr": 0.003', '"lr": 1' + "0" * digits)
    assert text != BASE_TEXT
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, text.encode())
    _assert_clean(info.value)


@pytest.mark.parametrize("digits", [400, 5000])
def test_huge_integer_in_int_field(tmp_path, digits):
    text = BASE_TEXT.replace('"depth": 3', '"depth": 1' + "0" * digits)
    assert text != BASE_TEXT
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, text.encode())
    _assert_clean(info.value)


def test_deep_nesting_is_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        _load_bytes(tmp_path, b"[" * 200_000 + b"]" * 200_000)
    _assert_clean(info.value)


@pytest.mark.parametrize("blob", [
    b"", b"\n", b"null", b"[]", b"{}", b"\xef\xbb\xbf" + BASE_TEXT.encode(),
    BASE_TEXT.encode("utf-16"), b"\x00" * 100, b'{"app": "actiscope"}'])
def test_small_hostile_files(tmp_path, blob):
    _loads_or_config_error(tmp_path, blob)


def test_fifty_megabyte_file_is_refused_without_reading_it(tmp_path):
    # Padded with whitespace so it would even parse; the size alone must refuse it.
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.write(BASE_TEXT.encode()[:-2])
        handle.write(b" " * (50 * 2**20))
        handle.write(b"}\n")
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as info:
            ExperimentConfig.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _assert_clean(info.value)
    assert peak < 12 * 2**20, f"read {peak / 2**20:.0f} MB to refuse a 50 MB file"


def test_missing_file_and_folder(tmp_path):
    for path in (tmp_path / "missing.json", tmp_path):
        with pytest.raises(ConfigError) as info:
            ExperimentConfig.load(path)
        _assert_clean(info.value)


def test_save_into_missing_folder_leaves_nothing(tmp_path):
    with pytest.raises(ConfigError) as info:
        BASE.save(tmp_path / "nope" / "s.json")
    _assert_clean(info.value)
    assert os.listdir(tmp_path) == []


def test_save_when_replace_fails_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    path.write_text("old")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ConfigError) as info:
        BASE.save(path)
    _assert_clean(info.value)
    assert os.listdir(tmp_path) == ["s.json"] and path.read_text() == "old"


def test_save_interrupted_mid_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    BASE.save(path)
    before = path.read_bytes()

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        BASE.replace(seed=99).save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["s.json"]


def test_save_with_long_legal_name(tmp_path):
    path = tmp_path / ("s" * 245 + ".json")
    BASE.save(path)
    assert ExperimentConfig.load(path) == BASE
    assert os.listdir(tmp_path) == [path.name]


def test_save_of_invalid_config_writes_nothing(tmp_path):
    config = ExperimentConfig()
    config.lr = -1.0
    with pytest.raises(ConfigError):
        config.save(tmp_path / "bad.json")
    assert os.listdir(tmp_path) == []
