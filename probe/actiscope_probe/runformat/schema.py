"""The one definition of the run-file record: column names, Arrow types, axes, limits.

A run is a folder `NAME.actirun/` holding `manifest.json` and one Arrow IPC stream per writer,
`rank{r}.arrows`. Every stream has exactly the schema `SCHEMA` below: one row per recorded
optimizer step of that rank. List columns line up with the manifest's topology (see `Column.axis`),
so every column is flat and typed and one file holds everything. docs/run-format.md explains it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

FORMAT_NAME = "actiscope-run"
SCHEMA_VERSION = 1
RUN_SUFFIX = ".actirun"
MANIFEST_NAME = "manifest.json"

# What the entries of a column line up with.
RECORD = "record"    # one value per record (a plain column)
PARAMS = "params"    # list: one entry per topology.params, in manifest order
SITES = "sites"      # list: one entry per topology.sites, in forward order
UNITS = "units"      # list: one entry per unit of every site, sites concatenated in forward order
INPUT = "input"      # list: one entry per input feature (topology.input_width)
OUTPUT = "output"    # list: one entry per output unit (topology.output_width)
SCALARS = "scalars"  # map: logged name -> value

# Limits every reader enforces (a file declaring more is refused, never allocated).
MAX_MANIFEST_BYTES = 4 * 2**20
MAX_JSON_DEPTH = 32
MAX_NAME_CHARS = 1000
MAX_SITES = 10_000
MAX_PARAMS = 100_000
MAX_SITE_WIDTH = 2**24
MAX_UNITS = 2**24          # all sites together: one per-unit record stays below 134 MB
MAX_IO_WIDTH = 2**20       # input / output width
MAX_SHAPE_DIMS = 8
MAX_WORLD_SIZE = 4096
MAX_METADATA_BYTES = 2**24  # one IPC message's flatbuffer header
MAX_MESSAGE_BYTES = 2**30   # one IPC message's body
WRITER_MESSAGE_BYTES = 2**26  # writers split a flush into batches of about this size

WINDOW_DATASET = "dataset"          # dead_window = dead on the training set, as of window_step
WINDOW_SINCE_START = "since_start"  # dead_window = dead on every batch since window_step
WINDOW_KINDS = (WINDOW_DATASET, WINDOW_SINCE_START)


@dataclass(frozen=True)
class Column:
    """One column of the record: its name, Arrow type, axis, whether it may be null, meaning."""

    name: str
    type: pa.DataType
    axis: str
    nullable: bool
    doc: str


_F64 = pa.float64()
_LIST_F64 = pa.list_(pa.float64())
_LIST_BOOL = pa.list_(pa.bool_())

COLUMNS: tuple[Column, ...] = (
    Column("step", pa.int64(), RECORD, False, "optimizer step (1 after the first), increasing"),
    Column("rank", pa.int32(), RECORD, False, "writer rank; equals r of rank{r}.arrows"),
    Column("wall_time", _F64, RECORD, False, "seconds since the Unix epoch when recorded"),
    Column("loss", _F64, RECORD, True, "training loss of this step's batch (null: not logged)"),
    Column("train_accuracy", _F64, RECORD, True, "accuracy on this step's batch"),
    Column("test_accuracy", _F64, RECORD, True, "accuracy on the test split as of window_step"),
    Column("window_step", pa.int64(), RECORD, True,
           "step the dead_window/dead_units window refers to (see manifest 'window')"),
    Column("diverged", pa.bool_(), RECORD, False, "loss or a gradient non-finite: not updated"),
    Column("message", pa.string(), RECORD, True, "one-sentence reason when diverged"),
    Column("skipped", pa.bool_(), RECORD, False, "AMP skipped this optimizer step (inf grads)"),
    Column("amp_scale", _F64, RECORD, True, "AMP GradScaler scale at this step"),
    Column("step_seconds", _F64, RECORD, True, "wall time of the training step"),
    Column("probe_hook_seconds", _F64, RECORD, True, "probe time spent in hooks this step"),
    Column("probe_copy_seconds", _F64, RECORD, True, "probe time spent copying to the host"),
    Column("input_signal_norm", _F64, RECORD, True, "‖∂L/∂x‖_F of the batch inputs"),
    Column("grad_norm", _LIST_F64, PARAMS, True, "‖∂L/∂W‖_F per parameter"),
    Column("weight_norm", _LIST_F64, PARAMS, True, "‖W‖_F per parameter"),
    Column("update_ratio", _LIST_F64, PARAMS, True, "‖ΔW‖_F / ‖W‖_F per parameter (nan: W = 0)"),
    Column("signal_norm", _LIST_F64, SITES, True, "‖∂L/∂a‖_F at each site's output"),
    Column("dead_batch", _LIST_F64, SITES, True, "fraction of units dead on this batch"),
    Column("dead_window", _LIST_F64, SITES, True, "fraction of units dead on the window"),
    Column("saturated_batch", _LIST_F64, SITES, True, "fraction of units saturated on this batch"),
    Column("unit_grad", _LIST_F64, UNITS, True, "mean |∂L/∂z| per unit (recorded at a lower rate)"),
    Column("dead_units", _LIST_BOOL, UNITS, True, "per unit: dead on the window"),
    Column("saturated_units", _LIST_BOOL, UNITS, True, "per unit: saturated (not dead)"),
    Column("input_unit_grad", _LIST_F64, INPUT, True, "mean |∂L/∂x| per input feature"),
    Column("output_unit_grad", _LIST_F64, OUTPUT, True, "mean |∂L/∂logit| per output unit"),
    Column("scalars", pa.map_(pa.string(), _F64), SCALARS, False, "values passed to log()"),
)

COLUMN_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
PARAM_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.axis == PARAMS)
SITE_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.axis == SITES)
UNIT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.axis == UNITS)
PER_UNIT_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in COLUMNS if c.axis in (UNITS, INPUT, OUTPUT))
RECORD_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.axis == RECORD)

SCHEMA: pa.Schema = pa.schema(
    [pa.field(c.name, c.type, nullable=c.nullable) for c in COLUMNS],
    metadata={b"actiscope.format": FORMAT_NAME.encode(),
              b"actiscope.schema_version": str(SCHEMA_VERSION).encode()},
)


def stream_name(rank: int) -> str:
    """File name of one writer's stream inside the run folder: rank{rank}.arrows."""
    return f"rank{int(rank)}.arrows"
