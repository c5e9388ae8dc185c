"""`actiscope render`: train, then render the Lab offscreen to a PNG (and an animation)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gui.commands.train_run import (
    check_out_path,
    check_steps,
    list_presets,
    load_run_config,
)

MIN_SIZE, MAX_SIZE = 200, 8000
MAX_FRAMES = 2000


def _check_size(width: int, height: int) -> None:
    for name, value in (("--width", width), ("--height", height)):
        if not MIN_SIZE <= value <= MAX_SIZE:
            raise ValueError(f"{name} must be between {MIN_SIZE} and {MAX_SIZE} pixels, "
                             f"got {value}.")


def _ensure_platform() -> None:
    """Without a display, Qt must use the offscreen platform (else it aborts)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _save_png_atomic(image, path: Path) -> None:
    """QImage -> PNG via a temp file in the same folder and os.replace."""
    from gui.export import atomic_output

    with atomic_output(path) as temp:
        if not image.save(str(temp), "PNG"):
            raise OSError(f"Could not encode the PNG for {path.name}.")


def render_run(run_path: str, out: str | Path, step: int | None = None, width: int = 1600,
               height: int = 1000) -> int:
    """Draw the Lab for the run folder `run_path` at `step` (the newest by default) into the
    PNG `out` (`main.py render --run RUN [--step S] --out X.png`). ValueError: one sentence."""
    out = check_out_path(str(out), (".png",))
    _check_size(width, height)
    from core.runs import FileRun

    run = FileRun(run_path)          # RunFormatError (a ValueError) on a damaged run
    if not len(run):
        raise ValueError(f"The run {Path(run_path).name} holds no complete record yet.")
    steps = run.steps()
    if step is not None and not int(steps[0]) <= step <= int(steps[-1]):
        raise ValueError(f"--step {step} is outside the run's steps "
                         f"{int(steps[0])}–{int(steps[-1])}.")
    _ensure_platform()
    from gui.app import create_app

    app = create_app(["actiscope-render"])
    from gui.lab.lab_view import LabView

    lab = LabView()
    lab.resize(width + 360, height + 80)
    lab.show()
    app.processEvents()
    try:
        lab.show_run(run, str(run_path))
        lab.follower.close()               # one picture of the run as it is now
        if step is not None:
            lab.show_step(step)
        _save_png_atomic(lab.render_image(width, height), out)
    finally:
        lab.shutdown()
        lab.close()
        lab.deleteLater()
        app.processEvents()
    return 0


def run_render(args: argparse.Namespace) -> int:
    """Build the Lab offscreen, train --steps steps, write --out (PNG) and --animate (GIF/MP4);
    with --run RUN, draw that run file at --step instead of training."""
    if getattr(args, "run", None):
        return render_run(args.run, args.out, getattr(args, "step", None), args.width,
                          args.height)
    if args.list_presets:
        return list_presets()
    steps = check_steps(args.steps, allow_zero=True)
    out = check_out_path(args.out, (".png",))
    _check_size(args.width, args.height)
    if args.animate:
        check_out_path(args.animate, (".gif", ".mp4"), "--animate")
        if not 1 <= args.frames <= MAX_FRAMES:
            raise ValueError(f"--frames must be between 1 and {MAX_FRAMES}, got {args.frames}.")
    config = load_run_config(args)

    _ensure_platform()
    from gui.app import create_app

    app = create_app(["actiscope-render"])  # same style, antialiasing and fonts as the app
    from gui.animation import check_animation_path, record_lab_animation
    from gui.lab.lab_view import LabView

    if args.animate:
        check_animation_path(args.animate, args.fps)
    lab = LabView()
    lab.resize(args.width + 360, args.height + 80)
    lab.show()
    app.processEvents()
    try:
        lab.set_config(config)
        if args.animate:
            record_lab_animation(lab, args.animate, steps, args.frames, args.fps,
                                 args.width, args.height)
        else:
            lab.advance(steps)
        newest = lab.run.record(-1) if len(lab.run) else None
        if newest is not None and newest.diverged:
            print(f"actiscope: note: {newest.message}", file=sys.stderr)
        _save_png_atomic(lab.render_image(args.width, args.height), out)
    finally:
        lab.shutdown()
        lab.close()
        lab.deleteLater()
        app.processEvents()
    return 0
