"""The ``vmb`` command: a thin shell over :mod:`vmb.pipeline` and the stages.

One module per command (``generate``, ``describe``, ``library``, ``evaluate``, ``train``,
``vocab``, ``serve``), each with ``add_parser(subparsers)``; ``options`` holds what they share. Every
error the user can cause is one line on stderr and a non-zero exit (1); usage errors exit 2.
Progress goes to stderr on a terminal only; ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import vmb
from vmb import VmbError
from vmb.cli import describe, evaluate, generate, library, serve, train, vocab
from vmb.cli.options import TEXT_FILE_LIMIT, VmbArgumentParser, read_text_file, user_attributes  # noqa: F401
from vmb.vocab import VocabError

COMMANDS = (generate, describe, library, evaluate, train, vocab, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = VmbArgumentParser(
        prog="vmb",
        description="New music for a video, an image or a text, offline (the VMB method: a text "
        "bridge describes the music, a music bridge retrieves references, a generator writes it).",
        epilog="run `vmb COMMAND --help` for each command's options and examples",
    )
    parser.add_argument("--version", action="version", version=f"vmb {vmb.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: their exit status, returned
        return exc.code if isinstance(exc.code, int) else 2
    # Show vmb's own warnings (e.g. "no SoundFont, using the built-in synthesizer"), not
    # third-party deprecation noise.
    warnings.simplefilter("ignore")
    warnings.filterwarnings("default", module=r"vmb(\.|$)")
    warnings.formatwarning = lambda msg, cat, *a, **k: f"vmb: warning: {msg}\n"
    try:
        return args.func(args)
    except (VmbError, VocabError) as exc:
        print(f"vmb: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vmb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `vmb ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
