"""The Actiscope run format: schema, manifest, writer and readers (numpy + pyarrow only).

A run is a folder NAME.actirun/ with manifest.json and one Arrow IPC stream per writer,
rank{r}.arrows; docs/run-format.md in the Actiscope repository describes the layout.
"""

from actiscope_probe.runformat.errors import RunFormatError, RunWriteError
from actiscope_probe.runformat.manifest import (
    Manifest,
    ParamLayer,
    Site,
    Topology,
    read_manifest,
    write_manifest,
)
from actiscope_probe.runformat.reader import RankStream, RunReader
from actiscope_probe.runformat.schema import (
    COLUMN_BY_NAME,
    COLUMN_NAMES,
    COLUMNS,
    FORMAT_NAME,
    INPUT,
    MANIFEST_NAME,
    OUTPUT,
    PARAM_COLUMNS,
    PARAMS,
    PER_UNIT_COLUMNS,
    RECORD,
    RECORD_COLUMNS,
    RUN_SUFFIX,
    SCALARS,
    SCHEMA,
    SCHEMA_VERSION,
    SITE_COLUMNS,
    SITES,
    UNIT_COLUMNS,
    UNITS,
    WINDOW_DATASET,
    WINDOW_KINDS,
    WINDOW_SINCE_START,
    Column,
    stream_name,
)
from actiscope_probe.runformat.writer import RunWriter

__all__ = [
    "COLUMNS", "COLUMN_BY_NAME", "COLUMN_NAMES", "FORMAT_NAME", "INPUT", "MANIFEST_NAME", "OUTPUT",
    "PARAMS", "PARAM_COLUMNS", "PER_UNIT_COLUMNS", "RECORD", "RECORD_COLUMNS", "RUN_SUFFIX",
    "SCALARS", "SCHEMA", "SCHEMA_VERSION", "SITES", "SITE_COLUMNS", "UNITS", "UNIT_COLUMNS",
    "WINDOW_DATASET", "WINDOW_KINDS", "WINDOW_SINCE_START", "Column", "Manifest", "ParamLayer",
    "RankStream", "RunFormatError", "RunReader", "RunWriteError", "RunWriter", "Site", "Topology",
    "read_manifest", "stream_name", "write_manifest",
]
