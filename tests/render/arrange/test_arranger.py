"""The arranger: styles, instruments, ranges, the ending, dynamics, determinism, meters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.fixtures.leads import bar_beats, make_lead
from vmb import VmbError
from vmb.render import arrange, planned_tracks
from vmb.render.arrange.styles import STYLES, resolve_style
from vmb.types import Attributes, Score, TempoChange
from vmb.vocab import DRUM_NOTES, GENRES, INSTRUMENTS, METERS, PITCH_CLASS

TEMPO = [TempoChange(0.0, 100.0)]
HARMONY_ROLES = {"comp", "pad"}


def run(lead=None, style=None, seed=0, **attrs) -> Score:
    return arrange(lead or make_lead(), Attributes(**attrs), tempo_map=TEMPO, seed=seed, style=style)


def final_downbeat(score: Score) -> float:
    """Where the closing chord is struck: the last bar line at least 2 s before the end."""
    bb = score.beats_per_bar
    ring = score.beat_to_seconds(score.length_beats) - score.beat_to_seconds(score.ending_beat)
    assert abs(score.ending_beat / bb - round(score.ending_beat / bb)) < 1e-6 and ring >= 2.0 - 1e-6
    assert score.ending_beat == bb * math.floor((score.length_beats - score.seconds_to_beat(2.0) + 1e-6) / bb)
    return score.ending_beat


def test_styles_cover_every_genre():
    assert len(STYLES) >= 11
    for genre in GENRES:
        assert resolve_style(None, Attributes(genres=[genre])).name in STYLES
    for name in ("pop", "rock", "electronic", "hip hop", "lofi", "jazz", "blues", "cinematic", "ambient",
                 "folk", "piano", "latin"):
        assert name in STYLES


@pytest.mark.parametrize("name", sorted(STYLES))
def test_style_band(name):
    style = STYLES[name]
    score = run(make_lead(), style=name, energy=0.8)
    roles = {t.role for t in score.tracks}
    assert ("drums" in roles) == any(p.role == "drums" for p in style.parts)
    assert "bass" in roles or name == "piano"
    assert roles & HARMONY_ROLES
    assert score.track("melody") is not None
    for track in score.tracks:
        info = INSTRUMENTS[track.instrument]
        assert track.notes, f"{name}: {track.name} is empty"
        assert track.program == (style.kit if track.role == "drums" else info.program) and track.is_drum == info.is_drum
    # the style's parts all play at high energy
    assert sorted(t.instrument for t in score.tracks) == sorted(p.instrument for p in style.parts)


@pytest.mark.parametrize("attrs", [
    {"genres": ["pop"]}, {"genres": ["hip hop"], "energy": 0.2}, {"moods": ["calm"]},
    {"genres": ["rock"], "instruments": ["violin", "synth pad"], "excluded_instruments": ["bass"]},
    {"genres": ["jazz"], "excluded_instruments": ["drums"]}, {},
])
def test_planned_tracks_are_the_band_arrange_writes(attrs):
    """What the renderer loads ahead (planned_tracks) holds every track arrange writes, in its order,
    with the same program, kit and synth voice: a part that never joins is the only difference."""
    for energy in (0.1, 0.5, 0.9):
        asked = {"energy": energy, **attrs}
        planned = [(t.instrument, t.role, t.program, t.is_drum, t.voice) for t in planned_tracks(Attributes(**asked))]
        written = [(t.instrument, t.role, t.program, t.is_drum, t.voice) for t in run(**asked).tracks]
        assert written and written == [t for t in planned if t in written]


def test_solo_piano_is_only_piano():
    score = run(style="piano")
    assert {t.instrument for t in score.tracks} == {"piano"}
    assert {t.role for t in score.tracks} == {"melody", "comp"}


def test_requested_instruments_get_tracks_with_their_programs():
    asked = ["violin", "cello", "harp", "timpani", "drums", "flute", "synth pad", "percussion"]
    score = run(style="piano", instruments=asked)
    by_instrument = {t.instrument: t for t in score.tracks}
    for name in asked:
        track = by_instrument[name]
        assert track.notes and track.program == INSTRUMENTS[name].program
    assert by_instrument["violin"].role == "melody"
    assert by_instrument["cello"].role in ("counter", "bass")
    assert by_instrument["synth pad"].role == "pad"
    assert by_instrument["drums"].is_drum and by_instrument["harp"].role == "arp"
    assert by_instrument["flute"].role == "counter"  # the melody was taken by the violin


def test_requested_instrument_replaces_the_style_default():
    score = run(style="pop", instruments=["trumpet", "acoustic guitar"])
    assert score.track("melody").instrument == "trumpet"
    assert score.track("comp").instrument == "acoustic guitar"
    assert "synthesizer" not in {t.instrument for t in score.tracks if t.role == "melody"}


def test_excluded_instruments_are_absent_or_substituted():
    score = run(style="rock", excluded_instruments=["drums", "distorted guitar", "bass"])
    instruments = {t.instrument for t in score.tracks}
    assert not any(t.is_drum for t in score.tracks)
    assert not instruments & {"drums", "distorted guitar", "bass"}
    assert score.track("comp") is not None and score.track("bass") is not None
    latin = run(style="latin", excluded_instruments=["drums"])
    assert not any(t.is_drum for t in latin.tracks)
    piano = run(style="piano", excluded_instruments=["piano"])
    assert "piano" not in {t.instrument for t in piano.tracks} and piano.track("melody").notes


@pytest.mark.parametrize("meter", METERS)
def test_every_style_and_meter_stays_in_range_and_time(meter):
    lead = make_lead("D", "minor", meter)
    for name in STYLES:
        score = run(lead, style=name, energy=0.7)
        assert score.meter == meter and score.length_beats == lead.length_beats
        for track in score.tracks:
            info = INSTRUMENTS[track.instrument]
            for n in track.notes:
                assert 0.0 <= n.start < score.length_beats, (name, track.name, n)
                assert n.start + n.duration <= score.length_beats + 1e-6, (name, track.name, n)
                assert n.duration > 0 and 1 <= n.velocity <= 127
                assert info.low <= n.pitch <= info.high, (name, track.name, n.pitch)


@pytest.mark.parametrize("name", sorted(STYLES))
def test_final_tonic_chord_on_the_last_downbeat_held_to_the_end(name):
    lead = make_lead("Bb", "major", "3/4" if name in ("jazz", "classical") else "4/4")
    score = run(lead, style=name)
    final, tonic = final_downbeat(score), PITCH_CLASS["BB"]
    struck = [n for t in score.tracks if not t.is_drum for n in t.notes if final - 1e-6 <= n.start < final + 0.3]
    assert tonic in {n.pitch % 12 for n in struck}
    assert all(abs(n.start + n.duration - score.length_beats) < 1e-6 for n in struck)
    pitched_last = max(n.start for t in score.tracks if not t.is_drum for n in t.notes)
    assert pitched_last < final + 0.3  # nothing new after the final chord (a strum at most)
    bass = score.track("bass") or score.track("comp")  # solo piano: the left hand
    lowest = min((n for n in bass.notes if n.start >= final - 1e-6), key=lambda n: n.pitch)
    assert lowest.pitch % 12 == tonic and abs(lowest.start - final) < 1e-6
    drums = score.track("drums")
    if drums is not None:
        hits = {n.pitch for n in drums.notes if abs(n.start - final) < 1e-6}
        assert DRUM_NOTES["kick"] in hits
        # a fill leads into the last bar
        fill_hits = [n for n in drums.notes if final - 1.0 - 0.02 <= n.start < final - 0.02]
        assert any(n.pitch in (DRUM_NOTES["snare"], DRUM_NOTES["tom_high"], DRUM_NOTES["tom_mid"],
                               DRUM_NOTES["tom_low"], DRUM_NOTES["timbale"]) for n in fill_hits)


def test_energy_raises_velocity_and_density():
    lead = make_lead()
    # a request's energy moves the style's own (pop: 0.75) by its distance from 0.5
    soft, loud = run(lead, style="pop", energy=0.0), run(lead, style="pop", energy=1.0)
    for role in ("drums", "bass", "melody"):
        v_soft = np.mean([n.velocity for n in soft.track(role).notes])
        v_loud = np.mean([n.velocity for n in loud.track(role).notes])
        assert v_loud > v_soft + 10, role
    assert len(loud.track("drums").notes) > 1.3 * len(soft.track("drums").notes)
    assert len(loud.tracks) > len(soft.tracks)  # the pad and the arpeggio join in


def test_section_energy_shapes_the_arrangement():
    lead = make_lead(sections=(("intro", 0.2), ("A", 0.2), ("B", 0.95), ("ending", 0.5)))
    score = run(lead, style="pop", energy=0.25)  # pop at 0.5 overall
    a, b = lead.sections[1], lead.sections[2]

    def inside(track, sec):
        return [n for n in track.notes if sec.start <= n.start < sec.end - 2.5]  # before the fill

    drums = score.track("drums")
    assert np.mean([n.velocity for n in inside(drums, b)]) > np.mean([n.velocity for n in inside(drums, a)]) + 10
    assert len(inside(drums, b)) > len(inside(drums, a))
    comp = score.track("comp")  # chords move up in the louder section
    assert np.mean([n.pitch for n in inside(comp, b)]) > np.mean([n.pitch for n in inside(comp, a)]) + 1.5
    # a crash on the louder section's downbeat
    assert any(n.pitch == DRUM_NOTES["crash"] and abs(n.start - b.start) < 0.02 for n in drums.notes)


def test_intro_is_chords_only_and_builds():
    lead = make_lead()
    score = run(lead, style="pop", energy=0.6)
    intro = lead.sections[0]
    assert not [n for n in score.track("melody").notes if n.start < intro.end - 0.05]
    assert [n for n in score.track("comp").notes if n.start < intro.end]
    bb = bar_beats(lead.meter)
    first = [n for n in score.track("drums").notes if n.start < bb]
    body = [n for n in score.track("drums").notes if lead.sections[1].start <= n.start < lead.sections[1].start + bb]
    assert len(first) < len(body) or np.mean([n.velocity for n in first]) < np.mean([n.velocity for n in body])


def test_deterministic_for_a_seed():
    lead = make_lead("E", "minor", "6/8")
    one, two = run(lead, style="latin", seed=3), run(lead, style="latin", seed=3)
    assert one.to_dict() == two.to_dict()
    assert run(lead, style="latin", seed=4).to_dict() != one.to_dict()


def test_humanising_keeps_onsets_near_the_grid():
    score = run(make_lead(), style="pop", energy=0.8)
    beat_s = 60.0 / TEMPO[0].bpm
    drums = score.track("drums").notes
    off = [abs(n.start - round(n.start * 4) / 4) * beat_s for n in drums]
    assert max(off) <= 0.010 and max(off) > 0.0  # humanised, yet within 10 ms of a sixteenth


def test_swing_moves_offbeat_eighths_later():
    score = run(make_lead(), style="jazz", energy=0.6)
    ride = [n.start % 1.0 for n in score.track("drums").notes if n.pitch == DRUM_NOTES["ride"]]
    offbeats = [f for f in ride if 0.2 < f < 0.9]
    assert offbeats and all(0.6 < f < 0.7 for f in offbeats)  # swung to about 2/3 of the beat


def test_pads_lead_voices_smoothly():
    lead = make_lead(progression=2)
    score = run(lead, style="ambient")
    pad = score.track("pad").notes
    changes = sorted({c.start for c in lead.chords} - {final_downbeat(score)})
    voicings = [sorted(n.pitch for n in pad if n.start <= t + 0.1 < n.start + n.duration) for t in changes]
    moves = [np.mean([abs(a - b) for a, b in zip(x, y)]) for x, y in zip(voicings, voicings[1:])
             if len(x) == len(y) >= 3 and x != y]
    assert moves and np.mean(moves) <= 2.5  # common tones held, the rest move by steps


def test_style_resolution():
    assert resolve_style("EDM", Attributes()).name == "electronic"
    assert resolve_style("solo piano", Attributes()).name == "piano"
    assert resolve_style(None, Attributes(genres=["hip-hop"])).name == "hip hop"
    assert resolve_style(None, Attributes(moods=["calm"])).name == "lofi"
    assert resolve_style(None, Attributes(moods=["suspenseful"])).name == "ambient"  # dark ambient drones
    assert resolve_style(None, Attributes(moods=["epic"])).name == "cinematic"
    assert resolve_style(None, Attributes()).name == "pop"
    with pytest.raises(VmbError, match="style"):
        resolve_style("polka-metal", Attributes())


def test_bad_input_is_a_clear_error():
    lead = make_lead()
    with pytest.raises(VmbError, match="meter"):
        arrange(make_lead().__class__(**{**lead.__dict__, "meter": "5/4"}), Attributes(), tempo_map=TEMPO)
    with pytest.raises(VmbError, match="tempo_map"):
        arrange(lead, Attributes(), tempo_map=[])
    with pytest.raises(VmbError, match="length_beats"):
        arrange(make_lead().__class__(**{**lead.__dict__, "length_beats": 0.0}), Attributes(), tempo_map=TEMPO)


def test_lead_without_melody_or_chords_still_arranges():
    lead = make_lead()
    bare = lead.__class__(melody=[], chords=[], sections=[], key="A", mode="minor", meter="2/4", length_beats=16.0)
    score = run(bare, style="folk")
    assert score.track("melody").notes and score.track("bass").notes
    final = final_downbeat(score)
    assert PITCH_CLASS["A"] in {n.pitch % 12 for t in score.tracks if not t.is_drum for n in t.notes
                                if abs(n.start - final) < 0.35}


def test_without_drums_a_part_keeps_the_beat():
    lead = make_lead()
    for name in ("hip hop", "lofi", "reggae", "funk"):
        score = run(lead, style=name, energy=0.2, excluded_instruments=["drums"])
        assert not any(t.is_drum for t in score.tracks)
        body = lead.sections[1]
        onsets = {round(n.start * 4) / 4 for t in score.tracks if t.role in ("comp", "arp") for n in t.notes
                  if body.start - 0.05 <= n.start < body.end}
        beats = np.arange(body.start, body.end)
        assert all(b in onsets for b in beats), name  # something sounds on every beat


def test_hits_are_struck_by_chord_bass_and_kit():
    """A video's cut beats get a new attack on every chordal part, the bass and the kit."""
    from tests.fixtures.leads import make_lead
    from vmb.render import arrange
    from vmb.types import Attributes, TempoChange

    lead = make_lead("G", "major", "4/4", bars=4)
    attrs = Attributes(genres=["pop"], energy=0.6)
    plain = arrange(lead, attrs, tempo_map=[TempoChange(0, 100.0)], seed=0)
    hit = arrange(lead, attrs, tempo_map=[TempoChange(0, 100.0)], seed=0, hits=(7.0, 11.0))
    for role in ("comp", "bass", "drums"):
        track = next(t for t in hit.tracks if t.role == role)
        for beat in (7.0, 11.0):
            onsets = [n for n in track.notes if abs(n.start - beat) < 1e-6]
            assert onsets and max(n.velocity for n in onsets) >= 100, (role, beat)
    drums = next(t for t in hit.tracks if t.role == "drums")
    assert {36, 49} <= {n.pitch for n in drums.notes if abs(n.start - 7.0) < 1e-6}
    # nothing else changes, and no pitch is attacked twice at once
    for a, b in zip(plain.tracks, hit.tracks):
        assert {(n.pitch, n.start) for n in a.notes if n.start not in (7.0, 11.0)} <= {(n.pitch, n.start) for n in b.notes}
        starts = [(n.pitch, round(n.start, 6)) for n in b.notes]
        assert len(starts) == len(set(starts))


# --------------------------------------------------------------------------- requests heard (issue #13)


@pytest.mark.parametrize("instrument", ["piano", "cello", "harpsichord", "acoustic guitar", "flute", "synthesizer"])
def test_an_asked_instrument_plays_the_tune_forward_of_the_band(instrument):
    lead = make_lead()
    plain = run(lead, style="cinematic")
    asked = run(lead, style="cinematic", instruments=[instrument])
    melody = asked.track("melody")
    assert melody.instrument == instrument
    info = INSTRUMENTS[instrument]
    assert all(info.low <= n.pitch <= info.high for n in melody.notes)  # in its own range
    assert melody.volume > plain.track("melody").volume or melody.volume == 1.0


def test_several_asked_instruments_each_get_a_part():
    score = run(style="pop", instruments=["violin", "cello", "drums"])
    roles = {t.instrument: t.role for t in score.tracks}
    assert roles["violin"] == "melody" and roles["cello"] in ("counter", "bass") and roles["drums"] == "drums"


def test_the_tunes_instrument_also_plays_the_texture_it_accompanies_with():
    lead = make_lead()
    guitar = run(lead, style="cinematic", instruments=["acoustic guitar"])
    comps = [t for t in guitar.tracks if t.role == "comp"]
    assert [t.instrument for t in comps] == ["acoustic guitar"] and comps[0].notes  # it strums the chords
    assert guitar.track("melody").instrument == "acoustic guitar"
    synth = run(lead, style="cinematic", instruments=["synthesizer"])  # the film band has no arpeggio
    assert [t.instrument for t in synth.tracks if t.role == "arp"] == ["synthesizer"]
    cello = run(lead, style="cinematic", instruments=["cello"])  # a bowed tune is its idiom: nothing more
    plain = run(lead, style="cinematic")
    assert sorted(t.role for t in cello.tracks) == sorted(t.role for t in plain.tracks)
    # another asked-for instrument keeps the part it was given
    both = run(lead, style="pop", instruments=["piano", "acoustic guitar"])
    assert {t.instrument for t in both.tracks if t.role == "comp"} == {"acoustic guitar"}
    assert both.track("melody").instrument == "piano"


def test_when_an_instrument_is_asked_the_rest_of_the_band_steps_back():
    lead = make_lead()
    plain = {t.name: t for t in run(lead, style="cinematic").tracks}
    asked = {t.name: t for t in run(lead, style="cinematic", instruments=["flute"]).tracks}
    for name, track in asked.items():
        if track.role in ("comp", "pad", "arp", "counter"):
            assert track.volume == pytest.approx(plain[name].volume * 0.7)
        elif track.role in ("bass", "drums"):
            assert track.volume == pytest.approx(plain[name].volume)


def test_a_bowed_tune_is_legato_and_a_low_instruments_tune_stays_above_the_bass():
    from vmb.render.arrange.parts import legato
    from vmb.types import Note

    notes = [Note(60, 0.0, 0.5), Note(62, 1.0, 0.5), Note(64, 4.0, 1.0)]
    legato(notes)
    assert [n.duration for n in notes] == [1.0, 0.5, 1.0]  # the half-beat gap closes, the 2.5-beat rest stays
    low = make_lead()
    for n in low.melody:
        n.pitch -= 24  # a tune written two octaves down
    cello = run(low, style="cinematic", instruments=["cello"]).track("melody")
    assert min(n.pitch for n in cello.notes) >= 48
    ends = sorted((n.start, n.start + n.duration) for n in cello.notes)
    gaps = [b[0] - a[1] for a, b in zip(ends, ends[1:])]
    assert all(g < 0.06 or g > 0.94 for g in gaps)  # humanising moves onsets by up to 8 ms (0.013 beats)


def test_a_genre_loop_replaces_the_chords_where_the_melody_fits():
    lead = make_lead("A", "minor")
    score = run(lead, style="electronic", energy=0.8)
    from vmb.render.arrange.arranger import make_plan
    plan = make_plan(lead, STYLES["electronic"], 0.8, has_beat=True)
    bars = [plan.harmony.at(b * 4 + 0.01) for b in range(int(plan.final // 4))]
    loop = [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")]  # i VI III VII in A minor
    on_loop = [(s.root, len(s.tones)) for s in bars]
    assert sum((r, 3) in [(root, 3) for root, _q in loop] for r, _n in on_loop) >= len(bars) // 2
    assert score.track("bass").notes


def test_chord_colours():
    from vmb.render.arrange.voicing import Harmony
    from vmb.types import Chord

    def tones(colour, root=2, quality="min"):  # ii in C major
        return set(Harmony([Chord(0.0, 4.0, root, quality)], 0, "major", 4.0, colour=colour).at(0.0).tones)

    assert tones("triad") == {2, 5, 9}
    assert tones("seventh") == {2, 5, 9, 0}
    assert tones("ninth") == {2, 5, 9, 0, 4}
    assert tones("add9") == {2, 5, 9, 4}
    assert tones("dominant", 5, "maj") == {5, 9, 0, 3}  # IV7 with the blues' flat seventh
    assert tones("triad", 7, "maj") == {7, 11, 2, 5}  # V is always V7


def test_the_closing_chord_has_two_seconds_to_die_away():
    lead = make_lead(bars=2)
    fast = arrange(lead, Attributes(), tempo_map=[TempoChange(0.0, 170.0)], style="pop")
    ring = fast.beat_to_seconds(fast.length_beats) - fast.beat_to_seconds(fast.ending_beat)
    assert ring >= 2.0 and fast.ending_beat % 4 == 0


def test_the_moods_set_register_and_articulation():
    lead = make_lead()
    sad, playful = (run(lead, style="pop", moods=[m], energy=0.5) for m in ("sad", "playful"))
    assert np.mean([n.pitch for n in sad.track("comp").notes]) < np.mean([n.pitch for n in playful.track("comp").notes])
    def length(score):
        return np.mean([n.duration for n in score.track("melody").notes])
    assert length(playful) < 0.7 * length(sad)  # detached against legato
    assert [n.pitch for n in sad.track("bass").notes] == [n.pitch for n in playful.track("bass").notes]


def test_the_style_sets_the_energy_and_the_request_moves_it():
    from vmb.render.arrange.styles import base_energy

    pop, ambient = STYLES["pop"], STYLES["ambient"]
    assert base_energy(Attributes(energy=0.5), pop) == pop.energy  # a neutral request: the genre's own
    assert base_energy(Attributes(energy=0.5), ambient) < base_energy(Attributes(energy=0.5), pop)
    calm, energetic = (base_energy(Attributes(energy=e), pop) for e in (0.12, 0.95))
    assert energetic - calm > 0.4


def test_a_breakdown_drops_the_kit_and_the_bass_and_the_drop_brings_them_back():
    from vmb.types import Section

    lead = make_lead()
    bb = bar_beats(lead.meter)
    lead.sections = [Section("drop", 0.0, 2 * bb, 1.0), Section("breakdown", 2 * bb, 4 * bb, 0.3),
                     Section("drop", 4 * bb, lead.length_beats, 1.0)]
    score = run(lead, style="electronic")
    for role in ("drums", "bass"):
        starts = [n.start for t in score.tracks if t.role == role for n in t.notes]
        assert any(s < 2 * bb for s in starts) and any(4 * bb <= s < 6 * bb for s in starts), role
        quiet = [s for s in starts if 2 * bb <= s < 4 * bb - 2.0]  # the fill into the next drop may sound
        assert not quiet, role
    assert score.track("pad").notes and any(2 * bb <= n.start < 4 * bb for n in score.track("pad").notes)
    asked = run(lead, style="electronic", instruments=["drums"])  # an asked-for kit keeps playing
    assert any(2 * bb <= n.start < 4 * bb - 2.0 for t in asked.tracks if t.is_drum for n in t.notes)
