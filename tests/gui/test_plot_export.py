"""Exports write files that load back: PNG not blank (and transparent on request), SVG renders,
CSV holds exactly the drawn samples; failures raise ExportError and leave no file."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage

import gui.export.svg as svg_module
from core.activations import get_activation
from gui.explorer.explorer_view import ExplorerView
from gui.export import (
    ExportError,
    export_csv,
    export_png,
    export_svg,
    export_to_path,
    export_widget_png,
)
from gui.export.verify import colour_count, read_csv, render_svg


@pytest.fixture
def view(qtbot):
    widget = ExplorerView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activation_list.set_checked("leaky_relu", True)
    widget.set_param("leaky_relu", "alpha", 0.2)
    return widget


@pytest.fixture
def target(view):
    return view.export_targets()[0]


def test_png_is_not_blank_and_has_the_requested_size(target, tmp_path):
    path = export_png(target, tmp_path / "curves.png", width=900, height=500)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (900, 500)
    assert colour_count(image) > 50
    assert image.pixelColor(2, 2).alpha() == 255


def test_png_one_side_keeps_the_aspect_ratio(target, tmp_path):
    plot_size = target.widget.size()
    image = QImage(str(export_png(target, tmp_path / "wide.png", width=2 * plot_size.width())))
    assert image.height() == pytest.approx(2 * plot_size.height(), abs=2)


def test_transparent_png_has_alpha_zero_in_a_corner(target, tmp_path):
    image = QImage(str(export_png(target, tmp_path / "t.png", transparent=True)))
    assert image.hasAlphaChannel()
    assert image.pixelColor(1, 1).alpha() == 0
    assert colour_count(image) > 50


def test_svg_loads_back_and_renders_the_curves(target, tmp_path):
    path = export_svg(target, tmp_path / "curves.svg")
    image = render_svg(path)
    assert colour_count(image) > 50
    text = path.read_text(encoding="utf-8")
    assert "#ff7f0e" in text.lower()     # leaky ReLU's colour made it into the vector paths


def test_svg_falls_back_to_qt_when_pyqtgraph_fails(target, tmp_path, monkeypatch):
    def broken(item, path):
        raise ValueError("not enough values to unpack")     # pyqtgraph 0.14 on Qt >= 6.11
    monkeypatch.setattr(svg_module, "_write_with_pyqtgraph", broken)
    path = export_svg(target, tmp_path / "fallback.svg")
    assert colour_count(render_svg(path)) > 50


def test_csv_holds_exactly_the_drawn_samples(view, target, tmp_path):
    headers, data = read_csv(export_csv(target, tmp_path / "curves.csv"))
    assert headers == ["x", "sigmoid f(x)", "sigmoid f'(x)", "tanh f(x)", "tanh f'(x)",
                       "relu f(x)", "relu f'(x)", "leaky_relu f(x)", "leaky_relu f'(x)"]
    x = data[:, 0]
    np.testing.assert_array_equal(x, view.plot.curve_items("sigmoid")[0].getData()[0])
    leaky = get_activation("leaky_relu", alpha=0.2)
    np.testing.assert_array_equal(data[:, 7], leaky.f(x))
    np.testing.assert_array_equal(data[:, 8], leaky.df(x))
    np.testing.assert_array_equal(data[:, 1], get_activation("sigmoid").f(x))


def test_whole_window_png(view, tmp_path):
    image = QImage(str(export_widget_png(view, tmp_path / "window.png")))
    assert (image.width(), image.height()) == (view.width(), view.height())
    assert colour_count(image) > 50


@pytest.mark.parametrize("name", ["curves.png", "curves.svg", "curves.csv"])
def test_missing_folder_raises_and_writes_nothing(target, tmp_path, name):
    missing = tmp_path / "missing"
    with pytest.raises(ExportError, match="does not exist"):
        export_to_path(target, missing / name)
    assert not missing.exists()


def test_unknown_extension_is_refused(target, tmp_path):
    with pytest.raises(ExportError, match=r"\.png, \.svg, \.csv"):
        export_to_path(target, tmp_path / "curves.jpg")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="needs POSIX permissions that apply (root ignores them)")
def test_read_only_folder_raises_and_leaves_no_file(target, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ExportError):
            export_png(target, folder / "x.png")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_failure_during_writing_removes_the_temp_file(target, tmp_path, monkeypatch):
    def broken(item, path):
        path.write_text("<svg partial")
        raise ValueError("boom")
    monkeypatch.setattr(svg_module, "_write_with_pyqtgraph", broken)
    monkeypatch.setattr(svg_module, "_write_with_qt", broken)
    with pytest.raises(ValueError):
        export_svg(target, tmp_path / "broken.svg")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_whole(target, tmp_path):
    path = tmp_path / "curves.csv"
    path.write_text("old content that is longer than nothing\n" * 5000)
    export_csv(target, path)
    headers, data = read_csv(path)
    assert headers[0] == "x" and data.shape[0] == 2000
