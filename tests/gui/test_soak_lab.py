"""Soak: 20,000 rendered Lab frames with training running, offscreen; no crash, bounded memory.

PySide6 6.12 on CPython 3.11 aborted after ~16,000 repaints of Python-overridden paint methods
(FACTS.md); this is the test that proves the pinned Qt clean in our own app.
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
        lab.repaint()                  # the frame is painted synchronously, offscreen
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
