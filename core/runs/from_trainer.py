"""Recording the built-in Trainer as a run file: its manifest and StepStats -> record values.

Only public attributes are read (trainer.config, trainer.network.sizes/.activations and the
StepStats fields), so this keeps working while the Trainer changes inside.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

import numpy as np
from actiscope_probe.runformat import (
    WINDOW_DATASET,
    Manifest,
    ParamLayer,
    RunWriter,
    Site,
    Topology,
)

import core

ALWAYS_PER_UNIT = 20      # the first steps always carry per-unit gradients
UNIT_GRAD_EVERY = 25      # then every 25th step (52 KB a record at depth 50 x 128)


def trainer_topology(sizes: list[int], activation_names: list[str]) -> Topology:
    """Hidden layers as sites L1..Ln and weight layers L1..L(n+1), as the run CSV names them."""
    sites = tuple(Site(f"L{i}", "hidden", int(sizes[i]), activation_names[i - 1])
                  for i in range(1, len(sizes) - 1))
    params = tuple(ParamLayer(f"L{i + 1}", (int(sizes[i]), int(sizes[i + 1])))
                   for i in range(len(sizes) - 1))
    return Topology(sites, params, input_width=int(sizes[0]), output_width=int(sizes[-1]))


def trainer_manifest(trainer: Any) -> Manifest:
    """The manifest of a run recorded from `trainer` (its config included)."""
    network = trainer.network
    topology = trainer_topology(list(network.sizes), [a.name for a in network.activations])
    return Manifest(topology, writer_name="actiscope", writer_version=core.__version__,
                    window=WINDOW_DATASET, config=trainer.config.to_dict())


def record_values(stats: Any, *, unit_grad: bool = True, dead_units: bool = True
                  ) -> dict[str, object]:
    """One StepStats as RunWriter.append() keyword values.

    signal_norms[0] (at the inputs) becomes input_signal_norm and the rest signal_norm per site;
    unit_grad[0] / [-1] become input_unit_grad / output_unit_grad; dead_units_dataset and (when
    the Trainer has it) saturated_units_dataset become dead_units / saturated_units. Per-unit
    arrays are included only when asked (they are recorded at a lower rate).
    """
    signal = np.asarray(stats.signal_norms)
    values: dict[str, object] = {
        "step": stats.step, "loss": stats.loss, "train_accuracy": stats.train_accuracy,
        "test_accuracy": stats.test_accuracy, "window_step": stats.dataset_stats_step,
        "diverged": stats.diverged, "message": stats.message,
        "input_signal_norm": float(signal[0]), "signal_norm": signal[1:],
        "grad_norm": stats.grad_norms, "update_ratio": stats.update_ratio,
        "dead_batch": stats.dead_fraction, "dead_window": stats.dead_fraction_dataset,
        "saturated_batch": stats.saturated_fraction,
    }
    if unit_grad:
        values["input_unit_grad"] = stats.unit_grad[0]
        values["unit_grad"] = list(stats.unit_grad[1:-1])
        values["output_unit_grad"] = stats.unit_grad[-1]
    if dead_units:
        values["dead_units"] = list(stats.dead_units_dataset)
        saturated = getattr(stats, "saturated_units_dataset", None)  # newer Trainers have it
        if saturated is not None:
            values["saturated_units"] = list(saturated)
    return values


class TrainerRecorder:
    """Streams a Trainer's steps into NAME.actirun (the Lab's toggle, `run --out X.actirun`).

    Per-unit gradients go with the first ALWAYS_PER_UNIT steps and every `unit_grad_every`-th
    step; dead (and saturated) unit masks whenever the trainer re-measured them on the dataset.
    """

    def __init__(self, path: str | os.PathLike[str], trainer: Any, *,
                 unit_grad_every: int = UNIT_GRAD_EVERY, flush_seconds: float = 0.5,
                 overwrite: bool = False) -> None:
        """Create the run folder for `trainer`'s current network and config."""
        self.writer = RunWriter(path, trainer_manifest(trainer), flush_seconds=flush_seconds,
                                overwrite=overwrite)
        self.unit_grad_every = max(int(unit_grad_every), 1)
        self._mask_step: int | None = None

    def append(self, stats: Any) -> None:
        """Record one StepStats (RunWriteError once if the disk fails; then a no-op)."""
        step = int(stats.step)
        unit_grad = step <= ALWAYS_PER_UNIT or step % self.unit_grad_every == 0
        dead_units = stats.dataset_stats_step != self._mask_step
        self._mask_step = stats.dataset_stats_step
        self.writer.append(**record_values(stats, unit_grad=unit_grad, dead_units=dead_units))

    def close(self) -> None:
        """Flush and close the run file."""
        self.writer.close()

    def __enter__(self) -> TrainerRecorder:
        """The recorder itself."""
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """close()."""
        self.close()
