"""Hostile export paths: every failure is one ExportError sentence and leaves no file behind."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.export import (
    ExportError,
    ExportTarget,
    export_csv,
    export_png,
    export_svg,
    export_widget_png,
    svg_renders,
)

FORMATS = ("png", "svg", "csv")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def target(qtbot) -> ExportTarget:
    """A small real plot with one curve and its drawn data as CSV."""
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(320, 240)
    x = np.linspace(-3, 3, 50)
    y = np.tanh(x)
    plot.plot(x, y, pen=pg.mkPen("r", width=2))
    plot.show()
    qtbot.waitExposed(plot)
    return ExportTarget(title="tanh", widget=plot, item=plot.getPlotItem(),
                        csv=lambda: (["x", "f(x)"], np.column_stack([x, y])))


def _export(target: ExportTarget, path: Path, fmt: str) -> Path:
    """Call the exporter for `fmt`."""
    if fmt == "png":
        return export_png(target, path)
    if fmt == "svg":
        return export_svg(target, path)
    return export_csv(target, path)


def _assert_loads(path: Path, fmt: str) -> None:
    """The file is a complete, loadable export of the target."""
    if fmt == "png":
        image = QImage(str(path))
        assert not image.isNull() and image.width() > 10
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
                   for y in range(0, image.height(), 7)}
        assert len(colours) > 1, "blank PNG"
    elif fmt == "svg":
        assert svg_renders(path)
    else:
        rows = path.read_text(encoding="utf-8").splitlines()
        assert rows[0] == "x,f(x)" and len(rows) == 51
        np.testing.assert_allclose(np.loadtxt(rows[1:], delimiter=","),
                                   np.column_stack([np.linspace(-3, 3, 50),
                                                    np.tanh(np.linspace(-3, 3, 50))]))


def _listing(folder: Path) -> list[str]:
    """Every entry (hidden temp files included) in `folder`."""
    return sorted(os.listdir(folder))


def _one_sentence(exc: BaseException) -> str:
    """The message, asserted non-empty and on one line."""
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text
    return text


@pytest.mark.parametrize("fmt", FORMATS)
def test_unicode_and_spaces_in_name_work(target, tmp_path, fmt):
    folder = tmp_path / "dossier à exporter — ü"
    folder.mkdir()
    path = folder / f"courbe tanh ∂f 图 {fmt}.{fmt}"
    assert _export(target, path, fmt) == path
    _assert_loads(path, fmt)
    assert _listing(folder) == [path.name], "temp file left beside the export"


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_folder_is_one_sentence_and_creates_nothing(target, tmp_path, fmt):
    path = tmp_path / "no such folder" / f"plot.{fmt}"
    with pytest.raises(ExportError) as info:
        _export(target, path, fmt)
    assert "folder" in _one_sentence(info.value)
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_used_as_folder_is_refused(target, tmp_path, fmt):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    with pytest.raises(ExportError) as info:
        _export(target, blocker / f"plot.{fmt}", fmt)
    _one_sentence(info.value)
    assert _listing(tmp_path) == ["notes.txt"]
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unwritable_folder_keeps_old_file_and_leaves_no_temp(target, tmp_path, fmt, monkeypatch):
    # Root ignores chmod, so the "read-only folder" is simulated where the write really fails.
    old = tmp_path / f"plot.{fmt}"
    old.write_bytes(b"previous export")

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ExportError) as info:
        _export(target, old, fmt)
    assert "Permission denied" in _one_sentence(info.value)
    assert _listing(tmp_path) == [old.name]
    assert old.read_bytes() == b"previous export"


@pytest.mark.parametrize("fmt", FORMATS)
def test_mkstemp_failure_is_one_sentence(target, tmp_path, fmt, monkeypatch):
    import tempfile

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    with pytest.raises(ExportError) as info:
        _export(target, tmp_path / f"plot.{fmt}", fmt)
    assert "No space left" in _one_sentence(info.value)
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_existing_file_is_replaced_whole(target, tmp_path, fmt):
    path = tmp_path / f"plot.{fmt}"
    path.write_bytes(b"x" * 5_000_000)  # larger than any export: a partial overwrite would show
    _export(target, path, fmt)
    _assert_loads(path, fmt)
    assert path.stat().st_size < 5_000_000
    assert _listing(tmp_path) == [path.name]


@pytest.mark.parametrize("name", ["plot", "plot.jpg", "plot.png.txt", ".png"])
def test_bad_extension_is_refused(target, tmp_path, name):
    with pytest.raises(ExportError) as info:
        export_png(target, tmp_path / name)
    _one_sentence(info.value)
    assert _listing(tmp_path) == []


def test_existing_folder_as_file_name_is_refused(target, tmp_path):
    (tmp_path / "plot.png").mkdir()
    with pytest.raises(ExportError) as info:
        export_png(target, tmp_path / "plot.png")
    _one_sentence(info.value)
    assert _listing(tmp_path) == ["plot.png"] and (tmp_path / "plot.png").is_dir()


@pytest.mark.parametrize("side", [0, -5, 10**6])
def test_absurd_png_size_is_refused_before_writing(target, tmp_path, side):
    with pytest.raises(ExportError) as info:
        export_png(target, tmp_path / "plot.png", width=side, height=100)
    _one_sentence(info.value)
    assert _listing(tmp_path) == []


def test_encoder_failure_leaves_nothing(target, tmp_path, monkeypatch):
    monkeypatch.setattr(QImage, "save", lambda self, *a, **k: False)
    with pytest.raises(ExportError) as info:
        export_png(target, tmp_path / "plot.png")
    _one_sentence(info.value)
    assert _listing(tmp_path) == []


def test_csv_callback_crash_leaves_nothing(target, tmp_path):
    def broken():
        raise RuntimeError("view bug")

    target.csv = broken
    with pytest.raises(RuntimeError):
        export_csv(target, tmp_path / "data.csv")
    assert _listing(tmp_path) == []


def test_csv_shape_mismatch_is_one_sentence(target, tmp_path):
    target.csv = lambda: (["a", "b", "c"], np.zeros((4, 2)))
    with pytest.raises(ExportError) as info:
        export_csv(target, tmp_path / "data.csv")
    _one_sentence(info.value)
    assert _listing(tmp_path) == []


def test_interrupt_mid_write_removes_temp(target, tmp_path, monkeypatch):
    def interrupted(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(QImage, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_png(target, tmp_path / "plot.png")
    assert _listing(tmp_path) == []


def test_csv_of_non_finite_data_round_trips(target, tmp_path):
    data = np.array([[0.0, np.nan], [1.0, np.inf], [2.0, -np.inf], [3.0, 5e-324]])
    target.csv = lambda: (["step", "grad norm (L2)"], data)
    path = export_csv(target, tmp_path / "nonfinite.csv")
    back = np.loadtxt(path, delimiter=",", skiprows=1)
    np.testing.assert_array_equal(back, data)


def test_long_but_legal_file_name_exports(target, tmp_path):
    # 250 bytes is a legal name on Linux (limit 255); the temp name must not push it over.
    path = tmp_path / ("g" * 246 + ".png")
    path.write_bytes(b"")
    path.unlink()
    export_png(target, path)
    _assert_loads(path, "png")
    assert _listing(tmp_path) == [path.name]


def _window_with_plot(qtbot) -> QWidget:
    """A plain container holding a plot, like the main window does."""
    window = QWidget()
    qtbot.addWidget(window)
    plot = pg.PlotWidget()
    plot.plot(np.sin(np.linspace(0, 6, 80)))
    QVBoxLayout(window).addWidget(plot)
    window.resize(400, 300)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_whole_window_png_to_missing_folder(qtbot, tmp_path):
    window = _window_with_plot(qtbot)
    with pytest.raises(ExportError) as info:
        export_widget_png(window, tmp_path / "gone" / "window.png")
    _one_sentence(info.value)
    assert _listing(tmp_path) == []


def test_whole_window_png_with_unicode_name(qtbot, tmp_path):
    window = _window_with_plot(qtbot)
    path = tmp_path / "fenêtre entière ✓.png"
    export_widget_png(window, path)
    _assert_loads(path, "png")
    assert _listing(tmp_path) == [path.name]


def _plain_grab_in_subprocess(tmp_path: Path, call: str) -> subprocess.CompletedProcess:
    """Export a bare PlotWidget as a plain widget in a child process (a crash must not kill us)."""
    script = textwrap.dedent(f"""
        import pyqtgraph as pg
        from PySide6.QtWidgets import QApplication
        from gui.export import ExportError, ExportTarget, export_png, export_svg, export_widget_png
        app = QApplication([])
        plot = pg.PlotWidget()
        plot.plot([1.0, 3.0, 2.0])
        plot.resize(300, 200)
        plot.show()
        target = ExportTarget("plot", plot, None, None)
        try:
            {call}
        except ExportError as exc:
            print("ExportError:", exc)
        del target, plot
        import gc; gc.collect()
        app.processEvents()
        print("clean exit")
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("call", [
    pytest.param("export_png(target, 'plot.png')"),
    pytest.param("export_svg(target, 'plot.svg')"),
    pytest.param("export_widget_png(plot, 'plot.png')"),
])
def test_plain_grab_of_a_plot_widget(tmp_path, call):
    # ExportTarget(item=None) means "grab the widget"; pyqtgraph's GraphicsView overrides render().
    result = _plain_grab_in_subprocess(tmp_path, call)
    assert result.returncode == 0, result.stderr[-800:]
    assert "Traceback" not in result.stderr, result.stderr[-800:]
    assert "clean exit" in result.stdout
    written = [p for p in os.listdir(tmp_path)]
    assert written == ["plot." + call.split("'")[1].split(".")[1]]


def test_every_app_plot_exports_after_divergence(qtbot, tmp_path):
    # Diverged statistics hold inf/nan: every plot of the app must still export all three formats.
    from core.config import ExperimentConfig
    from gui.app import create_main_window
    from gui.lab.lab_view import LabView

    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    lab = next(w for w in window.tab_widgets() if isinstance(w, LabView))
    lab.set_config(ExperimentConfig(depth=3, width=6, n_samples=120, batch_size=16,
                                    dataset="sine", lr=1e6, init="normal", init_std=1e3))
    lab.advance(10)
    assert lab.trainer.diverged
    targets = window.export_targets()
    assert len(targets) >= 7
    for index, target in enumerate(targets):
        for fmt in FORMATS:
            path = tmp_path / f"{index} {target.title.replace('/', '-')} ✓.{fmt}"
            _export(target, path, fmt)
            if fmt == "svg":
                assert svg_renders(path), target.title
            elif fmt == "png":
                assert not QImage(str(path)).isNull(), target.title
            else:
                header = path.read_text(encoding="utf-8").splitlines()[0]
                assert header and "nan" not in header.lower(), target.title
    assert len(os.listdir(tmp_path)) == 3 * len(targets)


def test_export_dialog_default_file_name_works_for_every_plot(qtbot, tmp_path, monkeypatch):
    # The user opens Export…, keeps the proposed file name and presses Save.
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from gui.app import create_main_window
    from gui.export import ExportDialog
    from gui.settings import app_settings

    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settings = app_settings()
    settings.setValue("export/last_folder", str(tmp_path))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, caption, proposed, filters: (proposed, "")))
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda parent, title, text, *a: warnings.append(text)))
    targets = window.export_targets()
    for index in range(len(targets)):
        dialog = ExportDialog(targets, parent=window, current=index)
        qtbot.addWidget(dialog)
        dialog.choose_file_and_export()
    assert not warnings, warnings
