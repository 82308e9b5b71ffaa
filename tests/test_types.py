"""The shared types (vmb.types): JSON round trip, beat/second conversion, attribute merging."""

from __future__ import annotations

import pytest

from vmb.types import (
    Attributes,
    Chord,
    LeadSheet,
    LibraryEntry,
    MusicDescription,
    Note,
    Reference,
    Retrieval,
    Score,
    Section,
    TempoChange,
    Track,
    VideoTiming,
)


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
