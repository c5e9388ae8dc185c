"""In the Lab, zooming a Training plot redraws its lines for the steps shown (the view asks,
the Lab redraws between two steps); playing, the plot follows the newest step again."""

from __future__ import annotations

import numpy as np

from core.config import ExperimentConfig
from gui.lab.lab_view import LabView

SMALL = ExperimentConfig(depth=3, width=16, n_samples=200, batch_size=32, dataset="moons")


def test_zooming_the_loss_plot_redraws_the_steps_shown(qtbot):
    lab = LabView()
    qtbot.addWidget(lab)
    lab.resize(1400, 900)
    lab.show()
    try:
        lab.set_config(SMALL)
        lab.advance(400)
        training = next(v for v in lab.views if type(v).__name__ == "TrainingView")
        x = training.loss_line.drawn()[0]
        assert x.min() == 1 and x.max() == 400               # all records: a short run
        training.loss_plot.setXRange(200, 250, padding=0)
        qtbot.waitUntil(lambda: training.loss_line.drawn()[0].min() > 150, timeout=3000)
        x, loss = training.loss_line.drawn()
        steps = lab.run.steps()
        index = np.searchsorted(steps, x)
        np.testing.assert_array_equal(steps[index], x)       # records, not buckets
        np.testing.assert_array_equal(loss, lab.run.series("loss")[index])
        assert x.min() < 200 and x.max() > 250 and x.max() <= 276   # to the edges, + margins
        lab.play()         # playing: once the newest step leaves the x range, it follows
        qtbot.waitUntil(lambda: training.loss_line.drawn()[0].max() > 600, timeout=10000)
        assert training.loss_line.drawn()[0].min() == 1      # the whole run again
        left, right = training.loss_plot.vb.viewRange()[0]
        assert left <= 1 and right >= 600
        lab.pause()
        qtbot.waitUntil(lambda: not lab.is_running(), timeout=5000)
    finally:
        lab.shutdown()
