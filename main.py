"""Actiscope entry point: the GUI by default, headless sub-commands otherwise.

PySide6 is imported lazily (inside the commands that need it) so `run` stays light.
"""

from __future__ import annotations

import argparse
import os
import sys

# One BLAS thread: the GUI thread needs the other core, and multi-threaded OpenBLAS stalls on the
# small matrices of typical lab networks (measured 38-128 ms vs 1 ms for a 10x64 backward pass on a
# busy 2-core machine). Set before numpy is first imported; an explicit user setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class _OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full command-line interface (GUI when no sub-command is given)."""
    parser = _OneLineParser(prog="actiscope", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="build the windows offscreen, render and export to a temp folder, "
                             "check the files, exit 0")
    parser.add_argument("--smoke-dir", default=None, help="keep the --smoke outputs in this folder")
    sub = parser.add_subparsers(dest="command", parser_class=_OneLineParser)

    curves = sub.add_parser("export-curves", help="draw activation curves to PNG/SVG/CSV")
    curves.add_argument("--activations", required=True,
                        help="comma-separated names, e.g. sigmoid,tanh,relu, or your own "
                             "formula in quotes, e.g. 'relu,formula:where(x > 0, x, "
                             "a*(exp(x) - 1)); a=1' (commas inside a formula's parentheses "
                             "do not split the list; see docs/formula-activations.md)")
    curves.add_argument("--out", required=True, help="output file: .png, .svg or .csv")
    curves.add_argument("--x-range", default="-5,5", help="xmin,xmax (default -5,5)")
    curves.add_argument("--samples", type=int, default=2000, help="points per curve")
    curves.add_argument("--no-derivatives", action="store_true", help="draw f only, not f'")
    curves.add_argument("--no-functions", action="store_true", help="draw f' only, not f")
    curves.add_argument("--param", action="append", default=[], metavar="NAME.PARAM=VALUE",
                        help="activation parameter, e.g. leaky_relu.alpha=0.1 (repeatable; "
                             "for a formula, change the default in its declaration instead)")
    curves.add_argument("--width", type=int, default=1200, help="PNG width in pixels")
    curves.add_argument("--height", type=int, default=800, help="PNG height in pixels")

    for name, text in (("run", "train without a window, write per-step statistics as CSV "
                               "(--out X.csv) or a run folder (--out X.actirun)"),
                       ("render", "train, then render the Lab view offscreen to PNG (and GIF)")):
        cmd = sub.add_parser(name, help=text)
        src = cmd.add_mutually_exclusive_group()
        src.add_argument("--preset", help="a preset name (see --list-presets)")
        src.add_argument("--config", help="a session/config JSON file")
        if name == "render":
            src.add_argument("--run", metavar="RUN.actirun",
                             help="draw this run folder instead of training (see --step)")
            cmd.add_argument("--step", type=int, default=None,
                             help="with --run: the step to draw (default: the newest)")
        cmd.add_argument("--list-presets", action="store_true", help="list presets and exit")
        cmd.add_argument("--steps", type=int, default=1000, help="training steps")
        cmd.add_argument("--seed", type=int, default=None, help="override the config's seed")
        cmd.add_argument("--out", help="output file")
        if name == "run":
            cmd.add_argument("--every", type=int, default=1, help="write every k-th step")
        else:
            cmd.add_argument("--width", type=int, default=1600, help="image width in pixels")
            cmd.add_argument("--height", type=int, default=1000, help="image height in pixels")
            cmd.add_argument("--animate", metavar="OUT.gif",
                             help="also record the training as an animation (.gif or .mp4)")
            cmd.add_argument("--fps", type=int, default=15, help="animation frames per second")
            cmd.add_argument("--frames", type=int, default=60, help="animation frame count")
    open_run = sub.add_parser("open", help="open a run folder (.actirun) in the app")
    open_run.add_argument("run", metavar="RUN.actirun", help="the run folder to replay")
    from gui.commands.theory import add_theory_parser
    add_theory_parser(sub)
    from gui.commands.export_run import add_export_run_parser
    add_export_run_parser(sub)
    return parser


# Options whose value may start with "-" (argparse would take "-6,6" for an option).
_SIGNED_VALUE_OPTIONS = ("--x-range",)


def _join_signed_values(argv: list[str]) -> list[str]:
    """['--x-range', '-6,6'] -> ['--x-range=-6,6'] so negative ranges parse as documented."""
    joined: list[str] = []
    values = iter(argv)
    for arg in values:
        if arg in _SIGNED_VALUE_OPTIONS:
            value = next(values, None)
            joined.append(arg if value is None else f"{arg}={value}")
        else:
            joined.append(arg)
    return joined


def _open_shorthand(argv: list[str]) -> list[str]:
    """`actiscope RUN.actirun` means `actiscope open RUN.actirun` (a file manager's "open with")."""
    if len(argv) == 1 and not argv[0].startswith("-") and (
            argv[0].rstrip("/\\").endswith(".actirun") or os.path.isdir(argv[0])):
        return ["open", argv[0]]
    return argv


def _run_gui(run_path: str | None) -> int:
    """The window, with Python's cyclic garbage collector paused until its first paint.

    Start-up imports and builds ~90,000 objects that all stay alive; the collector ran ~200
    times over them and found next to nothing (0.08-0.13 s of collections measured with
    gc.callbacks; bench/bench_startup.py: ~4 % less CPU to the first paint). run_app resumes
    it at the window's first paint (or after a few seconds at most).
    """
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        from gui.app import run_app
        return run_app(run_path, on_first_paint=gc.enable if collecting else None)
    finally:
        if collecting:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and dispatch; bad input is one line on stderr and exit code 2."""
    argv = _open_shorthand(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(_join_signed_values(argv))
    try:
        if args.smoke:
            from gui.commands.smoke import run_smoke
            return run_smoke(args)
        if args.command == "export-curves":
            from gui.commands.export_curves import run_export_curves
            return run_export_curves(args)
        if args.command == "run":
            from gui.commands.train_run import run_training
            return run_training(args)
        if args.command == "render":
            from gui.commands.render import run_render
            return run_render(args)
        if args.command == "export-run":
            from gui.commands.export_run import run_export_run
            return run_export_run(args)
        if args.command == "theory":
            from gui.commands.theory import run_theory
            return run_theory(args)
        return _run_gui(getattr(args, "run", None) if args.command == "open" else None)
    except (ValueError, OSError) as exc:
        # Config, dataset, formula and path errors are user errors: one line, no traceback.
        print(f"actiscope: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if "PySide6.QtWidgets" in sys.modules:
            # Widgets left alive would die in Python's own teardown, after the QApplication:
            # a segfault at exit. Qt deletes them here instead.
            from gui.ownership import release_qt
            release_qt()


if __name__ == "__main__":
    sys.exit(main())
