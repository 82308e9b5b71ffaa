import numpy as np
import pytest

from tests.fixtures.library import write_cadence, write_click_track, write_corrupt, write_midi
from vmb import VmbError
from vmb.retrieve.analyze_audio import analyze_audio, basic_pitch_available, key_from_chroma, load_audio
from vmb.retrieve.analyze_symbolic import analyze_midi, analyze_symbolic, instrument_for_program, map_meter
from vmb.retrieve.autotag import Analysis, RuleTagger, genres_from_instruments, nearest_moods
from vmb.types import LeadSheet


def test_midi_analysis_reads_tempo_meter_key_and_instruments(tmp_path):
    (a, sheet), = analyze_midi(write_midi(tmp_path / "t.mid", bpm=70, drums=True))
    assert (a.bpm, a.bpm_source, a.meter, a.key, a.mode) == (70.0, "file", "3/4", "D", "minor")
    assert a.instruments == ["violin", "strings"] and a.programs == [40, 48] and a.has_drums
    assert a.pitch_low == 45 and a.pitch_high == 70 and a.note_count == 24 + 24
    assert sheet.length_beats == 24.0 and [n.pitch for n in sheet.melody][:4] == [62, 65, 69, 67]
    assert sheet.chords[0].root == 2 and sheet.chords[0].quality == "min"  # D minor under the tune
    assert abs(a.duration_s - (24 + 0.5) * 60 / 70) < 1.0
    transposed, = analyze_midi(write_midi(tmp_path / "u.mid", transpose=5, meter=(4, 4)))
    assert (transposed[0].key, transposed[0].meter) == ("G", "4/4")


def test_gm_programs_and_meters_map_into_the_vocabulary():
    assert [instrument_for_program(p) for p in (0, 5, 41, 49, 53, 66, 100, 127)] == [
        "piano", "electric piano", "viola", "strings", "choir", "saxophone", "synth pad", "synthesizer"]
    assert map_meter("12/8") == ("6/8", "file") and map_meter("5/4") == ("4/4", "assumed")


def test_music21_formats_and_abc_tune_books(tmp_path):
    pytest.importorskip("music21")
    abc = tmp_path / "book.abc"
    abc.write_text(
        "X:1\nT:THE FIRST JIG\nR:jig\nM:6/8\nL:1/8\nK:G\nGAB cBA|BGG DGG|GAB cBA|BGG G3:|\n"
        "X:2\nT:Broken\nM:4/4\nK:\n\n"
        "X:3\nT:Slow Air\nM:3/4\nL:1/4\nQ:1/4=60\nK:Dm\nDFA|d2c|BAG|F2E|DFA|d2c|BAG|A3|\n")
    results = analyze_symbolic(abc)
    assert [a.title for a, _ in results] == ["The First Jig", "Slow Air"]
    (jig, jig_sheet), (air, air_sheet) = results
    assert jig.tune_type == "jig" and jig.meter == "6/8" and (jig.key, jig.mode) == ("G", "major")
    assert jig.bpm_source == "suggested" and air.bpm == 60.0 and air.bpm_source == "file"
    assert (air.key, air.mode) == ("D", "minor") and air_sheet.chords and jig_sheet.source.endswith("#0")
    with pytest.raises(VmbError, match="music21 cannot parse"):
        analyze_symbolic(write_corrupt(tmp_path / "x.musicxml"))


def test_broken_and_unsupported_symbolic_files(tmp_path):
    with pytest.raises(VmbError, match="not a readable MIDI file"):
        analyze_midi(write_corrupt(tmp_path / "a.mid"))
    with pytest.raises(VmbError, match="too few"):
        analyze_midi(write_midi(tmp_path / "short.mid", melody=[60, 62], chords=[]))
    with pytest.raises(VmbError, match="not a symbolic music file"):
        analyze_symbolic(tmp_path / "song.wav")


def test_click_track_tempo(tmp_path):
    (a, sheet), = analyze_audio(write_click_track(tmp_path / "click.wav", bpm=120.0), transcribe_notes=False)
    assert abs(a.bpm - 120.0) < 2.0
    assert a.bpm_source == "estimated" and a.meter_source == "assumed" and a.percussive_ratio > 0.5
    assert sheet.melody == [] and a.transcribed is False and a.onset_rate == pytest.approx(2.0, abs=0.3)


@pytest.mark.parametrize("tonic,minor", [(57, True), (62, False)])
def test_cadence_key_and_chords(tmp_path, tonic, minor):
    path = write_cadence(tmp_path / "cadence.flac", tonic=tonic, minor=minor)
    (a, sheet), = analyze_audio(path, transcribe_notes=False)
    assert (a.key, a.mode) == (("A", "minor") if minor else ("D", "major")) and a.key_confidence > 0.5
    assert sheet.chords and sheet.chords[0].root == tonic % 12  # the chroma chord track starts on i / I
    assert a.loudness_lufs < -5 and 100 < a.brightness_hz < 3000


def test_transcription_gives_a_melody(tmp_path):
    if not basic_pitch_available():
        pytest.skip("basic-pitch (the audio extra) is not installed")
    (a, sheet), = analyze_audio(write_cadence(tmp_path / "c.wav", tonic=57, minor=True))
    assert a.transcribed and (a.key, a.mode) == ("A", "minor") and len(sheet.melody) >= 8
    # most melody notes are the tune's pitch classes (A harmonic minor)
    pcs = [n.pitch % 12 for n in sheet.melody]
    assert np.mean([pc in {9, 11, 0, 2, 4, 5, 8} for pc in pcs]) > 0.8


def test_broken_audio_is_refused_with_the_reason(tmp_path):
    with pytest.raises(VmbError, match="not a readable audio file"):
        load_audio(write_corrupt(tmp_path / "x.wav"))
    import soundfile as sf

    sf.write(str(tmp_path / "silent.wav"), np.zeros(44100, np.float32), 22050)
    with pytest.raises(VmbError, match="silent"):
        load_audio(tmp_path / "silent.wav")
    sf.write(str(tmp_path / "short.wav"), np.ones(1000, np.float32) * 0.1, 22050)
    with pytest.raises(VmbError, match="too short"):
        load_audio(tmp_path / "short.wav")


def test_key_from_chroma_profile():
    chroma = np.zeros(12)
    chroma[[7, 11, 2]] = 1.0  # G major triad
    chroma[[0, 4, 9, 6]] = 0.4
    assert key_from_chroma(chroma)[:2] == (7, "major")


def test_rule_tags_follow_the_analysis():
    sad = Analysis(kind="midi", bpm=62, mode="minor", key="D", meter="3/4", instruments=["strings", "cello"],
                   density=0.8, note_count=40, pitch_mean=52)
    happy = Analysis(kind="midi", bpm=150, mode="major", key="G", meter="4/4", instruments=["synthesizer"],
                     has_drums=True, density=3.5, note_count=200, pitch_mean=70)
    sheet = LeadSheet(melody=[], chords=[], key="D", mode="minor", meter="3/4")
    t_sad = RuleTagger().tag(sad, sheet, entry_id="a")
    t_happy = RuleTagger().tag(happy, None, entry_id="b")
    assert t_sad.tempo_class == "slow" and {"sad", "melancholic"} & set(t_sad.moods)
    assert t_happy.tempo_class == "fast" and {"energetic", "happy", "fun"} & set(t_happy.moods)
    assert t_sad.genres == ["classical"] and t_happy.genres == ["electronic"]
    assert "minor" in t_sad.description and "strings" in t_sad.description
    assert RuleTagger().tag(sad, sheet, entry_id="a") == t_sad  # deterministic per id
    assert nearest_moods(0.8, 0.5, n=1) == ["happy"]
    assert genres_from_instruments(["piano"], False) == ["piano", "classical"]
