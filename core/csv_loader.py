"""Load the user's CSV file into a Dataset: strict, line-numbered errors, nothing loaded halfway.

The file is streamed line by line (so a 10-million-row file is rejected after 1,000,001 rows, not
read whole; \n, \r\n and old-Mac \r line ends all work), checked for UTF-8 and column counts in
Python, then parsed by numpy's C reader in one call. Only when that call fails is the first bad
line searched for, by bisection.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core.dataset_base import (
    MAX_SAMPLES,
    MIN_CLASSES,
    MIN_SAMPLES,
    Dataset,
    DatasetError,
    check_test_fraction,
    split_shuffled,
)

MAX_ROWS = MAX_SAMPLES      # a module name of its own so tests can lower the limit
MAX_LINE_CHARS = 100_000
MAX_AUTO_CLASSES = 20       # "auto": an integer target with at most this many values is a label
MAX_CSV_CLASSES = 100       # labels of a CSV target (the generators' limit is a different fact)
CSV_TASKS = ("auto", "classification", "binary", "multiclass", "regression")


def _parses(lines: list[str]) -> bool:
    """True if numpy's reader accepts every line as comma-separated floats."""
    try:
        np.loadtxt(lines, delimiter=",", comments=None, dtype=np.float64, ndmin=2)
    except ValueError:
        return False
    return True


def _is_number(cell: str) -> bool:
    """True if numpy's CSV reader would read this cell as a float."""
    return bool(cell.strip()) and _parses([cell])


def _is_utf8(line: str) -> bool:
    """False if the line holds bytes that did not decode (surrogate escapes)."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _CsvText:
    """The non-blank lines of a CSV file, decoded, with the line number of the first one."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.name = Path(path).name or str(path)
        self.header: list[str] | None = None
        self.rows: list[str] = []
        self.first_row_line = 0          # 1-based line number of rows[0]
        self._read(path)

    def fail(self, sentence: str) -> DatasetError:
        """A DatasetError whose message starts with the file name."""
        return DatasetError(f"CSV file '{self.name}': {sentence}")

    def _read(self, path: str | os.PathLike) -> None:
        """Stream the file, decoding and collecting rows; stop early on the first problem."""
        try:
            # Universal newlines: \n, \r\n and old-Mac bare \r all end a line. Undecodable
            # bytes become surrogates, so the UTF-8 error can name its line.
            handle = open(path, encoding="utf-8", errors="surrogateescape", newline=None)
        except OSError as exc:
            raise DatasetError(f"Cannot open CSV file '{self.name}': "
                               f"{exc.strerror or exc}.") from None
        blank_line = 0
        line_no = 0
        with handle:
            while True:
                try:
                    raw = handle.readline(MAX_LINE_CHARS + 1)
                except OSError as exc:
                    raise DatasetError(f"Cannot read CSV file '{self.name}': "
                                       f"{exc.strerror or exc}.") from None
                if not raw:
                    break
                line_no += 1
                if len(raw) > MAX_LINE_CHARS and not raw.endswith("\n"):
                    raise self.fail(f"line {line_no} is longer than {MAX_LINE_CHARS:,} "
                                    "characters; is this really a CSV file?")
                if not raw.isascii() and not _is_utf8(raw):
                    raise self.fail(f"line {line_no} is not UTF-8 text; save the file "
                                    "as UTF-8 CSV.")
                text = raw.strip()
                if line_no == 1:
                    text = text.lstrip("\ufeff")
                if not text:
                    if self.rows or self.header is not None:
                        blank_line = blank_line or line_no
                    continue
                if blank_line:
                    raise self.fail(f"line {blank_line} is empty but more data follows it.")
                self._take(text, line_no)

    def _take(self, text: str, line_no: int) -> None:
        """Keep one non-blank line: the header if it is the first and has no numbers."""
        if self.header is None and not self.rows:
            cells = [cell.strip() for cell in text.split(",")]
            if not any(_is_number(cell) for cell in cells):
                self.header = cells
                return
        if not self.rows:
            self.first_row_line = line_no
        if len(self.rows) >= MAX_ROWS:
            raise self.fail(f"line {line_no} is past the limit of {MAX_ROWS:,} data rows; "
                            "use a smaller sample of the data.")
        self.rows.append(text)

    def line_of(self, row: int) -> int:
        """1-based file line number of data row `row`."""
        return self.first_row_line + row


def _check_shape(text: _CsvText) -> int:
    """Column count shared by every row; errors name the first ragged line."""
    if not text.rows:
        if text.header is not None:
            raise text.fail("it has a header line but no data rows.")
        raise text.fail("the file is empty.")
    commas = np.fromiter((row.count(",") for row in text.rows), dtype=np.int64,
                         count=len(text.rows))
    n_cols = int(commas[0]) + 1
    if text.header is not None and len(text.header) != n_cols:
        raise text.fail(f"the header has {len(text.header)} columns but line "
                        f"{text.line_of(0)} has {n_cols} values.")
    ragged = np.flatnonzero(commas != commas[0])
    if ragged.size:
        row = int(ragged[0])
        raise text.fail(f"line {text.line_of(row)} has {int(commas[row]) + 1} values but line "
                        f"{text.line_of(0)} has {n_cols}.")
    if n_cols < 2:
        raise text.fail(f"line {text.line_of(0)} has one column; at least one feature column "
                        "and a target column are needed.")
    if len(text.rows) < MIN_SAMPLES:
        raise text.fail(f"it has only {len(text.rows)} data rows; at least {MIN_SAMPLES} "
                        "are needed.")
    return n_cols


def _parse_numbers(text: _CsvText) -> np.ndarray:
    """All rows as a float64 (n, c) array; the error names the first non-numeric cell."""
    try:
        values = np.loadtxt(text.rows, delimiter=",", comments=None, dtype=np.float64, ndmin=2)
    except ValueError:
        lo, hi = 0, len(text.rows)          # invariant: the first bad row is in [lo, hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _parses(text.rows[lo:mid]):
                lo = mid
            else:
                hi = mid
        cells = text.rows[lo].split(",")
        col = next((i for i, cell in enumerate(cells) if not _is_number(cell)), 0)
        shown = cells[col].strip()
        what = "an empty cell" if not shown else f"'{shown[:40]}', which is not a number"
        raise text.fail(f"line {text.line_of(lo)}, column {col + 1} holds {what}.") from None
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        cell = text.rows[row].split(",")[col].strip()
        raise text.fail(f"line {text.line_of(row)}, column {col + 1} holds '{cell}'; only "
                        "finite numbers are allowed.")
    return values


def _targets(text: _CsvText, target: np.ndarray, task: str,
             target_name: str) -> tuple[str, np.ndarray, int]:
    """(task, y, n_classes): labels remapped to 0..k-1 for classification, floats otherwise."""
    whole = target == np.round(target)
    if task == "auto":
        distinct = np.unique(target) if whole.all() else None
        task = ("classification" if distinct is not None and len(distinct) <= MAX_AUTO_CLASSES
                else "regression")
    if task == "regression":
        return "regression", target.astype(np.float64), 0
    if not whole.all():
        row = int(np.flatnonzero(~whole)[0])
        raise text.fail(f"line {text.line_of(row)}: target '{target_name}' is {target[row]:g}, "
                        "but class labels must be whole numbers.")
    classes, labels = np.unique(target, return_inverse=True)
    k = len(classes)
    if k < MIN_CLASSES:
        raise text.fail(f"the target '{target_name}' holds a single class "
                        f"({classes[0]:g}); a classifier needs at least two.")
    if k > MAX_CSV_CLASSES:
        raise text.fail(f"the target '{target_name}' has {k} classes; at most "
                        f"{MAX_CSV_CLASSES} are supported.")
    if task == "binary" and k != 2:
        raise text.fail(f"task 'binary' needs exactly 2 classes but '{target_name}' has {k}.")
    if task == "classification":
        task = "binary" if k == 2 else "multiclass"
    return task, labels.astype(np.int64).reshape(-1), k


def _standardise(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale features by the training split's mean and std (constant columns: std 1).

    Each column is first divided by its largest |value| (a factor that cancels out), so values
    near the float64 limit (1e307) standardise without their squares overflowing.
    """
    scale = np.abs(np.concatenate([X_train, X_test])).max(axis=0, initial=0.0)
    scale[scale == 0] = 1.0
    train, test = X_train / scale, X_test / scale
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std[std == 0] = 1.0
    return (train - mean) / std, (test - mean) / std


def load_csv_dataset(path: str | os.PathLike, *, target_column: int = -1, task: str = "auto",
                     test_fraction: float = 0.2, rng: np.random.Generator) -> Dataset:
    """Read a comma-separated file (header optional) into a shuffled, standardised Dataset.

    Every feature column must be numeric; the target column is `target_column` (negative counts
    from the end). task "auto" treats a whole-number target with <= 20 values as class labels.
    Raises DatasetError with one sentence naming the file and the offending line.
    """
    if task not in CSV_TASKS:
        raise DatasetError(f"Unknown CSV task '{task}'; valid tasks are {', '.join(CSV_TASKS)}.")
    check_test_fraction(test_fraction)
    text = _CsvText(path)
    n_cols = _check_shape(text)
    if not -n_cols <= target_column < n_cols:
        raise text.fail(f"target_column {target_column} is out of range for {n_cols} columns.")
    target_index = target_column % n_cols
    values = _parse_numbers(text)
    feature_cols = [i for i in range(n_cols) if i != target_index]
    if text.header is not None:
        feature_names = [text.header[i] or f"x{n + 1}" for n, i in enumerate(feature_cols)]
        target_name = text.header[target_index] or f"column {target_index + 1}"
    else:
        feature_names = [f"x{n + 1}" for n in range(len(feature_cols))]
        target_name = f"column {target_index + 1}"
    task, y, n_classes = _targets(text, values[:, target_index], task, target_name)
    X = np.ascontiguousarray(values[:, feature_cols])
    X_train, y_train, X_test, y_test = split_shuffled(X, y, test_fraction, rng)
    X_train, X_test = _standardise(X_train, X_test)
    return Dataset(name="csv", task=task, X_train=X_train, y_train=y_train, X_test=X_test,
                   y_test=y_test, n_classes=n_classes if task != "regression" else 0,
                   feature_names=feature_names)
