"""The PyInstaller spec's exclusions must not cut anything the app imports.

The packaged build itself is smoke-tested by `make smoke-dist` (.ci/run); this cheap check catches
the usual way that build breaks: new code importing a module the spec leaves out.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

APP_IMPORTS = """
import json, sys, tempfile
from pathlib import Path
from gui.app import create_app, create_main_window
app = create_app([])
window = create_main_window()
window.show()
app.processEvents()
import gui.animation, gui.record_dialog, gui.session, gui.session_menu
import main
main.build_parser()
window.close()
# Loaded on first use: a formula (sympy), a run file (pyarrow + the probe's run format) and
# parquet (pyarrow.parquet + pyarrow.dataset, which export-run will write and read).
from gui.commands.smoke import check_formula, check_parquet, check_run_file
folder = Path(tempfile.mkdtemp())
check_formula()
check_run_file(folder / "check.actirun")
check_parquet(folder / "check.actirun", folder / "check.parquet")
print(json.dumps(sorted(sys.modules)))
"""

# Imported only inside try/except ImportError, so leaving them out of the bundle is safe.
OPTIONAL_IMPORTS = {
    "PySide6.QtTest",   # pyqtgraph.Qt falls back to FailedImport
    # pyarrow.fs (remote file systems), pyarrow.dataset (ORC, parquet encryption) and pyarrow's
    # _compute/_dataset (Substrait) try these and go on without them; the packaged smoke test
    # writes and reads a run file and a parquet file without them.
    "pyarrow._azurefs", "pyarrow._gcsfs", "pyarrow._hdfs", "pyarrow._s3fs",
    "pyarrow._dataset_orc", "pyarrow._dataset_parquet_encryption", "pyarrow._parquet_encryption",
    "pyarrow.substrait", "pyarrow._substrait",
}


def spec_excludes() -> list[str]:
    """Module names the spec excludes (its EXCLUDES literal plus PySide6.<UNUSED_QT>)."""
    tree = ast.parse((ROOT / "actiscope.spec").read_text(encoding="utf-8"))
    values: dict[str, ast.expr] = {
        node.targets[0].id: node.value for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    unused_qt = ast.literal_eval(values["UNUSED_QT"])
    excludes = values["EXCLUDES"]
    assert isinstance(excludes, ast.BinOp)
    return list(ast.literal_eval(excludes.left)) + [f"PySide6.{name}" for name in unused_qt]


def test_spec_excludes_nothing_the_app_imports():
    excluded = spec_excludes()
    assert {"tkinter", "torch", "pytest", "PySide6.QtNetwork", "PySide6.QtTest",
            "pyarrow.flight", "pyarrow._s3fs", "sympy.physics"} <= set(excluded)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", APP_IMPORTS], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    clashes = sorted(name for name in loaded for cut in excluded
                     if (name == cut or name.startswith(cut + "."))
                     and name not in OPTIONAL_IMPORTS)
    assert clashes == [], f"the packaged app would miss {clashes}"
    assert {"PySide6.QtSvg", "pyqtgraph", "core.config", "sympy", "pyarrow.parquet",
            "actiscope_probe.runformat.writer", "core.runs.file_run"} <= loaded
    # The spec leaves out the probe's PyTorch side (every actiscope_probe module but the run
    # format, computed from probe/): the app must not need any of it.
    probe_side = sorted(name for name in loaded if name.startswith("actiscope_probe.")
                        and not name.startswith("actiscope_probe.runformat"))
    assert probe_side == [] and "torch" not in loaded, probe_side


def test_spec_bundles_the_run_format_from_probe_and_never_the_probes_torch_side():
    text = (ROOT / "actiscope.spec").read_text(encoding="utf-8")
    # the editable install of ./probe is an import hook PyInstaller's module finder cannot see
    assert 'pathex=[str(ROOT), str(ROOT / "probe")]' in text
    assert "excludes=EXCLUDES + PROBE_TORCH_SIDE" in text
    assert not any(cut.split(".")[0] == "actiscope_probe" for cut in spec_excludes())
