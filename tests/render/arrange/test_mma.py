"""The MMA groove reader, on small MMA texts written here (no MMA library data in the repository)."""

from __future__ import annotations

import pytest

from vmb import VmbError
from vmb.render.arrange import mma
from vmb.vocab import DRUM_NOTES

BASIC = """
// a two-bar rock-ish groove
SeqClear
Time 4
SeqSize 2

Begin Drum Define
    D1     1 0 90
    D1234  D1 * 4
    D8     D1234 * 2
End

Begin Drum-Kick
    Tone KickDrum1
    Sequence {1 0 100; 3 0 100} {1 0 100; 2.5 0 80; 3 0 100}
End

Begin Drum-Snare
    Tone SnareDrum1
    Sequence {2 0 90; 4 0 90} /
End

Drum-Hat Tone ClosedHiHat
Drum-Hat Sequence D8
Drum-Hat Volume mp

DefGroove Basic   Kick, snare and eighth hats.
"""


def beats(groove: mma.MmaGroove, bar: int, note: int) -> list[float]:
    return [h.beat for h in groove.bar(bar) if h.note == note]


def test_tracks_sequences_and_defines():
    g = mma.parse(BASIC).grooves["BASIC"]
    assert g.name == "Basic" and g.beats_per_bar == 4 and len(g.bars) == 2
    assert beats(g, 0, 36) == [0.0, 2.0] and beats(g, 1, 36) == [0.0, 1.5, 2.0]
    assert beats(g, 0, 38) == beats(g, 1, 38) == [1.0, 3.0]  # "/" repeats the bar
    assert beats(g, 0, 42) == [i / 2 for i in range(8)]  # D1 * 4 * 2
    assert beats(g, 2, 36) == beats(g, 0, 36)  # the sequence repeats
    hat = next(h for h in g.bar(0) if h.note == 42)
    assert hat.velocity == int(90 * (0.6 * 0.7 + 0.4))  # Volume mp, mixed as MMA does


def test_groove_restore_overlay_copy_and_rests():
    text = BASIC + """
Groove Basic
Drum-Snare Sequence z {2 0 90; 4 0 90; 4.5 0 60}
Drum-Hat Sequence -
DefGroove NoHats

Groove Basic
Drum-Snare Groove NoHats
Drum-Clap Copy Drum-Snare
Drum-Clap Tone HandClap
DefGroove Clapped
"""
    grooves = mma.parse(text).grooves
    no_hats = grooves["NOHATS"]
    assert beats(no_hats, 0, 38) == [] and beats(no_hats, 1, 38) == [1.0, 3.0, 3.5]
    assert not beats(no_hats, 0, 42) and not beats(no_hats, 1, 42)
    clapped = grooves["CLAPPED"]
    assert beats(clapped, 1, 39) == beats(clapped, 1, 38) == [1.0, 3.0, 3.5]
    assert beats(clapped, 0, 42)  # the overlay changed the snare only
    assert beats(grooves["BASIC"], 0, 38) == [1.0, 3.0]  # an earlier groove is left as it was


def test_shift_offsets_lengths_and_per_bar_tones():
    text = """
SeqSize 2
Drum Define Off 1 0 80 * 4 Shift .5
Drum-Perc Sequence {Off; 1+8 0 70; 3-16 0 70}
Drum-Perc Tone LowConga 62
DefGroove G
"""
    g = mma.parse(text).grooves["G"]
    assert beats(g, 0, 64) == [0.5, 0.5, 1.5, 1.75, 2.5, 3.5]  # 1+8 lands on the "and" of 1
    assert beats(g, 1, 62) == beats(g, 0, 64)  # the second bar's tone is note 62
    assert mma._length("4.") == 1.5 and mma._length("8+16") == 0.75 and mma._length("3:4") == pytest.approx(1 / 3)
    assert mma._length("96t") == 0.5 and mma._length("1-4") == 3.0


def test_swing_mode_moves_offbeat_eighths():
    text = """
SwingMode On Skew=66
Drum-Hat Tone ClosedHiHat
Drum-Hat Sequence {1 0 90; 1.5 0 70; 2 8 90; 2.5 8 70; 3.25 0 60}
DefGroove Swung
"""
    assert beats(mma.parse(text).grooves["SWUNG"], 0, 42) == pytest.approx([0.0, 0.66, 1.0, 1.66, 2.25])


def test_comments_continuations_docs_macros_and_conditions():
    text = """
Begin Doc
  Drum-Kick Sequence {1 0 90}   this is documentation, not a command
End
Set Loud 110
If Def Loud
  Drum-Kick Tone KickDrum2
Else
  Drum-Kick Tone SideKick
EndIf
If NDef Loud
  Drum-Kick Volume ppp
EndIf
Drum-Kick Sequence { 1 0 $Loud; \\
                     3 0 90 ;
                     4.5 0 60 }    // a sequence over three lines
DefGroove Macro
"""
    f = mma.parse(text)
    g = f.grooves["MACRO"]
    assert [(h.beat, h.note, h.velocity) for h in g.bar(0)] == [(0.0, 35, 110.0), (2.0, 35, 90.0), (3.5, 35, 60.0)]
    assert not f.warnings


def test_unknown_names_warn_and_skip():
    f = mma.parse("Drum-X Sequence Nowhere\nDrum-Y Tone Gong\nDrum-Y Sequence {1 0 90}\nDefGroove G\n")
    assert len(f.warnings) == 2 and not any(f.grooves["G"].bars)


def test_include(tmp_path):
    (tmp_path / "pats.mma").write_text("Drum Define Four 1 0 90 * 4\n")
    g = mma.parse("Include pats\nDrum-Kick Tone 36\nDrum-Kick Sequence Four\nDefGroove Floor\n",
                  include_dirs=[tmp_path]).grooves["FLOOR"]
    assert beats(g, 0, 36) == [0.0, 1.0, 2.0, 3.0]


def test_vmb_hits_and_grids():
    text = """
Drum-Kick Tone KickDrum1
Drum-Kick Sequence {1 0 120; 3 0 60}
Drum-W Tone ShortHiWhistle
Drum-W Sequence {2 0 90}
Drum-Shk Tone Maracas
Drum-Shk Sequence {1.33 0 90}
DefGroove G
"""
    g = mma.parse(text).grooves["G"]
    hits = g.vmb_hits(0)
    assert [(n, b) for n, b, _ in hits] == [(36, 0.0), (70, 0.33), (36, 2.0)]  # the whistle is dropped
    assert hits[0][2] == pytest.approx(mma.ACCENT_TOP) and hits[2][2] == pytest.approx(mma.ACCENT_TOP / 2)
    assert g.grids() == {"kick": "X.......o.......", "shaker": ".x.............."}
    assert g.off_grid() == pytest.approx(1 / 4)
    assert all(v is None or v in DRUM_NOTES for v in mma.VMB_DRUM.values())


def test_load_from_a_library_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(mma.MMA_DIR_ENV, str(tmp_path))
    assert not mma.available()
    with pytest.raises(VmbError, match="apt-get install mma"):
        mma.load("mine/beat:One")
    (tmp_path / "lib" / "mine").mkdir(parents=True)
    (tmp_path / "includes").mkdir()
    (tmp_path / "includes" / "common.mma").write_text("Drum Define Two 1 0 90 * 2\n")
    (tmp_path / "lib" / "mine" / "beat.mma").write_text(
        "Include common\nDrum-Snare Sequence Two\nDefGroove One\n")
    assert mma.available() and mma.groove_files() == ["mine/beat"]
    assert beats(mma.load("mine/beat:one"), 0, 38) == [0.0, 2.0]
    for bad in ("mine/beat", "mine/none:One", "mine/beat:Two"):
        with pytest.raises(VmbError):
            mma.load(bad)


@pytest.mark.skipif(not mma.available(), reason="MMA's groove library (apt-get install mma) is not installed")
def test_reads_the_installed_library():
    files = mma.groove_files()
    assert len(files) > 100
    g = mma.load(f"{files[0]}:{next(iter(mma.read_file(mma.library_dir() / 'lib' / f'{files[0]}.mma').grooves))}")
    assert g.beats_per_bar > 0


def test_accent_and_stacked_swing_mode():
    text = """
StackValue $_SwingMode
SwingMode On
Drum Define Swung 1 0 80 * 4; 1 0 60 * 4 Shift .5
SwingMode $_StackValue
Drum Define Straight 1.5 0 60
Drum-Hat Tone ClosedHiHat
Drum-Hat Sequence {Swung; Straight}
Drum-Hat Accent 1 20 3 -50
DefGroove G
"""
    hits = mma.parse(text).grooves["G"].bar(0)
    # "Swung" was defined with swing on, "Straight" (0.5) after the stack turned it off again
    assert [h.beat for h in hits] == pytest.approx([0.0, 0.5, 0.66, 1.0, 1.66, 2.0, 2.66, 3.0, 3.66])
    assert {h.beat: h.velocity for h in hits}[0.0] == 96 and {h.beat: h.velocity for h in hits}[2.0] == 40
