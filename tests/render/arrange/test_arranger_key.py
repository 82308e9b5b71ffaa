"""A Krumhansl-Schmuckler key estimator finds the lead sheet's key in the arranged notes."""

from __future__ import annotations

import pytest

from tests.fixtures.leads import estimate_key, make_lead
from vmb.render import arrange
from vmb.render.arrange.styles import STYLES
from vmb.types import Attributes, TempoChange
from vmb.vocab import PITCH_CLASS

CASES = [("C", "major", 0), ("G", "major", 1), ("Eb", "major", 2), ("F#", "major", 0),
         ("A", "minor", 0), ("D", "minor", 1), ("C#", "minor", 2), ("Bb", "minor", 0)]


@pytest.mark.parametrize("name", sorted(STYLES))
def test_key_is_found_in_every_style(name):
    hits = 0
    for i, (key, mode, progression) in enumerate(CASES):
        meter = ("4/4", "3/4", "6/8", "2/4")[i % 4]
        lead = make_lead(key, mode, meter, progression=progression, seed=i)
        score = arrange(lead, Attributes(), tempo_map=[TempoChange(0.0, 96.0)], style=name, seed=i)
        hits += estimate_key(score) == (PITCH_CLASS[key.upper()], mode)
    assert hits >= 7, f"{name}: key found in {hits} of {len(CASES)} pieces"


def test_arranging_does_not_leave_the_key():
    """Every pitched note the arranger adds is in the scale or in the lead sheet's own chord."""
    lead = make_lead("E", "minor", "4/4", progression=0)
    tonic = PITCH_CLASS["E"]
    natural = {(tonic + s) % 12 for s in (0, 2, 3, 5, 7, 8, 10)}
    for name in STYLES:
        score = arrange(lead, Attributes(), tempo_map=[TempoChange(0.0, 96.0)], style=name)
        for track in score.tracks:
            if track.is_drum:
                continue
            for n in track.notes:
                chord = max((c for c in lead.chords if c.start <= n.start + 0.02), key=lambda c: c.start)
                assert n.pitch % 12 in natural or n.pitch % 12 in chord.pitch_classes(), (name, track.name, n)
