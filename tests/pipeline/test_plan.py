"""plan_music's form: a genre with a typical form (genres.toml) plays text and image requests in it."""

import pytest

from vmb.knowledge import FormSection
from vmb.pipeline import plan_music
from vmb.pipeline.plan import form_sections
from vmb.types import Attributes

FORM = (FormSection("intro", 4, 0.3), FormSection("build", 4, 0.6), FormSection("drop", 8, 1.0),
        FormSection("breakdown", 4, 0.3))


def bars(sections, bar=4.0):
    return [(s.name, s.start / bar, s.end / bar) for s in sections]


def test_a_piece_as_long_as_the_form_plays_it_as_written():
    assert bars(form_sections(FORM, 80.0, 4.0)) == [("intro", 0, 4), ("build", 4, 8), ("drop", 8, 16),
                                                    ("breakdown", 16, 20)]


def test_a_shorter_piece_scales_it_and_a_longer_one_repeats_what_follows_the_intro():
    assert bars(form_sections(FORM, 40.0, 4.0)) == [("intro", 0, 2), ("build", 2, 4), ("drop", 4, 8),
                                                    ("breakdown", 8, 10)]
    long = form_sections(FORM, 4.0 * 36, 4.0)  # 20 bars of form, then the 16-bar body once more
    assert [s.name for s in long] == ["intro", "build", "drop", "breakdown", "build", "drop", "breakdown"]
    assert long[-1].end == 144.0 and all(a.end == b.start for a, b in zip(long, long[1:]))
    tiny = form_sections(FORM, 4.0, 4.0)
    assert len(tiny) == 1 and (tiny[0].start, tiny[0].end) == (0.0, 4.0)


@pytest.mark.parametrize("length", [7.3, 61.0, 130.5])
def test_sections_cover_the_piece_on_bar_lines(length):
    sections = form_sections(FORM, length, 3.0)
    assert sections[0].start == 0 and sections[-1].end == length
    assert all(s.start % 3.0 == 0 and s.start < s.end for s in sections)
    assert all(a.name != b.name for a, b in zip(sections, sections[1:]))  # neighbours merged


def test_electronic_is_planned_in_its_form_and_others_are_left_to_the_composer():
    edm = plan_music(Attributes(genres=["edm"], tempo_bpm=120.0), meter="4/4", duration_s=32.0)  # 16 bars
    assert [s.name for s in edm.sections] == ["intro", "build", "drop", "breakdown", "build", "drop"]
    assert max(s.energy for s in edm.sections) == 1.0 and edm.sections[-1].end == edm.length_beats
    assert plan_music(Attributes(genres=["jazz"], tempo_bpm=120.0), meter="4/4", duration_s=32.0).sections is None
    assert plan_music(Attributes(tempo_bpm=120.0), meter="4/4", duration_s=32.0).sections is None
    loop = plan_music(Attributes(genres=["electronic"], tempo_bpm=120.0), meter="4/4", duration_s=32.0, loop=True)
    assert "drop" not in [s.name for s in loop.sections or []]  # a loop keeps its own seamless form
