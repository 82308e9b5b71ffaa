"""Roll edits (vmb.generate.ecmg.roll_edit): windows padded with silence, parallel-mode rewrites."""

import numpy as np

from vmb.generate.ecmg.layout import LAYOUT, SEGMENT_STEPS
from vmb.generate.ecmg.roll import PianoRoll
from vmb.generate.ecmg.roll_edit import crop_segment, to_mode
from vmb.testing import fake_lead_sheet
from vmb.types import Chord, LeadSheet, Note


def test_crop_segment_pads_with_silence():
    roll = PianoRoll().encode(fake_lead_sheet(0, n_bars=6))
    seg = crop_segment(roll, 4)
    assert seg.shape == (SEGMENT_STEPS, LAYOUT.channels)
    assert np.array_equal(seg[:32], roll[64:96])
    assert (seg[32:] == -1).all()


def test_to_mode_moves_the_third_sixth_and_seventh_and_back():
    sheet = LeadSheet(melody=[Note(60 + pc, float(i), 1.0) for i, pc in enumerate([0, 2, 4, 5, 7, 9, 11])],
                      chords=[Chord(0.0, 7.0, 0, "maj")], key="C", mode="major", meter="4/4", length_beats=8.0)
    rep = PianoRoll()
    roll = rep.encode(sheet)
    minor = to_mode(roll, "major", "minor")
    back = rep.decode(minor, key="C", mode="minor", length_beats=8.0)
    assert [n.pitch - 60 for n in back.melody] == [0, 2, 3, 5, 7, 8, 10]
    assert (back.chords[0].root, back.chords[0].quality) == (0, "min")
    assert np.array_equal(to_mode(minor, "minor", "major"), roll)
    assert to_mode(roll, "major", "major") is roll
