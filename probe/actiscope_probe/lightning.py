"""A Lightning callback that attaches the probe for `Trainer.fit` (needs lightning installed).

    trainer = Trainer(callbacks=[ActiscopeCallback("runs/exp1.actirun")])

Epoch starts open a new dead-since window; the training step's loss and the learning rate are
logged after each optimizer step; each rank writes its own stream.
"""

from __future__ import annotations

from typing import Any

try:  # Lightning 2.x, else the older package name
    from lightning.pytorch.callbacks import Callback
except ImportError:  # pragma: no cover - depends on the environment
    try:
        from pytorch_lightning.callbacks import Callback
    except ImportError:
        Callback = None


if Callback is not None:
    class ActiscopeCallback(Callback):
        """Streams the LightningModule's statistics into an Actiscope run during fit()."""

        def __init__(self, run: str = "runs/exp1.actirun", every: int | None = None,
                     **options: Any) -> None:
            """`run`, `every` and `options` as for actiscope_probe.attach()."""
            super().__init__()
            self.run, self.every, self.options = run, every, options
            self.probe: Any = None

        def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
            """Attach to the module and its first optimizer."""
            from actiscope_probe.probe import attach
            plugin = getattr(trainer, "precision_plugin", None) or getattr(
                trainer.strategy, "precision_plugin", None)
            self.probe = attach(pl_module, trainer.optimizers[0], run=self.run, every=self.every,
                                scaler=getattr(plugin, "scaler", None), rank=trainer.global_rank,
                                world_size=trainer.world_size, **self.options)

        def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
            """A new dead-since window per epoch."""
            if self.probe is not None:
                self.probe.epoch()

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any,
                               batch_idx: int) -> None:
            """Log the step's loss and learning rate."""
            if self.probe is None:
                return
            loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
            lr = trainer.optimizers[0].param_groups[0].get("lr")
            self.probe.log(loss=loss, lr=lr)

        def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
            """Close the run."""
            if self.probe is not None:
                self.probe.close()
                self.probe = None
else:
    class ActiscopeCallback:  # type: ignore[no-redef]
        """Placeholder: Lightning is not installed."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            """Raise: the callback needs lightning."""
            raise ImportError("ActiscopeCallback needs Lightning: pip install lightning.")
