"""Tags and a description for an ingested file, from what its analysis measured.

:class:`Analysis` is what ``analyze_symbolic`` / ``analyze_audio`` measure. A :class:`Tagger`
turns it (and the lead sheet) into :class:`Tags`: genres, moods, instruments, tempo and the
one-sentence description the library embeds. Backends share that interface:

- :class:`RuleTagger` (default): moods from a valence/arousal estimate (mode, register,
  brightness; tempo, note density, loudness), genres from the instrumentation, the sentence
  from the corpus tagger's templates (:func:`vmb.retrieve.tagging.describe`) plus a clause on
  texture and timbre;
- :class:`vmb.retrieve.musicnn.MusicnnTagger` (the default for ``vmb library add``): genres,
  moods, instruments and energy of an audio file from the bundled musicnn taggers
  (:mod:`vmb.listen.attributes`, through the one tag table :mod:`vmb.listen.tagmap`), the rest
  as the rules; symbolic files get the rule tags;
- :class:`vmb.retrieve.clap.ClapTagger`: genres, moods and instruments by CLAP audio-text
  similarity (the paper's auto-tagging, optional: a local CLAP checkpoint), the rest as the rules.

:func:`vmb.retrieve.ingest.build_library_tagger` makes one of them by name.

Units: BPM in quarter notes per minute, loudness in LUFS, brightness (spectral centroid) in Hz,
density in notes per beat, onset rate in onsets per second.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from vmb import theory
from vmb.retrieve.tagging import describe
from vmb.types import LeadSheet
from vmb.vocab import INSTRUMENTS, TEMPO_CLASSES, tempo_class_of


@dataclass
class Analysis:
    """What vmb measured in one file (or one tune of a multi-tune file)."""

    kind: str  # "midi" | "score" (MusicXML/ABC/Humdrum) | "audio"
    title: str = ""
    duration_s: float = 0.0
    bpm: float | None = None
    bpm_source: str = "default"  # "file" | "estimated" | "default"
    key: str | None = None  # tonic, vocab.KEY_NAMES spelling
    mode: str | None = None
    key_confidence: float = 0.0  # Krumhansl correlation of the chosen key, -1..1
    meter: str | None = None
    meter_source: str = "file"  # "file" | "assumed"
    note_count: int = 0
    density: float = 0.0  # pitched notes per beat
    pitch_low: int | None = None
    pitch_high: int | None = None
    pitch_mean: float | None = None
    programs: list[int] = field(default_factory=list)  # GM programs, most notes first
    instruments: list[str] = field(default_factory=list)  # vocab names, most notes first
    has_drums: bool = False
    loudness_lufs: float | None = None  # audio only
    brightness_hz: float | None = None  # audio only
    onset_rate: float | None = None  # audio only
    percussive_ratio: float | None = None  # audio only: HPSS percussive energy share, 0..1
    transcribed: bool = False  # audio notes come from basic-pitch
    tune_type: str = ""  # "jig", "reel", "waltz" ... when the source says so (ABC R:/title)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Tags:
    genres: list[str]
    moods: list[str]
    instruments: list[str]
    bpm: float
    tempo_class: str
    description: str
    energy: float | None = None  # 0..1, from an audio tagger (None: not heard)
    heard: dict | None = None  # what an audio tagger heard (scores, top tags), kept in the entry's analysis


class Tagger(Protocol):
    """Turns an analysis into tags; ``audio`` is (mono samples, sample rate) for audio files."""

    name: str

    def tag(self, analysis: Analysis, sheet: LeadSheet | None, *, entry_id: str,
            audio: tuple[np.ndarray, int] | None = None) -> Tags: ...


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha1(key.encode()).hexdigest()[:12], 16))


def valence_arousal(a: Analysis, bpm: float) -> tuple[float, float]:
    """(valence, arousal) in [-1, 1] from mode, register, timbre, tempo, density and level."""
    valence = {"major": 0.45, "minor": -0.45}.get(a.mode or "", 0.0)
    if a.pitch_mean is not None:
        valence += float(np.clip((a.pitch_mean - 64.0) / 40.0, -0.15, 0.15))
    if a.brightness_hz is not None:
        valence += float(np.clip((a.brightness_hz - 1800.0) / 4000.0, -0.15, 0.15))
    arousal = float(np.clip((bpm - 100.0) / 50.0, -1.0, 1.0)) * 0.6
    if a.density:
        arousal += float(np.clip((a.density - 1.5) / 3.0, -0.2, 0.3))
    if a.onset_rate is not None:
        arousal += float(np.clip((a.onset_rate - 3.0) / 10.0, -0.15, 0.2))
    if a.loudness_lufs is not None:
        arousal += float(np.clip((a.loudness_lufs + 20.0) / 40.0, -0.15, 0.15))
    if a.has_drums:
        arousal += 0.1
    return float(np.clip(valence, -1, 1)), float(np.clip(arousal, -1, 1))


def nearest_moods(valence: float, arousal: float, n: int = 3) -> list[str]:
    """The ``n`` vocab moods closest to (valence, arousal) on the circumplex, closest first."""
    return theory.nearest_moods(valence, arousal, n)


def genres_from_instruments(instruments: list[str], has_drums: bool) -> list[str]:
    """Genre guesses from the instrumentation (empty when it says nothing)."""
    families = {INSTRUMENTS[i].family for i in instruments if i in INSTRUMENTS}
    names = set(instruments)
    if has_drums:
        if families & {"synth"}:
            return ["electronic"]
        if names & {"distorted guitar", "electric guitar"}:
            return ["rock"]
        if names & {"saxophone", "trumpet", "trombone", "acoustic bass", "vibraphone"}:
            return ["jazz"]
        return ["pop"]
    if not families:
        return []
    if families <= {"keys"} and names & {"piano", "electric piano"}:
        return ["piano", "classical"]
    if families <= {"synth"}:
        return ["ambient", "electronic"]
    if families & {"strings", "brass", "voice"} or names & {"harpsichord", "church organ", "oboe"}:
        return ["cinematic", "classical"] if len(families) >= 4 else ["classical"]
    if families & {"guitar", "plucked"} or names & {"violin", "flute", "accordion", "harmonica"}:
        return ["folk"]
    return []


_TEXTURE = [(0.6, "sparse"), (1.6, "flowing"), (3.0, "busy"), (1e9, "dense")]


def texture_clause(a: Analysis) -> str:
    """A short sentence on texture, register and (for audio) timbre, for the description."""
    words = []
    if a.note_count:
        words.append(next(w for limit, w in _TEXTURE if a.density < limit) + " texture")
    if a.pitch_mean is not None:
        words.append("a high register" if a.pitch_mean > 72 else "a low register" if a.pitch_mean < 55
                     else "a middle register")
    if a.brightness_hz is not None:
        words.append("a bright timbre" if a.brightness_hz > 2500 else "a dark, warm timbre"
                     if a.brightness_hz < 1200 else "a balanced timbre")
    if a.percussive_ratio is not None and a.percussive_ratio > 0.4:
        words.append("prominent percussion")
    if a.loudness_lufs is not None:
        words.append("loud" if a.loudness_lufs > -12 else "soft" if a.loudness_lufs < -24 else "")
    words = [w for w in words if w]
    if not words:
        return ""
    return "It has " + (", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]) + "."


ENERGY_WORDS = [(0.35, "low energy"), (0.65, "moderate energy"), (1.01, "high energy")]


def energy_word(energy: float) -> str:
    """"low energy" (< 0.35), "moderate energy" or "high energy" (>= 0.65)."""
    return next(w for limit, w in ENERGY_WORDS if energy < limit)


def heard_clause(genres: list[str], instruments: list[str], energy: float | None) -> str:
    """A sentence on what an audio tagger heard: "Heard as rock and electronic music with drums,
    high energy." ("" when it heard nothing)."""
    def join(words: list[str]) -> str:
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]

    text = f"Heard as {join(genres)} music" if genres else ("Heard" if instruments else "")
    if instruments:
        text += f" with {join(instruments)}"
    if energy is not None:
        text = f"{text}, {energy_word(energy)}" if text else f"Heard with {energy_word(energy)}"
    return f"{text}." if text else ""


class RuleTagger:
    """Tags from the analysis alone (no model): deterministic for a given ``entry_id``."""

    name = "rules"

    def tag(self, analysis: Analysis, sheet: LeadSheet | None, *, entry_id: str,
            audio: tuple[np.ndarray, int] | None = None) -> Tags:
        a = analysis
        bpm = float(a.bpm) if a.bpm else TEMPO_CLASSES["medium"][2]
        tempo_class = tempo_class_of(bpm)
        moods = nearest_moods(*valence_arousal(a, bpm), n=3)
        instruments = list(a.instruments[:4]) or (["drums"] if a.has_drums else [])
        genres = genres_from_instruments(instruments, a.has_drums)
        if not genres and a.tune_type:  # a jig, reel, air ... named by an ABC tune book
            genres = ["folk"]
        return Tags(genres, moods, instruments, round(bpm, 1), tempo_class,
                    self.describe(a, sheet, tempo_class, moods, instruments, genres, entry_id))

    @staticmethod
    def describe(a: Analysis, sheet: LeadSheet | None, tempo_class: str, moods: list[str],
                 instruments: list[str], genres: list[str], entry_id: str) -> str:
        """The corpus tagger's sentence (seeded by ``entry_id``) plus :func:`texture_clause`."""
        if sheet is None:
            sheet = LeadSheet(melody=[], chords=[], key=a.key or "C", mode=a.mode or "major",
                              meter=a.meter or "4/4")
        kind = a.tune_type or ("track" if a.kind == "audio" else "piece")
        text = describe(kind, sheet, tempo_class, moods, instruments or ["any instrument"],
                        genres[0] if genres else "instrumental", "", _rng(entry_id))
        clause = texture_clause(a)
        return f"{text} {clause}" if clause else text

