"""The tag vocabularies every stage shares: genres, moods, instruments, tempo classes, keys.

Modelled on the tags the VMB paper shows and on the MTG-Jamendo mood/theme and
instrument lists. Genres and moods are records in ``vmb/data/*.toml`` (:mod:`vmb.knowledge`);
the genre and mood tables here are views of them. Every name is lower case; look-ups go
through the ``normalize_*`` functions, which accept common spellings and raise
:class:`VocabError` with the closest names for anything unknown.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from vmb.knowledge import knowledge


class VocabError(ValueError):
    """An attribute value that is not in the vocabulary (the message suggests close names)."""


# --------------------------------------------------------------------------- genres and moods

# Views of the records in vmb/data/genres.toml and vmb/data/moods.toml (vmb.knowledge), in
# file order: edit the records, not these tables.

# genre -> (typical BPM range, a short phrase used to describe and embed it)
GENRES: dict[str, tuple[tuple[int, int], str]] = {
    g.name: (g.tempo_range, g.phrase) for g in knowledge().genres.values()
}
GENRE_ALIASES: dict[str, str] = {a: g.name for g in knowledge().genres.values() for a in g.aliases}

# mood -> (valence -1..1, arousal -1..1): positions on Russell's circumplex, used to map
# visual affect to moods and to pick tempo/mode/energy from moods.
MOODS: dict[str, tuple[float, float]] = {m.name: (m.valence, m.arousal) for m in knowledge().moods.values()}
MOOD_ALIASES: dict[str, str] = {a: m.name for m in knowledge().moods.values() for a in m.aliases}

# --------------------------------------------------------------------------- instruments


@dataclass(frozen=True)
class Instrument:
    name: str
    program: int  # General MIDI program (0-based); for drums the kit number
    family: str  # "keys" | "strings" | "guitar" | "bass" | "brass" | "woodwind" | "synth" | "drums" | "percussion" | "voice" | "plucked"
    low: int  # comfortable MIDI range
    high: int
    is_drum: bool = False


INSTRUMENTS: dict[str, Instrument] = {
    i.name: i
    for i in [
        Instrument("piano", 0, "keys", 21, 108),
        Instrument("electric piano", 4, "keys", 28, 103),
        Instrument("harpsichord", 6, "keys", 29, 89),
        Instrument("celesta", 8, "keys", 60, 108),
        Instrument("glockenspiel", 9, "percussion", 72, 108),
        Instrument("music box", 10, "percussion", 60, 96),
        Instrument("vibraphone", 11, "percussion", 53, 89),
        Instrument("marimba", 12, "percussion", 45, 96),
        Instrument("organ", 16, "keys", 36, 96),
        Instrument("church organ", 19, "keys", 24, 96),
        Instrument("accordion", 21, "keys", 53, 89),
        Instrument("harmonica", 22, "woodwind", 60, 84),
        Instrument("acoustic guitar", 25, "guitar", 40, 84),
        Instrument("nylon guitar", 24, "guitar", 40, 84),
        Instrument("electric guitar", 27, "guitar", 40, 86),
        Instrument("distorted guitar", 30, "guitar", 40, 86),
        Instrument("bass", 33, "bass", 28, 55),
        Instrument("acoustic bass", 32, "bass", 28, 55),
        Instrument("synth bass", 38, "bass", 24, 55),
        Instrument("violin", 40, "strings", 55, 100),
        Instrument("viola", 41, "strings", 48, 88),
        Instrument("cello", 42, "strings", 36, 72),
        Instrument("contrabass", 43, "strings", 28, 60),
        Instrument("harp", 46, "plucked", 24, 103),
        Instrument("timpani", 47, "percussion", 40, 55),
        Instrument("strings", 48, "strings", 36, 96),
        Instrument("choir", 52, "voice", 48, 79),
        Instrument("trumpet", 56, "brass", 55, 82),
        Instrument("trombone", 57, "brass", 40, 72),
        Instrument("french horn", 60, "brass", 41, 77),
        Instrument("brass", 61, "brass", 40, 82),
        Instrument("saxophone", 65, "woodwind", 49, 81),
        Instrument("oboe", 68, "woodwind", 58, 91),
        Instrument("clarinet", 71, "woodwind", 50, 91),
        Instrument("flute", 73, "woodwind", 60, 96),
        Instrument("pan flute", 75, "woodwind", 60, 96),
        Instrument("synthesizer", 81, "synth", 36, 84),
        Instrument("synth pad", 89, "synth", 36, 96),
        Instrument("sitar", 104, "plucked", 48, 84),
        Instrument("banjo", 105, "plucked", 48, 84),
        Instrument("ukulele", 24, "plucked", 60, 81),
        Instrument("steel drums", 114, "percussion", 52, 88),
        Instrument("drums", 0, "drums", 35, 81, is_drum=True),
        Instrument("percussion", 0, "percussion", 35, 81, is_drum=True),
    ]
}

INSTRUMENT_ALIASES = {
    "keys": "piano", "grand piano": "piano", "keyboard": "piano", "rhodes": "electric piano",
    "e-piano": "electric piano", "epiano": "electric piano", "guitar": "acoustic guitar",
    "classical guitar": "nylon guitar", "spanish guitar": "nylon guitar",
    "electric bass": "bass", "bass guitar": "bass", "double bass": "contrabass",
    "upright bass": "acoustic bass", "string": "strings", "orchestra": "strings",
    "string section": "strings", "violins": "violin", "cellos": "cello", "fiddle": "violin",
    "synth": "synthesizer", "synths": "synthesizer", "pad": "synth pad", "pads": "synth pad",
    "sax": "saxophone", "horn": "french horn", "horns": "brass", "brass section": "brass",
    "trumpets": "trumpet", "drum": "drums", "drum kit": "drums", "beat": "drums", "beats": "drums",
    "voices": "choir", "vocals": "choir", "chorus": "choir", "bells": "glockenspiel",
    "xylophone": "marimba", "vibes": "vibraphone", "drum machine": "drums",
}

# General MIDI drum notes used by the arranger.
DRUM_NOTES = {
    "kick": 36, "side_stick": 37, "snare": 38, "clap": 39, "snare_electric": 40,
    "tom_low": 45, "tom_mid": 47, "tom_high": 50, "hihat_closed": 42, "hihat_pedal": 44,
    "hihat_open": 46, "crash": 49, "ride": 51, "ride_bell": 53, "tambourine": 54,
    "cowbell": 56, "shaker": 70, "conga_high": 62, "conga_low": 64, "timbale": 65,
    "clave": 75, "bongo_high": 60, "bongo_low": 61, "cabasa": 69,
}

# --------------------------------------------------------------------------- tempo

# tempo class -> (low BPM, high BPM, the BPM used when only the class is known)
TEMPO_CLASSES: dict[str, tuple[float, float, float]] = {
    "slow": (50.0, 84.0, 72.0),
    "medium": (84.0, 120.0, 100.0),
    "fast": (120.0, 180.0, 136.0),
}
MIN_BPM, MAX_BPM = 40.0, 240.0

# --------------------------------------------------------------------------- keys and modes

PITCH_CLASS = {
    "C": 0, "B#": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "FB": 4, "F": 5,
    "E#": 5, "F#": 6, "GB": 6, "G": 7, "G#": 8, "AB": 8, "A": 9, "A#": 10, "BB": 10, "B": 11,
    "CB": 11,
}
# Preferred spellings for each pitch class (flats where a key signature would use them).
KEY_NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MODES = ("major", "minor")
MODE_ALIASES = {"maj": "major", "min": "minor", "m": "minor", "ionian": "major", "aeolian": "minor"}
METERS = ("4/4", "3/4", "6/8", "2/4")

# Scale degrees (semitones above the tonic).
SCALES = {"major": [0, 2, 4, 5, 7, 9, 11], "minor": [0, 2, 3, 5, 7, 8, 10]}

# chord quality -> intervals above the root
CHORD_QUALITIES: dict[str, list[int]] = {
    "maj": [0, 4, 7], "min": [0, 3, 7], "dim": [0, 3, 6], "aug": [0, 4, 8],
    "sus2": [0, 2, 7], "sus4": [0, 5, 7], "7": [0, 4, 7, 10], "maj7": [0, 4, 7, 11],
    "min7": [0, 3, 7, 10], "m7b5": [0, 3, 6, 10], "dim7": [0, 3, 6, 9], "6": [0, 4, 7, 9],
    "min6": [0, 3, 7, 9], "add9": [0, 4, 7, 14], "min9": [0, 3, 7, 10, 14], "9": [0, 4, 7, 10, 14],
    "maj9": [0, 4, 7, 11, 14], "5": [0, 7],
}


# --------------------------------------------------------------------------- normalisation


def _lookup(kind: str, value: str, names, aliases: dict[str, str]) -> str:
    text = " ".join(str(value).strip().lower().replace("_", " ").split())
    if text in names:
        return text
    if text in aliases:
        return aliases[text]
    if text.endswith("s") and text[:-1] in names:  # "pianos", "violins"
        return text[:-1]
    candidates = list(names) + list(aliases)
    close = difflib.get_close_matches(text, candidates, n=3, cutoff=0.6)
    close = list(dict.fromkeys(aliases.get(c, c) for c in close))
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise VocabError(f"unknown {kind} {value!r}{hint} (see `vmb vocab` for the full list)")


def normalize_genre(value: str) -> str:
    return _lookup("genre", value, GENRES, GENRE_ALIASES)


def normalize_mood(value: str) -> str:
    return _lookup("mood", value, MOODS, MOOD_ALIASES)


def normalize_instrument(value: str) -> str:
    return _lookup("instrument", value, INSTRUMENTS, INSTRUMENT_ALIASES)


def normalize_mode(value: str) -> str:
    return _lookup("mode", value, MODES, MODE_ALIASES)


def parse_key(text: str) -> tuple[str, str | None]:
    """'D minor', 'f#m', 'Bb', 'Eb major' -> ('D', 'minor'), ('F#', 'minor'), ('Bb', None) ...

    Returns the tonic in its preferred spelling and the mode (None if not given).
    """
    raw = str(text).strip()
    parts = raw.replace("-", " ").split()
    if not parts:
        raise VocabError("empty key; use a name like 'D minor' or 'F# major'")
    tonic, rest = parts[0], " ".join(parts[1:])
    mode: str | None = None
    if not rest and len(tonic) >= 2 and tonic[-1] == "m" and tonic[:-1].upper() in PITCH_CLASS:
        tonic, mode = tonic[:-1], "minor"
    elif rest:
        mode = normalize_mode(rest)
    upper = tonic[0].upper() + tonic[1:].upper() if tonic else ""
    if upper not in PITCH_CLASS:
        raise VocabError(f"unknown key {text!r}; use a name like 'D minor', 'F# major' or 'Bbm'")
    return KEY_NAMES[PITCH_CLASS[upper]], mode


def key_pitch_class(key: str) -> int:
    return PITCH_CLASS[key.strip().upper()]


def tempo_class_of(bpm: float) -> str:
    for name, (low, high, _default) in TEMPO_CLASSES.items():
        if low <= bpm < high:
            return name
    return "slow" if bpm < TEMPO_CLASSES["slow"][0] else "fast"


def parse_tempo(value: str | float) -> tuple[float | None, str]:
    """'96' -> (96.0, 'medium'); 'slow' -> (None, 'slow'). Raises VocabError out of range."""
    text = str(value).strip().lower().removesuffix("bpm").strip()
    if text in TEMPO_CLASSES:
        return None, text
    try:
        bpm = float(text)
    except ValueError:
        raise VocabError(
            f"tempo {value!r} is neither a BPM number nor one of {', '.join(TEMPO_CLASSES)}"
        ) from None
    if not (MIN_BPM <= bpm <= MAX_BPM):
        raise VocabError(f"tempo {value!r} BPM is out of range; use {MIN_BPM:g}-{MAX_BPM:g} BPM")
    return bpm, tempo_class_of(bpm)
