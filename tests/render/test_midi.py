"""write_midi / read_midi: round trip of notes, programs, tempo map, drums, meter, key, sections."""

from __future__ import annotations

import mido
import pytest

from vmb import VmbError
from vmb.render import read_midi, write_midi
from vmb.types import Note, Score, Section, TempoChange, Track


def _score() -> Score:
    melody = [Note(74, 0.0, 1.5, 100), Note(76, 1.5, 0.5, 80), Note(74, 2.0, 1.0, 64), Note(74, 3.0, 1.0, 90)]
    chords = [Note(p, 0.0, 6.0, 70) for p in (50, 53, 57)] + [Note(55, 6.0, 0.25, 1)]
    drums = [Note(36, 0.0, 0.25, 110), Note(42, 0.0, 0.25, 70), Note(38, 1.0, 0.25, 100)]
    return Score(
        tracks=[
            Track("melody", 73, melody, role="melody", instrument="flute", volume=0.81, pan=0.25),
            Track("chords", 0, chords, role="harmony", instrument="piano", volume=0.49, pan=-0.5),
            Track("drums", 0, drums, is_drum=True, role="drums", instrument="drums"),
        ],
        tempo_map=[TempoChange(0.0, 96.0), TempoChange(4.0, 120.0), TempoChange(6.5, 72.5)],
        key="D",
        mode="minor",
        meter="3/4",
        sections=[Section("intro", 0.0, 3.0), Section("A", 3.0, 9.0)],
        length_beats=9.0,
    )


def test_round_trip_keeps_the_music(tmp_path):
    score = _score()
    path = write_midi(tmp_path / "song.mid", score)
    back = read_midi(path)

    assert [(t.name, t.program, t.is_drum, t.role, t.instrument) for t in back.tracks] == [
        (t.name, t.program, t.is_drum, t.role, t.instrument) for t in score.tracks
    ]
    for orig, got in zip(score.tracks, back.tracks):
        key = lambda n: (n.start, n.pitch)  # noqa: E731
        want = [(n.pitch, n.start, n.duration, n.velocity) for n in sorted(orig.notes, key=key)]
        assert [(n.pitch, n.start, n.duration, n.velocity) for n in got.notes] == want
        assert got.volume == pytest.approx(orig.volume, abs=0.02)
        assert got.pan == pytest.approx(orig.pan, abs=0.02)
    assert [(c.beat, c.bpm) for c in back.tempo_map] == [
        (c.beat, pytest.approx(c.bpm, abs=0.01)) for c in score.tempo_map
    ]
    assert (back.key, back.mode, back.meter, back.length_beats) == ("D", "minor", "3/4", 9.0)
    assert [(s.name, s.start, s.end) for s in back.sections] == [("intro", 0.0, 3.0), ("A", 3.0, 9.0)]
    assert back.beat_to_seconds(8.0) == pytest.approx(score.beat_to_seconds(8.0), abs=1e-6)


def test_file_layout_is_type1_with_drums_on_channel_10(tmp_path):
    write_midi(tmp_path / "song.mid", _score())
    mid = mido.MidiFile(tmp_path / "song.mid")
    assert mid.type == 1 and mid.ticks_per_beat == 480 and len(mid.tracks) == 4
    conductor = [m.type for m in mid.tracks[0]]
    assert conductor.count("set_tempo") == 3 and "time_signature" in conductor and "key_signature" in conductor
    channels = [{m.channel for m in trk if m.type == "note_on"} for trk in mid.tracks[1:]]
    assert channels == [{0}, {1}, {9}]
    programs = [[m.program for m in trk if m.type == "program_change"] for trk in mid.tracks[1:]]
    assert programs == [[73], [0], [0]]
    # The repeated D (pitch 74 at beats 2 and 3) is released before it is struck again.
    msgs, now = [], 0
    for m in mid.tracks[1]:
        now += m.time
        if m.type in ("note_on", "note_off") and m.note == 74:
            msgs.append((now, m.type))
    assert msgs[-3:] == [(1440, "note_off"), (1440, "note_on"), (1920, "note_off")]


def test_reads_a_type0_file_with_two_channels_and_no_tempo(tmp_path):
    mid = mido.MidiFile(type=0, ticks_per_beat=96)
    trk = mido.MidiTrack()
    trk += [
        mido.Message("program_change", channel=2, program=40, time=0),
        mido.Message("note_on", channel=2, note=67, velocity=80, time=0),
        mido.Message("note_on", channel=9, note=36, velocity=100, time=0),
        mido.Message("note_on", channel=9, note=36, velocity=0, time=48),  # note-off as velocity 0
        mido.Message("note_off", channel=2, note=67, velocity=0, time=144),
        mido.Message("note_on", channel=2, note=69, velocity=70, time=0),  # never released
        mido.MetaMessage("end_of_track", time=96),
    ]
    mid.tracks.append(trk)
    mid.save(tmp_path / "t0.mid")
    score = read_midi(tmp_path / "t0.mid")
    assert score.tempo_map[0].bpm == pytest.approx(120.0) and score.meter == "4/4"
    violin, kit = score.tracks
    assert (violin.program, violin.is_drum, kit.is_drum) == (40, False, True)
    assert [(n.pitch, n.start, n.duration) for n in violin.notes] == [(67, 0.0, 2.0), (69, 2.0, 1.0)]
    assert [(n.pitch, n.start, n.duration) for n in kit.notes] == [(36, 0.0, 0.5)]


def test_bad_files_raise_vmb_error_naming_them(tmp_path):
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x90")
    with pytest.raises(VmbError, match="broken.mid"):
        read_midi(bad)
    text = tmp_path / "notes.mid"
    text.write_text("not a midi file")
    with pytest.raises(VmbError, match="notes.mid"):
        read_midi(text)
    with pytest.raises(VmbError, match="missing.mid"):
        read_midi(tmp_path / "missing.mid")


def test_write_to_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(VmbError, match="nowhere"):
        write_midi(tmp_path / "nowhere" / "x.mid", _score())
    assert not (tmp_path / "nowhere").exists()
