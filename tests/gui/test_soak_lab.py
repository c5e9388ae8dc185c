"""Soak: 20,000 rendered Lab frames with training running, offscreen; no crash, bounded memory.

PySide6 6.12 on CPython 3.11 aborted after ~16,000 repaints of Python-overridden paint methods
(each override leaked a reference to None); this is the test that proves the pinned Qt clean in
our own app.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from core.config import ExperimentConfig
from gui.lab.lab_view import LabView

FRAMES = 20_000
RESET_EVERY = 5_000          # a user's Reset; also keeps History (and so each frame) small
DIVERGE_AT = 12_345          # one divergence + banner + recovery in the middle of the run
REPORT = Path("/tmp/soak_lab_result.json")
SMALL = ExperimentConfig(depth=3, width=6, n_samples=120, batch_size=16, dataset="xor",
                         dead_refresh_every=10, seed=1)


def _rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


def _image_has_content(lab: LabView) -> bool:
    """The rendered plots area is not a blank fill."""
    image = lab.render_image(480, 320)
    colours = {image.pixel(x, y) for x in range(0, 480, 11) for y in range(0, 320, 11)}
    return len(colours) > 8


@pytest.mark.slow
def test_twenty_thousand_lab_frames(qtbot):
    lab = LabView()
    qtbot.addWidget(lab)
    lab.resize(900, 560)
    lab.show()
    qtbot.waitExposed(lab)
    lab.set_config(SMALL)
    stepped: list[int] = []
    lab.sigStepped.connect(lambda stats: stepped.append(stats.step))

    start = time.perf_counter()
    rss_after_warmup = None
    diverged_seen = False
    for frame in range(1, FRAMES + 1):
        if frame % RESET_EVERY == 0:
            lab.reset()
        if frame == DIVERGE_AT:
            # Classification nets at lr 1e6 just die (finite); regression blows up.
            lab.set_config(SMALL.replace(dataset="sine", lr=1e6, init="normal", init_std=1e3))
        lab.controller.advance(1)      # one training step, visible views refreshed once
        lab.plots.repaint()            # the frame is painted synchronously, offscreen
        lab.run_bar.repaint()          # (the settings panel does not change per frame)
        if lab.trainer.diverged:
            diverged_seen = True
            assert lab.banner.isVisible() and "diverged" in lab.banner.text()
            lab.set_config(SMALL)      # what a user does next: lower lr, reset
        if frame == 1000:
            rss_after_warmup = _rss_mb()
    seconds = time.perf_counter() - start
    rss_end = _rss_mb()

    assert diverged_seen, "the divergence in the middle of the soak did not happen"
    assert not lab.banner.isVisible()
    assert len(stepped) >= FRAMES - 2        # divergence frames emit no new step
    assert _image_has_content(lab)
    loss = lab.trainer.history.series("loss")
    assert len(loss) > 0 and np.isfinite(loss).all()
    growth = rss_end - rss_after_warmup
    REPORT.write_text(json.dumps({"frames": FRAMES, "seconds": round(seconds, 1),
                                  "ms_per_frame": round(1000 * seconds / FRAMES, 2),
                                  "rss_after_1000_frames_mb": round(rss_after_warmup, 1),
                                  "rss_end_mb": round(rss_end, 1),
                                  "rss_growth_mb": round(growth, 1)}))
    print(f"\nsoak: {FRAMES} frames in {seconds:.0f} s "
          f"({1000 * seconds / FRAMES:.2f} ms/frame), RSS {rss_after_warmup:.0f} -> "
          f"{rss_end:.0f} MB")
    assert math.isfinite(growth) and growth < 80, f"RSS grew {growth:.0f} MB over the soak"


class _PlotInputSpy:
    """Records every non-finite float array handed to pyqtgraph's data-setting methods."""

    METHODS = (("PlotDataItem", "setData"), ("PlotCurveItem", "setData"),
               ("ScatterPlotItem", "setData"), ("ImageItem", "setImage"),
               ("BarGraphItem", "setOpts"), ("ErrorBarItem", "setData"))

    def __init__(self, monkeypatch) -> None:
        import sys

        import pyqtgraph as pg

        self.bad: list[str] = []
        for cls_name, method in self.METHODS:
            cls = getattr(pg, cls_name)
            original = getattr(cls, method)

            def spy(item, *args, _original=original, _name=f"{cls_name}.{method}", **kwargs):
                caller = sys._getframe(1).f_code.co_filename
                if "pyqtgraph" not in caller:          # what the app passes, not internals
                    for value in (*args, *kwargs.values()):
                        if _is_non_finite_array(value):
                            where = sys._getframe(1)
                            self.bad.append(f"{_name} from {Path(where.f_code.co_filename).name}"
                                            f":{where.f_lineno}")
                return _original(item, *args, **kwargs)

            monkeypatch.setattr(cls, method, spy)


def _is_non_finite_array(value) -> bool:
    """A float array (or list of floats) containing inf or nan."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, float) for v in value):
        value = np.asarray(value)
    return (isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 0
            and not np.isfinite(value).all())


def _lab(qtbot, config: ExperimentConfig) -> LabView:
    """A shown LabView with `config`."""
    lab = LabView()
    qtbot.addWidget(lab)
    lab.resize(900, 560)
    lab.show()
    qtbot.waitExposed(lab)
    lab.set_config(config)
    return lab


@pytest.mark.parametrize("config", [
    SMALL.replace(dataset="sine", lr=1e6, init="normal", init_std=1e3),
    SMALL.replace(lr=100.0, init="normal", init_std=1.0, activation="linear", depth=4,
                  width=16, dataset="spirals"),       # inf norms on a step not flagged as diverged
], ids=["diverging", "overflowing-norms"])
def test_views_never_pass_non_finite_values_to_pyqtgraph(qtbot, monkeypatch, config):
    spy = _PlotInputSpy(monkeypatch)
    lab = _lab(qtbot, config)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(12):
            lab.advance(1)
            lab.repaint()
        lab.render_image(480, 320)
        for view in lab.views:
            for target in view.export_targets():
                if target.csv is not None:
                    target.csv()
    assert lab.trainer.step_count >= 3
    assert not spy.bad, f"non-finite data reached pyqtgraph: {sorted(set(spy.bad))}"


def test_depth_200_sigmoid_underflow_draws_without_warnings(qtbot, monkeypatch):
    import warnings

    spy = _PlotInputSpy(monkeypatch)
    config = ExperimentConfig(depth=200, width=4, activation="sigmoid", init="normal",
                              init_std=0.02, n_samples=64, batch_size=32, dataset="moons")
    lab = _lab(qtbot, config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            lab.advance(1)
            lab.repaint()
        image = lab.render_image(480, 320)
    grad = lab.trainer.last.grad_norms
    assert (grad == 0).any(), "the scenario must produce exact-zero gradients"
    assert not spy.bad, f"non-finite data reached pyqtgraph: {sorted(set(spy.bad))}"
    colours = {image.pixel(x, y) for x in range(0, 480, 11) for y in range(0, 320, 11)}
    assert len(colours) > 8
