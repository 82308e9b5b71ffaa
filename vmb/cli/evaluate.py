"""``vmb evaluate``: score a folder of generated audio, with its sidecars, against references.

Thin: parse, call :func:`vmb.evaluate.suite.evaluate_folder`, print its report
(:mod:`vmb.evaluate.report`). Every metric's definition is in its function's docstring.
"""

from __future__ import annotations

import argparse
import json
import sys

from vmb import VmbError

EXAMPLES = """examples:
  vmb evaluate ~/Music                      (any folder of audio: the tags heard, the tempo measured)
  vmb evaluate ~/Music --plot evaluation.png --json
  vmb evaluate ~/Music/wav --reference ~/Music/wav   (a folder as its own reference: KL_musicnn 0, pairs by name)

a folder written by `vmb generate -o DIR/NAME.wav` (each clip beside its .json sidecar and .mid)
adds tag alignment, control deltas, tempo/key/instrument accuracy and melody scores; a scored
video's .wav beside its .cues.json adds the sync of its cuts with the onsets heard.
"""


def add_parser(subparsers) -> None:
    """The ``evaluate`` subcommand on ``subparsers`` (the ``vmb`` parser's)."""
    p = subparsers.add_parser(
        "evaluate",
        help="score generated audio with the bundled musicnn taggers (tags, KL, FD, control deltas, sync)",
        description="Score every audio file under FOLDER: what the musicnn taggers hear, how well it matches "
        "the request in each clip's sidecar, and (with --reference) how far the set is from reference audio.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("folder", metavar="FOLDER", help="generated audio (WAV/FLAC/OGG/MP3/...), searched recursively")
    p.add_argument("--reference", metavar="DIR", help="reference audio; clips with the same names are paired for KL")
    p.add_argument("--json", action="store_true", help="print every score as one JSON document on stdout")
    p.add_argument("--plot", metavar="PNG", help="save a figure of the control deltas, AUCs and the tag heat map")
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from vmb.evaluate.report import backend_line, format_report, plot_report
    from vmb.evaluate.suite import evaluate_folder

    if args.plot:
        from vmb.pipeline.outputs import check_output_path

        check_output_path(args.plot, (".png",))
    show = not args.json and sys.stderr.isatty()
    progress = (lambda line: print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)) if show else None

    def skipped(path: str, reason: str) -> None:
        if show:
            print("\r\033[K", end="", file=sys.stderr)
        print(f"vmb: skipped {path}: {reason}", file=sys.stderr)

    try:
        report = evaluate_folder(args.folder, args.reference, on_skip=skipped, progress=progress)
    finally:
        if show:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    if args.plot:
        plot_report(report, args.plot)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
        line = backend_line(report.backends)
        if line:
            print(f"vmb: note: {line}", file=sys.stderr)
    else:
        print(format_report(report))
    if args.plot:
        print(f"wrote plot: {args.plot}", file=sys.stderr)
    return 0


__all__ = ["VmbError", "add_parser", "cmd_evaluate"]
