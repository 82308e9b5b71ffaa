"""Chord templates: the decoder names a roll's chroma by the best-fitting template."""

from __future__ import annotations

import numpy as np

from vmb.vocab import CHORD_QUALITIES

# Chord qualities the decoder names (a subset of vocab.CHORD_QUALITIES: the ones lead sheets use).
DECODE_QUALITIES = ("maj", "min", "dim", "aug", "sus4", "7", "maj7", "min7", "m7b5", "dim7")


def _templates() -> tuple[np.ndarray, list[tuple[int, str]]]:
    rows, names = [], []
    for quality in DECODE_QUALITIES:
        for root in range(12):
            t = np.zeros(12)
            t[[(root + iv) % 12 for iv in CHORD_QUALITIES[quality]]] = 1.0
            rows.append(t)
            names.append((root, quality))
    return np.array(rows), names


_TEMPLATES, _TEMPLATE_NAMES = _templates()


def match_chord(chroma: np.ndarray, bass_pc: int | None = None) -> tuple[int, str]:
    """(root pc, quality) whose template best fits a 12-d chroma of evidence in [0, 1].

    Score = matched evidence - 0.5 * unmatched template tones - 0.5 * evidence outside the
    template; ties go to the chord whose root is the bass, then to simpler qualities (triads
    come first in ``DECODE_QUALITIES``).
    """
    chroma = np.clip(np.asarray(chroma, dtype=np.float64), 0.0, 1.0)
    hit = _TEMPLATES @ chroma
    miss = _TEMPLATES.sum(axis=1) - hit
    extra = chroma.sum() - hit
    score = hit - 0.5 * miss - 0.5 * extra
    if bass_pc is not None:
        score = score + 0.01 * np.array([r == bass_pc for r, _q in _TEMPLATE_NAMES])
    return _TEMPLATE_NAMES[int(np.argmax(score))]
