"""Plain data passed between the stages.

Every stage takes and returns these dataclasses, never another stage's internals.
All of them round-trip through JSON (``to_dict`` / ``from_dict``), so a stage's
result can be printed, saved and tested on its own.

Units, used everywhere:
- musical time is in **beats** (quarter notes) from the start of the piece;
- wall-clock time is in **seconds**, and names say so (``duration_s``);
- pitches are MIDI note numbers (60 = middle C), pitch classes 0..11 with C = 0;
- velocities are MIDI 1..127; energy, valence and arousal are floats (see each field).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types as _pytypes
import typing
from dataclasses import dataclass, field
from typing import Any

# Bumped whenever a file written from these types (sidecar, cue sheet, library) changes shape.
SCHEMA_VERSION = 1


# --------------------------------------------------------------------------- JSON helpers


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    return value


@functools.lru_cache(maxsize=None)
def _field_types(cls: type) -> dict[str, Any]:
    """Resolved annotations of a dataclass's fields (resolving them is slow: do it once per class)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


@functools.lru_cache(maxsize=None)
def _union_args(tp: Any) -> tuple:
    return tuple(a for a in typing.get_args(tp) if a is not type(None))


def _decode(tp: Any, value: Any) -> Any:
    """Rebuild ``value`` (parsed JSON) as type ``tp`` (a resolved annotation)."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, _pytypes.UnionType):
        args = _union_args(tp)
        return _decode(args[0], value) if len(args) == 1 else value
    if origin in (list, tuple):
        (arg, *_rest) = typing.get_args(tp) or (Any,)
        items = [_decode(arg, v) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        _k, arg = typing.get_args(tp) or (Any, Any)
        return {k: _decode(arg, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return tp.from_dict(value)
    if tp is float and isinstance(value, int):
        return float(value)
    return value


class JsonMixin:
    """``to_dict``/``from_dict``/``to_json``/``from_json`` for the dataclasses below."""

    def to_dict(self) -> dict[str, Any]:
        return _encode(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        hints = _field_types(cls)
        kwargs = {k: _decode(hints[k], v) for k, v in data.items() if k in hints}
        return cls(**kwargs)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))


# --------------------------------------------------------------------------- the text bridge


@dataclass
class Attributes(JsonMixin):
    """What the music should be. Every field is optional: ``None``/empty means "not asked for".

    Names come from :mod:`vmb.vocab` (genres, moods, instruments, tempo classes, modes).
    """

    genres: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    excluded_instruments: list[str] = field(default_factory=list)  # "no drums"
    tempo_bpm: float | None = None
    tempo_class: str | None = None  # "slow" | "medium" | "fast"
    key: str | None = None  # tonic name, e.g. "D", "F#", "Bb"
    mode: str | None = None  # "major" | "minor"
    meter: str | None = None  # "4/4", "3/4", "6/8"
    energy: float | None = None  # 0 (still) .. 1 (full intensity)
    valence: float | None = None  # -1 (negative) .. 1 (positive)
    arousal: float | None = None  # -1 (calm) .. 1 (excited)
    duration_s: float | None = None

    def merged(self, override: "Attributes") -> "Attributes":
        """A copy where every field that ``override`` sets (non-None, non-empty) wins."""
        out = dataclasses.replace(self)
        for f in dataclasses.fields(self):
            value = getattr(override, f.name)
            if value is None or (isinstance(value, list) and not value):
                continue
            setattr(out, f.name, list(value) if isinstance(value, list) else value)
        # An instrument asked for explicitly is never also excluded.
        out.excluded_instruments = [i for i in out.excluded_instruments if i not in out.instruments]
        return out

    def set_fields(self) -> list[str]:
        """Names of the fields that are set (for printing what the user asked for)."""
        return [
            f.name
            for f in dataclasses.fields(self)
            if getattr(self, f.name) not in (None, [], "")
        ]


@dataclass
class MusicDescription(JsonMixin):
    """The text bridge: one sentence about the music, its attributes, and why."""

    sentence: str
    attributes: Attributes = field(default_factory=Attributes)
    reasoning: list[str] = field(default_factory=list)  # "Emotion match: ...", "Scene association: ..."
    source: str = "text"  # "text" | "image" | "video" | "user"
    # the Attributes fields the input itself names ("genres" for "a jazz tune"); the others were
    # inferred (a genre from scene association), and a user's request may replace them
    named: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- symbolic music


@dataclass
class Note(JsonMixin):
    pitch: int  # MIDI note number
    start: float  # beats
    duration: float  # beats
    velocity: int = 90


@dataclass
class Chord(JsonMixin):
    """A chord symbol over a time span. ``quality`` is a key of ``vocab.CHORD_QUALITIES``."""

    start: float  # beats
    duration: float  # beats
    root: int  # pitch class, C = 0
    quality: str = "maj"
    bass: int | None = None  # pitch class of a slash bass, None = root

    def pitch_classes(self) -> list[int]:
        from vmb.vocab import CHORD_QUALITIES

        return [(self.root + iv) % 12 for iv in CHORD_QUALITIES[self.quality]]


@dataclass
class Section(JsonMixin):
    """A labelled span of a piece: "intro", "A", "B", "build", "climax", "outro", "ending" ..."""

    name: str
    start: float  # beats
    end: float  # beats
    energy: float = 0.5  # 0..1, drives dynamics and density


@dataclass
class ShotMood(JsonMixin):
    """What one shot of a video shows, as the music plan reads it (made by the describe stage)."""

    start_s: float
    end_s: float
    valence: float = 0.0  # -1..1, the shot's keyframe: its colours weighed with what was seen
    arousal: float = 0.0  # -1..1
    seen: str = ""  # "three smiling faces", "a birthday cake"; "" when only the colours spoke


@dataclass
class TempoChange(JsonMixin):
    beat: float
    bpm: float


@dataclass
class LeadSheet(JsonMixin):
    """Melody + chords + form: what a composer hands an arranger.

    The baseline takes it from a corpus tune; the neural generator decodes one from a piano-roll.
    """

    melody: list[Note]
    chords: list[Chord]
    sections: list[Section] = field(default_factory=list)
    key: str = "C"
    mode: str = "major"
    meter: str = "4/4"
    length_beats: float = 0.0
    title: str = ""
    source: str = ""  # where the material came from, e.g. "music21:essenFolksong/..."


@dataclass
class Track(JsonMixin):
    name: str
    program: int  # General MIDI program 0..127; for drums the kit (bank 128: 0 standard, 25 TR-808 ...)
    notes: list[Note] = field(default_factory=list)
    is_drum: bool = False
    role: str = ""  # "melody" | "harmony" | "pad" | "bass" | "drums" | "counter" | "arp" ...
    instrument: str = ""  # vocab instrument name
    volume: float = 1.0  # 0..1 mix gain
    pan: float = 0.0  # -1 left .. 1 right
    voice: str = ""  # a synth voice of vmb/data/voices.toml the studio renderer plays it on; "": the GM program


@dataclass
class Score(JsonMixin):
    """A multi-track piece in beats, with the tempo map that turns beats into seconds."""

    tracks: list[Track]
    tempo_map: list[TempoChange] = field(default_factory=lambda: [TempoChange(0.0, 120.0)])
    key: str = "C"
    mode: str = "major"
    meter: str = "4/4"
    sections: list[Section] = field(default_factory=list)
    length_beats: float = 0.0  # musical end (the final chord's release may ring past it)
    duration_s: float | None = None  # exact wall-clock length to render, if fixed
    ending_beat: float | None = None  # where the closing chord is struck and starts to die away
    style: str | None = None  # the arrangement style it was written in (vmb/data/styles.toml): how it is mixed

    # -- time conversion (piecewise-constant tempo) -------------------------

    def beat_to_seconds(self, beat: float) -> float:
        seconds, prev_beat, bpm = 0.0, 0.0, self.tempo_map[0].bpm
        for change in self.tempo_map[1:]:
            if change.beat >= beat:
                break
            seconds += (change.beat - prev_beat) * 60.0 / bpm
            prev_beat, bpm = change.beat, change.bpm
        return seconds + (beat - prev_beat) * 60.0 / bpm

    def seconds_to_beat(self, seconds: float) -> float:
        elapsed, prev_beat, bpm = 0.0, 0.0, self.tempo_map[0].bpm
        for change in self.tempo_map[1:]:
            span = (change.beat - prev_beat) * 60.0 / bpm
            if elapsed + span >= seconds:
                break
            elapsed += span
            prev_beat, bpm = change.beat, change.bpm
        return prev_beat + (seconds - elapsed) * bpm / 60.0

    @property
    def beats_per_bar(self) -> float:
        from vmb.theory import bar_beats

        return bar_beats(self.meter)

    def track(self, role: str) -> Track | None:
        return next((t for t in self.tracks if t.role == role), None)


# --------------------------------------------------------------------------- the music bridge


@dataclass
class MusicPlan(JsonMixin):
    """The music a request resolved to, decided once before composing: the stages take it as is.

    ``tempo_map`` is in quarter-note BPM (a video's beat map bends it); ``pulse_bpm`` is what a
    listener counts (dotted quarters in 6/8), the number printed and written to the sidecar.
    A loop is composed one bar past ``loop_beats`` and cut there (see vmb.pipeline.loop).
    """

    meter: str
    pulse_bpm: float
    tempo_map: list[TempoChange]
    length_beats: float  # what the composer writes (a loop: one bar more than it plays)
    duration_s: float  # what the listener gets
    sections: list[Section] | None = None  # None: the composer's own form
    loop_beats: float | None = None  # where a seamless loop wraps; None = a piece with an ending
    hits: list[float] = field(default_factory=list)  # beats the music must mark audibly (a video's cuts)

    @property
    def quarter_bpm(self) -> float:
        return self.tempo_map[0].bpm


@dataclass
class LibraryEntry(JsonMixin):
    """One piece of music in the retrieval library, with its tags and symbolic content."""

    id: str
    title: str = ""
    source: str = ""  # path or corpus reference
    content_hash: str = ""
    duration_s: float = 0.0
    genres: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    bpm: float | None = None
    tempo_class: str | None = None
    key: str | None = None
    mode: str | None = None
    meter: str | None = None
    description: str = ""
    lead_sheet: LeadSheet | None = None

    @classmethod
    def from_row(cls, data: dict) -> "LibraryEntry":
        """An entry from a corpus or library JSON row, fast: missing note velocities, chord
        qualities and slash basses take their defaults, unknown keys are ignored.
        (``from_dict`` checks every field's type, several times slower on thousands of tunes.)"""
        sheet = data.get("lead_sheet")
        lead = None
        if sheet:
            lead = LeadSheet(
                melody=[Note(int(n["pitch"]), float(n["start"]), float(n["duration"]), int(n.get("velocity", 90)))
                        for n in sheet["melody"]],
                chords=[Chord(float(c["start"]), float(c["duration"]), int(c["root"]), c.get("quality", "maj"),
                              c.get("bass")) for c in sheet["chords"]],
                sections=[Section(x["name"], float(x["start"]), float(x["end"]), float(x.get("energy", 0.5)))
                          for x in sheet.get("sections", [])],
                key=sheet.get("key", "C"), mode=sheet.get("mode", "major"), meter=sheet.get("meter", "4/4"),
                length_beats=float(sheet.get("length_beats", 0.0)), title=sheet.get("title", ""),
                source=sheet.get("source", ""),
            )
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known and k != "lead_sheet"}, lead_sheet=lead)


@dataclass
class Reference(JsonMixin):
    """One retrieved library entry and why it was chosen."""

    entry: LibraryEntry
    track: str  # "broad" | "targeted" | "pinned"
    score: float = 0.0  # similarity or fit, higher is better
    matched: list[str] = field(default_factory=list)  # attributes that matched, e.g. ["mode", "meter"]
    scores: dict[str, float] = field(default_factory=dict)  # each score by name, e.g. {"similarity": .8}


@dataclass
class Retrieval(JsonMixin):
    broad: list[Reference] = field(default_factory=list)
    targeted: list[Reference] = field(default_factory=list)


# --------------------------------------------------------------------------- video timing


@dataclass
class VideoTiming(JsonMixin):
    """What the music must fit in a video: length, cuts and the intensity over time."""

    duration_s: float
    fps: float = 0.0
    width: int = 0
    height: int = 0
    has_audio: bool = False
    cuts_s: list[float] = field(default_factory=list)
    curve_times_s: list[float] = field(default_factory=list)
    motion: list[float] = field(default_factory=list)  # 0..1 per curve time
    intensity: list[float] = field(default_factory=list)  # 0..1 per curve time
    markers_s: list[float] = field(default_factory=list)  # user-given sync points
    cut_strengths: list[float] = field(default_factory=list)  # 0..1 per cut (same order); empty = all 1


# --------------------------------------------------------------------------- results


@dataclass
class RenderResult(JsonMixin):
    """What the renderer produced: files written and measurements of the audio."""

    files: dict[str, str] = field(default_factory=dict)  # kind ("wav", "midi", "json", "mp4") -> path
    sample_rate: int = 44100
    channels: int = 2
    duration_s: float = 0.0
    loudness_lufs: float | None = None
    peak_dbfs: float | None = None
    synth: str = ""  # "fluidsynth:/usr/share/sounds/sf3/MuseScore_General_Full.sf3", "tinysoundfont:..." or "numpy"
    renderer: str = "studio"  # "studio" (each part rendered, mixed per genre) or "plain"
    mix: str | None = None  # the style whose mix settings were applied (studio)
    stems: list[str] = field(default_factory=list)  # stem names, when stems were kept
    stem_gain_db: float | None = None  # stems = the mix before the master bus, times this gain
