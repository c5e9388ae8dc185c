"""`main.py export-run RUN --out X.csv|X.parquet`: a run's per-step statistics as a table (no Qt).

One row per recorded step: step, loss, then grad_norm_P for every parameter layer P, update_ratio_P,
dead_batch_S for every activation site S, dead_S (dead on the long window: the training set for
built-in runs, every batch since the window's start for probe runs) and saturated_S. The file is
written in blocks (bounded memory for long runs) into a temp file beside the target, then
os.replace'd (core.atomic_write): a failure leaves no file.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic_write import replaced_on_success
from gui.commands.train_run import check_out_path

EXPORT_SUFFIXES = (".csv", ".parquet")
BLOCK_RECORDS = 65_536      # records per written block (depth 50: ~130 MB of float64 at most)
# (column prefix, run series) in the order the columns appear, parameters then sites.
PARAM_SERIES = (("grad_norm_", "grad_norm"), ("update_ratio_", "update_ratio"))
SITE_SERIES = (("dead_batch_", "dead_batch"), ("dead_", "dead_window"),
               ("saturated_", "saturated_batch"))


def add_export_run_parser(sub: Any) -> None:
    """The `export-run` sub-command on the main parser's sub-parsers."""
    cmd = sub.add_parser("export-run", help="write a run's per-step statistics as CSV or Parquet")
    cmd.add_argument("run", help="a run folder (NAME.actirun)")
    cmd.add_argument("--out", required=True, help="output file: .csv or .parquet")


def export_header(run: Any) -> list[str]:
    """Column names: step, loss, per-parameter columns, then per-site columns (all distinct)."""
    params = [p.name for p in run.topology.params]
    sites = [s.name for s in run.topology.sites]
    names = (["step", "loss"] + [prefix + name for prefix, _ in PARAM_SERIES for name in params]
             + [prefix + name for prefix, _ in SITE_SERIES for name in sites])
    # Names may collide ("dead_" + site "batch_x" == "dead_batch_" + site "x"); Parquet readers
    # refuse repeated names, so a repeat gets "#2", "#3", ...
    seen: dict[str, int] = {}
    header = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        header.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return header


def export_blocks(run: Any, block: int | None = None) -> Iterator[list[np.ndarray]]:
    """The table in blocks of `block` (BLOCK_RECORDS) records: one (k,) array per column."""
    block = block or BLOCK_RECORDS
    for start in range(0, len(run), block):
        rows = slice(start, min(start + block, len(run)))
        columns = [run.series("step", rows), run.series("loss", rows)]
        for _, name in PARAM_SERIES + SITE_SERIES:
            values = run.series(name, rows)
            columns += [values[:, j] for j in range(values.shape[1])]
        yield columns


def write_export(run: Any, path: Path) -> int:
    """Write the table to `path` (.csv or .parquet) atomically; returns the rows written."""
    import pyarrow as pa

    header = export_header(run)
    schema = pa.schema([pa.field(name, pa.int64() if index == 0 else pa.float64(), index > 0)
                        for index, name in enumerate(header)])
    written = 0
    with replaced_on_success(path, path.suffix) as temp:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            with pq.ParquetWriter(temp, schema) as writer:
                for columns in export_blocks(run):
                    writer.write_table(pa.Table.from_arrays(columns, schema=schema))
                    written += len(columns[0])
        else:
            import pyarrow.csv as pcsv

            with open(temp, "wb") as handle:
                text = io.StringIO()     # the header as `run` writes it (Arrow would quote it)
                csv.writer(text, lineterminator="\n").writerow(header)
                handle.write(text.getvalue().encode("utf-8"))
                options = pcsv.WriteOptions(include_header=False, quoting_style="none")
                with pcsv.CSVWriter(handle, schema, write_options=options) as writer:
                    for columns in export_blocks(run):
                        writer.write_table(pa.Table.from_arrays(columns, schema=schema))
                        written += len(columns[0])
    return written


def run_export_run(args: argparse.Namespace) -> int:
    """Check --out, open the run read-only, write its table; exit code 0."""
    from core.runs import FileRun

    out = check_out_path(args.out, EXPORT_SUFFIXES)
    run = FileRun(args.run)     # RunFormatError (a ValueError): one sentence, nothing written
    write_export(run, out)
    return 0
