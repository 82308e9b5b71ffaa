"""Sections that follow what a video's shots show (vmb.video.sections.content_sections)."""

from __future__ import annotations

from vmb.types import Score, ShotMood, TempoChange, VideoTiming
from vmb.video.sections import content_reason, content_sections, plan_sections, shot_kinds

CLOCK = Score(tracks=[], tempo_map=[TempoChange(0.0, 120.0)])  # 2 s per 4/4 bar
SPEECH = dict(valence=-0.1, arousal=-0.5, seen="one neutral face")
PARTY = dict(valence=0.7, arousal=0.6, seen="five smiling faces")


def _timing(duration: float, cuts: list[float]) -> VideoTiming:
    times = [i * 0.5 for i in range(int(duration * 2) + 1)]
    return VideoTiming(duration_s=duration, cuts_s=cuts, curve_times_s=times, intensity=[0.5] * len(times))


def test_shots_that_read_alike_leave_the_intensity_plan():
    alike = [ShotMood(0, 20, 0.3, 0.2), ShotMood(20, 40, 0.4, 0.3), ShotMood(40, 60, 0.35, 0.1)]
    assert shot_kinds(alike) is None
    assert content_sections(_timing(60, [20, 40]), CLOCK, 120.0, 4.0, alike) is None
    assert shot_kinds([ShotMood(0, 30, **SPEECH), ShotMood(30, 60, **PARTY), ShotMood(60, 70, **SPEECH)]) == [0, 1, 0]


def test_a_speech_then_its_party_get_their_own_sections_on_bar_lines():
    shots = [ShotMood(0, 20, **SPEECH), ShotMood(20, 60, **PARTY)]
    timing = _timing(60, [20])
    sections = content_sections(timing, CLOCK, 120.0, 4.0, shots)
    assert [(s.name, s.start, s.end) for s in sections] == [
        ("intro", 0, 8), ("A", 8, 40), ("B", 40, 112), ("outro", 112, 120)]
    by_name = {s.name: s for s in sections}
    assert by_name["B"].energy > by_name["A"].energy + 0.25  # arousal +0.6 vs -0.5 on an even intensity curve
    reason = content_reason(sections, CLOCK, shots)
    assert "A 4-20 s (one neutral face" in reason and "B 20-56 s (five smiling faces" in reason
    plain = plan_sections(timing, CLOCK, 120.0, 4.0)
    assert [s.name for s in plain] != [s.name for s in sections]  # the flat curve alone has no A/B contrast


def test_returning_content_returns_to_its_letter_and_a_flash_joins_its_neighbour():
    shots = [ShotMood(0, 16, **SPEECH), ShotMood(16, 32, **PARTY), ShotMood(32, 33, **SPEECH),
             ShotMood(33, 48, **PARTY), ShotMood(48, 64, **SPEECH)]
    sections = content_sections(_timing(64, [16, 32, 33, 48]), CLOCK, 128.0, 4.0, shots)
    names = [s.name for s in sections]
    assert names == ["intro", "A", "B", "A", "outro"]
    assert sections[2].start == 32 and sections[2].end == 96  # the 1 s flash at 32 s stayed inside B
    assert all(a.end == b.start for a, b in zip(sections, sections[1:])) and sections[-1].end == 128.0


def test_a_short_piece_has_no_intro_and_each_section_ends_on_a_bar():
    shots = [ShotMood(0, 6, **PARTY), ShotMood(6, 12, **SPEECH)]
    sections = content_sections(_timing(12, [6]), CLOCK, 23.0, 4.0, shots)  # 5.75 bars
    assert [(s.name, s.start, s.end) for s in sections] == [("A", 0, 12), ("B", 12, 23.0)]
