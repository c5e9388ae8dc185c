"""`main.py --smoke`: build the main window offscreen, export every tab's plots, check the files.

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
    passed = sum(results)
    print(f"smoke: {passed}/{len(results)} checks passed (files in {out_dir})", flush=True)
    return 0 if passed == len(results) else 1


def _raise(message: str) -> str:
    """Fail a check from inside a lambda."""
    raise RuntimeError(message)
