"""`main.py --smoke`: build the main window offscreen, export every tab's plots, check the files.

It also writes a tiny run file with the probe's RunWriter and reads it back with core.runs.FileRun
(pyarrow and actiscope_probe.runformat), round-trips its losses through parquet (pyarrow.parquet,
kept in the package for export-run) and compiles a formula activation (sympy): the packaged app's
lazily loaded dependencies, which a missing module would break only at first use.

Prints one line per check and returns 0 only if all pass. Uses a throw-away settings file (never
the user's) and no path relative to the working directory, so it also runs in the frozen app.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from gui.commands.export_curves import ensure_qt_platform

WINDOW_SIZE = (1400, 900)
SMOKE_STEPS = 12
RUN_STEPS = 30          # records in the run-file check (more than RunWriter's first 20 flushes)


def _slug(text: str) -> str:
    """'Explorer curves' -> 'explorer-curves' (safe in file names)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "plot"


def _run_check(label: str, check: Callable[[], str]) -> bool:
    """Run one check, print 'ok'/'FAIL' with its detail, return whether it passed."""
    try:
        detail = check()
    except Exception as exc:  # noqa: BLE001  the smoke test reports every failure, then exits 1
        print(f"FAIL  {label}: {exc}", flush=True)
        return False
    print(f"ok    {label}: {detail}", flush=True)
    return True


def run_smoke(args: argparse.Namespace) -> int:
    """Render the window, export PNG/SVG/CSV of every tab's plots, verify each file."""
    out_dir = Path(args.smoke_dir) if args.smoke_dir else Path(
        tempfile.mkdtemp(prefix="actiscope-smoke-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ACTISCOPE_SETTINGS", str(out_dir / "smoke-settings.ini"))
    ensure_qt_platform()

    from gui.app import create_app, create_main_window
    from gui.export import export_csv, export_png, export_svg, export_widget_png
    from gui.export.verify import check_csv, check_png, check_svg

    app = create_app([])
    window = create_main_window()
    window.resize(*WINDOW_SIZE)
    window.show()
    app.processEvents()
    results = [_run_check("window.png", lambda: check_png(
        export_widget_png(window, out_dir / "window.png")))]
    for index, tab in enumerate(window.tab_widgets()):
        window.tabs.setCurrentIndex(index)
        if hasattr(tab, "advance"):  # a training tab: run a few steps so every plot has data
            tab.advance(SMOKE_STEPS)
        app.processEvents()
        targets = tab.export_targets()
        results.append(_run_check(f"{tab.tab_title} tab", lambda t=targets: (
            f"{len(t)} export target(s)" if t else _raise("no export targets"))))
        for target in targets:
            stem = f"{_slug(tab.tab_title)}-{_slug(target.title)}"
            png, svg, csv_path = (out_dir / f"{stem}{ext}" for ext in (".png", ".svg", ".csv"))
            results.append(_run_check(png.name, lambda t=target, p=png: check_png(
                export_png(t, p))))
            results.append(_run_check(svg.name, lambda t=target, p=svg: check_svg(
                export_svg(t, p))))
            if target.csv is not None:
                results.append(_run_check(csv_path.name, lambda t=target, p=csv_path: check_csv(
                    export_csv(t, p))))
    for tab in window.tab_widgets():
        tab.shutdown()
    window.hide()
    run_path = out_dir / "smoke.actirun"
    results.append(_run_check(run_path.name, lambda: check_run_file(run_path)))
    results.append(_run_check("smoke.parquet", lambda: check_parquet(
        run_path, out_dir / "smoke.parquet")))
    results.append(_run_check("formula activation", check_formula))
    passed = sum(results)
    print(f"smoke: {passed}/{len(results)} checks passed (files in {out_dir})", flush=True)
    return 0 if passed == len(results) else 1


def check_run_file(path: Path) -> str:
    """Write RUN_STEPS records with RunWriter, read them back with FileRun, compare every value."""
    import numpy as np
    from actiscope_probe.runformat import Manifest, ParamLayer, RunWriter, Site, Topology

    from core.runs import FileRun

    topology = Topology(sites=(Site("L1", "hidden", 3, "relu"),),
                        params=(ParamLayer("L1", (4, 3)), ParamLayer("L2", (3, 2))),
                        input_width=4, output_width=2)
    steps = np.arange(1, RUN_STEPS + 1)
    loss = 1.0 / steps
    grad_norm = np.stack([loss / 3.0, np.sqrt(loss)], axis=1)
    dead = np.array([True, False, True])
    # flush_seconds: every record goes out through close(), not a timer, so the check is exact.
    with RunWriter(path, Manifest(topology, writer_name="actiscope-smoke"), overwrite=True,
                   flush_seconds=3600) as writer:
        for i, step in enumerate(steps):
            writer.append(step=int(step), loss=float(loss[i]), grad_norm=grad_norm[i],
                          dead_units=dead if i == RUN_STEPS - 1 else None)
    run = FileRun(path)
    if len(run) != RUN_STEPS or run.growing:
        return _raise(f"read {len(run)} records (growing={run.growing}), wrote {RUN_STEPS}")
    if not np.array_equal(run.steps(), steps):
        return _raise("steps differ from those written")
    if not np.array_equal(run.series("loss"), loss):
        return _raise("loss differs from the values written")
    if not np.array_equal(run.series("grad_norm"), grad_norm):
        return _raise("grad_norm differs from the values written")
    last = run.record(-1)
    if last.dead_units is None or not np.array_equal(last.dead_units, dead):
        return _raise(f"dead_units of the last record read as {last.dead_units}")
    return f"{RUN_STEPS} records written (RunWriter) and read back (FileRun) exactly"


def check_parquet(run_path: Path, path: Path) -> str:
    """Write the run's steps and losses as a parquet file and read them back (pyarrow.parquet)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.runs import FileRun

    run = FileRun(run_path)
    steps, loss = run.steps(), run.series("loss")
    pq.write_table(pa.table({"step": steps, "loss": loss}), path)
    table = pq.read_table(path)
    if not (np.array_equal(table.column("step").to_numpy(), steps) and
            np.array_equal(table.column("loss").to_numpy(), loss)):
        return _raise("the columns read back differ from those written")
    return f"{table.num_rows} rows written and read back"


def check_formula() -> str:
    """Compile the formula x*sigmoid(x) (sympy) and compare f and f' with swish's closed form."""
    import numpy as np

    from core.formula import compile_formula

    formula = compile_formula("x*sigmoid(x)")
    x = np.linspace(-8.0, 8.0, 33)
    sigmoid = 1.0 / (1.0 + np.exp(-x))
    f, df = formula.f_df(x, {})
    if not (np.allclose(f, x * sigmoid, rtol=1e-12, atol=1e-15) and
            np.allclose(df, sigmoid * (1.0 + x * (1.0 - sigmoid)), rtol=1e-12, atol=1e-15)):
        return _raise("x*sigmoid(x) or its derivative differs from swish")
    return "x*sigmoid(x) compiled; f and f' match swish at 33 points"


def _raise(message: str) -> str:
    """Fail a check from inside a lambda."""
    raise RuntimeError(message)
