"""CSV loading: valid files with and without header, and every error naming its line."""

from __future__ import annotations

import numpy as np
import pytest

from core.csv_loader import MAX_ROWS
from core.datasets import DatasetError, load_csv


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def rows_text(n: int = 20, header: bool = True) -> str:
    """n rows: two features on different scales and a 0/1 label."""
    lines = ["height,weight,label"] if header else []
    for i in range(n):
        lines.append(f"{100 + i * 3.5},{0.01 * i * i},{i % 2}")
    return "\n".join(lines) + "\n"


def write(tmp_path, text: str | bytes, name: str = "data.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def test_with_header(tmp_path) -> None:
    data = load_csv(write(tmp_path, rows_text(20)), rng=rng())
    assert data.name == "csv" and data.task == "binary" and data.n_classes == 2
    assert data.feature_names == ["height", "weight"]
    assert data.X_train.shape == (16, 2) and data.X_test.shape == (4, 2)
    assert data.y_train.dtype == np.int64 and set(np.unique(data.y_train)) <= {0, 1}


def test_without_header_and_crlf_and_trailing_blank_lines(tmp_path) -> None:
    text = rows_text(20, header=False).replace("\n", "\r\n") + "\r\n\r\n"
    data = load_csv(write(tmp_path, text), rng=rng())
    assert data.feature_names == ["x1", "x2"]
    assert len(data.X_train) + len(data.X_test) == 20


def test_utf8_bom_header_is_read(tmp_path) -> None:
    data = load_csv(write(tmp_path, "\ufeff" + rows_text(10)), rng=rng())
    assert data.feature_names == ["height", "weight"]


def test_features_are_standardised_on_the_training_split(tmp_path) -> None:
    gen = np.random.default_rng(1)
    X = gen.normal([50.0, -3.0, 7.0], [10.0, 0.01, 0.0], size=(500, 3))
    y = gen.normal(size=500)
    lines = [",".join(f"{v:.10g}" for v in row) for row in np.column_stack([X, y])]
    data = load_csv(write(tmp_path, "\n".join(lines)), rng=rng())
    assert data.task == "regression" and data.y_train.dtype == np.float64
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(data.X_train.std(axis=0), [1, 1, 0], atol=1e-9)  # constant: 0
    assert np.abs(data.X_test.mean(axis=0)).max() < 0.3
    assert np.isfinite(data.X_test).all()


def test_auto_task_multiclass_labels_remapped(tmp_path) -> None:
    lines = [f"{i},{i * 2},{[10, 20, 30][i % 3]}" for i in range(30)]
    data = load_csv(write(tmp_path, "\n".join(lines)), rng=rng())
    assert data.task == "multiclass" and data.n_classes == 3
    assert set(np.unique(np.concatenate([data.y_train, data.y_test]))) == {0, 1, 2}


def test_target_column_and_explicit_tasks(tmp_path) -> None:
    lines = ["label,a,b"] + [f"{i % 2},{i},{i * i}" for i in range(12)]
    path = write(tmp_path, "\n".join(lines))
    data = load_csv(path, target_column=0, rng=rng())
    assert data.feature_names == ["a", "b"] and data.task == "binary"
    regression = load_csv(path, target_column=0, task="regression", rng=rng())
    assert regression.task == "regression" and regression.n_classes == 0
    many = load_csv(path, target_column=1, task="classification", rng=rng())
    assert many.task == "multiclass" and many.n_classes == 12


def test_many_distinct_integers_are_regression_in_auto(tmp_path) -> None:
    lines = [f"{i},{i}" for i in range(30)]
    assert load_csv(write(tmp_path, "\n".join(lines)), rng=rng()).task == "regression"


def test_same_seed_same_split(tmp_path) -> None:
    path = write(tmp_path, rows_text(40))
    a, b = load_csv(path, rng=rng()), load_csv(path, rng=rng())
    np.testing.assert_array_equal(a.X_train, b.X_train)
    c = load_csv(path, rng=np.random.default_rng(5))
    assert not np.array_equal(a.y_train, c.y_train) or not np.array_equal(a.X_train, c.X_train)


def replace_line(text: str, line_no: int, new: str) -> str:
    lines = text.split("\n")
    lines[line_no - 1] = new
    return "\n".join(lines)


ERRORS = [
    ("", "data.csv': the file is empty"),
    ("\n\n  \n", "the file is empty"),
    ("a,b,label\n", "has a header line but no data rows"),
    (replace_line(rows_text(), 5, "1,2"), "line 5 has 2 values but line 2 has 3"),
    (replace_line(rows_text(), 7, "1,2,3,4"), "line 7 has 4 values but line 2 has 3"),
    ("a,b\n" + rows_text(10, header=False), "the header has 2 columns but line 2 has 3"),
    (replace_line(rows_text(), 9, "1,abc,0"), "line 9, column 2 holds 'abc', which is not a"),
    (replace_line(rows_text(), 3, "1,,0"), "line 3, column 2 holds an empty cell"),
    (replace_line(rows_text(), 4, '"1",2,0'), "line 4, column 1 holds '\"1\"'"),
    (replace_line(rows_text(), 21, "1,2,x"), "line 21, column 3 holds 'x'"),
    (replace_line(rows_text(), 6, "1,nan,0"), "line 6, column 2 holds 'nan'; only finite"),
    (replace_line(rows_text(), 8, "inf,1,0"), "line 8, column 1 holds 'inf'"),
    (replace_line(rows_text(), 10, "-Infinity,1,0"), "line 10, column 1 holds '-Infinity'"),
    (replace_line(rows_text(), 11, ""), "line 11 is empty but more data follows it"),
    (rows_text(7), "it has only 7 data rows; at least 8 are needed"),
    ("\n".join(str(i) for i in range(20)), "line 1 has one column"),
    ("\n".join(f"{i},1" for i in range(20)), "the target 'column 2' holds a single class (1)"),
    ("a,y\n" + "\n".join(f"{i},{i % 2 + 0.5}" for i in range(20)),
     "line 2: target 'y' is 0.5, but class labels must be whole numbers"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[m for _, m in ERRORS])
def test_errors_name_the_line(tmp_path, text: str, message: str) -> None:
    task = "classification" if "whole numbers" in message else "auto"
    with pytest.raises(DatasetError) as caught:
        load_csv(write(tmp_path, text), task=task, rng=rng())
    text_of = str(caught.value)
    assert message in text_of, text_of
    assert text_of.endswith(".") and "\n" not in text_of


def test_non_utf8_bytes_name_the_line(tmp_path) -> None:
    raw = rows_text().encode().replace(b"103.5", b"10\xff3.5")
    with pytest.raises(DatasetError, match="line 3 is not UTF-8 text"):
        load_csv(write(tmp_path, raw), rng=rng())


def test_random_binary_file_is_rejected(tmp_path) -> None:
    raw = np.random.default_rng(0).bytes(300_000)
    with pytest.raises(DatasetError, match="line 1 (is not UTF-8|is longer)"):
        load_csv(write(tmp_path, raw), rng=rng())


def test_huge_single_line_is_rejected_without_reading_it_all(tmp_path) -> None:
    with pytest.raises(DatasetError, match="line 1 is longer than 100,000 characters"):
        load_csv(write(tmp_path, "1," * 300_000), rng=rng())


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(DatasetError, match="Cannot open CSV file 'nope.csv': No such file"):
        load_csv(tmp_path / "nope.csv", rng=rng())
    with pytest.raises(DatasetError, match="Cannot (open|read) CSV file"):
        load_csv(tmp_path, rng=rng())


def test_argument_errors(tmp_path) -> None:
    path = write(tmp_path, rows_text())
    with pytest.raises(DatasetError, match="target_column 3 is out of range for 3 columns"):
        load_csv(path, target_column=3, rng=rng())
    with pytest.raises(DatasetError, match="Unknown CSV task 'ranking'"):
        load_csv(path, task="ranking", rng=rng())
    three = write(tmp_path, "\n".join(f"{i},{i % 3}" for i in range(12)), "three.csv")
    with pytest.raises(DatasetError, match="task 'binary' needs exactly 2 classes but 'column 2'"):
        load_csv(three, task="binary", rng=rng())
    with pytest.raises(DatasetError, match="test_fraction"):
        load_csv(path, test_fraction=1.0, rng=rng())


def test_too_many_rows_stops_at_the_limit(tmp_path, monkeypatch) -> None:
    """The limit is checked while streaming (patched low here to keep the test fast)."""
    monkeypatch.setattr("core.csv_loader.MAX_ROWS", 50)
    with pytest.raises(DatasetError, match="line 52 is past the limit of 50 data rows"):
        load_csv(write(tmp_path, rows_text(200)), rng=rng())
    assert load_csv(write(tmp_path, rows_text(50)), rng=rng()).X_train.shape[0] == 40


@pytest.mark.slow
def test_ten_million_rows_are_refused_after_the_limit(tmp_path) -> None:
    """A 10M-row file fails at line 1,000,002 (header + 1M rows) without loading it all."""
    path = tmp_path / "huge.csv"
    block = "".join(f"{i % 97},{i % 13},{i % 2}\n" for i in range(100_000)).encode()
    with open(path, "wb") as handle:
        handle.write(b"a,b,y\n")
        for _ in range(100):
            handle.write(block)
    with pytest.raises(DatasetError, match=f"line {MAX_ROWS + 2} is past"):
        load_csv(path, rng=rng())
