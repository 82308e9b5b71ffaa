"""The ``vmb`` command: a thin shell over :mod:`vmb.pipeline` and the stages.

One module per command (``generate``, ``describe``, ``library``, ``evaluate``, ``train``,
``vocab``, ``serve``), each with ``add_parser(subparsers)``; ``options`` holds what they share. Every
error the user can cause is one line on stderr and a non-zero exit (1); usage errors exit 2.
Progress goes to stderr on a terminal only; ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import warnings
from typing import NoReturn

import vmb
from vmb import VmbError
from vmb.cli import describe, evaluate, generate, library, serve, train, vocab
from vmb.cli.options import TEXT_FILE_LIMIT, VmbArgumentParser, read_text_file, user_attributes  # noqa: F401
from vmb.vocab import VocabError

COMMANDS = (generate, describe, library, evaluate, train, vocab, serve)
FULL_COLLECTION_EVERY = 100  # young (generation 1) collections; Python's default is 10
QUICK_EXIT = ("generate",)  # commands after whose success run() ends the process at once


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
    """Run one ``vmb`` command line (``sys.argv[1:]`` when None); returns its exit status."""
    return _main(argv)[0]


def run() -> NoReturn:
    """The ``vmb`` program (and ``python -m vmb``): :func:`main` on ``sys.argv``, then exit.

    After a ``vmb generate`` that succeeded (its files written and closed, nothing left running)
    the process ends at once, its output flushed, instead of unloading torch, LanceDB and SciPy
    module by module: 0.6 s of a cold start, for nothing.
    """
    code, command = _main(None)
    if code == 0 and command in QUICK_EXIT:
        with contextlib.suppress(OSError):  # a reader that left (`vmb ... | head`): as main() does
            sys.stdout.flush()
        with contextlib.suppress(OSError):
            sys.stderr.flush()
        os._exit(0)
    sys.exit(code)


def _main(argv: list[str] | None) -> tuple[int, str | None]:
    """(exit status, the command that ran, None for a usage error, --help or --version)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: their exit status, returned
        return (exc.code if isinstance(exc.code, int) else 2), None
    return _dispatch(args), args.command


def _dispatch(args: argparse.Namespace) -> int:
    collector = gc.get_threshold()
    if args.command != "serve":
        # One request, then the process ends: the collector's full passes over the ~300k objects
        # that numpy, torch, pydantic and LanceDB leave behind cost 0.5-0.9 s of a cold
        # `vmb generate` (5 passes) and find next to nothing. Ten times rarer, they do not run in
        # a short command; the young generations still collect as before.
        gc.set_threshold(collector[0], collector[1], FULL_COLLECTION_EVERY)
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
    finally:
        gc.set_threshold(*collector)  # main() called in a process that goes on (tests)
