"""Music facts, in one place: meters, key profiles and key finding, and the rules that turn
a mood or a genre into mode, energy, tempo and meter.

A shared module (like :mod:`vmb.types` and :mod:`vmb.vocab`): every stage may import it, and it
imports nothing of vmb's but the vocabulary and the knowledge records (:mod:`vmb.knowledge`).
Units: positions and lengths in quarter-note beats ("beats"), as in :class:`vmb.types.Score`;
a *pulse* is the beat a listener counts (a dotted quarter in 6/8), which is what a BPM in a
request or a sidecar counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vmb.knowledge import ROMAN_NUMERALS, knowledge
from vmb.vocab import METERS, MOODS, SCALES, TEMPO_CLASSES, normalize_genre, normalize_mood


@dataclass(frozen=True)
class Meter:
    """One supported meter, everything the stages need to know about it."""

    name: str  # "4/4"
    numerator: int
    denominator: int
    pulse_beats: float  # quarter notes per counted pulse: 1.5 in 6/8 (dotted quarters), else 1
    harmonic_unit: float  # beats per chord slot: half a bar in 4/4 and 6/8, a bar in 3/4 and 2/4
    strong_beats: tuple[float, ...]  # beats into the bar, after the downbeat, that carry a secondary accent
    swing_allowed: bool  # 6/8 already divides its pulse in three: no swung eighths

    @property
    def bar_beats(self) -> float:
        """Length of one bar in quarter-note beats (6/8 -> 3)."""
        return self.numerator * 4.0 / self.denominator

    @property
    def pulses_per_bar(self) -> int:
        """Counted pulses per bar (6/8 -> 2, 3/4 -> 3)."""
        return round(self.bar_beats / self.pulse_beats)


METER_RECORDS: dict[str, Meter] = {m.name: m for m in [
    Meter("4/4", 4, 4, pulse_beats=1.0, harmonic_unit=2.0, strong_beats=(2.0,), swing_allowed=True),
    Meter("3/4", 3, 4, pulse_beats=1.0, harmonic_unit=3.0, strong_beats=(), swing_allowed=True),
    Meter("6/8", 6, 8, pulse_beats=1.5, harmonic_unit=1.5, strong_beats=(1.5,), swing_allowed=False),
    Meter("2/4", 2, 4, pulse_beats=1.0, harmonic_unit=2.0, strong_beats=(1.0,), swing_allowed=True),
]}
assert tuple(METER_RECORDS) == METERS  # the vocabulary lists the meters; this module describes them


def meter(name: str) -> Meter:
    """The record of a supported meter; other "N/D" meters get a plain record (pulse = a quarter)."""
    if name in METER_RECORDS:
        return METER_RECORDS[name]
    num, den = (int(x) for x in name.split("/"))
    bar = num * 4.0 / den
    return Meter(name, num, den, pulse_beats=1.0, harmonic_unit=bar, strong_beats=(), swing_allowed=True)


def bar_beats(meter_name: str) -> float:
    """Length of one bar of ``meter_name`` ("6/8") in quarter-note beats."""
    return meter(meter_name).bar_beats


def quarter_notes_per_pulse(meter_name: str) -> float:
    """How many quarter notes one counted beat lasts: a BPM in 6/8 counts dotted quarters.

    Scores keep time in quarter notes; a request of "6/8 at 92 BPM" means 92 dotted-quarter
    pulses a minute (the way musicians and beat trackers count it), i.e. 138 quarter notes.
    """
    return meter(meter_name).pulse_beats


# --------------------------------------------------------------------------- keys

# Krumhansl-Kessler key profiles (probe-tone ratings), index 0 = the tonic.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
KK_PROFILES = {"major": KK_MAJOR, "minor": KK_MINOR}


def midi_hz(pitch):
    """Frequency in Hz of MIDI pitch ``pitch`` (a number or a NumPy array; A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((pitch - 69) / 12)


def key_correlations(histogram: np.ndarray) -> dict[tuple[int, str], float]:
    """Krumhansl-Schmuckler: the correlation of a (12,) pitch-class histogram with all 24 keys.

    Keys are (tonic pitch class, mode), major keys first; a flat histogram correlates 0 with all.
    """
    hist = np.asarray(histogram, dtype=np.float64)
    flat = not hist.std() > 0
    return {(tonic, mode): 0.0 if flat else float(np.corrcoef(hist, np.roll(profile, tonic))[0, 1])
            for mode, profile in KK_PROFILES.items() for tonic in range(12)}


def estimate_key(histogram: np.ndarray) -> tuple[int, str, float]:
    """(tonic pitch class, mode, correlation) of the key whose profile best fits ``histogram``."""
    scores = key_correlations(histogram)
    (tonic, mode), best = max(scores.items(), key=lambda kv: kv[1])
    return tonic, mode, best


# --------------------------------------------------------------------------- affect -> music

# The one rule for mode and energy from a point on the valence/arousal circumplex (-1..1 each),
# for every describer and for the plan: music turns minor just below neutral valence, and its
# energy is arousal mapped linearly onto 0.05..0.95.
MINOR_BELOW_VALENCE = -0.05


def mode_for_valence(valence: float) -> str:
    return "minor" if valence < MINOR_BELOW_VALENCE else "major"


def energy_for_arousal(arousal: float) -> float:
    return round(min(0.95, max(0.05, (arousal + 1.0) / 2.0)), 3)


# --------------------------------------------------------------------------- chords in a key

def roman_chord(numeral: str, tonic: int, mode: str) -> tuple[int, str]:
    """(root pitch class, quality) of a Roman numeral in the key of ``tonic`` (a pitch class).

    Upper case is a major chord, lower case minor, a trailing "o" diminished ("viio", "iio");
    the degree counts the mode's scale, so in minor "VII" is the major chord a whole step below
    the tonic and "V" the major dominant (the raised leading tone of harmonic minor).
    """
    core = numeral.strip()
    diminished = core.endswith("o")
    core = core.removesuffix("o")
    if core.lower() not in ROMAN_NUMERALS:
        raise ValueError(f"{numeral!r} is not a Roman numeral I..VII (lower case minor, 'o' diminished)")
    root = (tonic + SCALES[mode][ROMAN_NUMERALS.index(core.lower())]) % 12
    return root, "dim" if diminished else "maj" if core.isupper() else "min"


# --------------------------------------------------------------------------- tempo and meter from genre and mood

# With no genre, music moves over this range (BPM); a genre's own range (genres.toml) replaces it.
FREE_TEMPO_RANGE = (64.0, 140.0)


def tempo_for(genres: list[str], moods: list[str], arousal: float | None = None,
              tempo_class: str | None = None) -> float:
    """The one tempo rule, in counted pulses per minute, for a request that names no BPM.

    The range is the first genre's (else :data:`FREE_TEMPO_RANGE`); the moods' mean tempo
    tendency (and a little of the arousal) place the tempo inside it: a calm request sits near
    the bottom, an energetic one near the top. A ``tempo_class`` the tempo falls outside narrows
    the range to where the two overlap.
    """
    records = knowledge()
    low, high = FREE_TEMPO_RANGE
    if genres:
        low, high = records.genres[normalize_genre(genres[0])].tempo_range
    named = [records.moods[normalize_mood(m)] for m in moods]
    tendency = sum(m.tempo_tendency for m in named) / len(named) if named else 0.0
    push = min(1.0, max(-1.0, 0.8 * tendency + 0.2 * (arousal or 0.0)))
    bpm = low + (high - low) * (0.5 + 0.5 * push)
    if tempo_class is not None:
        c_low, c_high, _default = TEMPO_CLASSES[tempo_class]
        if not c_low <= bpm < c_high:  # the class narrows the range only when the tempo falls outside it
            low, high = (max(low, c_low), min(high, c_high)) if max(low, c_low) < min(high, c_high) else (c_low, c_high)
            bpm = low + (high - low) * (0.5 + 0.5 * push)
    return float(round(bpm))


def meter_for(genres: list[str], reference_meter: str | None) -> str:
    """The meter when the request names none: the reference's where the first genre allows it,
    else the genre's usual one (hip hop is never in 3/4 because its reference was a waltz)."""
    if not genres:
        return reference_meter or "4/4"
    allowed = knowledge().genres[normalize_genre(genres[0])].meters
    return reference_meter if reference_meter in allowed else allowed[0]


def mood_distances(valence: float, arousal: float, bonus: dict[str, float] | None = None) -> dict[str, float]:
    """Distance of every vocabulary mood from (valence, arousal) on the circumplex, less its ``bonus``."""
    bonus = bonus or {}
    return {m: math.dist((valence, arousal), pos) - bonus.get(m, 0.0) for m, pos in MOODS.items()}


def nearest_moods(valence: float, arousal: float, n: int = 3, *, bonus: dict[str, float] | None = None) -> list[str]:
    """The ``n`` moods nearest (valence, arousal), nearest first (ties by name)."""
    dist = mood_distances(valence, arousal, bonus)
    return sorted(dist, key=lambda m: (dist[m], m))[:n]


def circumplex(moods: list[str], weights: list[float] | None = None) -> tuple[float, float]:
    """Weighted mean (valence, arousal) of moods on MOODS' circumplex; (0, 0) for none."""
    known = [(m, w) for m, w in zip(moods, weights or [1.0] * len(moods)) if m in MOODS]
    if not known:
        return 0.0, 0.0
    total = sum(w for _, w in known)
    valence = sum(MOODS[m][0] * w for m, w in known) / total
    arousal = sum(MOODS[m][1] * w for m, w in known) / total
    return round(valence, 3), round(arousal, 3)
