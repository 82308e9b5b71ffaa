"""Drum grooves from MMA's groove library, read where apt installed it: an optional source.

MMA (Musical MIDI Accompaniment, GPL-2+; Debian's ``mma`` package) installs about 2,000
accompaniment grooves in 277 files by genre under ``/usr/share/mma/lib`` (``stdlib``, ``zoom``,
``casio``, ...). None of it is copied into vmb: this module reads the files at run time, only
when the package is installed (or ``VMB_MMA_DIR`` names a directory laid out like
``/usr/share/mma``), and :func:`load` raises a :class:`~vmb.VmbError` saying so when it is not.
Nothing in vmb's default path reads it; ``benchmarks/mma_grooves.py`` measures whether it helps.

Only the drum half of MMA's groove language is read, as much as the library's drum parts use:

- ``//`` comments, ``\\`` continuation lines, sequences whose ``{ }`` span several lines;
- ``Begin X ... End`` blocks (each line inside is prefixed with ``X``; ``Begin Doc`` is skipped);
- ``Time``, ``SeqSize``, ``SeqClear``, ``SwingMode On|Off Skew=N``, ``Include`` (the file's
  folder, then ``includes/``), ``Set`` and ``$NAME``, ``If Def|NDef NAME ... Else ... EndIf``
  (any other condition counts as false), ``DefGroove``, ``Groove``, ``AllTracks [Drum] Volume``;
- ``StackValue`` with ``$_StackValue``, and ``$_SwingMode`` (how the includes save and restore
  the swing mode);
- ``Drum[-name] Define | Sequence | Tone | Volume | Accent | Copy | Groove | SeqClear``;
- patterns: groups ``offset duration velocity`` separated by ``;``, names of earlier patterns,
  ``* N`` (N copies squeezed into the bar) and ``Shift x`` (beats), inline ``{ ... }`` in a
  sequence, ``/`` (repeat), ``z``/``-`` (rest), ``*`` (keep the bar); offsets such as ``2.5``,
  ``1+8`` or ``2-81+4``; durations matter only to ``SwingMode``.

Ignored: every pitched track, MMA's randomisation (``RTime``, ``RVolume``, ``RSkip``,
``SeqRnd``), ``Cut``, riffs and MIDI commands. A line the reader cannot use is
skipped with a note in :attr:`MmaFile.warnings`.

Beats are MMA's: quarter notes in the 4/4 files (``Time 4``), counted from 0 at the bar start
here (MMA counts from 1). A hit's velocity is the pattern's scaled by the track's ``Volume``
the way MMA mixes it with the master volume at ``m`` (0.6 x track + 0.4), then by the track's
``Accent`` at that beat. On the library's grooves the hits are the drum notes MMA itself writes
(``benchmarks/mma_grooves.py --check``), but for the hits MMA's random ``RSkip`` leaves out.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from vmb import VmbError
from vmb.vocab import DRUM_NOTES

MMA_DIR_ENV = "VMB_MMA_DIR"
DEFAULT_DIR = Path("/usr/share/mma")

# MMA's drum tone names (its spelling of the General MIDI percussion map; MMA skips GM's
# belltree, so its 84-86 are castanets and the two surdos).
TONES: dict[str, int] = {name.upper(): note for note, name in enumerate((
    "HighQ", "Slap", "ScratchPush", "ScratchPull", "Sticks", "SquareClick", "MetronomeClick",
    "MetronomeBell", "KickDrum2", "KickDrum1", "SideKick", "SnareDrum1", "HandClap", "SnareDrum2",
    "LowTom2", "ClosedHiHat", "LowTom1", "PedalHiHat", "MidTom2", "OpenHiHat", "MidTom1", "HighTom2",
    "CrashCymbal1", "HighTom1", "RideCymbal1", "ChineseCymbal", "RideBell", "Tambourine",
    "SplashCymbal", "CowBell", "CrashCymbal2", "VibraSlap", "RideCymbal2", "HighBongo", "LowBongo",
    "MuteHighConga", "OpenHighConga", "LowConga", "HighTimbale", "LowTimbale", "HighAgogo", "LowAgogo",
    "Cabasa", "Maracas", "ShortHiWhistle", "LongLowWhistle", "ShortGuiro", "LongGuiro", "Claves",
    "HighWoodBlock", "LowWoodBlock", "MuteCuica", "OpenCuica", "MuteTriangle", "OpenTriangle", "Shaker",
    "JingleBell", "Castanets", "MuteSurdo", "OpenSurdo"), start=27)}

# MMA tone (GM note) -> the nearest vmb drum (a key of vmb.vocab.DRUM_NOTES); None: vmb has no
# drum like it (scratches, metronome, whistles, vibraslap, cuica, triangle), the hit is dropped.
VMB_DRUM: dict[int, str | None] = {
    27: "side_stick", 28: "clap", 29: None, 30: None, 31: "side_stick", 32: "side_stick", 33: None, 34: None,
    35: "kick", 36: "kick", 37: "side_stick", 38: "snare", 39: "clap", 40: "snare_electric",
    41: "tom_low", 42: "hihat_closed", 43: "tom_low", 44: "hihat_pedal", 45: "tom_low", 46: "hihat_open",
    47: "tom_mid", 48: "tom_mid", 49: "crash", 50: "tom_high", 51: "ride", 52: "crash", 53: "ride_bell",
    54: "tambourine", 55: "crash", 56: "cowbell", 57: "crash", 58: None, 59: "ride", 60: "bongo_high",
    61: "bongo_low", 62: "conga_high", 63: "conga_high", 64: "conga_low", 65: "timbale", 66: "timbale",
    67: "cowbell", 68: "cowbell", 69: "cabasa", 70: "shaker", 71: None, 72: None, 73: "cabasa",
    74: "cabasa", 75: "clave", 76: "clave", 77: "clave", 78: None, 79: None, 80: None, 81: None,
    82: "shaker", 83: "tambourine", 84: "clave", 85: "tom_low", 86: "tom_low",
}

# MMA's volume names -> ratio; its time signatures -> beats per bar
VOLUMES = {"OFF": 0.0, "PPPP": 0.05, "PPP": 0.1, "PP": 0.25, "P": 0.4, "MP": 0.7, "M": 1.0, "MF": 1.1,
           "F": 1.3, "FF": 1.6, "FFF": 1.8, "FFFF": 2.0}
TIME_SIGNATURES = {"2/2": 4.0, "2/4": 2.0, "6/4": 6.0, "6/8": 6.0, "3/2": 6.0, "3/4": 3.0, "3/8": 1.5,
                   "9/8": 4.5, "4/4": 4.0, "12/8": 6.0, "5/4": 5.0, "5/8": 2.5, "7/4": 7.0,
                   "COMMON": 4.0, "CUT": 4.0}
# note lengths in beats (quarter notes); "81"/"82", the swing pair, follow SwingMode Skew
NOTE_LENGTHS = {"0": 1 / 192, "1": 4.0, "2": 2.0, "23": 4 / 3, "4": 1.0, "43": 2 / 3, "8": 0.5, "16": 0.25,
                "32": 0.125, "64": 1 / 16, "6": 1 / 6, "3": 1 / 3, "5": 1 / 5}
TRACK_KINDS = {"BASS", "CHORD", "ARPEGGIO", "SCALE", "DRUM", "WALK", "MELODY", "SOLO", "ARIA", "PLECTRUM"}
ACCENT_TOP = 1.15  # the accent (vmb.render.arrange.grooves.ACCENTS "X") of a groove's loudest hit
EPS = 1e-6

_Event = tuple[float, float, float]  # offset (beats from the bar start), duration (beats), velocity


@dataclass(frozen=True)
class Hit:
    """One drum stroke of a groove bar."""

    beat: float  # beats from the bar start (0 = the downbeat)
    note: int  # General MIDI percussion note (MMA's tone)
    velocity: float  # MIDI velocity after the track's volume
    track: str = ""


@dataclass(frozen=True)
class MmaGroove:
    """A groove's drum tracks: one tuple of hits per bar of its sequence (MMA's SeqSize)."""

    name: str
    source: str
    beats_per_bar: float
    bars: tuple[tuple[Hit, ...], ...]

    def bar(self, index: int) -> tuple[Hit, ...]:
        """The hits of bar ``index`` of a piece (the sequence repeats)."""
        return self.bars[index % len(self.bars)] if self.bars else ()

    @property
    def loudest(self) -> float:
        return max((h.velocity for b in self.bars for h in b), default=0.0)

    def vmb_hits(self, bar_index: int) -> list[tuple[int, float, float]]:
        """Bar ``bar_index`` in the form of :func:`vmb.render.arrange.grooves.groove_hits`:
        (GM note of the vmb drum, offset in beats, accent), the loudest hit of the groove at
        accent 1.15 and the rest in proportion. Hits on drums vmb lacks are dropped."""
        top = self.loudest or 1.0
        hits = []
        for h in self.bar(bar_index):
            drum = VMB_DRUM.get(h.note)
            if drum is not None and h.velocity > 0:
                hits.append((DRUM_NOTES[drum], h.beat, ACCENT_TOP * h.velocity / top))
        return sorted(hits, key=lambda h: (h[1], h[0]))

    def grids(self, steps_per_beat: int = 4) -> dict[str, str]:
        """The groove as vmb step grids (:mod:`vmb.render.arrange.grooves`): one ``|``-separated
        bar per sequence bar, each hit on its nearest step (``X`` accent >= 1.05, ``x`` >= 0.7,
        ``o`` quieter). Hits between steps move to the nearest one: see :meth:`off_grid`."""
        n = int(round(self.beats_per_bar * steps_per_beat))
        out: dict[str, list[list[str]]] = {}
        for b in range(len(self.bars)):
            for note, beat, acc in self.vmb_hits(b):
                drum = next(k for k, v in DRUM_NOTES.items() if v == note)
                rows = out.setdefault(drum, [["."] * n for _ in self.bars])
                step = min(n - 1, int(round(beat * steps_per_beat)))
                ch = "X" if acc >= 1.05 else "x" if acc >= 0.7 else "o"
                if rows[b][step] == "." or "oxX".index(ch) > "oxX".index(rows[b][step]):
                    rows[b][step] = ch
        return {d: "|".join("".join(r) for r in rows) for d, rows in out.items()}

    def off_grid(self, steps_per_beat: int = 4, tol: float = 0.02) -> float:
        """Share of the hits more than ``tol`` beats from the ``1/steps_per_beat`` grid."""
        beats = [h.beat for b in self.bars for h in b]
        if not beats:
            return 0.0
        off = [b for b in beats if abs(b * steps_per_beat - round(b * steps_per_beat)) / steps_per_beat > tol]
        return len(off) / len(beats)


@dataclass
class MmaFile:
    """The grooves of one MMA file (names upper-cased, as MMA compares them)."""

    path: str
    grooves: dict[str, MmaGroove]
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the library


def library_dir() -> Path | None:
    """MMA's data directory (holding ``lib/`` and ``includes/``): ``$VMB_MMA_DIR`` or
    ``/usr/share/mma``; None when neither has a ``lib`` folder (the package is not installed)."""
    root = Path(os.environ.get(MMA_DIR_ENV) or DEFAULT_DIR)
    return root if (root / "lib").is_dir() else None


def available() -> bool:
    """Whether MMA's groove library is installed."""
    return library_dir() is not None


def _require_dir() -> Path:
    root = library_dir()
    if root is None:
        raise VmbError(f"MMA's groove library is not installed (no lib/ in ${MMA_DIR_ENV} or {DEFAULT_DIR}): "
                       "apt-get install mma")
    return root


def groove_files() -> list[str]:
    """Every groove file of the library as ``folder/name`` (``zoom/hiphop``), sorted."""
    lib = _require_dir() / "lib"
    return sorted(str(p.relative_to(lib).with_suffix("")) for p in lib.rglob("*.mma"))


def read_file(path: str | Path) -> MmaFile:
    """Parse one MMA file (and the files it includes) into its grooves."""
    path = Path(path)
    return _read_cached(str(path.resolve()))


@functools.lru_cache(maxsize=64)
def _read_cached(path: str) -> MmaFile:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise VmbError(f"cannot read MMA file {p}: {exc.strerror}") from None
    root = library_dir()
    dirs = [p.parent] + ([root / "includes"] if root else [])
    return parse(text, source=str(p), include_dirs=dirs)


def load(spec: str) -> MmaGroove:
    """The groove ``spec`` = ``folder/file:Groove`` of MMA's library (``zoom/hiphop:HIP01``,
    ``stdlib/salsa:SalsaPlus``; the file without ``.mma``, the groove name in any case)."""
    if ":" not in spec:
        raise VmbError(f"MMA groove {spec!r}: expected folder/file:Groove, e.g. zoom/hiphop:HIP01")
    file, name = spec.rsplit(":", 1)
    path = _require_dir() / "lib" / f"{file.removesuffix('.mma')}.mma"
    if not path.is_file():
        raise VmbError(f"MMA groove {spec!r}: no file {path}")
    grooves = read_file(path).grooves
    if name.upper() not in grooves:
        raise VmbError(f"MMA groove {spec!r}: {path.name} has no groove {name!r} "
                       f"(it has {', '.join(g.name for g in grooves.values())})")
    return grooves[name.upper()]


# --------------------------------------------------------------------------- the reader


def parse(text: str, *, source: str = "<text>", include_dirs: list[Path] | None = None) -> MmaFile:
    """Parse MMA source text into its grooves' drum tracks (see the module docstring)."""
    reader = _Reader(source, include_dirs or [])
    reader.run(text)
    return MmaFile(source, {k: reader.build(k, v) for k, v in reader.grooves.items()}, reader.warnings)


@dataclass
class _Track:
    seq: list[tuple[_Event, ...] | None]
    tones: list[int | None]
    vols: list[float]
    accents: list[tuple[tuple[float, float], ...]] = field(default_factory=lambda: [()])


@dataclass
class _Snapshot:
    name: str
    time: float
    seqsize: int
    tracks: dict[str, _Track]


def _bump(values: list, n: int) -> list:
    """MMA's seqBump: repeat a per-bar list to ``n`` bars, or cut it."""
    out = list(values) or [None]
    while len(out) < n:
        out += out
    return out[:n]


def _fit(t: _Track, n: int) -> None:
    t.seq, t.tones, t.vols, t.accents = (_bump(x, n) for x in (t.seq, t.tones, t.vols, t.accents))


def _expand_repeats(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        out.append(out[-1] if item == "/" and out else item)
    return out


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Comments stripped, ``\\`` continuations joined, unbalanced ``{`` joined with what follows."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//", 1)[0].rstrip()
        if not buf:
            start = no
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.count("{") > buf.count("}"):
            buf += " "
            continue
        if buf.strip():
            out.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        out.append((start, buf.strip()))
    return out


_OFFSET = re.compile(r"^([0-9]*\.?[0-9]*)(.*)$")


class _Reader:
    def __init__(self, source: str, include_dirs: list[Path]):
        self.source, self.include_dirs = source, include_dirs
        self.time, self.seqsize = 4.0, 1
        self.swing, self.skew = False, 0.66
        self.patterns: dict[str, tuple[_Event, ...]] = {}
        self.tracks: dict[str, _Track] = {}
        self.grooves: dict[str, _Snapshot] = {}
        self.macros: dict[str, str] = {}
        self.stack: list[str] = []  # StackValue, popped by $_StackValue
        self.warnings: list[str] = []
        self.depth = 0

    # ---- driving

    def warn(self, where: str, msg: str) -> None:
        self.warnings.append(f"{where}: {msg}")

    def run(self, text: str, source: str | None = None) -> None:
        source = source or self.source
        prefixes: list[list[str]] = []
        skipping_doc = 0
        conds: list[bool] = []  # If/Else: whether each open block is active
        for no, line in _logical_lines(text):
            where = f"{Path(source).name}:{no}"
            words = line.split()
            head = words[0].upper()
            if skipping_doc:
                skipping_doc += head == "BEGIN"
                skipping_doc -= head == "END"
                continue
            if head == "IF":
                conds.append(self._condition(words[1:]))
                continue
            if head == "ELSE" and conds:
                conds[-1] = not conds[-1]
                continue
            if head == "ENDIF" and conds:
                conds.pop()
                continue
            if not all(conds):
                continue
            if head == "BEGIN":
                if len(words) > 1 and words[1].upper() == "DOC" and not prefixes:
                    skipping_doc = 1
                else:
                    prefixes.append(words[1:])
                continue
            if head == "END":
                if prefixes:
                    prefixes.pop()
                continue
            words = [w for p in prefixes for w in p] + words
            try:
                self.command(" ".join(self._expand(w) for w in words).split(), where)
            except (ValueError, KeyError, IndexError, ZeroDivisionError) as exc:
                self.warn(where, f"skipped {' '.join(words)[:60]!r} ({exc})")

    def _expand(self, word: str) -> str:
        """``$NAME`` (a Set macro, ``$_SwingMode``, ``$_StackValue``) inside ``word``; others stay."""
        def value(m: re.Match) -> str:
            key = m.group(1).upper()
            if key in self.macros:
                return self.macros[key]
            if key == "_SWINGMODE":
                return f"{'On' if self.swing else 'Off'} Skew={round(self.skew * 100)}"
            if key == "_STACKVALUE" and self.stack:
                return self.stack.pop()
            return m.group(0)

        return re.sub(r"\$([A-Za-z_][\w-]*)", value, word) if "$" in word else word

    def _condition(self, words: list[str]) -> bool:
        if len(words) == 2 and words[0].upper() in ("DEF", "NDEF"):
            return (words[1].upper() in self.macros) == (words[0].upper() == "DEF")
        return False

    # ---- commands

    def command(self, words: list[str], where: str) -> None:
        head, args = words[0].upper(), words[1:]
        if head == "DRUM" or head.startswith("DRUM-"):
            if args:
                self.track_command(head, args[0].upper(), args[1:], where)
        elif head == "SEQCLEAR":
            for name in self.tracks:
                self.tracks[name] = self._new_track()
        elif head == "SEQSIZE":
            self.seqsize = max(1, int(args[0]))
            for t in self.tracks.values():
                _fit(t, self.seqsize)
        elif head == "TIME":
            sig = args[0].upper()
            time = TIME_SIGNATURES[sig] if sig in TIME_SIGNATURES else float(sig)
            if abs(time - self.time) > EPS:  # a new time clears every sequence, as in MMA
                self.time = time
                for name in self.tracks:
                    self.tracks[name] = self._new_track()
        elif head == "SWINGMODE":
            for a in args:
                key, _, value = a.upper().partition("=")
                if key in ("ON", "1"):
                    self.swing = True
                elif key in ("OFF", "0"):
                    self.swing = False
                elif key == "SKEW" and value:
                    self.skew = float(value) / 100
        elif head == "STACKVALUE":
            self.stack.append(" ".join(args))
        elif head == "SET" and args:
            self.macros[args[0].upper()] = " ".join(args[1:])
        elif head == "UNSET" and args:
            self.macros.pop(args[0].upper(), None)
        elif head == "INCLUDE" and args:
            self.include(args[0], where)
        elif head == "DEFGROOVE" and args:
            key = args[0].upper()
            self.grooves[key] = _Snapshot(args[0], self.time, self.seqsize, copy.deepcopy(self.tracks))
        elif head == "GROOVE" and args:
            self.restore(args[0], where)
        elif head == "ALLTRACKS":
            kinds = []
            while args and args[0].upper() in TRACK_KINDS:
                kinds.append(args.pop(0).upper())
            if args and (not kinds or "DRUM" in kinds):
                for name in list(self.tracks):
                    self.track_command(name, args[0].upper(), args[1:], where)
        # everything else (pitched tracks, tempo, MIDI, docs) is not the drums' business

    def _new_track(self) -> _Track:
        n = self.seqsize
        return _Track([None] * n, [38] * n, [1.0] * n, [()] * n)

    def track(self, name: str) -> _Track:
        if name not in self.tracks:
            self.tracks[name] = self._new_track()
        return self.tracks[name]

    def track_command(self, name: str, cmd: str, args: list[str], where: str) -> None:
        if cmd == "DEFINE":
            self.patterns[args[0].upper()] = self.compile(" ".join(args[1:]))
        elif cmd == "SEQUENCE":
            self.sequence(name, " ".join(args), where)
        elif cmd == "TONE":
            tones = [self._tone(a, where) for a in _expand_repeats(args[: self.seqsize])]
            self.track(name).tones = _bump(tones, self.seqsize)
        elif cmd == "VOLUME":
            t = self.track(name)
            vols = _bump(_expand_repeats(args[: self.seqsize]), self.seqsize)
            t.vols = [_volume(v, old) for v, old in zip(vols, t.vols)]
        elif cmd == "ACCENT":  # Accent 1 20 3 -10, or {1 20} / {3 20} per bar: percent at exact beats
            text = " ".join(args)
            groups = re.findall(r"\{([^{}]*)\}|(/)", text) if text.startswith("{") else [(text, "")]
            bars = _expand_repeats(["/" if slash else body for body, slash in groups][: self.seqsize])
            acc = []
            for body in bars:
                w = body.split()
                acc.append(tuple((self._offset(b), float(v) / 100) for b, v in zip(w[::2], w[1::2])))
            self.track(name).accents = _bump(acc, self.seqsize)
        elif cmd == "COPY":
            src = args[0].upper()
            if src in self.tracks:
                self.tracks[name] = copy.deepcopy(self.tracks[src])
            else:
                self.warn(where, f"{name} Copy: no drum track {args[0]}")
        elif cmd == "GROOVE":
            snap = self.grooves.get(args[0].upper())
            if snap is None:
                self.warn(where, f"{name} Groove: no groove {args[0]} in this file")
            else:
                t = copy.deepcopy(snap.tracks.get(name) or self._new_track())
                _fit(t, self.seqsize)
                self.tracks[name] = t
        elif cmd == "SEQCLEAR":
            for other in self.tracks:
                if other.startswith(name):
                    self.tracks[other] = self._new_track()

    def _tone(self, word: str, where: str) -> int | None:
        if word.isdigit():
            return int(word)
        if word.upper() in TONES:
            return TONES[word.upper()]
        self.warn(where, f"unknown drum tone {word}")
        return None

    def include(self, name: str, where: str) -> None:
        self.depth += 1
        try:
            if self.depth > 8:
                raise ValueError("includes nested too deep")
            for d in self.include_dirs:
                for cand in (d / name, d / f"{name}.mma"):
                    if cand.is_file():
                        self.run(cand.read_text(encoding="utf-8", errors="replace"), str(cand))
                        return
            self.warn(where, f"Include {name}: not found")
        finally:
            self.depth -= 1

    def restore(self, name: str, where: str) -> None:
        snap = self.grooves.get(name.upper())
        if snap is None:
            self.warn(where, f"Groove {name}: not defined in this file")
            return
        self.time, self.seqsize = snap.time, snap.seqsize
        self.tracks = {k: self._new_track() for k in self.tracks}
        self.tracks.update(copy.deepcopy(snap.tracks))

    # ---- patterns

    def sequence(self, name: str, text: str, where: str) -> None:
        inline: list[tuple[_Event, ...]] = []

        def stash(m: re.Match) -> str:
            inline.append(self.compile(m.group(1)))
            return f" {{{len(inline) - 1}}} "

        words = re.sub(r"\{([^{}]*)\}", stash, text).split()
        t = self.track(name)
        seq: list[tuple[_Event, ...] | None] = []
        for i, w in enumerate(_expand_repeats(words[: self.seqsize])):
            if w.startswith("{"):
                seq.append(inline[int(w[1:-1])])
            elif w.upper() in ("Z", "-"):
                seq.append(None)
            elif w == "*":
                seq.append(t.seq[i] if i < len(t.seq) else None)
            elif w.upper() in self.patterns:
                seq.append(self.patterns[w.upper()])
            else:
                self.warn(where, f"{name} Sequence: no drum pattern {w}")
                seq.append(None)
        t.seq = _bump(seq, self.seqsize)

    def compile(self, text: str) -> tuple[_Event, ...]:
        """A pattern definition -> its events, sorted, swung when SwingMode is on."""
        events: list[_Event] = []
        for group in text.split(";"):
            words = group.split()
            if not words:
                continue
            ops: list[str] = []
            for i, w in enumerate(words):
                if w.upper() in ("*", "SHIFT"):
                    words, ops = words[:i], words[i:]
                    break
            if len(words) == 1:
                evs = list(self.patterns[words[0].upper()])
            elif len(words) == 3:
                evs = [(self._offset(words[0]), _length(words[1], self.skew), float(words[2]))]
            else:
                raise ValueError(f"a drum group has 3 fields, not {' '.join(words)!r}")
            while len(ops) >= 2:
                op, arg = ops[0].upper(), ops[1]
                ops = ops[2:]
                if op == "*":
                    n = int(arg)
                    evs = [(o / n + k * self.time / n, max(d / n, 1 / 192), v) for k in range(n) for o, d, v in evs]
                else:
                    evs = [(o + float(arg), d, v) for o, d, v in evs]
            events += evs
        events.sort(key=lambda e: e[0])
        if self.swing:
            events = [self._swung(e) for e in events]
        return tuple(events)

    def _offset(self, word: str) -> float:
        """``2.5`` -> 1.5 beats from the bar start; ``1+8`` -> 0.5; ``2-81+4`` -> 1 - (81 + 4)."""
        m = _OFFSET.match(word)
        if not m or not m.group(1) or m.group(1) == ".":
            raise ValueError(f"bad offset {word!r}")
        base, rest = float(m.group(1)) - 1.0, m.group(2)
        if rest:
            if rest[0] not in "+-":
                raise ValueError(f"bad offset {word!r}")
            base += (1 if rest[0] == "+" else -1) * _length(rest[1:], self.skew)
        return base

    def _swung(self, e: _Event) -> _Event:
        """MMA's SwingMode at define time: an eighth (or a one-tick drum note) on an off-beat
        eighth moves to the beat + skew; one on the beat takes the longer share."""
        off, dur, vel = e
        eighth, tick = abs(dur - 0.5) < EPS, abs(dur - 1 / 192) < EPS
        if not (eighth or tick):
            return e
        frac = off - int(off + EPS)
        if abs(frac) < EPS and eighth:
            return (off, self.skew, vel)
        if abs(frac - 0.5) < EPS:
            return (int(off + EPS) + self.skew, 1 - self.skew if eighth else dur, vel)
        return e

    # ---- output

    def build(self, key: str, snap: _Snapshot) -> MmaGroove:
        n = snap.seqsize
        bars: list[list[Hit]] = [[] for _ in range(n)]
        for name, t in snap.tracks.items():
            for i in range(n):
                pat, tone = t.seq[i % len(t.seq)], t.tones[i % len(t.tones)]
                if pat is None or tone is None:
                    continue
                gain = 0.6 * t.vols[i % len(t.vols)] + 0.4
                accents = t.accents[i % len(t.accents)]
                for off, _dur, vel in pat:
                    v = vel * gain
                    if v <= 0:
                        continue
                    v *= 1 + sum(a for b, a in accents if abs(b - off) < EPS)
                    v = float(min(127, max(1, int(v))))
                    b, beat = i, off
                    if beat < -EPS:  # MMA plays offsets before 1 in the previous bar
                        b, beat = (i - 1) % n, beat + snap.time
                    if beat < snap.time - EPS:
                        bars[b].append(Hit(round(beat, 6), tone, v, name))
        return MmaGroove(snap.name, self.source, snap.time,
                         tuple(tuple(sorted(b, key=lambda h: (h.beat, h.note))) for b in bars))


def _length(word: str, skew: float = 0.66) -> float:
    """An MMA note length in beats: ``8`` 0.5, ``4.`` 1.5, ``8+16``, ``1-0``, ``3:4``, ``96t``, ``81``."""
    if word.upper().endswith("T"):
        return float(word[:-1]) / 192
    total, sign = 0.0, 1.0
    for part in re.split(r"([+-])", word):
        if part in ("+", "-"):
            sign = 1.0 if part == "+" else -1.0
            continue
        if not part:
            continue
        dots = len(part) - len(part.rstrip("."))
        core = part.rstrip(".")
        if ":" in core:
            count, base = core.split(":")
            value = NOTE_LENGTHS[base] / int(count)
        elif core == "81":
            value = skew
        elif core == "82":
            value = 1 - skew
        else:
            value = NOTE_LENGTHS[core]
        value *= (1.0, 1.5, 1.75)[min(dots, 2)]
        total += sign * value
    return total


def _volume(word: str, old: float) -> float:
    """An MMA volume: a name (``mp``), ``N`` percent, ``N%`` of the old, ``+N%``/``-N%`` changes."""
    w = word.upper()
    if w in VOLUMES:
        return VOLUMES[w]
    m = re.fullmatch(r"([+-]?)([0-9.]+)(%?)", w)
    if not m:
        raise ValueError(f"unknown volume {word!r}")
    v = float(m.group(2)) / 100
    if m.group(1) == "+":
        return old * (1 + v)
    if m.group(1) == "-":
        return old * (1 - v)
    return old * v if m.group(3) else v
