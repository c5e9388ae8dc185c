"""`main.py run` and `main.py render` in a subprocess: CSV contents, PNG pixels, clean errors."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _main(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               ACTISCOPE_SETTINGS=str(tmp_path / "settings.ini"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)


def test_run_writes_one_row_per_step_with_dead_units(tmp_path):
    out = tmp_path / "x.csv"
    result = _main("run", "--preset", "dying-relu", "--steps", "200", "--out", str(out),
                   tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["step", "loss", "accuracy"]
    n_grad = sum(name.startswith("grad_norm_L") for name in header)
    n_dead = sum(name.startswith("dead_L") for name in header)
    assert n_grad == n_dead + 1 and n_dead >= 1
    assert header[3:] == ([f"grad_norm_L{i + 1}" for i in range(n_grad)]
                          + [f"dead_L{i + 1}" for i in range(n_dead)])
    assert len(body) == 200
    assert [int(r[0]) for r in body] == list(range(1, 201))
    last_dead = [float(v) for v in body[-1][3 + n_grad:]]
    assert max(last_dead) > 0
    assert all(0.0 <= v <= 1.0 for v in last_dead)


def test_run_every_k_and_list_presets(tmp_path):
    out = tmp_path / "every.csv"
    result = _main("run", "--preset", "dying-relu", "--steps", "30", "--every", "10",
                   "--out", str(out), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    steps = [row[0] for row in list(csv.reader(out.open()))[1:]]
    assert steps == ["10", "20", "30"]
    listing = _main("run", "--list-presets", tmp_path=tmp_path)
    assert listing.returncode == 0
    names = [line.split()[0] for line in listing.stdout.splitlines()]
    assert "dying-relu" in names and len(names) >= 5


@pytest.mark.parametrize("args", [
    ["run", "--preset", "no-such-preset", "--steps", "5"],
    ["run", "--preset", "dying-relu", "--steps", "0"],
    ["run", "--preset", "dying-relu", "--steps", "5", "--every", "0"],
    ["render", "--preset", "no-such-preset", "--steps", "5"],
])
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, args):
    suffix = ".png" if args[0] == "render" else ".csv"
    out = tmp_path / f"out{suffix}"
    result = _main(*args, "--out", str(out), tmp_path=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("actiscope: error: ")
    assert not out.exists()
    assert list(tmp_path.glob("*" + suffix)) == []


def test_run_with_a_missing_folder_fails_cleanly(tmp_path):
    result = _main("run", "--preset", "dying-relu", "--steps", "5",
                   "--out", str(tmp_path / "nope" / "x.csv"), tmp_path=tmp_path)
    assert result.returncode == 2
    assert "folder" in result.stderr


def test_run_config_file_and_divergence_note(tmp_path):
    from core.config import ExperimentConfig

    session = tmp_path / "s.json"
    ExperimentConfig(depth=2, width=8, n_samples=100, lr=1e6, dataset="sine").save(session)
    out = tmp_path / "d.csv"
    result = _main("run", "--config", str(session), "--steps", "50", "--out", str(out),
                   tmp_path=tmp_path)
    assert result.returncode == 0
    assert "diverged" in result.stderr
    rows = list(csv.reader(out.open()))
    assert 1 <= len(rows) - 1 < 50


def test_render_writes_a_colourful_png(tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "lab.png"
    result = _main("render", "--preset", "dying-relu", "--steps", "100", "--out", str(out),
                   "--width", "1200", "--height", "800", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    colours = {image.pixel(x, y) for x in range(0, 1200, 7) for y in range(0, 800, 7)}
    assert len(colours) > 100


def test_render_animate_writes_a_gif_with_the_frames(tmp_path):
    from PIL import Image

    out, gif = tmp_path / "lab.png", tmp_path / "lab.gif"
    result = _main("render", "--preset", "dying-relu", "--steps", "20", "--out", str(out),
                   "--width", "640", "--height", "400", "--animate", str(gif), "--frames", "4",
                   "--fps", "5", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(gif) as animation:
        assert animation.n_frames == 4
        assert animation.size == (640, 400)
    assert out.exists()


def test_render_run_draws_a_run_file_at_a_step_and_open_refuses_a_bad_run(tmp_path):
    from PySide6.QtGui import QImage

    import main as cli
    run = tmp_path / "d.actirun"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    root = str(Path(cli.__file__).parent)

    def call(*args):
        return subprocess.run([sys.executable, "main.py", *args], cwd=root, env=env,
                              capture_output=True, text=True, timeout=300)

    assert call("run", "--preset", "dying-relu", "--steps", "40", "--out", str(run)).returncode == 0
    out = tmp_path / "at20.png"
    result = call("render", "--run", str(run), "--step", "20", "--out", str(out))
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert image.width() == 1600 and image.height() == 1000
    result = call("render", "--run", str(run), "--step", "400", "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "outside" in result.stderr
    assert not (tmp_path / "x.png").exists()
    bad = tmp_path / "bad.actirun"
    bad.mkdir()
    result = call("open", str(bad))                   # the window is never shown
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert cli._open_shorthand([str(run)]) == ["open", str(run)]
    assert cli._open_shorthand(["run", "--list-presets"]) == ["run", "--list-presets"]
