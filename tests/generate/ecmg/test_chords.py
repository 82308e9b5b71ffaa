"""Chord templates (vmb.generate.ecmg.chords): a chroma is named by the best-fitting chord."""

import numpy as np

from vmb.generate.ecmg.chords import match_chord


def test_match_chord_names_templates():
    chroma = np.zeros(12)
    chroma[[7, 11, 2, 5]] = 1.0
    assert match_chord(chroma) == (7, "7")
    chroma = np.zeros(12)
    chroma[[9, 0, 4]] = 1.0
    assert match_chord(chroma) == (9, "min")
