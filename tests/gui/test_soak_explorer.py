"""Soak: 20,000 offscreen renders of the Explorer while a parameter changes.

PySide6 6.12.0 on CPython 3.11 loses a reference to None per Python override of a C++ virtual
(pyqtgraph's paint) and aborts after ~16,000 repaints (`Fatal Python error: none_dealloc`;
PySide6 6.10.3 runs 20,000 cleanly); this test would catch it.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from gui.explorer.explorer_view import ExplorerView
from gui.export.verify import colour_count

RENDERS = 20_000


@pytest.mark.slow
def test_explorer_survives_20000_renders(qtbot):
    view = ExplorerView(samples=200)
    qtbot.addWidget(view)
    view.resize(800, 420)
    view.show()
    qtbot.waitExposed(view)
    view.activation_list.set_checked_names(["sigmoid", "tanh", "leaky_relu", "swish"])
    image = QImage(view.plot.size(), QImage.Format.Format_ARGB32_Premultiplied)
    scene, source = view.plot.scene(), QRectF(view.plot.rect())
    alphas = np.round(np.linspace(0.0, 0.99, 97), 3)   # on the spin box's 0.001 grid
    for i in range(RENDERS):
        view.set_param("leaky_relu", "alpha", float(alphas[i % alphas.size]))
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        scene.render(painter, QRectF(image.rect()), source)
        painter.end()
    assert colour_count(image) > 20
    _x, y = view.plot.curve_items("leaky_relu")[0].getData()
    assert y[0] == pytest.approx(float(alphas[(RENDERS - 1) % alphas.size]) * view.x[0])
