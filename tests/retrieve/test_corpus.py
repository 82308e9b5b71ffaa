"""Tune extraction from the music21 corpus: layout, sections, key, harmoniser, tags."""

import numpy as np
import pytest

from vmb.retrieve.harmony import find_key, harmonise, metric_weight, name_chord
from vmb.retrieve.tagging import TuneInfo, tag_tune
from vmb.types import LeadSheet, Note

music21 = pytest.importorskip("music21")

from vmb.retrieve import corpus  # noqa: E402  (needs music21)

# A reel-like tune with a pickup, two repeated strains and first/second endings on the second.
ABC = """X:1
T:Test Reel
R:reel
M:4/4
L:1/8
K:G
D2|G2B2 d2B2|c2A2 F2A2|G2B2 d2g2|f2a2 g4:|
|:Bc|d2g2 g2fg|a2f2 d2ef|g2e2 c2A2|1 F2A2 G2:|2 F2A2 G4||

X:2
T:Second
M:3/4
L:1/4
K:Dm
D E F|A2 A|G F E|D3|
"""


def _parse(text):
    from music21 import converter

    return converter.parse(text, format="abc")


def test_split_abc_reads_header_fields():
    tunes = corpus.split_abc(ABC)
    assert [t.index for t in tunes] == [0, 1]
    assert tunes[0].first("T") == "Test Reel" and tunes[0].first("R") == "reel"
    assert tunes[1].first("K") == "Dm"


def test_layout_keeps_pickup_in_padded_bar_and_drops_first_ending():
    tune = corpus.split_abc(ABC)[0]
    sheet = corpus.lead_sheet_from_part(_parse(tune.text).parts[0], title="t", source="s")
    assert sheet.meter == "4/4" and sheet.key == "G" and sheet.mode == "major"
    first = sheet.melody[0]
    assert first.start == pytest.approx(3.0) and first.pitch == 62  # D pickup on beat 4 of bar 0
    assert sheet.sections[0].start == 4.0  # sections start at the first full bar
    # strain A: 4 bars after the pickup bar; strain B keeps only the second ending: 4 bars
    assert sheet.length_beats == pytest.approx(4 + 16 + 16)
    assert any(s.start == pytest.approx(20.0) for s in sheet.sections)  # B strain starts at bar 5
    ends = [n.start + n.duration for n in sheet.melody]
    assert max(ends) <= sheet.length_beats + 1e-9
    # second ending's long G closes the tune on the tonic
    assert sheet.melody[-1].pitch % 12 == 7 and sheet.melody[-1].duration == pytest.approx(2.0)
    # chords tile the whole tune and end on I
    assert sheet.chords[0].start == 0.0
    assert sum(c.duration for c in sheet.chords) == pytest.approx(sheet.length_beats)
    assert sheet.chords[-1].root == 7 and sheet.chords[-1].quality == "maj"


def test_explicit_minor_key_and_unsupported_meter():
    tunes = corpus.split_abc(ABC)
    minor = corpus.lead_sheet_from_part(_parse(tunes[1].text.replace("|\n", "|D E F|A2 A|G F E|D3|\n")).parts[0],
                                        title="m", source="s")
    assert minor is not None and (minor.key, minor.mode, minor.meter) == ("D", "minor", "3/4")
    odd = tunes[1].text.replace("M:3/4", "M:5/4").replace("D E F|", "D E F G A|")
    assert corpus.lead_sheet_from_part(_parse(odd).parts[0], title="x", source="s") is None


def test_entries_from_a_corpus_tune_book():
    entries = corpus.entries_from_abc("oneills1850/0001-0050.abc", limit=4)
    assert len(entries) >= 3
    for e in entries:
        sheet = e.lead_sheet
        assert e.source.startswith("music21:oneills1850/0001-0050.abc#")
        assert e.mode in ("major", "minor") and e.meter in ("4/4", "3/4", "6/8", "2/4")
        assert e.bpm and e.tempo_class in ("slow", "medium", "fast") and e.description.endswith(".")
        assert e.moods and e.instruments and e.genres == ["folk"]
        assert all(0 <= n.start and n.start + n.duration <= sheet.length_beats + 1e-9 for n in sheet.melody)
        assert all(abs(n.start * 48 - round(n.start * 48)) < 1e-6 for n in sheet.melody)


def test_chorale_takes_chords_from_the_voices():
    e = corpus.entry_from_chorale("bach/bwv66.6.mxl")
    sheet = e.lead_sheet
    assert e.genres == ["classical"] and "choir" in e.instruments and e.tempo_class == "slow"
    assert (sheet.key, sheet.mode) == ("F#", "minor")
    assert sum(c.duration for c in sheet.chords) == pytest.approx(sheet.length_beats)
    qualities = {c.quality for c in sheet.chords}
    assert len(sheet.chords) > 20 and qualities & {"7", "min7", "dim", "m7b5"}  # real voice leading
    assert len(sheet.sections) >= 4  # phrases at the fermatas
    assert sheet.chords[-1].root in (6, 1)  # ends on the tonic (or a Picardy/half cadence on V)


# --------------------------------------------------------------------------- pure functions


def _melody(pitches, step=1.0):
    return [Note(p, i * step, step) for i, p in enumerate(pitches)]


def test_harmoniser_picks_tonic_and_dominant_on_obvious_melodies():
    # C E G C | B D G D | C E G E | G B D B | C (held)
    line = [60, 64, 67, 72, 71, 74, 67, 74, 60, 64, 67, 64, 67, 71, 74, 71, 72, 72, 72, 72]
    chords = harmonise(_melody(line), tonic=0, mode="major", meter="4/4", length_beats=20.0,
                       phrase_ends=[20.0])
    at = {c.start: (c.root, c.quality) for c in chords}
    assert at[0.0] == (0, "maj")
    assert at[4.0][0] == 7 and at[12.0][0] == 7  # G B D bars -> V
    assert chords[-1].root == 0 and chords[-1].start <= 16.0
    assert sum(c.duration for c in chords) == pytest.approx(20.0)


def test_harmoniser_in_minor_uses_major_dominant():
    # A C E A | G# B E B | A (held)
    line = [69, 72, 76, 81, 68, 71, 76, 71, 69, 69, 69, 69]
    chords = harmonise(_melody(line), tonic=9, mode="minor", meter="4/4", length_beats=12.0)
    assert (chords[0].root, chords[0].quality) == (9, "min")
    assert any(c.root == 4 and c.quality in ("maj", "7") for c in chords)
    assert (chords[-1].root, chords[-1].quality) == (9, "min")


def test_find_key_and_chord_names():
    assert find_key(_melody([60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]), "4/4") == (0, "major")
    assert find_key(_melody([69, 71, 72, 74, 76, 77, 80, 81, 76, 72, 69]), "4/4") == (9, "minor")
    w = np.zeros(12)
    w[[7, 11, 2, 5]] = 1.0
    assert name_chord(w, bass_pc=7) == (7, "7", None)
    w = np.zeros(12)
    w[[0, 4, 7]] = [1, 1, 1]
    assert name_chord(w, bass_pc=4) == (0, "maj", 4)  # first inversion keeps a slash bass
    assert metric_weight(0, "6/8") > metric_weight(1.5, "6/8") > metric_weight(0.5, "6/8")


def test_tags_follow_content():
    sheet = LeadSheet(melody=_melody([62, 66, 69] * 8, 0.5), chords=[], meter="6/8", mode="major",
                      key="D", length_beats=12.0)
    jig = tag_tune("x#1", TuneInfo("ryansMammoth", title="The Kesh Jig"), sheet)
    assert jig.tune_type == "jig" and jig.tempo_class == "fast" and "happy" in jig.moods
    assert jig.bpm == 120  # 6/8 BPM counts dotted quarters
    marked = tag_tune("x#1", TuneInfo("airdsAirs", title="The Kesh", tempo="3/8=100"), sheet)
    assert marked.bpm == 100 and marked.tempo_class == "medium"
    slow = LeadSheet(melody=_melody([62, 65, 69, 65] * 4), chords=[], meter="3/4", mode="minor",
                     key="D", length_beats=16.0)
    air = tag_tune("y#2", TuneInfo("oneills1850", title="Lament", notes='"Very slow"'), slow)
    assert air.tempo_class == "slow" and {"sad", "melancholic"} & set(air.moods)
    texts = {tag_tune(f"z#{i}", TuneInfo("essenFolksong", title="Lied"), slow).description for i in range(12)}
    assert len(texts) >= 4  # wording varies between tunes
    assert tag_tune("z#1", TuneInfo("essenFolksong"), slow) == tag_tune("z#1", TuneInfo("essenFolksong"), slow)


def test_build_script_sample_is_reproducible(tmp_path):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "build_tunes", Path(__file__).resolve().parents[2] / "scripts" / "build_tunes.py")
    build_tunes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_tunes)
    from vmb.retrieve.tunes import load_tunes

    out = tmp_path / "tunes.jsonl.gz"
    stats = build_tunes.build(8, 1, tmp_path / "cache", out, embed=False)
    first = out.read_bytes()
    assert 4 <= stats["tunes"] <= 8 and set(stats["by_mode"]) <= {"major", "minor"}
    entries = load_tunes(out)
    assert len(entries) == stats["tunes"] and all(e.lead_sheet.melody for e in entries)
    build_tunes.build(8, 1, tmp_path / "cache", out, embed=False)  # from the cache
    assert out.read_bytes() == first
