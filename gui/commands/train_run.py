"""`actiscope run`: train without a window, write per-step statistics as CSV or a run folder.

`--out X.csv` writes the table below; `--out X.actirun` records the steps with TrainerRecorder
(docs/run-format.md). No Qt import.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Callable
from pathlib import Path

from core.config import ExperimentConfig
from core.presets import available_presets, get_preset
from core.trainer import StepStats, Trainer
from gui.export.atomic import atomic_output

MAX_STEPS = 10_000_000
RUN_SUFFIX = ".actirun"   # the run format's folder suffix (actiscope_probe.runformat.RUN_SUFFIX)


def list_presets() -> int:
    """Print one `name  title` line per preset; exit code 0."""
    names = available_presets()
    width = max((len(name) for name in names), default=0)
    for name in names:
        print(f"{name.ljust(width)}  {get_preset(name).title}")
    return 0


def load_run_config(args: argparse.Namespace) -> ExperimentConfig:
    """The config named by --preset or --config, with --seed applied; ValueError if neither."""
    if args.preset:
        config = get_preset(args.preset).config
    elif args.config:
        config = ExperimentConfig.load(args.config)
    else:
        raise ValueError("Give --preset NAME or --config FILE (see --list-presets).")
    if args.seed is not None:
        config = config.replace(seed=args.seed)
    return config.validate()


def check_steps(steps: int, *, allow_zero: bool = False) -> int:
    """Return `steps` if it is in range, else raise ValueError."""
    low = 0 if allow_zero else 1
    if not low <= steps <= MAX_STEPS:
        raise ValueError(f"--steps must be between {low} and {MAX_STEPS:,}, got {steps}.")
    return steps


def check_out_path(out: str | None, suffixes: tuple[str, ...], option: str = "--out") -> Path:
    """Validate an output path before any work: required, right suffix, writable existing folder."""
    if not out:
        raise ValueError(f"{option} FILE is required.")
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"{option} must end in {' or '.join(suffixes)}, got {path.name!r}.")
    if path.is_dir():
        raise ValueError(f"{option} {out!r} is a folder, not a file.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"The folder of {option} does not exist: {str(folder)!r}.")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"The folder of {option} is not writable: {str(folder)!r}.")
    return path


def csv_header(n_weight_layers: int, n_hidden: int) -> list[str]:
    """Header: step, loss, accuracy, grad_norm_L1..L{n_weight_layers}, dead_L1..L{n_hidden}."""
    return (["step", "loss", "accuracy"]
            + [f"grad_norm_L{i + 1}" for i in range(n_weight_layers)]
            + [f"dead_L{i + 1}" for i in range(n_hidden)])


def csv_row(stats: StepStats) -> list[str]:
    """One CSV row; dead_L{i} is the fraction dead on the whole training set (dataset set)."""
    values = [stats.loss, stats.accuracy, *stats.grad_norms, *stats.dead_fraction_dataset]
    return [str(stats.step)] + [f"{float(v):.9g}" for v in values]


def write_csv_atomic(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write through a temp file in the same folder, then os.replace; never a partial file."""
    with atomic_output(path, (".csv",)) as temp, \
            open(temp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def run_training(args: argparse.Namespace) -> int:
    """Train `--steps` steps headless; write every `--every`-th step as CSV or a run folder."""
    if args.list_presets:
        return list_presets()
    steps = check_steps(args.steps)
    if args.every < 1:
        raise ValueError(f"--every must be at least 1, got {args.every}.")
    recording = Path(args.out or "").suffix.lower() == RUN_SUFFIX
    if recording and Path(args.out).exists():
        raise ValueError(f"--out {args.out!r} already exists; a run is never overwritten, "
                         "choose a new name.")
    out = check_out_path(args.out, (".csv", RUN_SUFFIX))
    trainer = Trainer(load_run_config(args))
    if recording:
        from core.runs.from_trainer import TrainerRecorder  # pyarrow: only when recording

        with TrainerRecorder(out, trainer) as recorder:
            train_steps(trainer, steps, args.every, recorder.append, record_divergence=True)
        return 0
    header = csv_header(trainer.network.n_weight_layers, trainer.network.n_hidden)
    rows: list[list[str]] = []
    train_steps(trainer, steps, args.every, lambda stats: rows.append(csv_row(stats)))
    write_csv_atomic(out, header, rows)
    return 0


def train_steps(trainer: Trainer, steps: int, every: int, keep: Callable[[StepStats], object],
                *, record_divergence: bool = False) -> None:
    """Step `trainer`, handing every `every`-th step and the last to `keep`; stop on divergence.

    A diverged step is handed over only with `record_divergence` (a run folder records it, with
    its message; the CSV holds finite rows only).
    """
    kept = 0
    for _ in range(steps):
        stats = trainer.step()
        if stats.diverged:
            wrote = f"Wrote the {kept} rows before it."
            if record_divergence:
                keep(stats)
                wrote = f"Recorded the {kept} steps before it and the diverged step."
            print(f"actiscope: note: {stats.message} {wrote}", file=sys.stderr)
            return
        if stats.step % every == 0 or stats.step == steps:
            keep(stats)
            kept += 1
