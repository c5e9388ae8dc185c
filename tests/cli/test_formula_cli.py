"""`main.py export-curves` with formula activations: files load back, bad formulas exit 2."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.activations import get_activation
from core.activations import split_activation_list as split_top_level
from gui.commands.export_curves import parse_activations, parse_params

ROOT = Path(__file__).resolve().parents[2]
ELU = "formula:where(x > 0, x, a*(exp(x) - 1)); a=1 in [0.1, 5]"


def run_cli(*args: str, settings: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ACTISCOPE_SETTINGS=str(settings))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "export-curves", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def read_csv(path: Path) -> tuple[list[str], np.ndarray]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], np.array(rows[1:], dtype=float)


def test_top_level_split_keeps_formula_commas():
    assert split_top_level("relu,formula:where(x > 0, x, 0),tanh") == \
        ["relu", "formula:where(x > 0, x, 0)", "tanh"]
    assert split_top_level("formula:a*x; a=1 in [0, 2],relu") == \
        ["formula:a*x; a=1 in [0, 2]", "relu"]
    names = parse_activations(f"relu, {ELU} ,silu,formula:x*sigmoid(x)")
    assert names == ["relu", "formula:where(x > 0, x, a * (exp(x) - 1)); a=1 in [0.1, 5]",
                     "swish", "formula:x * sigmoid(x)"]
    assert parse_params([f"{ELU}.a=0.5"], names) == {names[1]: {"a": 0.5}}


def test_formula_csv_matches_the_builtin(tmp_path, _isolated_settings):
    out = tmp_path / "f.csv"
    result = run_cli("--activations", "swish,formula:x*sigmoid(x)", "--x-range=-6,6",
                     "--samples", "241", "--out", str(out), settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    headers, data = read_csv(out)
    assert headers == ["x", "swish f(x)", "swish f'(x)", "formula:x * sigmoid(x) f(x)",
                       "formula:x * sigmoid(x) f'(x)"]
    np.testing.assert_allclose(data[:, 3:5], data[:, 1:3], rtol=1e-12, atol=1e-15)


def test_formula_with_commas_and_a_param_override(tmp_path, _isolated_settings):
    out = tmp_path / "elu.csv"
    result = run_cli("--activations", f"relu,{ELU}", "--param", f"{ELU}.a=0.5",
                     "--samples", "101", "--out", str(out), settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    headers, data = read_csv(out)
    assert len(headers) == 5 and headers[3].startswith("formula:where(x > 0, x, a * (")
    elu = get_activation("elu", alpha=0.5)
    np.testing.assert_allclose(data[:, 3], elu.f(data[:, 0]), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(data[:, 4], elu.df(data[:, 0]), rtol=1e-12, atol=1e-15)


def test_formula_png_and_svg_load_back(qapp, tmp_path, _isolated_settings):
    from PySide6.QtGui import QImage

    from gui.export.verify import colour_count, render_svg
    png, svg = tmp_path / "f.png", tmp_path / "f.svg"
    for out in (png, svg):
        result = run_cli("--activations", "formula:x * tanh(log(1 + exp(x))),relu", "--width",
                         "640", "--height", "400", "--out", str(out),
                         settings=_isolated_settings)
        assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (640, 400) and colour_count(image) > 50
    assert colour_count(render_svg(svg)) > 50


@pytest.mark.parametrize(("formula", "fragment"), [
    ("formula:x*sigmod(x)", "'sigmod' is not a function"),
    ("formula:__import__('os').system('true')", "cannot appear in a formula"),
    ("formula:9**9**9", "multiply to more than 1000"),
    ("formula:x*a", "Unknown name 'a'"),
    ("formula:" + "x+" * 1500 + "x", "at most 2,000"),
])
@pytest.mark.parametrize("suffix", [".csv", ".png"])
def test_bad_formula_exits_2_with_one_line_and_no_file(tmp_path, _isolated_settings, formula,
                                                        fragment, suffix):
    out = tmp_path / f"out{suffix}"
    result = run_cli("--activations", f"relu,{formula}", "--out", str(out),
                     settings=_isolated_settings)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_explains_formulas(_isolated_settings):
    env = dict(os.environ, ACTISCOPE_SETTINGS=str(_isolated_settings))
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "export-curves", "--help"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 0
    text = re.sub(r"-\n\s*", "-", result.stdout)  # argparse wraps after hyphens
    assert "formula:where(x > 0," in text and "docs/formula-activations.md" in text
