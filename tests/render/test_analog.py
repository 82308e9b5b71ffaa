"""The analog synth voices (vmb.render.analog) and their place in the studio renderer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vmb.knowledge import knowledge
from vmb.render import analog, synthesize_parts
from vmb.types import Note, Score, TempoChange, Track

RATE = 22050
VOICES = knowledge().voices


def _score(*tracks: Track, seconds: float = 4.0) -> Score:
    return Score(tracks=list(tracks), tempo_map=[TempoChange(0.0, 120.0)], duration_s=seconds)


def _dominant_hz(x: np.ndarray, rate: int) -> float:
    mono = x.mean(axis=1) * np.hanning(x.shape[0])
    spectrum = np.abs(np.fft.rfft(mono))
    return float(np.argmax(spectrum) * rate / x.shape[0])


@pytest.mark.parametrize("name", list(VOICES))
def test_every_voice_plays_its_note_in_tune_and_in_range(name):
    voice = VOICES[name]
    pitch = 45 if voice.mono else 57  # A2 for basses, A3 otherwise
    hold = RATE
    audio = analog.note_audio(voice, np.full(2 * RATE, float(pitch)), hold, 100, RATE)
    assert audio.shape == (2 * RATE, 2) and audio.dtype == np.float32 and np.isfinite(audio).all()
    assert 0.01 < np.abs(audio).max() < 1.0
    steady = audio[RATE // 2: hold]  # past the attack and the 808's pitch drop
    hz = 440.0 * 2 ** ((pitch - 69) / 12)
    found = _dominant_hz(steady, RATE)
    # the strongest partial is the note or (a sub or saw) an octave below or above it
    assert min(abs(found / f - 1) for f in (hz / 2, hz, 2 * hz)) < 0.03, (name, found, hz)


def test_a_released_note_dies_away_and_the_unison_is_wide():
    voice = VOICES["supersaw"]
    audio = analog.note_audio(voice, np.full(2 * RATE, 69.0), RATE // 2, 100, RATE)
    held, tail = audio[RATE // 4: RATE // 2], audio[-RATE // 4:]
    assert np.sqrt((tail ** 2).mean()) < 0.01 * np.sqrt((held ** 2).mean())
    left, right = held[:, 0], held[:, 1]
    assert np.corrcoef(left, right)[0, 1] < 0.9  # detuned copies spread across the field


def test_a_mono_voice_glides_into_an_overlapping_note():
    voice = VOICES["sub808"]
    notes = [Note(pitch=40, start=0.0, duration=2.5, velocity=100), Note(pitch=47, start=2.0, duration=2.0, velocity=100)]
    track = Track(name="808", program=38, notes=notes, role="bass", instrument="synth bass", voice="sub808")
    audio = analog.render_track(_score(track), track, voice, RATE, 4 * RATE)
    second = audio[RATE + int(0.3 * RATE): 2 * RATE]  # beat 2 = 1 s: well after the glide
    assert abs(_dominant_hz(second, RATE) / (440 * 2 ** ((47 - 69) / 12)) - 1) < 0.03
    # the glide: just after the second note starts, the pitch lies between the two notes
    t = RATE + int(0.02 * RATE)
    crossings = np.where(np.diff(np.sign(audio[t: t + RATE // 10, 0])) > 0)[0]
    hz_at_glide = RATE / np.diff(crossings).mean()
    assert 440 * 2 ** ((40 - 69) / 12) * 1.05 < hz_at_glide < 440 * 2 ** ((47 - 69) / 12) * 0.99


def test_voiced_tracks_play_on_the_analog_voices_and_the_rest_on_the_font():
    lead = Track(name="lead", program=81, notes=[Note(pitch=69, start=0.0, duration=2.0, velocity=100)],
                 role="melody", instrument="synthesizer", voice="supersaw", pan=0.5, volume=0.8)
    bass = Track(name="bass", program=38, notes=[Note(pitch=45, start=0.0, duration=2.0, velocity=100)],
                 role="bass", instrument="synth bass", voice="")
    score = _score(lead, bass)
    parts, synth = synthesize_parts(score, sample_rate=RATE, backend="numpy")
    assert synth == "numpy+analog"
    expected = analog.render_track(score, lead, VOICES["supersaw"], RATE, parts[0].shape[0])
    np.testing.assert_array_equal(parts[0], expected)
    plain, synth = synthesize_parts(dataclasses.replace(score, tracks=[dataclasses.replace(lead, voice=""), bass]),
                                    sample_rate=RATE, backend="numpy")
    assert synth == "numpy" and not np.allclose(plain[0], parts[0])
    np.testing.assert_array_equal(plain[1], parts[1])  # the unvoiced part is the same either way
    # the pan holds: right of centre
    assert np.abs(parts[0][:, 1]).sum() > np.abs(parts[0][:, 0]).sum()


def test_the_render_is_deterministic():
    track = Track(name="pad", program=89, role="pad", instrument="synth pad", voice="analog_pad",
                  notes=[Note(pitch=p, start=0.0, duration=3.0, velocity=90) for p in (60, 64, 67)])
    score = _score(track)
    a = analog.render_track(score, track, VOICES["analog_pad"], RATE, 4 * RATE)
    b = analog.render_track(score, track, VOICES["analog_pad"], RATE, 4 * RATE)
    np.testing.assert_array_equal(a, b)


def test_styles_give_electronic_parts_their_voices():
    from vmb.render.arrange import arrange
    from vmb.types import Attributes, Chord, LeadSheet

    melody = [Note(pitch=72 + (i % 5), start=float(i), duration=1.0, velocity=90) for i in range(16)]
    lead = LeadSheet(melody=melody, chords=[Chord(root=9, quality="min", start=float(b * 4), duration=4.0)
                                            for b in range(4)], key="A", mode="minor", meter="4/4", length_beats=16)
    tempo = [TempoChange(0.0, 124.0)]
    edm = arrange(lead, Attributes(genres=["electronic"], energy=0.9), tempo_map=tempo)
    voices = {t.role: t.voice for t in edm.tracks}
    assert voices.get("arp") == "pluck" and voices.get("melody") == "supersaw" and voices.get("bass") == "saw_bass"
    hiphop = arrange(lead, Attributes(genres=["hip hop"], energy=0.9), tempo_map=tempo)
    assert {t.role: t.voice for t in hiphop.tracks}.get("bass") == "sub808"
    # asking for the piano on the tune: the piano plays it on the font, not on the supersaw
    piano = arrange(lead, Attributes(genres=["electronic"], instruments=["piano"], energy=0.9), tempo_map=tempo)
    assert all(t.voice == "" for t in piano.tracks if t.instrument == "piano")


def test_an_unknown_voice_is_one_line_before_anything_renders():
    from vmb import VmbError

    track = Track(name="lead", program=81, notes=[Note(pitch=69, start=0.0, duration=1.0, velocity=100)],
                  role="melody", instrument="synthesizer", voice="tr909")
    with pytest.raises(VmbError, match="unknown synth voice 'tr909'; use one of supersaw") as err:
        synthesize_parts(_score(track), sample_rate=RATE, backend="numpy")
    assert "\n" not in str(err.value)
