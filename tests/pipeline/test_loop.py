"""vmb.pipeline.loop: whole bars at a nudged tempo, the extra bar cut, the tail wrapped."""

from __future__ import annotations

import numpy as np
import pytest

from vmb import VmbError
from vmb.pipeline.loop import cut_for_loop, loop_from_plan, loop_plan, wrap_tail
from vmb.types import Attributes, Note, Score, Section, Track


@pytest.mark.parametrize("duration, bpm, meter", [(16.0, 120.0, "4/4"), (10.0, 100.0, "3/4"), (12.0, 138.0, "6/8")])
def test_loop_plan_fills_the_length_with_whole_bars(duration, bpm, meter):
    bar = Score(tracks=[], meter=meter).beats_per_bar
    loop_beats, tempo_map, length_beats, sections = loop_plan(duration, bpm, meter, Attributes(energy=0.5))
    assert loop_beats % bar == 0 and length_beats == loop_beats + bar  # one bar more, cut away later
    assert loop_beats * 60.0 / tempo_map[0].bpm == pytest.approx(duration)  # the loop lasts exactly the length
    assert [s.name for s in sections] == ["A", "ending"] and sections[-1].start == loop_beats


def test_a_nudge_beyond_three_percent_is_announced():
    with pytest.warns(UserWarning, match="whole bars at"):
        loop_plan(8.0, 157.0, "4/4", Attributes())  # 5 bars need 150 BPM


def test_an_impossible_loop_length_is_refused():
    with pytest.raises(VmbError, match="cannot hold whole bars"):
        loop_plan(1.5, 120.0, "4/4", Attributes())  # two bars, the fewest, would need 320 BPM


def test_loop_from_plan_needs_whole_bars_and_plays_intro_and_outro_as_phrases():
    sections = [Section("intro", 0, 8), Section("A", 8, 24), Section("outro", 24, 32)]
    loop_beats, length_beats, out = loop_from_plan(32.0, sections, "4/4")
    assert (loop_beats, length_beats) == (32.0, 36.0)
    assert [s.name for s in out] == ["A", "A", "A", "ending"]
    with pytest.raises(VmbError, match="whole bars"):
        loop_from_plan(30.0, sections, "4/4")


def test_cut_for_loop_drops_the_extra_bar_and_shortens_what_rings_over():
    track = Track(name="melody", program=0, notes=[Note(60, 0.0, 1.0), Note(62, 15.0, 2.0), Note(64, 16.0, 1.0)])
    score = Score(tracks=[track], meter="4/4", sections=[Section("A", 0, 16), Section("ending", 16, 20)])
    cut = cut_for_loop(score, 16.0)
    assert [(n.pitch, n.duration) for n in cut.tracks[0].notes] == [(60, 1.0), (62, 1.0)]
    assert [s.name for s in cut.sections] == ["A"] and cut.length_beats == 16.0


def test_wrap_tail_folds_the_ring_onto_the_start():
    audio = np.zeros((150, 2), np.float32)
    audio[100:130] = 0.5  # rings past the loop point at 100
    looped = wrap_tail(audio, 100)
    assert looped.shape == (100, 2) and np.all(looped[:30] == 0.5) and np.all(looped[30:] == 0)


def test_a_one_bar_video_loop_is_accepted():
    """A 4 s banner at 60 BPM plans one bar: it loops as that bar (it was refused as 'not whole bars')."""
    loop_beats, length_beats, sections = loop_from_plan(4.0, None, "4/4")
    assert (loop_beats, length_beats) == (4.0, 8.0) and [s.name for s in sections] == ["A", "ending"]
    with pytest.raises(VmbError, match=r"\(0.75 bars\)"):
        loop_from_plan(3.0, None, "4/4")
