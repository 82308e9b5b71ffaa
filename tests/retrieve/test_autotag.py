"""Auto-tagging of library audio by the bundled musicnn taggers (vmb.retrieve.musicnn,
vmb.listen.attributes, the one table vmb.listen.tagmap): the mapping's arithmetic on golden
z-scores, then two short synthetic clips made here, a drum-machine pattern and a sustained
string-like tone, through a real ingest."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from tests.fixtures.library import write_midi
from vmb import VmbError
from vmb.cli import build_parser
from vmb.evaluate import tagmap as evaluate_tagmap
from vmb.listen import MODEL_NAMES, load_tagger, tagmap
from vmb.listen.attributes import (
    STD_FLOOR,
    Reference,
    energy,
    hear,
    load_reference,
    read_attributes,
    value_scores,
    zscores,
)
from vmb.retrieve.autotag import RuleTagger, energy_word, heard_clause
from vmb.retrieve.ingest import analyze_file, build_library_tagger, ingest
from vmb.retrieve.musicnn import MusicnnTagger
from vmb.retrieve.store import Library

SR = 22050


def drum_machine(seconds: float = 8.0, bpm: float = 120.0, seed: int = 3) -> np.ndarray:
    """Kick on 1 and 3, snare on 2 and 4, closed hats on eighths: a dry drum-machine bar."""
    rng = np.random.default_rng(seed)
    n, beat = int(seconds * SR), int(60.0 / bpm * SR)
    y = np.zeros(n)
    tk = np.arange(int(0.3 * SR)) / SR
    kick = np.sin(2 * np.pi * (45 * tk + 2.5 * (1 - np.exp(-tk / 0.03)))) * np.exp(-tk / 0.1)
    ts = np.arange(int(0.18 * SR)) / SR
    snare = (0.7 * rng.standard_normal(ts.size) + 0.4 * np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts / 0.05)
    th = np.arange(int(0.04 * SR)) / SR
    hat = np.diff(rng.standard_normal(th.size + 1)) * np.exp(-th / 0.01) * 0.3
    for b in range(int(seconds * bpm / 60)):
        for start, sound in ((b * beat, kick if b % 2 == 0 else snare), (b * beat, hat),
                             (b * beat + beat // 2, hat)):
            end = min(n, start + sound.size)
            y[start:end] += sound[: end - start]
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


def string_tone(seconds: float = 8.0) -> np.ndarray:
    """A bowed-string-like G major chord: sawtooth partials with vibrato, slow attack and release."""
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    for f0 in (196.0, 293.66, 392.0):
        phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.004 * np.sin(2 * np.pi * 5.5 * t + f0))) / SR
        for k in range(1, int(8000 / f0)):
            y += np.sin(k * phase) / k
    y *= np.minimum(1, t / 0.6) * np.minimum(1, (seconds - t) / 0.6)
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="module")
def clip_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("heard")
    sf.write(str(folder / "drum_machine.wav"), drum_machine(), SR)
    sf.write(str(folder / "strings.wav"), string_tone(), SR)
    return folder


# --- the mapping's arithmetic, on golden z-scores ---------------------------------------------

def test_value_scores_mean_the_tables_tags_and_name_one_value_per_tag_set():
    z = {"MTT:strings": 2.0, "MSD:instrumental": 0.0, "MTT:violin": 1.0, "MTT:synth": -1.0,
         "MTT:classical": 3.0, "MTT:cello": 0.5}
    genres = value_scores(z, "genre")
    assert genres == {"classical": 3.0, "cinematic": 1.0}  # cinematic = mean(strings 2, instrumental 0)
    instruments = value_scores(z, "instrument")
    # viola and contrabass map to MTT:strings too but are proxies: "strings" names the candidate;
    # MTT:synth names "synthesizer", not the proxy "synth bass" listed before it
    assert instruments == {"strings": 2.0, "violin": 1.0, "cello": 0.5, "synthesizer": -1.0}
    assert list(instruments) == ["strings", "violin", "cello", "synthesizer"]  # best first


def test_energy_is_the_sigmoid_of_high_minus_low_tags():
    z = {t: 1.0 for t in tagmap.ENERGY_TAGS["high"]} | {t: -1.0 for t in tagmap.ENERGY_TAGS["low"]}
    assert energy(z) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert energy({t: 0.0 for tags in tagmap.ENERGY_TAGS.values() for t in tags}) == 0.5
    assert energy({"MTT:fast": 1.0}) is None  # no low-energy tag heard: no estimate
    assert [energy_word(e) for e in (0.1, 0.5, 0.9)] == ["low energy", "moderate energy", "high energy"]


def test_zscores_against_the_reference_with_the_std_floor():
    tagger = load_tagger("MTT_musicnn")
    names = tagger.tag_names
    probs = np.full((2, len(names)), 0.1, np.float32)
    probs[:, names.index("drums")] = [0.5, 0.7]  # clip probability 0.6
    ref = Reference("test", 10, {"MTT_musicnn": {n: 0.1 for n in names} | {"drums": 0.2}},
                    {"MTT_musicnn": {n: 0.001 for n in names} | {"drums": 0.1}})

    class Result:
        tag_names, patch_tags = names, probs

    z = zscores({"MTT_musicnn": Result()}, ref)
    assert z["MTT:drums"] == pytest.approx((0.6 - 0.2) / 0.1)
    assert z["MTT:piano"] == pytest.approx(0.0, abs=1e-6)  # at the mean; std 0.001 floored to STD_FLOOR
    probs[:, names.index("piano")] = 0.1 + STD_FLOOR
    assert zscores({"MTT_musicnn": Result()}, ref)["MTT:piano"] == pytest.approx(1.0, rel=1e-4)


def test_one_table_for_evaluation_and_auto_tagging():
    assert evaluate_tagmap.TAG_MAP is tagmap.TAG_MAP  # the evaluation reads the same table
    assert all(tagmap.PROXIES[a] <= set(tagmap.TAG_MAP[a]) for a in tagmap.ATTRIBUTES)
    names = {name: load_tagger(name).tag_names for name in MODEL_NAMES}
    assert tagmap.missing_tags(names) == []  # every tag of the table and of ENERGY_TAGS exists
    ref = load_reference()
    assert ref.clips >= 20 and "immich" in ref.name
    for name in MODEL_NAMES:
        assert set(ref.mean[name]) == set(ref.std[name]) == set(names[name])
        assert all(0 <= ref.mean[name][t] <= 1 and ref.std[name][t] >= 0 for t in names[name])


def test_hear_spreads_at_most_max_patches_over_a_long_clip():
    y = np.tile(drum_machine(8.0), 5)  # 40 s: 13 patches
    res = hear(y, SR, max_patches=3)
    starts = res["MTT_musicnn"].patch_starts
    assert set(res) == set(MODEL_NAMES) and len(starts) == 3
    assert starts[0] == 0 and starts[-1] > 35 and np.all(np.diff(starts) > 15)


def test_heard_clause_names_genres_instruments_and_energy():
    assert heard_clause(["rock", "electronic"], ["drums"], 0.8) == \
        "Heard as rock and electronic music with drums, high energy."
    assert heard_clause([], [], None) == ""


# --- synthetic clips through the whole ingest --------------------------------------------------

def test_ingest_tags_audio_with_the_tagger_and_describes_it(clip_files, tmp_path):
    library = Library.open(tmp_path / "lib")
    report = ingest(library, [clip_files], workers=1, progress=False, transcribe=False)
    assert report.failed == [] and report.added_files == 2
    entries = {e.title: e for e in library.list()}
    drums, strings = entries["drum_machine"], entries["strings"]

    assert "drums" in drums.instruments and "drums" not in strings.instruments
    assert {"violin", "strings", "cello"} & set(strings.instruments)
    assert "classical" in strings.genres and "classical" not in drums.genres
    assert set(drums.genres) & {"electronic", "rock", "hip hop"}
    for entry in (drums, strings):
        analysis = library.get_analysis(entry.id)
        heard = analysis["heard"]
        assert analysis["tagger"] == "musicnn" and analysis["kind"] == "audio"
        assert analysis["bpm"] and analysis["key"] and analysis["loudness_lufs"] is not None  # librosa's, beside
        # the entry's tags are what the tagger heard, through the table
        assert (entry.genres, entry.moods, entry.instruments) == (heard["genres"], heard["moods"],
                                                                  heard["instruments"])
        assert 0 < analysis["energy"] < 1 and heard["energy"] == round(analysis["energy"], 3)
        for attribute, values in (("genre", entry.genres), ("mood", entry.moods), ("instrument", entry.instruments)):
            assert values and all(v in tagmap.TAG_MAP[attribute] and tagmap.TAG_MAP[attribute][v] for v in values)
        # the description (the text the library embeds) uses the heard tags
        assert f"Heard as {entry.genres[0]}" in entry.description and entry.instruments[0] in entry.description
    # a drum machine at 120 BPM is above the reference's middle
    assert library.get_analysis(drums.id)["energy"] > 0.5
    assert "high energy" in drums.description or "moderate energy" in drums.description


def test_heard_scores_are_the_mapping_of_the_clips_z_scores(clip_files):
    result = analyze_file(clip_files / "strings.wav", transcribe=False)
    assert result.error is None
    from vmb.retrieve.analyze_audio import load_audio

    z = zscores(hear(*load_audio(clip_files / "strings.wav")), load_reference())
    stored = result.analyses[0]["heard"]["scores"]["instrument"]
    expected = value_scores(z, "instrument")
    assert stored == {v: round(s, 2) for v, s in list(expected.items())[:len(stored)]}
    violin = np.mean([z[t] for t in tagmap.TAG_MAP["instrument"]["violin"]])
    assert stored["violin"] == round(float(violin), 2)


def test_symbolic_files_keep_the_rule_tags_and_other_taggers_stay_selectable(tmp_path):
    midi = write_midi(tmp_path / "tune.mid")
    by_musicnn = analyze_file(midi, tagger=MusicnnTagger())
    by_rules = analyze_file(midi, tagger=RuleTagger())
    assert by_musicnn.entries == by_rules.entries and "heard" not in by_musicnn.analyses[0]
    assert isinstance(build_library_tagger(), MusicnnTagger)
    assert isinstance(build_library_tagger("rules"), RuleTagger)
    with pytest.raises(VmbError, match="CLAP checkpoint"):
        build_library_tagger("clap")
    with pytest.raises(VmbError, match=f"CLAP checkpoint {tmp_path}: no config.json"):
        build_library_tagger("clap", clap_model=str(tmp_path))
    with pytest.raises(VmbError, match="unknown tagger"):
        build_library_tagger("passt")
    args = build_parser().parse_args(["library", "add", "music", "--tagger", "rules"])
    assert (args.tagger, args.clap_model) == ("rules", None)
    assert build_parser().parse_args(["library", "add", "music"]).tagger == "musicnn"


def test_rules_tagger_ignores_the_audio_tagger(clip_files):
    result = analyze_file(clip_files / "drum_machine.wav", tagger=RuleTagger(), transcribe=False)
    assert result.analyses[0]["tagger"] == "rules" and "heard" not in result.analyses[0]
    heard = read_attributes(hear(drum_machine(), SR))
    assert "Heard as" not in result.entries[0].description and heard.instruments[0] == "drums"
