"""CSV export of exactly the data a view draws (no Qt needed: the CLI writes CSV headless)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from gui.export.atomic import ExportError, atomic_output
from gui.export.target import ExportTarget


def write_csv(path: str | os.PathLike, headers: list[str], columns: np.ndarray) -> Path:
    """Write `columns` (n_rows, n_cols) under `headers` (n_cols,) atomically, exact float64."""
    columns = np.asarray(columns, dtype=np.float64)
    if columns.ndim != 2 or columns.shape[1] != len(headers):
        raise ExportError(f"Cannot write CSV: {len(headers)} headers for data of shape "
                          f"{columns.shape}.")
    with atomic_output(path, (".csv",)) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(headers)
            np.savetxt(handle, columns, delimiter=",", fmt="%.17g")
    return Path(path)


def export_csv(target: ExportTarget, path: str | os.PathLike) -> Path:
    """Write the target's drawn data (headers with units, one column per series) as CSV."""
    if target.csv is None:
        raise ExportError(f"'{target.title}' has no data to export as CSV.")
    headers, columns = target.csv()
    return write_csv(path, headers, columns)
