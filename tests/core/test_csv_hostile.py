"""Hostile CSV files: one DatasetError sentence naming the line, never a crash or a half-load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from core.datasets import DatasetError, load_csv

ROOT = Path(__file__).resolve().parents[2]
GOOD_ROWS = [f"{i * 0.1:.1f},{(i * 7) % 5 - 2:.1f},{i % 2}" for i in range(40)]


def _write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    """Write `content` (text as UTF-8, bytes as is) to tmp_path/name."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _refused(path: Path, **kwargs) -> str:
    """load_csv must raise DatasetError with one non-empty line; returns the message."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DatasetError) as info:
            load_csv(path, rng=np.random.default_rng(0), **kwargs)
    message = str(info.value)
    assert message and "\n" not in message, repr(message)
    assert "Traceback" not in message
    return message


def _loaded(path: Path, **kwargs):
    """load_csv must succeed without any warning; the features must be finite."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_csv(path, rng=np.random.default_rng(0), **kwargs)
    assert np.isfinite(data.X_train).all() and np.isfinite(data.X_test).all()
    return data


def test_good_file_with_header_loads(tmp_path):
    data = _loaded(_write(tmp_path, "a,b,label\n" + "\n".join(GOOD_ROWS) + "\n"))
    assert data.task == "binary" and data.n_classes == 2
    assert len(data.X_train) + len(data.X_test) == 40
    assert data.feature_names == ["a", "b"]
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("content, words", [
    ("", ["empty"]),
    ("\n\n   \n", ["empty"]),
    ("a,b,label\n", ["header", "no data"]),
    ("a,b,label\n\n\n", ["header", "no data"]),
    ("\ufeff", ["empty"]),
])
def test_empty_and_header_only(tmp_path, content, words):
    message = _refused(_write(tmp_path, content))
    for word in words:
        assert word in message


def _with_row(row: str, at: int = 10, header: bool = True) -> tuple[str, int]:
    """Good rows with row `at` replaced by `row`; also the 1-based file line of that row."""
    rows = list(GOOD_ROWS)
    rows[at] = row
    text = ("a,b,label\n" if header else "") + "\n".join(rows) + "\n"
    return text, at + 1 + int(header)


@pytest.mark.parametrize("row", ["1.0,2.0", "1.0,2.0,1,4", "1.0", "1.0,2.0,1,"])
def test_ragged_row_names_its_line(tmp_path, row):
    text, line = _with_row(row)
    assert f"line {line}" in _refused(_write(tmp_path, text))


@pytest.mark.parametrize("cell", ["abc", "1.2.3", "", "0x1F", "1;5",
                                  "'1'", "\"2\"", "1e", "--1", "TRUE"])
def test_non_numeric_cell_names_its_line_and_column(tmp_path, cell):
    text, line = _with_row(f"0.5,{cell},1", at=23)
    message = _refused(_write(tmp_path, text))
    assert f"line {line}" in message and "column 2" in message


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_non_finite_names_its_line(tmp_path, cell):
    text, line = _with_row(f"{cell},0.5,1", at=31)
    message = _refused(_write(tmp_path, text))
    assert f"line {line}" in message and "column 1" in message


def test_non_finite_target_names_its_line(tmp_path):
    text, line = _with_row("0.5,0.5,nan", at=5, header=False)
    assert f"line {line}" in _refused(_write(tmp_path, text))


def test_single_class(tmp_path):
    rows = [f"{i},{i * 2},3" for i in range(30)]
    message = _refused(_write(tmp_path, "\n".join(rows)), task="classification")
    assert "single class" in message or "one class" in message


def test_single_class_auto(tmp_path):
    rows = [f"{i},{i * 2},1" for i in range(30)]
    message = _refused(_write(tmp_path, "\n".join(rows)))
    assert "class" in message


def test_fractional_labels_for_classification(tmp_path):
    text, line = _with_row("0.5,0.5,0.5", at=12, header=False)
    assert f"line {line}" in _refused(_write(tmp_path, text), task="classification")


@pytest.mark.parametrize("blob, line", [
    (b"a,b,label\n0,1,0\n0.5,\xff\xfe,1\n", 3),
    (b"\xff\xfea\x00,\x00b\x00\n\x00", 1),               # UTF-16 (Excel "Unicode text")
    (b"a,b,label\n" + b"1,2,0\n" * 20 + b"\x80\x81\x82,1,1\n", 22),
])
def test_non_utf8_bytes_name_the_line(tmp_path, blob, line):
    message = _refused(_write(tmp_path, blob))
    assert f"line {line}" in message and "UTF-8" in message


def test_random_binary_file(tmp_path):
    rng = np.random.default_rng(5)
    _refused(_write(tmp_path, rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes()))


def test_one_giant_line_is_refused_without_reading_it_all(tmp_path):
    message = _refused(_write(tmp_path, b"1," * 3_000_000))
    assert "line 1" in message


def test_folder_and_missing_file(tmp_path):
    _refused(tmp_path)
    _refused(tmp_path / "missing.csv")


def test_blank_line_inside_data(tmp_path):
    text = "\n".join(GOOD_ROWS[:10]) + "\n\n" + "\n".join(GOOD_ROWS[10:]) + "\n"
    assert "line 11" in _refused(_write(tmp_path, text))


def test_too_few_rows(tmp_path):
    assert "rows" in _refused(_write(tmp_path, "\n".join(GOOD_ROWS[:3])))


def test_target_column_out_of_range(tmp_path):
    _refused(_write(tmp_path, "\n".join(GOOD_ROWS)), target_column=7)


def test_windows_line_endings_and_bom_load(tmp_path):
    text = "\ufeffa,b,label\r\n" + "\r\n".join(GOOD_ROWS) + "\r\n"
    data = _loaded(_write(tmp_path, text))
    assert data.feature_names == ["a", "b"] and data.task == "binary"


def test_old_mac_line_endings_load(tmp_path):
    # Classic Mac / some Excel exports end lines with a bare CR: 40 rows must not become "1 row".
    text = "a,b,label\r" + "\r".join(GOOD_ROWS) + "\r"
    data = _loaded(_write(tmp_path, text))
    assert len(data.X_train) + len(data.X_test) == 40
    assert data.feature_names == ["a", "b"] and data.task == "binary"
    reference = _loaded(_write(tmp_path, "a,b,label\n" + "\n".join(GOOD_ROWS) + "\n", "lf.csv"))
    np.testing.assert_array_equal(data.X_train, reference.X_train)
    np.testing.assert_array_equal(data.y_train, reference.y_train)


@pytest.mark.parametrize("scale", [1e150, 1e200, 1e307, 1e308])
def test_huge_but_finite_values_standardise_without_overflow(tmp_path, scale):
    # Finite in the file (|value| <= 1.79e308 < float64 max); they load, and standardising must
    # not overflow (numpy warning) or silently zero them.
    rng = np.random.default_rng(1)
    values = np.clip(rng.normal(size=60), -1.79, 1.79) * scale
    rows = [f"{v:.6e},{w:.6f},{i % 2}"
            for i, (v, w) in enumerate(zip(values, rng.normal(size=60), strict=True))]
    data = _loaded(_write(tmp_path, "\n".join(rows) + "\n"))
    assert len(data.X_train) + len(data.X_test) == 60
    assert np.abs(data.X_train[:, 0]).max() > 0.1, "feature silently flattened to 0"
    assert np.std(data.X_train[:, 0]) == pytest.approx(1.0, rel=1e-6)


def test_constant_feature_column_is_finite(tmp_path):
    rows = [f"5.0,{i},{i % 2}" for i in range(30)]
    data = _loaded(_write(tmp_path, "\n".join(rows)))
    assert np.all(data.X_train[:, 0] == 0.0)


def test_tiny_denormal_values(tmp_path):
    rows = [f"{i}e-320,{i},{i % 2}" for i in range(30)]
    data = _loaded(_write(tmp_path, "\n".join(rows)))
    assert np.isfinite(data.X_train).all()


_TEN_MILLION = """
import json, sys, time
import numpy as np
from core.datasets import DatasetError, load_csv
start = time.perf_counter()
try:
    load_csv(sys.argv[1], rng=np.random.default_rng(0))
    outcome = "loaded"
except DatasetError as exc:
    outcome = str(exc)
# VmHWM is this process's own peak (reset at exec); ru_maxrss would include the forking
# parent's RSS from before the exec, i.e. pytest's, not the loader's.
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start,
                  "peak_rss_mb": peak_kb / 1024}))
"""


@pytest.fixture(scope="module")
def ten_million_rows(tmp_path_factory) -> Path:
    """A 10,000,000-row, ~150 MB CSV, written once per module."""
    path = tmp_path_factory.mktemp("huge") / "ten_million.csv"
    block = "".join(f"{(i % 997) * 0.001:.3f},{(i % 101) * 0.01:.2f},{i % 2}\n"
                    for i in range(100_000)).encode()
    with open(path, "wb") as handle:
        for _ in range(100):
            handle.write(block)
    return path


@pytest.mark.slow
def test_ten_million_rows_refused_without_loading_all(ten_million_rows):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", _TEN_MILLION, str(ten_million_rows)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-1000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n10M-row CSV: {report['seconds']:.2f} s, peak RSS {report['peak_rss_mb']:.0f} MB, "
          f"{report['outcome']!r}")
    assert report["outcome"] != "loaded"
    assert "line 1,000,001" in report["outcome"] or "1,000,000" in report["outcome"]
    # The file is ~150 MB of text; holding it all (as str rows or floats) would exceed this.
    assert report["peak_rss_mb"] < 400
