"""CSV export of exactly the data a view draws (no Qt needed: the CLI writes CSV headless)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from gui.export.atomic import ExportError, atomic_output
from gui.export.target import ExportTarget

NAME_HEADER = "parameter"   # a per-parameter table's first column: the parameter's name (text)


def write_csv(path: str | os.PathLike, headers: list[str], columns: np.ndarray) -> Path:
    """Write `columns` (n_rows, n_cols) under `headers` (n_cols,) atomically, exact float64.
    An object array may hold text cells (a parameter's name): they are written as text."""
    columns = np.asarray(columns)
    if columns.dtype != object:
        columns = columns.astype(np.float64)
    if columns.ndim != 2 or columns.shape[1] != len(headers):
        raise ExportError(f"Cannot write CSV: {len(headers)} headers for data of shape "
                          f"{columns.shape}.")
    with atomic_output(path, (".csv",)) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            if columns.dtype == object:
                writer.writerows([cell if isinstance(cell, str) else f"{float(cell):.17g}"
                                  for cell in row] for row in columns)
            else:
                np.savetxt(handle, columns, delimiter=",", fmt="%.17g")
    return Path(path)


def export_csv(target: ExportTarget, path: str | os.PathLike) -> Path:
    """Write the target's drawn data (headers with units, one column per series) as CSV."""
    if target.csv is None:
        raise ExportError(f"'{target.title}' has no data to export as CSV.")
    headers, columns = target.csv()
    return write_csv(path, headers, columns)
