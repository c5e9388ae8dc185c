"""`main.py --smoke` in a subprocess: every check passes and the files it names exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_exits_0_and_checks_every_format(tmp_path, _isolated_settings):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ACTISCOPE_SETTINGS=str(_isolated_settings))
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "--smoke", "--smoke-dir",
                             str(tmp_path)], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1].startswith("smoke:") and "FAIL" not in result.stdout
    for name in ("window.png", "explorer-explorer-curves.png", "explorer-explorer-curves.svg",
                 "explorer-explorer-curves.csv"):
        assert any(line.startswith(f"ok    {name}") for line in lines), name
        assert (tmp_path / name).stat().st_size > 1000
    # the lazily loaded dependencies: pyarrow + the probe's run format, and sympy
    for name in ("smoke.actirun", "smoke.parquet", "formula activation"):
        assert any(line.startswith(f"ok    {name}") for line in lines), name
    assert (tmp_path / "smoke.actirun" / "rank0.arrows").stat().st_size > 1000
