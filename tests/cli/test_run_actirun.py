"""`main.py run --out X.actirun`: a run folder with every step, the config and the divergence."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import main as actiscope_main
from core.config import ExperimentConfig
from core.presets import get_preset
from core.runs import FileRun
from core.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]


def _main(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


def test_run_writes_a_run_folder_with_the_trainers_numbers(tmp_path):
    out = tmp_path / "dying.actirun"
    result = _main("run", "--preset", "dying-relu", "--steps", "120", "--seed", "3",
                   "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    run = FileRun(out)
    assert not run.growing and run.steps().tolist() == list(range(1, 121))
    config = get_preset("dying-relu").config.replace(seed=3)
    assert run.config == config.to_dict()
    trainer = Trainer(config)
    stats = [trainer.step() for _ in range(120)]
    assert [s.name for s in run.topology.sites] == [f"L{i}" for i in range(1, 5)]
    assert np.array_equal(run.series("grad_norm"), [s.grad_norms for s in stats])
    assert np.array_equal(run.series("dead_window"), [s.dead_fraction_dataset for s in stats])
    assert run.series("loss").tolist() == [s.loss for s in stats]
    assert run.per_unit_index(119) == 99      # unit gradients with steps 1-20, 25, 50, 75, 100


def test_every_k_and_divergence_are_recorded(tmp_path):
    out = tmp_path / "every.actirun"
    result = _main("run", "--preset", "dying-relu", "--steps", "30", "--every", "10",
                   "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert FileRun(out).steps().tolist() == [10, 20, 30]
    session = tmp_path / "s.json"
    ExperimentConfig(depth=2, width=8, n_samples=100, lr=1e6, dataset="sine").save(session)
    out = tmp_path / "diverged.actirun"
    result = _main("run", "--config", str(session), "--steps", "50", "--out", str(out),
                   cwd=tmp_path)
    assert result.returncode == 0 and "diverged" in result.stderr
    run = FileRun(out)
    last = run.record(-1)
    assert last.diverged and "diverged" in last.message and len(run) < 50
    assert not run.series("diverged")[:-1].any()


def test_an_existing_run_is_never_overwritten(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "kept.actirun"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    code = actiscope_main.main(["run", "--preset", "dying-relu", "--steps", "5",
                                "--out", str(out)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "already exists" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
    assert (out / "manifest.json").read_text() == "{}"
    code = actiscope_main.main(["run", "--preset", "dying-relu", "--steps", "5",
                                "--out", str(tmp_path / "x.arrows")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and ".csv or .actirun" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.actirun"]


def test_the_actiscope_entry_point_is_main_main():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["gui-scripts"] == {"actiscope": "main:main"}
    assert "main" in project["tool"]["setuptools"]["py-modules"]
    assert actiscope_main.main(["run", "--list-presets"]) == 0
