"""What every ``vmb`` command shares: the argument parser, number types, steering options,
the bounded ``--text-file`` reader and the progress display. Commands import it; it imports
no command, so the CLI modules have no import cycle.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
from pathlib import Path

from vmb import MAX_SEED, VmbError
from vmb.types import Attributes
from vmb.vocab import METERS, normalize_genre, normalize_instrument, normalize_mood, parse_key, parse_tempo


class Progress:
    """A spinner with the current stage on a terminal; silent when piped."""

    def __init__(self, enabled: bool):
        self.status = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(stderr=True).status("starting")
            self.status.start()

    def __call__(self, stage: str) -> None:
        if self.status is not None:
            self.status.update(f"[bold]{stage}[/bold] …")

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


TEXT_FILE_LIMIT = 1_000_000  # bytes read from --text-file; the describer reads only the first 4,000 characters
TEXT_PIPE_WAIT_S = 10.0  # how long a FIFO or device may stay silent before vmb gives up


def read_text_file(args: argparse.Namespace) -> None:
    """``--text-file F`` becomes ``args.text`` (an argument list cannot carry a long text).

    At most :data:`TEXT_FILE_LIMIT` bytes are read (``/dev/zero`` cannot exhaust memory), and a
    FIFO or device that sends nothing is given up on after :data:`TEXT_PIPE_WAIT_S`, never waited
    on forever. ``-`` reads standard input.
    """
    if getattr(args, "text_file", None) is None:
        return
    if args.text is not None:
        raise VmbError("give --text or --text-file, not both")
    name = args.text_file
    try:
        data, truncated = _read_bounded(name)
    except FileNotFoundError:
        raise VmbError(f"text file {name!r}: no such file") from None
    except IsADirectoryError:
        raise VmbError(f"text file {name!r} is a folder") from None
    except TimeoutError:
        raise VmbError(f"text file {name!r} sent no text for {TEXT_PIPE_WAIT_S:g} s") from None
    except OSError as exc:
        raise VmbError(f"text file {name!r}: {exc.strerror or exc}") from None
    if truncated:  # a cut may split a UTF-8 sequence: drop the incomplete tail only
        data = data[: len(data) - _incomplete_utf8_tail(data)]
        warnings.warn(f"text file {name!r} is longer than {TEXT_FILE_LIMIT // 1_000_000} MB; read its first "
                      f"{TEXT_FILE_LIMIT // 1_000_000} MB")
    try:
        args.text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise VmbError(f"text file {name!r} is not UTF-8 text") from None


def _read_bounded(name: str) -> tuple[bytes, bool]:
    """(up to TEXT_FILE_LIMIT bytes of ``name``, whether there was more)."""
    import select
    import stat
    import time

    if name == "-":
        fd, close = sys.stdin.fileno(), False
    else:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of hanging.
        fd, close = os.open(name, os.O_RDONLY | os.O_NONBLOCK), True
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(name)
        if stat.S_ISREG(mode):
            os.set_blocking(fd, True)
            chunks, size = [], 0
            while size <= TEXT_FILE_LIMIT:
                chunk = os.read(fd, TEXT_FILE_LIMIT + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
            return data[:TEXT_FILE_LIMIT], len(data) > TEXT_FILE_LIMIT
        chunks, size = [], 0
        deadline = time.monotonic() + TEXT_PIPE_WAIT_S
        while size <= TEXT_FILE_LIMIT:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                if size:
                    break  # the writer went quiet: take what came
                raise TimeoutError(name)
            try:
                chunk = os.read(fd, TEXT_FILE_LIMIT + 1 - size)
            except BlockingIOError:
                continue
            if not chunk:
                if stat.S_ISFIFO(mode) and not size:  # no writer yet reads as empty: wait for one
                    if time.monotonic() >= deadline:
                        raise TimeoutError(name)
                    time.sleep(0.05)
                    continue
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
        return data[:TEXT_FILE_LIMIT], len(data) > TEXT_FILE_LIMIT
    finally:
        if close:
            os.close(fd)


def _incomplete_utf8_tail(data: bytes) -> int:
    """How many bytes at the end of ``data`` start a UTF-8 character that was cut off."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): is its sequence complete?
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return back if need > back else 0
    return 0


def user_attributes(args: argparse.Namespace) -> Attributes:
    """The attributes given explicitly on the command line, validated against the vocabulary."""
    attrs = Attributes()
    attrs.genres = [normalize_genre(g) for g in args.genre or []]
    attrs.moods = [normalize_mood(m) for m in args.mood or []]
    attrs.instruments = list(dict.fromkeys(normalize_instrument(i) for i in args.instrument or []))
    attrs.excluded_instruments = list(dict.fromkeys(normalize_instrument(i) for i in args.without or []))
    clash = set(attrs.instruments) & set(attrs.excluded_instruments)
    if clash:
        raise VmbError(f"instrument {sorted(clash)[0]!r} is both requested and excluded")
    if args.tempo is not None:
        attrs.tempo_bpm, attrs.tempo_class = parse_tempo(args.tempo)
    if args.key is not None:
        attrs.key, attrs.mode = parse_key(args.key)
    if args.meter is not None:
        if args.meter not in METERS:
            raise VmbError(f"meter {args.meter!r} is not supported; use one of {', '.join(METERS)}")
        attrs.meter = args.meter
    if getattr(args, "duration", None) is not None:  # library search has no length
        attrs.duration_s = args.duration
    return attrs


class VmbArgumentParser(argparse.ArgumentParser):
    """Usage errors are one line (exit 2), like every other vmb error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def seed_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed {text!r} is not a whole number") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed {text} is out of range; use 0 to {MAX_SEED}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a positive whole number")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number")
    return value


def seconds(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} s must not be negative")
    return value


def add_attribute_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("steering (override what the description suggests)")
    g.add_argument("--genre", action="append", metavar="G", help="genre, e.g. jazz, rock, cinematic (repeatable)")
    g.add_argument("--mood", action="append", metavar="M", help="mood, e.g. calm, epic, dark (repeatable)")
    g.add_argument("--instrument", action="append", metavar="I", help="instrument to feature (repeatable)")
    g.add_argument("--without", action="append", metavar="I", help="instrument to leave out, e.g. drums (repeatable)")
    g.add_argument("--tempo", metavar="BPM|slow|medium|fast", help="tempo in BPM (40-240) or a tempo class")
    g.add_argument("--key", metavar="KEY", help="key, e.g. 'D minor', 'F# major', 'Bbm'")
    g.add_argument("--meter", metavar="M", help=f"meter: {', '.join(METERS)}")


def add_describer_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("describer (text bridge for images and videos)")
    g.add_argument("--describer", choices=["analysis", "vlm"], default="analysis",
                   help="analysis: the offline visual analysis (default); vlm: a vision-language model (vlm extra)")
    g.add_argument("--vlm-model", metavar="DIR", help="local VLM folder or cached model id (default: $VMB_VLM_MODEL)")
    g.add_argument("--vlm-adapter", metavar="DIR", help="a LoRA adapter from `vmb train mmdm`")


def input_files(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(what, path) for every file the command reads."""
    named = [("text file", args.text_file), ("image", args.image), ("video", args.video)]
    named += [("checkpoint", getattr(args, "checkpoint", None)), ("SoundFont", getattr(args, "soundfont", None))]
    named += [("reference", ref) for ref in getattr(args, "reference", None) or ()]
    return [(what, path) for what, path in named if path is not None]


def library_folder(args: argparse.Namespace) -> Path:
    from vmb.retrieve.store import default_library_path

    return Path(args.library) if args.library else default_library_path()


def load_describer_from_args(args: argparse.Namespace):
    """None (the offline analysis) or the VLM describer that --describer/--vlm-model ask for."""
    from vmb import pipeline

    if args.describer == "vlm" and args.text is not None:
        raise VmbError("--describer vlm reads images and videos; describe a --text without it")
    return pipeline.load_describer(args.describer, vlm_model=args.vlm_model, adapter=args.vlm_adapter)
