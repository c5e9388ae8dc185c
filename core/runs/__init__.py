"""Runs: what the Lab's views draw, from the live trainer or a run file (Qt-free, typed).

A Run has a topology (activation sites, parameter layers), a history of StepRecords, a newest
step, a growing flag and capabilities. TrainerRun wraps the live built-in Trainer; FileRun reads
a NAME.actirun folder written by actiscope_probe.runformat.RunWriter (the schema's one
definition) and follows it as it grows.
"""

from actiscope_probe.runformat import RunFormatError, RunWriteError

from core.runs.decimate import PeakEnvelope, peak_decimate
from core.runs.file_run import FileRun
from core.runs.from_trainer import TrainerRecorder, record_values, trainer_manifest
from core.runs.model import (
    ACCURACY,
    BOUNDARY,
    CAPABILITIES,
    LOGGED_SCALARS,
    LOSS,
    PARAM_STATS,
    PER_UNIT,
    SITE_STATS,
    ParamLayer,
    Run,
    Site,
    StepRecord,
    Topology,
)
from core.runs.param_groups import ParamGroups, group_params, site_positions, spans_at_depth
from core.runs.save import run_manifest, save_run, write_records
from core.runs.trainer_run import TrainerRun

__all__ = [
    "ACCURACY", "BOUNDARY", "CAPABILITIES", "LOGGED_SCALARS", "LOSS", "PARAM_STATS", "PER_UNIT",
    "SITE_STATS", "FileRun", "ParamLayer", "Run", "RunFormatError", "RunWriteError", "Site",
    "StepRecord", "Topology", "TrainerRecorder", "TrainerRun", "record_values",
    "run_manifest", "save_run", "trainer_manifest", "write_records",
    "ParamGroups", "group_params", "site_positions", "spans_at_depth",
    "PeakEnvelope", "peak_decimate",
]
