"""Control accuracy: does the music have the tempo, key and instruments that were asked for?

Conventions:
- tempo is measured on the **audio** with librosa's beat tracker (no knowledge of the score);
  a measurement counts as correct when it is within ``tolerance`` (relative) of the requested
  BPM or of its double or half, the usual octave-error allowance of tempo-estimation papers;
- key is estimated from the **notes** with the Krumhansl-Schmuckler algorithm: the
  duration-weighted pitch-class histogram of all pitched tracks is correlated (Pearson) with the
  Krumhansl-Kessler major and minor profiles rotated to each of the 12 tonics; the best wins;
- instruments are read from the tracks' vocabulary names and General MIDI programs.
"""

from __future__ import annotations

import numpy as np

from vmb.theory import KK_MAJOR, KK_MINOR
from vmb.types import Score
from vmb.vocab import INSTRUMENTS, KEY_NAMES, key_pitch_class


def pitch_class_histogram(score: Score) -> np.ndarray:
    """Duration-weighted pitch-class histogram (12,) of all pitched (non-drum) notes."""
    hist = np.zeros(12)
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            hist[note.pitch % 12] += note.duration
    return hist


def estimate_key(score: Score) -> tuple[str, str, float]:
    """Krumhansl-Schmuckler key of ``score`` -> (tonic name, "major"|"minor", correlation)."""
    hist = pitch_class_histogram(score)
    if hist.sum() == 0:
        return "C", "major", 0.0
    best = ("C", "major", -2.0)
    for tonic in range(12):
        rotated = np.roll(hist, -tonic)
        for mode, profile in (("major", KK_MAJOR), ("minor", KK_MINOR)):
            r = float(np.corrcoef(rotated, profile)[0, 1])
            if r > best[2]:
                best = (KEY_NAMES[tonic], mode, r)
    return best


def key_matches(score: Score, key: str, mode: str) -> bool:
    tonic, found_mode, _r = estimate_key(score)
    return key_pitch_class(tonic) == key_pitch_class(key) and found_mode == mode


def measure_tempo(audio: np.ndarray, sample_rate: int) -> float:
    """Global tempo (BPM) of ``audio`` ((n,) or (n, channels)) from librosa's beat tracker."""
    import librosa

    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    sr = 22050
    if sample_rate != sr:
        mono = librosa.resample(mono, orig_sr=sample_rate, target_sr=sr)
    onset = librosa.onset.onset_strength(y=mono, sr=sr)
    tempo, _beats = librosa.beat.beat_track(onset_envelope=onset, sr=sr)
    return float(np.atleast_1d(tempo)[0])


def tempo_matches(measured: float, requested: float, tolerance: float = 0.03) -> bool:
    """True when ``measured`` is within ``tolerance`` of ``requested``, its double or its half."""
    return any(abs(measured - requested * f) <= tolerance * requested * f for f in (1.0, 2.0, 0.5))


def instruments_in(score: Score) -> set[str]:
    """Vocabulary names of the instruments that have notes in ``score``.

    A track counts as an instrument when it is named for it and carries that instrument's
    General MIDI program (drum tracks count as "drums").
    """
    found = set()
    for track in score.tracks:
        if not track.notes:
            continue
        if track.is_drum:
            found.add(track.instrument or "drums")
            continue
        spec = INSTRUMENTS.get(track.instrument)
        if spec is not None and spec.program == track.program:
            found.add(track.instrument)
    return found
