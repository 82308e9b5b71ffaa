"""The vocabulary (vmb.vocab): sizes and GM programs, normalised spellings, keys and tempos."""

from __future__ import annotations

import pytest

from vmb.vocab import (
    GENRES,
    INSTRUMENTS,
    MOODS,
    VocabError,
    normalize_genre,
    normalize_instrument,
    normalize_mood,
    parse_key,
    parse_tempo,
    tempo_class_of,
)


def test_vocabulary_sizes_and_programs():
    assert len(GENRES) >= 12 and len(MOODS) >= 20 and len(INSTRUMENTS) >= 25
    assert INSTRUMENTS["violin"].program == 40 and INSTRUMENTS["drums"].is_drum
    assert all(-1 <= v <= 1 and -1 <= a <= 1 for v, a in MOODS.values())


def test_normalisation_accepts_spellings_and_suggests_close_names():
    assert normalize_genre("Hip-Hop") == "hip hop" and normalize_genre("EDM") == "electronic"
    assert normalize_mood("Melancholy") == "melancholic" and normalize_instrument("violins") == "violin"
    with pytest.raises(VocabError, match="'jazz'"):
        normalize_genre("jaz")
    with pytest.raises(VocabError):
        normalize_instrument("kazooo")


def test_keys_and_tempos():
    assert parse_key("D minor") == ("D", "minor") and parse_key("f#m") == ("F#", "minor")
    assert parse_key("Bb") == ("Bb", None) and parse_key("a# major") == ("Bb", "major")
    with pytest.raises(VocabError):
        parse_key("H minor")
    assert parse_tempo("96") == (96.0, "medium") and parse_tempo("slow") == (None, "slow")
    assert parse_tempo("128 bpm") == (128.0, "fast") and tempo_class_of(60) == "slow"
    for bad in ("0", "9000", "fastish"):
        with pytest.raises(VocabError):
            parse_tempo(bad)
