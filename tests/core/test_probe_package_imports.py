"""actiscope_probe installs and imports alone: no torch at import, no Qt, no app packages."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "probe"
FORBIDDEN = ("torch", "PySide6", "pyqtgraph", "shiboken6", "core", "gui")


def test_importing_the_probe_and_its_run_format_loads_nothing_forbidden(tmp_path):
    code = ("import sys, actiscope_probe, actiscope_probe.runformat; "
            "import actiscope_probe.runformat.reader, actiscope_probe.runformat.writer; "
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}); "
            "assert not bad, bad; print(actiscope_probe.__version__)")
    # From an unrelated folder, so nothing of the repository is on the path by accident.
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.1.0"


def test_probe_sources_never_import_the_app():
    """No probe module imports Qt or the app; torch only outside the run format (the app
    reads run files through actiscope_probe.runformat and never imports torch)."""
    package = PROBE / "actiscope_probe"
    for path in sorted(package.rglob("*.py")):
        in_format = "runformat" in path.relative_to(package).parts
        forbidden = FORBIDDEN if in_format else tuple(f for f in FORBIDDEN if f != "torch")
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_probe_package_metadata_ships_only_actiscope_probe():
    project = tomllib.loads((PROBE / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "actiscope-probe"
    assert project["project"]["dependencies"] == ["numpy>=1.26", "pyarrow==26.0.1"]
    assert project["project"]["optional-dependencies"]["torch"] == ["torch==2.13.0"]
    assert project["tool"]["setuptools"]["packages"]["find"]["include"] == ["actiscope_probe*"]
    packages = sorted(p.name for p in PROBE.iterdir() if (p / "__init__.py").exists())
    assert packages == ["actiscope_probe"]
