"""Bad command-line input: exit 2, exactly one stderr line, no traceback, no output file.

Most cases call main.main() in-process (fast, same code path); a few run the real subprocess to
prove the contract end to end, and the unicode/space paths must work for real.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main as actiscope_main
from core.config import ExperimentConfig

ROOT = Path(__file__).resolve().parents[2]
PRESET = "dying-relu"


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A scratch folder as cwd, holding a few hostile inputs to point the CLI at."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    (tmp_path / "garbage.json").write_bytes(b"\x00\xff not json")
    (tmp_path / "a_folder").mkdir()
    good = ExperimentConfig(depth=2, width=4, n_samples=64, batch_size=16).validate()
    newer = json.loads(good.to_json())
    newer["schema_version"] = 99
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    huge = good.to_json().replace('"depth": 2', '"depth": 1' + "0" * 400)
    (tmp_path / "huge_int.json").write_text(huge)
    missing_csv = json.loads(good.to_json())
    missing_csv["config"].update(dataset="csv", csv_path=str(tmp_path / "gone.csv"))
    (tmp_path / "missing_csv.json").write_text(json.dumps(missing_csv))
    (tmp_path / "ragged.csv").write_text("1,2,0\n" * 10 + "1,2\n" + "3,4,1\n" * 10)
    ragged = dict(missing_csv)
    ragged["config"] = dict(missing_csv["config"], csv_path=str(tmp_path / "ragged.csv"))
    (tmp_path / "ragged_csv.json").write_text(json.dumps(ragged))
    return tmp_path


BAD_CASES = {
    "run-unknown-preset": ["run", "--preset", "no-such-preset", "--steps", "5", "--out", "o.csv"],
    "run-steps-negative": ["run", "--preset", PRESET, "--steps", "-1", "--out", "o.csv"],
    "run-steps-zero": ["run", "--preset", PRESET, "--steps", "0", "--out", "o.csv"],
    "run-steps-text": ["run", "--preset", PRESET, "--steps", "ten", "--out", "o.csv"],
    "run-steps-float": ["run", "--preset", PRESET, "--steps", "1.5", "--out", "o.csv"],
    "run-every-zero": ["run", "--preset", PRESET, "--every", "0", "--out", "o.csv"],
    "run-seed-negative": ["run", "--preset", PRESET, "--seed", "-3", "--out", "o.csv"],
    "run-no-source": ["run", "--steps", "5", "--out", "o.csv"],
    "run-both-sources": ["run", "--preset", PRESET, "--config", "x.json", "--out", "o.csv"],
    "run-no-out": ["run", "--preset", PRESET, "--steps", "5"],
    "run-empty-out": ["run", "--preset", PRESET, "--steps", "5", "--out", ""],
    "run-wrong-suffix": ["run", "--preset", PRESET, "--steps", "5", "--out", "o.png"],
    "run-missing-folder": ["run", "--preset", PRESET, "--steps", "5", "--out", "nope/o.csv"],
    "run-file-as-folder": ["run", "--preset", PRESET, "--steps", "5", "--out", "notes.txt/o.csv"],
    "run-out-is-folder": ["run", "--preset", PRESET, "--steps", "5", "--out", "a_folder"],
    "run-config-missing": ["run", "--config", "missing.json", "--out", "o.csv"],
    "run-config-garbage": ["run", "--config", "garbage.json", "--out", "o.csv"],
    "run-config-folder": ["run", "--config", "a_folder", "--out", "o.csv"],
    "run-config-newer": ["run", "--config", "newer.json", "--out", "o.csv"],
    "run-config-huge-int": ["run", "--config", "huge_int.json", "--out", "o.csv"],
    "run-config-missing-csv": ["run", "--config", "missing_csv.json", "--out", "o.csv"],
    "run-config-ragged-csv": ["run", "--config", "ragged_csv.json", "--out", "o.csv"],
    "run-unknown-flag": ["run", "--preset", PRESET, "--out", "o.csv", "--turbo"],
    "unknown-command": ["train", "--preset", PRESET],
    "render-unknown-preset": ["render", "--preset", "nope", "--out", "o.png"],
    "render-steps-negative": ["render", "--preset", PRESET, "--steps", "-1", "--out", "o.png"],
    "render-width-zero": ["render", "--preset", PRESET, "--width", "0", "--out", "o.png"],
    "render-height-huge": ["render", "--preset", PRESET, "--height", "10000000", "--out", "o.png"],
    "render-wrong-suffix": ["render", "--preset", PRESET, "--out", "o.csv"],
    "render-missing-folder": ["render", "--preset", PRESET, "--out", "nope/o.png"],
    "render-animate-suffix": ["render", "--preset", PRESET, "--out", "o.png", "--animate", "a.txt"],
    "render-animate-missing-folder": ["render", "--preset", PRESET, "--out", "o.png",
                                      "--animate", "nope/a.gif"],
    "render-fps-zero": ["render", "--preset", PRESET, "--out", "o.png", "--animate", "a.gif",
                        "--fps", "0"],
    "render-frames-zero": ["render", "--preset", PRESET, "--out", "o.png", "--animate", "a.gif",
                           "--frames", "0"],
    "render-config-garbage": ["render", "--config", "garbage.json", "--out", "o.png"],
    "curves-unknown-activation": ["export-curves", "--activations", "relu,nope", "--out", "c.png"],
    "curves-empty-activations": ["export-curves", "--activations", " , ", "--out", "c.png"],
    "curves-no-activations": ["export-curves", "--out", "c.png"],
    "curves-range-reversed": ["export-curves", "--activations", "relu", "--x-range", "5,-5",
                              "--out", "c.csv"],
    "curves-range-text": ["export-curves", "--activations", "relu", "--x-range", "a,b",
                          "--out", "c.csv"],
    "curves-range-nan": ["export-curves", "--activations", "relu", "--x-range", "nan,1",
                         "--out", "c.csv"],
    "curves-range-three": ["export-curves", "--activations", "relu", "--x-range", "1,2,3",
                           "--out", "c.csv"],
    "curves-range-huge": ["export-curves", "--activations", "relu", "--x-range", "1e300,1e301",
                          "--out", "c.csv"],
    "curves-samples-one": ["export-curves", "--activations", "relu", "--samples", "1",
                           "--out", "c.csv"],
    "curves-samples-huge": ["export-curves", "--activations", "relu", "--samples", "1000000000",
                            "--out", "c.csv"],
    "curves-param-text": ["export-curves", "--activations", "leaky_relu", "--param",
                          "leaky_relu.alpha=abc", "--out", "c.csv"],
    "curves-param-form": ["export-curves", "--activations", "leaky_relu", "--param", "alpha",
                          "--out", "c.csv"],
    "curves-param-unknown": ["export-curves", "--activations", "relu", "--param",
                             "relu.alpha=1", "--out", "c.csv"],
    "curves-param-nan": ["export-curves", "--activations", "leaky_relu", "--param",
                         "leaky_relu.alpha=nan", "--out", "c.csv"],
    "curves-param-inf": ["export-curves", "--activations", "elu", "--param", "elu.alpha=1e999",
                         "--out", "c.csv"],
    "curves-param-other-activation": ["export-curves", "--activations", "relu", "--param",
                                      "elu.alpha=1", "--out", "c.csv"],
    "curves-width-zero": ["export-curves", "--activations", "relu", "--width", "0",
                          "--out", "c.png"],
    "curves-nothing-to-draw": ["export-curves", "--activations", "relu", "--no-functions",
                               "--no-derivatives", "--out", "c.csv"],
    "curves-wrong-suffix": ["export-curves", "--activations", "relu", "--out", "c.jpg"],
    "curves-missing-folder": ["export-curves", "--activations", "relu", "--out", "nope/c.svg"],
    "curves-file-as-folder": ["export-curves", "--activations", "relu",
                              "--out", "notes.txt/c.csv"],
}


def _files(folder: Path) -> set[str]:
    """Every path under folder (relative), hidden temp files included."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _stderr_lines(text: str) -> list[str]:
    """Non-empty stderr lines, ignoring Qt's platform-plugin chatter."""
    return [line for line in text.splitlines()
            if line.strip() and "propagateSizeHints" not in line]


@pytest.mark.parametrize("argv", list(BAD_CASES.values()), ids=list(BAD_CASES))
def test_bad_input_in_process(workdir, capfd, argv):
    before = _files(workdir)
    try:
        code = actiscope_main.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capfd.readouterr()
    lines = _stderr_lines(err)
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("actiscope")
    assert len(lines[0]) < 400, lines[0]
    assert _files(workdir) == before, "an output or temp file was left behind"


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI in a child process (offscreen Qt, settings in cwd)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               ACTISCOPE_SETTINGS=str(cwd / "settings.ini"))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("case", ["run-unknown-preset", "run-config-garbage",
                                  "render-steps-negative", "curves-range-text",
                                  "run-steps-text"])
def test_bad_input_in_a_real_process(workdir, case):
    before = _files(workdir)
    result = _run(BAD_CASES[case], workdir)
    lines = _stderr_lines(result.stderr)
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    assert _files(workdir) - {"settings.ini"} == before


def test_run_with_unicode_and_spaces_in_paths(tmp_path):
    folder = tmp_path / "résultats d'essai ✓"
    folder.mkdir()
    session = folder / "séance 1 ü.json"
    ExperimentConfig(depth=3, width=6, n_samples=80, batch_size=16, seed=3).validate().save(session)
    out = folder / "statistiques 训练.csv"
    result = _run(["run", "--config", str(session), "--steps", "12", "--out", str(out)],
                  tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][:3] == ["step", "loss", "accuracy"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 13))
    assert sorted(os.listdir(folder)) == sorted([session.name, out.name])


def test_run_to_long_but_legal_file_name(tmp_path):
    out = "r" * 246 + ".csv"
    result = _run(["run", "--preset", PRESET, "--steps", "3", "--out", out], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / out).is_file()


def test_export_curves_csv_with_unicode_path(tmp_path):
    out = tmp_path / "courbes é ü" / "activations ∂.csv"
    out.parent.mkdir()
    result = _run(["export-curves", "--activations", "sigmoid,tanh", "--samples", "11",
                   "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert len(rows) == 12 and len(rows[0]) >= 3
    assert os.listdir(out.parent) == [out.name]


def test_render_png_with_unicode_path(tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "rendu ✓" / "lab ü.png"
    out.parent.mkdir()
    result = _run(["render", "--preset", PRESET, "--steps", "5", "--width", "400",
                   "--height", "300", "--out", str(out)], tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert image.width() == 400 and image.height() == 300
    assert len({image.pixel(x, y) for x in range(0, 400, 9) for y in range(0, 300, 9)}) > 5
    assert os.listdir(out.parent) == [out.name]
