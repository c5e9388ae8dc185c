"""`main.py theory` in a subprocess: the CSV loads back equal to the core, --critical prints one
number, bad input exits 2 with one stderr line and leaves no (partial) file."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.activations import get_activation
from core.theory import critical_sigma_w2, propagate

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, settings: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ACTISCOPE_SETTINGS=str(settings))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "theory", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_csv_rows_are_the_core_prediction(tmp_path, _isolated_settings):
    out = tmp_path / "tanh.csv"
    result = run_cli("--activation", "tanh", "--sigma-w2", "2", "--sigma-b2", "0.05",
                     "--depth", "30", "--q0", "1.5", "--out", str(out),
                     settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["layer", "q", "chi", "grad_ratio"]
    data = np.array(rows[1:], dtype=float)
    pred = propagate(get_activation("tanh"), 2.0, 0.05, 30, 1.5)
    assert data.shape == (30, 4)
    np.testing.assert_array_equal(data[:, 0], np.arange(1, 31))
    np.testing.assert_array_equal(data[:, 1], pred.q)
    np.testing.assert_array_equal(data[:, 2], pred.chi)
    np.testing.assert_array_equal(data[:, 3], pred.grad_ratio)
    assert data[0, 1] == 1.5 and data[-1, 3] == 1.0


def test_default_q0_and_params_reach_the_activation(tmp_path, _isolated_settings):
    out = tmp_path / "leaky.csv"
    result = run_cli("--activation", "leaky_relu", "--param", "alpha=0.5", "--sigma-w2", "1",
                     "--sigma-b2", "0", "--depth", "4", "--out", str(out),
                     settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    data = np.loadtxt(out, delimiter=",", skiprows=1)
    # Leaky ReLU (alpha 0.5), sigma_w2 = 1: q^{l+1} = (1 + 0.25)/2 q^l, chi = 0.625.
    np.testing.assert_allclose(data[:, 1], 0.625 ** np.arange(4), rtol=1e-13)
    np.testing.assert_allclose(data[:, 2], 0.625, rtol=1e-13)


def test_critical_prints_one_number(_isolated_settings):
    result = run_cli("--activation", "tanh", "--critical", "--sigma-b2", "0.05",
                     settings=_isolated_settings)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    value = float(lines[0])
    assert value == pytest.approx(1.7610, abs=1e-4)
    assert value == pytest.approx(critical_sigma_w2(get_activation("tanh"), 0.05), rel=1e-11)


def test_bad_input_keeps_an_existing_file_untouched(tmp_path, _isolated_settings):
    out = tmp_path / "keep.csv"
    out.write_text("old\n")
    result = run_cli("--activation", "tanh", "--sigma-w2", "-1", "--sigma-b2", "0",
                     "--depth", "5", "--out", str(out), settings=_isolated_settings)
    assert result.returncode == 2
    assert out.read_text() == "old\n" and list(tmp_path.iterdir()) == [out]


GOOD = ["--activation", "tanh", "--sigma-w2", "2", "--sigma-b2", "0.05", "--depth", "5"]


@pytest.mark.parametrize("args, fragment", [
    (["--activation", "nope", "--sigma-w2", "2", "--sigma-b2", "0", "--depth", "5"], "nope"),
    (["--activation", "leaky_relu", "--param", "alpha=5", "--sigma-w2", "2", "--sigma-b2",
      "0", "--depth", "5"], "alpha"),
    (["--activation", "tanh", "--param", "alpha", "--sigma-w2", "2", "--sigma-b2", "0",
      "--depth", "5"], "NAME=VALUE"),
    (["--activation", "tanh", "--sigma-w2", "nan", "--sigma-b2", "0", "--depth", "5"],
     "sigma-w2"),
    (["--activation", "tanh", "--sigma-w2", "2", "--sigma-b2", "-0.1", "--depth", "5"],
     "sigma-b2"),
    ([*GOOD[:-1], "0"], "depth"),
    ([*GOOD[:-1], "2.5"], "depth"),
    ([*GOOD, "--q0", "-1"], "q0"),
    (GOOD[:4] + GOOD[6:], "--sigma-b2"),
    (["--activation", "tanh", "--critical"], "--sigma-b2"),
    (["--activation", "binary_step", "--critical", "--sigma-b2", "0.05"], "never"),
])
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, _isolated_settings, args,
                                                     fragment):
    result = run_cli(*args, "--out", str(tmp_path / "out.csv"), settings=_isolated_settings)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("out", ["missing/out.csv", "out.png", "a_folder", None])
def test_bad_output_path_exits_2_and_writes_nothing(tmp_path, _isolated_settings, out):
    (tmp_path / "a_folder").mkdir()
    extra = [] if out is None else ["--out", str(tmp_path / out)]
    result = run_cli(*GOOD, *extra, settings=_isolated_settings)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_folder"]
