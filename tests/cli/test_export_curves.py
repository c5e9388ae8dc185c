"""`main.py export-curves` in a subprocess: files load back, one-line errors, no partial file."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.activations import get_activation

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, settings: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ACTISCOPE_SETTINGS=str(settings))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "export-curves", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_negative_x_range_as_documented_in_the_readme(tmp_path, _isolated_settings):
    out = tmp_path / "neg.csv"
    result = run_cli("--activations", "relu", "--x-range", "-6,6", "--samples", "13",
                     "--out", str(out), settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    x = np.array([row[0] for row in list(csv.reader(out.open()))[1:]], dtype=float)
    np.testing.assert_array_equal(x, np.arange(-6.0, 7.0))


def test_csv_has_the_right_columns_and_exact_values(tmp_path, _isolated_settings):
    out = tmp_path / "c.csv"
    result = run_cli("--activations", "sigmoid,leaky_relu", "--param", "leaky_relu.alpha=0.1",
                     "--x-range=-3,2", "--samples", "101", "--out", str(out),
                     settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["x", "sigmoid f(x)", "sigmoid f'(x)", "leaky_relu f(x)",
                       "leaky_relu f'(x)"]
    data = np.array(rows[1:], dtype=float)
    assert data.shape == (101, 5) and (data[0, 0], data[-1, 0]) == (-3.0, 2.0)
    leaky = get_activation("leaky_relu", alpha=0.1)
    np.testing.assert_array_equal(data[:, 3], leaky.f(data[:, 0]))
    np.testing.assert_array_equal(data[:, 2], get_activation("sigmoid").df(data[:, 0]))


def test_csv_without_derivatives(tmp_path, _isolated_settings):
    out = tmp_path / "f.csv"
    result = run_cli("--activations", "tanh", "--no-derivatives", "--out", str(out),
                     settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    assert out.read_text().splitlines()[0] == "x,tanh f(x)"


def test_png_and_svg_load_back(qapp, tmp_path, _isolated_settings):
    from PySide6.QtGui import QImage

    from gui.export.verify import colour_count, render_svg
    png, svg = tmp_path / "c.png", tmp_path / "c.svg"
    for out in (png, svg):
        result = run_cli("--activations", "sigmoid,tanh,relu", "--width", "800", "--height",
                         "500", "--out", str(out), settings=_isolated_settings)
        assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (800, 500)
    assert colour_count(image) > 50
    assert colour_count(render_svg(svg)) > 50


@pytest.mark.parametrize("args, fragment", [
    (["--activations", "sigmoid,nope"], "nope"),
    (["--activations", "leaky_relu", "--param", "leaky_relu.alpha=5"], "alpha"),
    (["--activations", "relu", "--param", "relu.alpha=0.1"], "alpha"),
    (["--activations", "relu", "--x-range", "3,1"], "x-range"),
    (["--activations", "relu", "--no-functions", "--no-derivatives"], "nothing to draw"),
])
@pytest.mark.parametrize("suffix", [".png", ".csv"])
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, _isolated_settings, args,
                                                     fragment, suffix):
    out = tmp_path / f"out{suffix}"
    result = run_cli(*args, "--out", str(out), settings=_isolated_settings)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out", ["missing/out.png", "out.jpg"])
def test_bad_path_exits_2_and_writes_nothing(tmp_path, _isolated_settings, out):
    result = run_cli("--activations", "relu", "--out", str(tmp_path / out),
                     settings=_isolated_settings)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
