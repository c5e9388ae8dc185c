"""`main.py export-run RUN --out X.csv|X.parquet`: equals `run --out X.csv`; bad input."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from actiscope_probe.runformat import Manifest, ParamLayer, RunWriter, Site, Topology

import main as actiscope_main
from core.runs import FileRun
from gui.commands import export_run

ROOT = Path(__file__).resolve().parents[2]


def _main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_export_equals_the_run_csv_of_the_same_config_and_seed(tmp_path):
    for out in ("direct.csv", "recorded.actirun"):
        result = _main("run", "--preset", "dying-relu", "--steps", "150", "--seed", "7",
                       "--out", out, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    for out in ("export.csv", "export.parquet"):
        result = _main("export-run", "recorded.actirun", "--out", out, cwd=tmp_path)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    direct_header, direct = _read_csv(tmp_path / "direct.csv")
    header, exported = _read_csv(tmp_path / "export.csv")
    layers, sites = [f"L{i}" for i in range(1, 6)], [f"L{i}" for i in range(1, 5)]
    assert header == (["step", "loss"] + [f"grad_norm_{p}" for p in layers]
                      + [f"update_ratio_{p}" for p in layers]
                      + [f"{stem}_{s}" for stem in ("dead_batch", "dead", "saturated")
                         for s in sites])
    assert len(exported) == len(direct) == 150
    matching = [name for name in direct_header if name in header]
    assert matching == ["step", "loss", *[f"grad_norm_{p}" for p in layers],
                        *[f"dead_{s}" for s in sites]]
    for name in matching:
        mine = [row[header.index(name)] for row in exported]
        theirs = [row[direct_header.index(name)] for row in direct]
        if name == "step":
            assert mine == theirs
            continue
        # `run` writes 9 significant digits, export-run every digit: same numbers rounded alike
        assert [f"{float(v):.9g}" for v in mine] == theirs, name
        assert np.allclose(np.array(mine, float), np.array(theirs, float), rtol=1e-8, atol=0)
    dead = np.array([[row[header.index(f"dead_{s}")] for s in sites] for row in exported], float)
    assert dead[-1].max() > 0                 # dying-relu: units die, the column is not empty
    table = pq.read_table(tmp_path / "export.parquet")
    assert table.column_names == header and table.num_rows == 150
    assert table.column("step").to_pylist() == list(range(1, 151))
    for name in header[1:]:
        assert table.column(name).to_pylist() == [float(row[header.index(name)])
                                                  for row in exported], name


def _probe_run(path: Path, steps: int) -> None:
    """A probe-style run: module sites (one name colliding with a prefix), named parameters."""
    topology = Topology((Site("x", "module", 3, "relu"), Site("batch_x", "module", 2, "gelu")),
                        (ParamLayer("0.weight", (3, 2)), ParamLayer("0.bias", (3,))))
    with RunWriter(path, Manifest(topology)) as writer:
        for step in range(1, steps + 1):
            writer.append(step=step, loss=None if step == 2 else 1.0 / step,
                          grad_norm=[step, 2.0 * step], update_ratio=[0.1, np.nan],
                          dead_batch=[0.5, 0.0], dead_window=[step / 100, 0.25],
                          saturated_batch=[0.0, 1.0])


def test_probe_runs_export_in_blocks_with_distinct_names(tmp_path, monkeypatch):
    path = tmp_path / "probe.actirun"
    _probe_run(path, 25)
    monkeypatch.setattr(export_run, "BLOCK_RECORDS", 4)       # 7 blocks of at most 4 records
    out = tmp_path / "probe.csv"
    assert export_run.write_export(FileRun(path), out) == 25
    header, rows = _read_csv(out)
    assert header == ["step", "loss", "grad_norm_0.weight", "grad_norm_0.bias",
                      "update_ratio_0.weight", "update_ratio_0.bias", "dead_batch_x",
                      "dead_batch_batch_x", "dead_x", "dead_batch_x#2", "saturated_x",
                      "saturated_batch_x"]
    assert [int(row[0]) for row in rows] == list(range(1, 26))
    assert rows[1][1] == "nan" and float(rows[3][1]) == 0.25     # a null loss reads as NaN
    assert [float(row[8]) for row in rows] == [step / 100 for step in range(1, 26)]
    assert {row[5] for row in rows} == {"nan"} and {row[9] for row in rows} == {"0.25"}
    parquet = tmp_path / "probe.parquet"
    export_run.write_export(FileRun(path), parquet)
    assert pq.read_table(parquet).column("dead_batch_x#2").to_pylist() == [0.25] * 25
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe.actirun", "probe.csv",
                                                          "probe.parquet"]


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Path:
    """cwd with a good run, a run with a damaged manifest and one with a garbage stream."""
    monkeypatch.chdir(tmp_path)
    _probe_run(tmp_path / "good.actirun", 3)
    _probe_run(tmp_path / "torn.actirun", 3)
    text = (tmp_path / "torn.actirun" / "manifest.json").read_text()
    (tmp_path / "torn.actirun" / "manifest.json").write_text(text[:len(text) // 2])
    _probe_run(tmp_path / "garbage.actirun", 3)
    (tmp_path / "garbage.actirun" / "rank0.arrows").write_bytes(os.urandom(4096))
    (tmp_path / "notes.txt").write_text("not a run")
    (tmp_path / "folder.csv").mkdir()
    return tmp_path


@pytest.mark.parametrize("args, words", [
    (["missing.actirun", "--out", "x.csv"], "not a run folder"),
    (["notes.txt", "--out", "x.csv"], "not a run folder"),
    (["torn.actirun", "--out", "x.csv"], "manifest"),
    (["garbage.actirun", "--out", "x.parquet"], "garbage.actirun"),
    (["good.actirun", "--out", "x.txt"], ".csv or .parquet"),
    (["good.actirun", "--out", "x"], ".csv or .parquet"),
    (["good.actirun", "--out", "folder.csv"], "is a folder"),
    (["good.actirun", "--out", "nowhere/x.csv"], "does not exist"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(runs, capsys, args, words):
    before = sorted(p.name for p in runs.iterdir())
    code = actiscope_main.main(["export-run", *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("actiscope: error: ") and words in lines[0], lines[0]
    assert sorted(p.name for p in runs.iterdir()) == before   # no output, no temp file


def test_missing_argument_is_one_line_in_a_real_process(tmp_path):
    result = _main("export-run", "--out", "x.csv", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
