"""The shared types (JSON round trip, beat/second conversion, attribute merging) and vocabulary."""

from __future__ import annotations

import pytest

from vmb.types import (Attributes, Chord, LeadSheet, LibraryEntry, MusicDescription, Note, Reference,
                       Retrieval, Score, Section, TempoChange, Track, VideoTiming)
from vmb.vocab import (GENRES, INSTRUMENTS, MOODS, VocabError, normalize_genre, normalize_instrument,
                       normalize_mood, parse_key, parse_tempo, tempo_class_of)


def test_everything_round_trips_through_json():
    lead = LeadSheet(melody=[Note(62, 0.5, 1.0, 80)], chords=[Chord(0.0, 4.0, 2, "min", bass=5)],
                     sections=[Section("A", 0, 4, 0.7)], key="D", mode="minor", meter="3/4", length_beats=4)
    entry = LibraryEntry(id="x", genres=["folk"], bpm=96.0, lead_sheet=lead)
    objects = [
        MusicDescription("A calm piece.", Attributes(moods=["calm"], tempo_bpm=70.0, energy=0.2), ["Emotion match: x"]),
        Score(tracks=[Track("drums", 0, [Note(36, 0, 0.5)], is_drum=True)], tempo_map=[TempoChange(0, 90), TempoChange(8, 100)]),
        Retrieval(broad=[Reference(entry, "broad", 0.5, ["mode"])], targeted=[]),
        VideoTiming(duration_s=5.0, cuts_s=[1.2], motion=[0.1, 0.2]),
        lead, entry,
    ]
    for obj in objects:
        assert type(obj).from_json(obj.to_json()) == obj


def test_beats_and_seconds_follow_the_tempo_map():
    score = Score(tracks=[], tempo_map=[TempoChange(0, 120), TempoChange(4, 60)])
    assert score.beat_to_seconds(4) == pytest.approx(2.0)
    assert score.beat_to_seconds(6) == pytest.approx(4.0)
    for beat in (0.0, 1.5, 4.0, 7.25):
        assert score.seconds_to_beat(score.beat_to_seconds(beat)) == pytest.approx(beat)
    assert Score(tracks=[], meter="6/8").beats_per_bar == 3.0


def test_merged_lets_the_override_win_and_never_excludes_a_requested_instrument():
    base = Attributes(moods=["sad"], tempo_bpm=70.0, excluded_instruments=["drums", "piano"])
    merged = base.merged(Attributes(moods=["happy"], instruments=["piano"]))
    assert merged.moods == ["happy"] and merged.tempo_bpm == 70.0
    assert merged.instruments == ["piano"] and merged.excluded_instruments == ["drums"]
    assert base.moods == ["sad"]  # the original is untouched


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
