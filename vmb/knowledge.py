"""What vmb knows about moods, genres and arrangement styles: records read from ``vmb/data``.

Four TOML files hold one record per item, with named fields (each file's header explains
them): ``moods.toml`` (:class:`Mood`), ``genres.toml`` (:class:`Genre`), ``styles.toml``
(:class:`Style` with its :class:`StylePart` list, the :class:`Role` records, and the roles
each instrument takes) and ``voices.toml`` (:class:`Voice`: the synth patches the studio
renderer plays). They are the source of truth: ``vocab.MOODS``, ``vocab.GENRES``, the
text describer's tables in ``vmb.describe.text_lexicon`` and ``vmb.render.arrange.styles.STYLES``
are views derived from them, so adding a mood or a genre edits one record.

:func:`knowledge` reads and checks the files once; a missing, unknown or ill-typed field, a
value out of range or a reference to a record that does not exist is one
:class:`KnowledgeError` line naming the file and the record. Record order is file order,
and it matters (describers average over moods and genres in this order and break ties by it).

This module uses the standard library only, so every stage may import it. Checks against
other modules' vocabularies (instrument names, patterns and grooves, BPM limits) are in
``tests/test_knowledge.py``, since those modules import this one.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vmb import VmbError

DATA = Path(__file__).parent / "data"


class KnowledgeError(VmbError):
    """A data file under ``vmb/data`` that does not hold complete, consistent records."""


def _in(low: float, high: float) -> dict:
    return {"range": (low, high)}


NONEMPTY = {"nonempty": True}


@dataclass(frozen=True)
class Mood:
    """One mood of ``moods.toml``; see that file's header for the fields."""

    name: str
    valence: float = field(metadata=_in(-1.0, 1.0))  # Russell's circumplex, -1..1
    arousal: float = field(metadata=_in(-1.0, 1.0))
    tempo_tendency: float = field(metadata=_in(-1.0, 1.0))  # -1 slow .. 1 fast
    minor_tendency: float = field(metadata=_in(0.0, 1.0))  # share of minor keys
    register: int = field(metadata=_in(-7, 7))  # semitones above (+) or below the usual register
    articulation: float = field(metadata=_in(0.3, 1.0))  # share of each written note that sounds
    style: str  # a Style's name
    prototypes: tuple[str, ...] = field(metadata=NONEMPTY)  # phrases to embed
    aliases: tuple[str, ...] = ()  # other names accepted everywhere
    text_words: tuple[str, ...] = ()  # extra word forms the text describer reads
    loose_words: tuple[str, ...] = ()  # name/aliases that alone do not name it in a text


@dataclass(frozen=True)
class FormSection:
    """One section of a genre's typical form (``[[genres.NAME.form]]``); a piece of another length
    gets the form scaled to it (:func:`vmb.pipeline.plan.form_sections`)."""

    section: str = field(metadata=NONEMPTY)  # its name: "intro", "build" and "breakdown" change how parts play
    bars: int = field(metadata=_in(1, 64))  # its length when the piece is as long as the whole form
    energy: float = field(metadata=_in(0.0, 1.0))  # its intensity (parts join, dynamics, density)


@dataclass(frozen=True)
class Genre:
    """One genre of ``genres.toml``; see that file's header for the fields."""

    name: str
    tempo_range: tuple[int, int]  # typical BPM, low <= high
    meters: tuple[str, ...] = field(metadata=NONEMPTY)  # meters it is played in, the usual one first
    phrase: str
    style: str  # a Style's name
    moods: tuple[str, ...] = field(metadata=NONEMPTY)  # Mood names it usually carries
    prototypes: tuple[str, ...] = field(metadata=NONEMPTY)
    aliases: tuple[str, ...] = ()
    text_words: tuple[str, ...] = ()
    needs_music_noun: tuple[str, ...] = ()  # its words that count only before "music", "beat" ...
    ambiguous_words: tuple[str, ...] = ()  # its words that "on a rock" shows to be something else
    form: tuple[FormSection, ...] = ()  # its typical form; empty: the composer's own (A A B A)


@dataclass(frozen=True)
class StylePart:
    """One part of a style's band."""

    role: str  # a Role's name
    instrument: str  # a vmb.vocab instrument name
    pattern: str  # key of vmb.render.arrange.styles.PATTERNS, or of vmb.render.arrange.grooves.GROOVES for drums/perc
    joins_at_energy: float = field(metadata=_in(0.0, 1.0))  # plays in bars whose energy reaches this
    volume: float = field(metadata=_in(0.0, 1.0))  # mix gain
    pan: float = field(metadata=_in(-1.0, 1.0))  # -1 left .. 1 right
    voice: str = ""  # a Voice's name (voices.toml): the studio renderer plays the part on it; "": the GM font


OSCILLATORS = ("saw", "square", "triangle", "sine")


@dataclass(frozen=True)
class Voice:
    """A synth patch of ``voices.toml`` that vmb.render.analog plays; see that file's header."""

    name: str
    description: str
    oscillator: str  # one of OSCILLATORS
    unison: int = field(metadata=_in(1, 9))  # detuned copies, spread across the stereo field
    detune_cents: float = field(metadata=_in(0.0, 60.0))  # the outermost copies' detune, each way
    width: float = field(metadata=_in(0.0, 1.0))  # stereo spread of the copies
    sub: float = field(metadata=_in(0.0, 1.0))  # level of a sine an octave below
    cutoff_hz: float = field(metadata=_in(60.0, 20000.0))  # low-pass cutoff once the filter envelope has fallen
    bright_cutoff_hz: float = field(metadata=_in(60.0, 20000.0))  # cutoff at the attack (the sweep's top)
    filter_decay_s: float = field(metadata=_in(0.005, 8.0))  # how fast the cutoff falls from bright to dark
    attack_s: float = field(metadata=_in(0.0, 4.0))
    decay_s: float = field(metadata=_in(0.005, 8.0))
    sustain: float = field(metadata=_in(0.0, 1.0))
    release_s: float = field(metadata=_in(0.005, 8.0))
    pitch_drop: float = field(metadata=_in(0.0, 24.0))  # semitones the attack starts above the note
    pitch_decay_s: float = field(metadata=_in(0.001, 1.0))
    glide_s: float = field(metadata=_in(0.0, 1.0))  # portamento into a note that overlaps the last (mono)
    mono: bool  # one note at a time
    drive: float = field(metadata=_in(0.0, 1.0))  # tanh saturation
    level: float = field(metadata=_in(0.05, 2.0))  # output gain, to sit like the font's presets
    instruments: tuple[str, ...] = ()  # vocab instruments this voice plays when a part names no voice


# triad: plain; seventh: the scale's seventh; ninth: seventh and ninth; add9: the ninth without the
# seventh; dominant: the blues' flat seventh on major chords, the minor seventh on minor ones
CHORD_COLOURS = ("triad", "seventh", "ninth", "add9", "dominant")
ROMAN_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii")  # lower case; "V" major, "vi" minor, "viio" diminished
REVERBS = ("room", "plate", "hall")  # the kinds of send reverb vmb.render.mix builds


@dataclass(frozen=True)
class Mix:
    """How a style is mixed (``[styles.NAME.mix]``); vmb.render.mix applies it. Every field is optional."""

    reverb: str = "room"  # one of REVERBS
    reverb_decay_s: float = field(default=1.2, metadata=_in(0.2, 8.0))  # RT60 of the send reverb
    predelay_ms: float = field(default=12.0, metadata=_in(0.0, 120.0))
    send_drums: float = field(default=0.08, metadata=_in(0.0, 1.0))  # reverb send per stem (drums, perc, timpani)
    send_bass: float = field(default=0.0, metadata=_in(0.0, 1.0))
    send_harmony: float = field(default=0.15, metadata=_in(0.0, 1.0))  # comp and arp
    send_pad: float = field(default=0.25, metadata=_in(0.0, 1.0))
    send_lead: float = field(default=0.2, metadata=_in(0.0, 1.0))  # melody and counter
    compression_ratio: float = field(default=2.0, metadata=_in(1.0, 20.0))  # bus compressor; 1 = off
    # dB relative to the mix's loud level (the 95th percentile of its 50 ms RMS levels)
    compression_threshold_db: float = field(default=-8.0, metadata=_in(-30.0, 0.0))
    sidechain: float = field(default=0.0, metadata=_in(0.0, 1.0))  # depth of the kick's duck on the rest
    saturation: float = field(default=0.0, metadata=_in(0.0, 1.0))  # tanh drive on saturation_roles
    saturation_roles: tuple[str, ...] = ()  # roles driven into saturation
    lofi: float = field(default=0.0, metadata=_in(0.0, 1.0))  # low-pass, wow and flutter, vinyl noise
    drum_width: float = field(default=0.5, metadata=_in(0.0, 1.0))  # kit image: 0 mono .. 1 wide
    low_cut_hz: float = field(default=80.0, metadata=_in(0.0, 400.0))  # high-pass on all but drums and bass
    brightness_db: float = field(default=0.0, metadata=_in(-12.0, 12.0))  # high shelf at 8 kHz on the mix bus
    bass_boost_db: float = field(default=0.0, metadata=_in(-12.0, 12.0))  # low shelf at 90 Hz on the bass


@dataclass(frozen=True)
class Style:
    """An arrangement style of ``styles.toml``: a band and how it plays."""

    name: str
    description: str
    parts: tuple[StylePart, ...] = field(metadata=NONEMPTY)
    energy: float = field(metadata=_in(0.0, 1.0))  # default energy when the request gives none
    swing: float = field(metadata=_in(0.5, 0.75))  # first note's share of a swung pair
    swing_unit: float = field(metadata=_in(0.125, 1.0))  # beats: 0.5 swings 8ths, 0.25 16ths
    colour: str  # what the chords add to triads: one of CHORD_COLOURS
    loudness: float = field(metadata=_in(0.1, 1.5))  # velocity scale
    fallback_drums: str  # groove when drums are asked for but the style has none
    kit: int = field(default=0, metadata=_in(0, 127))  # drum kit: General MIDI bank-128 preset (25 TR-808)
    aliases: tuple[str, ...] = ()  # other names --style accepts
    mix: Mix = field(default_factory=Mix)  # how it is mixed; absent: the defaults
    # a loop of Roman numerals, one chord per bar, that replaces the lead sheet's chords where the
    # melody fits it (vmb.render.arrange.arranger.reharmonise); empty: the lead sheet's own chords
    progression_major: tuple[str, ...] = ()
    progression_minor: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    """A part a band can have (``[roles.NAME]`` in ``styles.toml``)."""

    name: str
    description: str
    pattern: str | None = None  # what it plays when an asked-for instrument brings it in
    substitutes: tuple[str, ...] = ()  # stand-ins for an excluded instrument, best first


@dataclass(frozen=True)
class Knowledge:
    """Every record, by name, in file order."""

    moods: Mapping[str, Mood]
    genres: Mapping[str, Genre]
    styles: Mapping[str, Style]
    roles: Mapping[str, Role]
    instrument_roles: Mapping[str, tuple[str, ...]]  # instrument name -> roles, best first
    family_roles: Mapping[str, tuple[str, ...]]  # instrument family -> roles, best first
    voices: Mapping[str, Voice]  # synth patches (voices.toml)

    def voice_for(self, instrument: str, named: str = "") -> Voice | None:
        """The voice a part plays: the one it names, else the instrument's default voice, else None."""
        if named:
            return self.voices[named]
        return next((v for v in self.voices.values() if instrument in v.instruments), None)


@functools.cache
def knowledge() -> Knowledge:
    """The records of ``vmb/data``, read and checked once."""
    return load_knowledge(DATA)


def load_knowledge(folder: str | Path) -> Knowledge:
    """Read ``moods.toml``, ``genres.toml``, ``styles.toml`` and ``voices.toml`` from ``folder`` and check them."""
    folder = Path(folder)
    moods_file, genres_file, styles_file, voices_file = (
        folder / f"{n}.toml" for n in ("moods", "genres", "styles", "voices"))
    moods_doc = _read(moods_file, required=("moods",))
    genres_doc = _read(genres_file, required=("genres",))
    styles_doc = _read(styles_file, required=("styles", "roles", "instrument_roles", "family_roles"))
    moods = _records(moods_file, "mood", moods_doc["moods"], Mood)
    genres = _records(genres_file, "genre", genres_doc["genres"], Genre)
    styles = _records(styles_file, "style", styles_doc["styles"], Style)
    roles = _records(styles_file, "role", styles_doc["roles"], Role)
    instrument_roles = _role_lists(styles_file, "instrument", styles_doc["instrument_roles"], roles)
    family_roles = _role_lists(styles_file, "family", styles_doc["family_roles"], roles)
    voices = _records(voices_file, "voice", _read(voices_file, required=("voices",))["voices"], Voice)
    for voice in voices.values():
        if voice.oscillator not in OSCILLATORS:
            problem = f"oscillator {voice.oscillator!r} is not one of {', '.join(OSCILLATORS)}"
            _fail(voices_file, "voice", voice.name, problem)
        if voice.bright_cutoff_hz < voice.cutoff_hz:
            _fail(voices_file, "voice", voice.name, "bright_cutoff_hz is below cutoff_hz")
    defaults = [i for v in voices.values() for i in v.instruments]
    if len(defaults) != len(set(defaults)):
        _fail(voices_file, "voice", "*", "an instrument is the default of two voices")

    for mood in moods.values():
        _refers(moods_file, "mood", mood.name, "style", [mood.style], styles)
        _subset(moods_file, "mood", mood.name, "loose_words", mood.loose_words, (mood.name, *mood.aliases))
    _unique_names(moods_file, "mood", {m.name: (m.aliases, m.text_words) for m in moods.values()})
    for genre in genres.values():
        low, high = genre.tempo_range
        if not 0 < low <= high:
            _fail(genres_file, "genre", genre.name, f"tempo_range {list(genre.tempo_range)} is not [low, high]")
        _refers(genres_file, "genre", genre.name, "style", [genre.style], styles)
        _refers(genres_file, "genre", genre.name, "moods", genre.moods, moods)
        words = (genre.name, *genre.aliases, *genre.text_words)
        _subset(genres_file, "genre", genre.name, "needs_music_noun", genre.needs_music_noun, words)
        _subset(genres_file, "genre", genre.name, "ambiguous_words", genre.ambiguous_words, words)
    _unique_names(genres_file, "genre", {g.name: (g.aliases, g.text_words) for g in genres.values()})
    for style in styles.values():
        _refers(styles_file, "style", style.name, "role", [p.role for p in style.parts], roles)
        if style.colour not in CHORD_COLOURS:
            _fail(styles_file, "style", style.name, f"colour {style.colour!r} is not one of {', '.join(CHORD_COLOURS)}")
        for numeral in (*style.progression_major, *style.progression_minor):
            if numeral.strip().removesuffix("o").lower() not in ROMAN_NUMERALS:
                _fail(styles_file, "style", style.name, f"progression chord {numeral!r} is not a Roman numeral I..VII")
        if style.mix.reverb not in REVERBS:
            problem = f"mix reverb {style.mix.reverb!r} is not one of {', '.join(REVERBS)}"
            _fail(styles_file, "style", style.name, problem)
        _refers(styles_file, "style", style.name, "mix saturation_roles", style.mix.saturation_roles, roles)
        _refers(styles_file, "style", style.name, "part voice", [p.voice for p in style.parts if p.voice], voices)
    _unique_names(styles_file, "style", {s.name: (s.aliases,) for s in styles.values()})
    tables = (moods, genres, styles, roles, instrument_roles, family_roles, voices)
    return Knowledge(*(MappingProxyType(t) for t in tables))


# --------------------------------------------------------------------------- reading and checking


def _fail(path: Path, kind: str, name: str, problem: str) -> typing.NoReturn:
    raise KnowledgeError(f"{path}: {kind} {name!r}: {problem}")


def _read(path: Path, required: tuple[str, ...]) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path}: not valid TOML ({exc})") from None
    for key in doc:
        if key not in required:
            raise KnowledgeError(f"{path}: unknown table {key!r}; expected {', '.join(required)}")
    for key in required:
        if not isinstance(doc.get(key), dict) or not doc[key]:
            raise KnowledgeError(f"{path}: no [{key}.NAME] records")
    return doc


def _records(path: Path, kind: str, table: dict[str, Any], cls: type) -> dict[str, Any]:
    out = {}
    for name, values in table.items():
        if not isinstance(values, dict):
            _fail(path, kind, name, f"must be a table of fields, not {values!r}")
        out[name] = _record(path, kind, name, values, cls)
    return out


def _record(path: Path, kind: str, name: str, values: dict[str, Any], cls: type, *, where: str = "") -> Any:
    """``cls`` built from the TOML table ``values``; ``where`` names a nested record ("part 2")."""
    hints, fields = _schema(cls)
    known = {f.name for f in fields}
    prefix = f"{where}: " if where else ""
    for key in values:
        if key not in known:
            _fail(path, kind, name, f"{prefix}unknown field {key!r} (fields: {', '.join(f.name for f in fields)})")
    kwargs: dict[str, Any] = {"name": name} if "name" in hints else {}
    for f in fields:
        if f.name not in values:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                _fail(path, kind, name, f"{prefix}missing field {f.name!r}")
            continue
        value = _convert(path, kind, name, f"{prefix}field {f.name!r}", values[f.name], hints[f.name],
                         item=f.name.removesuffix("s"))
        if f.metadata.get("nonempty") and not value:
            _fail(path, kind, name, f"{prefix}field {f.name!r} is empty")
        if "range" in f.metadata:
            low, high = f.metadata["range"]
            if not low <= value <= high:
                _fail(path, kind, name, f"{prefix}field {f.name!r} is {value}, outside {low:g}..{high:g}")
        kwargs[f.name] = value
    return cls(**kwargs)


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], tuple[dataclasses.Field, ...]]:
    """The field types of ``cls`` and its fields read from TOML (all but ``name``, the table key)."""
    return typing.get_type_hints(cls), tuple(f for f in dataclasses.fields(cls) if f.name != "name")


def _convert(path: Path, kind: str, name: str, what: str, value: Any, hint: Any, *, item: str = "") -> Any:
    """``value`` as type ``hint``; the records of a list of tables are named "``item`` 1", "``item`` 2" ..."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            _fail(path, kind, name, f"{what} must be a table, not {value!r}")
        return _record(path, kind, name, value, hint, where=what)
    if origin is tuple:
        if not isinstance(value, list):
            _fail(path, kind, name, f"{what} must be a list, not {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            each = dataclasses.is_dataclass(args[0])
            return tuple(_convert(path, kind, name, f"{item} {i + 1}" if each else what, v, args[0])
                         for i, v in enumerate(value))
        if len(value) != len(args):
            _fail(path, kind, name, f"{what} must be a list of {len(args)}, not {value!r}")
        return tuple(_convert(path, kind, name, what, v, a) for v, a in zip(value, args))
    if args and type(None) in args:  # "str | None": absent means None
        (hint,) = [a for a in args if a is not type(None)]
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint in (str, bool, int) and type(value) is hint:
        return value
    _fail(path, kind, name, f"{what} must be {_TYPE_NAMES.get(hint, hint)}, not {value!r}")


_TYPE_NAMES = {str: "a string", float: "a number", int: "an integer", bool: "true or false"}


def _role_lists(path: Path, kind: str, values: dict[str, Any], roles: dict[str, Role]) -> dict[str, tuple[str, ...]]:
    """``[instrument_roles]`` or ``[family_roles]``: name -> roles, best first."""
    out = {}
    for key, names in values.items():
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
            _fail(path, kind, key, f"must be a list of role names, not {names!r}")
        _refers(path, kind, key, "role", names, roles)
        out[key] = tuple(names)
    return out


def _refers(path: Path, kind: str, name: str, what: str, names, records: Mapping[str, Any]) -> None:
    for n in names:
        if n not in records:
            _fail(path, kind, name, f"{what} {n!r} is not one of {', '.join(records)}")


def _subset(path: Path, kind: str, name: str, what: str, words, allowed) -> None:
    for w in words:
        if w not in allowed:
            _fail(path, kind, name, f"{what} {w!r} is not its name or one of its words")


def _unique_names(path: Path, kind: str, words: dict[str, tuple[tuple[str, ...], ...]]) -> None:
    """Every name, alias and word belongs to one record and appears once."""
    owner = {name: name for name in words}
    for name, lists in words.items():
        for w in (w for ws in lists for w in ws):
            if w in owner:
                other = "itself" if owner[w] == name else f"{kind} {owner[w]!r}"
                _fail(path, kind, name, f"word {w!r} already names {other}")
            owner[w] = name
