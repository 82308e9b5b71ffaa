"""vmb.theory: the meter records and key finding every stage shares."""

from __future__ import annotations

import numpy as np
import pytest

from vmb import theory
from vmb.vocab import METERS


def test_every_vocabulary_meter_has_a_record():
    assert tuple(theory.METER_RECORDS) == METERS


@pytest.mark.parametrize("name, bar, pulse, pulses, unit", [
    ("4/4", 4.0, 1.0, 4, 2.0), ("3/4", 3.0, 1.0, 3, 3.0), ("6/8", 3.0, 1.5, 2, 1.5), ("2/4", 2.0, 1.0, 2, 2.0)])
def test_meter_records(name, bar, pulse, pulses, unit):
    m = theory.meter(name)
    assert (m.bar_beats, m.pulse_beats, m.pulses_per_bar, m.harmonic_unit) == (bar, pulse, pulses, unit)
    assert theory.bar_beats(name) == bar and theory.quarter_notes_per_pulse(name) == pulse
    assert m.swing_allowed == (name != "6/8")  # 6/8 already divides its pulse in three


def test_an_unlisted_meter_gets_a_plain_record():
    m = theory.meter("5/4")
    assert m.bar_beats == 5.0 and m.pulse_beats == 1.0 and m.harmonic_unit == 5.0


def test_key_finding_recovers_every_major_and_minor_key():
    for mode, profile in theory.KK_PROFILES.items():
        for tonic in range(12):
            found_tonic, found_mode, r = theory.estimate_key(np.roll(profile, tonic))
            assert (found_tonic, found_mode) == (tonic, mode) and r == pytest.approx(1.0)


def test_a_scale_histogram_names_its_key_and_a_flat_one_correlates_zero():
    d_minor = np.zeros(12)
    d_minor[[2, 4, 5, 7, 9, 10, 0]] = [3, 1, 2, 1, 2, 1, 1]  # D natural minor, tonic and fifth weighted
    assert theory.estimate_key(d_minor)[:2] == (2, "minor")
    assert set(theory.key_correlations(np.ones(12)).values()) == {0.0}


@pytest.mark.parametrize("valence, mode", [(-0.06, "minor"), (-0.05, "major"), (0.0, "major"), (-0.8, "minor")])
def test_one_rule_for_mode(valence, mode):
    assert theory.mode_for_valence(valence) == mode


@pytest.mark.parametrize("arousal, energy", [(-1.0, 0.05), (0.0, 0.5), (0.5, 0.75), (1.0, 0.95)])
def test_one_rule_for_energy(arousal, energy):
    assert theory.energy_for_arousal(arousal) == energy


def test_describers_and_the_plan_use_the_one_rule():
    """Image affect, text, user moods and the plan's defaults agree on mode and energy."""
    from vmb.describe import apply_user_attributes, describe_text
    from vmb.pipeline import resolve_attributes
    from vmb.types import Attributes

    plan = resolve_attributes(Attributes(valence=-0.07, arousal=0.4), duration_s=10)
    assert (plan.mode, plan.energy) == ("minor", 0.7)
    moody = apply_user_attributes(describe_text("a walk"), Attributes(moods=["sad"]))
    a = moody.attributes
    assert a.mode == theory.mode_for_valence(a.valence) and a.energy == theory.energy_for_arousal(a.arousal)


def test_nearest_moods_rank_by_distance_then_name():
    from vmb.vocab import MOODS

    for mood, (v, a) in list(MOODS.items())[:10]:
        assert theory.nearest_moods(v, a, 1) == [mood] or theory.mood_distances(v, a)[theory.nearest_moods(v, a, 1)[0]] == 0
    ranked = theory.nearest_moods(0.0, 0.0, len(MOODS))
    dist = theory.mood_distances(0.0, 0.0)
    assert ranked == sorted(MOODS, key=lambda m: (dist[m], m))
    assert theory.nearest_moods(0.0, 0.0, 1, bonus={ranked[-1]: 10.0}) == [ranked[-1]]  # a scene cue can win


def test_circumplex_is_the_weighted_mean_of_the_moods():
    from vmb.vocab import MOODS

    (v1, a1), (v2, a2) = MOODS["happy"], MOODS["sad"]
    assert theory.circumplex(["happy", "sad"], [3.0, 1.0]) == (round((3 * v1 + v2) / 4, 3), round((3 * a1 + a2) / 4, 3))
    assert theory.circumplex(["not a mood"]) == (0.0, 0.0)


# --------------------------------------------------------------------------- tempo, meter and chords from data


def test_the_moods_place_the_tempo_inside_the_genre_range():
    low, high = theory.knowledge().genres["hip hop"].tempo_range
    calm, energetic = (theory.tempo_for(["hip hop"], [m]) for m in ("calm", "energetic"))
    assert low <= calm < energetic <= high
    # without a genre the moods span a wide range: energetic is far faster than calm
    assert theory.tempo_for([], ["energetic"], 0.9) - theory.tempo_for([], ["calm"], -0.75) >= 40
    # a tempo class the placed tempo falls outside narrows the range; one it falls inside does not
    assert theory.tempo_for([], ["energetic"], tempo_class="slow") < 84
    assert theory.tempo_for([], ["calm"], tempo_class="slow") == theory.tempo_for([], ["calm"])


def test_a_reference_meter_is_kept_only_where_the_genre_plays_it():
    assert theory.meter_for(["hip hop"], "3/4") == "4/4"
    assert theory.meter_for(["folk"], "3/4") == "3/4"
    assert theory.meter_for([], "6/8") == "6/8"
    assert theory.meter_for([], None) == "4/4"


@pytest.mark.parametrize("numeral, tonic, mode, chord", [
    ("I", 0, "major", (0, "maj")), ("vi", 0, "major", (9, "min")), ("viio", 0, "major", (11, "dim")),
    ("i", 9, "minor", (9, "min")), ("VI", 9, "minor", (5, "maj")), ("VII", 9, "minor", (7, "maj")),
    ("V", 9, "minor", (4, "maj")), ("iio", 9, "minor", (11, "dim")),
])
def test_roman_numerals_count_the_mode_scale(numeral, tonic, mode, chord):
    assert theory.roman_chord(numeral, tonic, mode) == chord


def test_every_style_progression_is_made_of_roman_numerals():
    for style in theory.knowledge().styles.values():
        for numeral in (*style.progression_major, *style.progression_minor):
            theory.roman_chord(numeral, 0, "major")
    with pytest.raises(ValueError, match="Roman numeral"):
        theory.roman_chord("VIII", 0, "major")
