"""The piano-roll codec (vmb.generate.ecmg.roll): encode/decode round trips, meters, thresholds, melody runs."""

import numpy as np
import pytest

from vmb.generate.ecmg.layout import LAYOUT
from vmb.generate.ecmg.roll import PianoRoll
from vmb.testing import fake_lead_sheet
from vmb.types import Chord, LeadSheet, Note


def _notes(sheet):
    return [(n.pitch, n.start, n.duration) for n in sheet.melody]


def _chords(sheet):
    return [(c.start, c.duration, c.root, c.quality, c.bass) for c in sheet.chords]


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8", "2/4"])
@pytest.mark.parametrize("mode", ["major", "minor"])
def test_round_trip_recovers_melody_and_chords(meter, mode):
    sheet = fake_lead_sheet(3, meter=meter, mode=mode, n_bars=8)
    rep = PianoRoll()
    roll = rep.encode(sheet)
    assert roll.shape == (8 * 16, LAYOUT.channels)
    assert set(np.unique(roll)) <= {-1.0, 1.0}
    back = rep.decode(roll, key=sheet.key, mode=mode, meter=meter, length_beats=sheet.length_beats)
    assert _notes(back) == _notes(sheet)
    assert _chords(back) == _chords(sheet)
    assert (back.key, back.mode, back.meter) == (sheet.key, mode, meter)


def test_encoding_is_key_relative():
    c = fake_lead_sheet(5, key="C", n_bars=4)
    shift = 7
    g = LeadSheet(
        melody=[Note(n.pitch + shift, n.start, n.duration) for n in c.melody],
        chords=[Chord(ch.start, ch.duration, (ch.root + shift) % 12, ch.quality) for ch in c.chords],
        key="G", meter=c.meter, length_beats=c.length_beats,
    )
    assert np.array_equal(PianoRoll().encode(c), PianoRoll().encode(g))


def test_padding_rows_of_short_meters_are_silent_and_ignored():
    sheet = fake_lead_sheet(1, meter="3/4", n_bars=4)
    roll = PianoRoll().encode(sheet)
    pad = np.tile(np.arange(16) >= 12, 4)
    assert (roll[pad] == -1).all()
    roll[pad, LAYOUT.mel.start + 20] = 1.0  # garbage in the padding must not become notes
    back = PianoRoll().decode(roll, key=sheet.key, meter="3/4", length_beats=sheet.length_beats)
    assert _notes(back) == _notes(sheet)


def test_decode_thresholds_noisy_values():
    sheet = fake_lead_sheet(2, n_bars=4)
    roll = PianoRoll().encode(sheet)
    noisy = 0.6 * roll + np.random.default_rng(0).uniform(-0.3, 0.3, roll.shape).astype(np.float32)
    back = PianoRoll().decode(noisy, key=sheet.key, length_beats=sheet.length_beats)
    assert _notes(back) == _notes(sheet)


def _one_bar_melody(pitches, onsets) -> np.ndarray:
    """A 16-row roll whose melody sounds ``pitches`` (index per row) with onset flags at ``onsets``."""
    roll = np.full((16, LAYOUT.channels), -1.0, np.float32)
    for row, index in enumerate(pitches):
        roll[row, LAYOUT.mel.start + index] = 1.0
    roll[list(onsets), LAYOUT.mel_onset] = 1.0
    return roll


def test_brief_pitch_flicker_inside_a_held_note_is_not_a_new_note():
    # one whole note with onset at 0; rows 6-7 flicker a step up without an onset flag
    roll = _one_bar_melody([17] * 6 + [19] * 2 + [17] * 8, [0])
    melody = PianoRoll().decode(roll, key="C", length_beats=4.0).melody
    assert [(n.pitch, n.start, n.duration) for n in melody] == [(43 + 17, 0.0, 4.0)]


def test_notes_start_on_onset_flags_and_on_lasting_pitch_changes():
    # flagged repeat at row 4, then an unflagged change that lasts a beat on both sides
    roll = _one_bar_melody([17] * 8 + [21] * 8, [0, 4])
    melody = PianoRoll().decode(roll, key="C", length_beats=4.0).melody
    assert [(n.pitch, n.start, n.duration) for n in melody] == [(60, 0.0, 1.0), (60, 1.0, 1.0), (64, 2.0, 2.0)]
