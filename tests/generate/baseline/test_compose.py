"""The baseline composer: exact length, form, cadence, key, sections, determinism."""

import math

import numpy as np
import pytest

from vmb import VmbError
from vmb.generate.baseline import compose_lead_sheet
from vmb.generate.baseline.parts import HIGH, LOW
from vmb.types import Attributes, Chord, LeadSheet, Note, Section
from vmb.vocab import key_pitch_class


def _tune(meter="4/4", mode="major", pickup=True) -> LeadSheet:
    """An 8-bar tune in G (or E minor) with a one-beat pickup and I-IV-V-I chords."""
    num, den = (int(x) for x in meter.split("/"))
    bar = num * 4 / den
    tonic = 7 if mode == "major" else 4
    scale = [0, 2, 4, 5, 7, 9, 11] if mode == "major" else [0, 2, 3, 5, 7, 8, 10]
    body = bar if pickup else 0.0
    melody = [Note(62 + (0 if mode == "major" else -3), body - 1.0, 1.0)] if pickup else []
    chords = [Chord(0.0, body, tonic, "maj" if mode == "major" else "min")] if pickup else []
    prog = [0, 5, 7, 0, 0, 5, 7, 0]
    for b in range(8):
        lo = body + b * bar
        steps = int(bar / 0.5) if b % 2 == 0 else int(bar)
        dur = bar / steps
        for s in range(steps):
            degree = (b * 2 + s) % 7 if b < 7 else 0
            melody.append(Note(60 + tonic + scale[degree] - 12 * (tonic > 5), lo + s * dur, dur))
        root = (tonic + prog[b]) % 12
        quality = "maj" if prog[b] == 7 or mode == "major" else "min"
        chords.append(Chord(lo, bar, root, quality))
    last = melody[-1]
    melody = [n for n in melody if n.start < body + 7 * bar] + [Note(last.pitch, body + 7 * bar, bar)]
    sections = [Section("A", body, body + 4 * bar), Section("B", body + 4 * bar, body + 8 * bar)]
    return LeadSheet(melody=melody, chords=chords, sections=sections, key="G" if mode == "major" else "E",
                     mode=mode, meter=meter, length_beats=body + 8 * bar, title="test tune", source="test")


def _bar(meter):
    num, den = (int(x) for x in meter.split("/"))
    return num * 4 / den


def _check(sheet: LeadSheet, L: float, key: str, mode: str):
    bar = _bar(sheet.meter)
    tonic = key_pitch_class(key)
    assert sheet.length_beats == L and (sheet.key, sheet.mode) == (key, mode)
    # chords tile [0, L] exactly
    assert sheet.chords[0].start == 0.0
    for a, b in zip(sheet.chords, sheet.chords[1:]):
        assert a.start + a.duration == pytest.approx(b.start) and a.duration > 0
    last = sheet.chords[-1]
    assert last.start + last.duration == pytest.approx(L, abs=1e-9)
    # the ending: tonic chord from the last downbeat at least 2 beats before the end
    F = max(0, math.floor((L - 2) / bar + 1e-9)) * bar if L >= 2 else 0.0
    assert last.root == tonic and last.start == pytest.approx(F)
    assert last.quality == ("maj" if mode == "major" else "min")
    final = sheet.melody[-1]
    assert final.pitch % 12 == tonic and final.start == pytest.approx(F)
    assert final.start + final.duration == pytest.approx(L)
    assert sheet.sections[-1].name == "ending" and sheet.sections[-1].end == L
    assert sheet.sections[0].start == 0.0
    for a, b in zip(sheet.sections, sheet.sections[1:]):
        assert a.end == pytest.approx(b.start)
    for n in sheet.melody:
        assert 0 <= n.start and n.duration > 0 and n.start + n.duration <= L + 1e-9
        assert LOW <= n.pitch <= HIGH
    starts = [n.start for n in sheet.melody]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # monophonic
    if F >= 2 * bar:  # a dominant leads into the final tonic
        before = [c for c in sheet.chords if c.start < F][-1]
        assert before.root == (tonic + 7) % 12


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8", "2/4"])
def test_length_is_exact_for_many_lengths_and_tempos(meter):
    ref = _tune(meter)
    for bpm in (60, 97, 128, 174):
        for seconds in (5, 7.3, 18, 31.7, 60, 125):
            L = seconds * bpm / 60.0
            sheet = compose_lead_sheet(ref, Attributes(key="D", energy=0.6), length_beats=L, seed=3)
            _check(sheet, L, "D", "major")


def test_ten_minute_piece_repeats_and_varies_the_tune():
    L = 600 * 120 / 60.0
    sheet = compose_lead_sheet(_tune(), Attributes(key="A"), length_beats=L, seed=1)
    _check(sheet, L, "A", "major")
    names = [s.name for s in sheet.sections]
    assert names[0] == "intro" and names[1] == "A" and "B" in names and "A'" in names
    # repeats of the A strain are varied, each pass as a whole (same pitch shift in all its bars)
    a_passes = [s for s in sheet.sections if s.name.startswith("A")]
    contents = {tuple((n.pitch, round(n.start - s.start, 6)) for n in sheet.melody if s.start <= n.start < s.end)
                for s in a_passes[:6]}
    assert len(contents) > 1
    energies = [s.energy for s in sheet.sections[1:-1]]
    assert max(energies) > energies[0]  # rises after the start
    bar = 4.0
    intro_end = sheet.sections[1].start
    assert 1 * bar <= intro_end <= 4 * bar
    assert not [n for n in sheet.melody if n.start < intro_end - 1.0]  # intro: chords only (+pickup)


def test_transposes_to_the_requested_key_and_mode():
    ref = _tune()
    in_d = compose_lead_sheet(ref, Attributes(key="D"), length_beats=64.0, seed=5)
    in_f = compose_lead_sheet(ref, Attributes(key="F"), length_beats=64.0, seed=5)
    assert len(in_d.melody) == len(in_f.melody)
    assert all((f.pitch - d.pitch) % 12 == 3 for d, f in zip(in_d.melody, in_f.melody))
    assert all((f.root - d.root) % 12 == 3 for d, f in zip(in_d.chords, in_f.chords))
    minor = compose_lead_sheet(ref, Attributes(key="D", mode="minor"), length_beats=64.0, seed=5)
    _check(minor, 64.0, "D", "minor")
    assert not any((n.pitch - 2) % 12 in (4, 9) for n in minor.melody)  # no major 3rd or 6th left
    own = compose_lead_sheet(ref, Attributes(), length_beats=40.0)
    assert (own.key, own.mode) == ("G", "major")
    from_minor = compose_lead_sheet(_tune(mode="minor"), Attributes(key="C", mode="major"), length_beats=40.0)
    _check(from_minor, 40.0, "C", "major")


def test_given_sections_set_boundaries_and_energies():
    ref = _tune()
    given = [Section("intro", 0, 9.0, 0.2), Section("build", 9.0, 30.5, 0.5),
             Section("climax", 30.5, 50.0, 0.95), Section("outro", 50.0, 58.0, 0.4)]
    sheet = compose_lead_sheet(ref, Attributes(key="C"), length_beats=58.0, sections=given, seed=2)
    _check(sheet, 58.0, "C", "major")
    got = {s.name: s for s in sheet.sections}
    assert list(got)[:4] == ["intro", "build", "climax", "outro"]
    assert got["build"].start == 8.0 and got["climax"].start == 32.0  # snapped to bar lines
    assert got["climax"].energy == 0.95 and got["intro"].energy == 0.2
    assert got["ending"].start == 56.0 and got["ending"].energy == 0.4
    loud = np.mean([n.velocity for n in sheet.melody if 32 <= n.start < 48])
    soft = np.mean([n.velocity for n in sheet.melody if 8 <= n.start < 32])
    assert loud > soft
    with pytest.raises(VmbError):
        compose_lead_sheet(ref, Attributes(), length_beats=40.0, sections=[Section("x", 5, 5, 0.5)])


def test_meter_change_and_deterministic_seeds():
    ref = _tune("3/4")
    a = compose_lead_sheet(ref, Attributes(key="E"), length_beats=90.0, meter="4/4", seed=7)
    _check(a, 90.0, "E", "major")
    assert a.meter == "4/4"
    b = compose_lead_sheet(ref, Attributes(key="E"), length_beats=90.0, meter="4/4", seed=7)
    assert a.to_dict() == b.to_dict()
    others = [compose_lead_sheet(ref, Attributes(key="E"), length_beats=90.0, meter="4/4", seed=s).to_dict()
              for s in range(1, 5)]
    assert any(o != a.to_dict() for o in others)


def test_short_pieces_and_bad_input():
    ref = _tune()
    tiny = compose_lead_sheet(ref, Attributes(key="G"), length_beats=1.5)
    _check(tiny, 1.5, "G", "major")
    five_s = compose_lead_sheet(ref, Attributes(key="G"), length_beats=10.0)
    _check(five_s, 10.0, "G", "major")
    assert [s.name for s in five_s.sections][-1] == "ending" and len(five_s.melody) > 3
    with pytest.raises(VmbError):
        compose_lead_sheet(ref, Attributes(), length_beats=0.0)
    with pytest.raises(VmbError):
        compose_lead_sheet(ref, Attributes(), length_beats=16.0, meter="5/4")


def test_reference_is_not_modified():
    ref = _tune()
    before = ref.to_dict()
    compose_lead_sheet(ref, Attributes(key="Bb", mode="minor", energy=0.9), length_beats=77.7, seed=4)
    assert ref.to_dict() == before
