"""synthesize(): length, pitch, drums, volume/pan, determinism and the fallback, for every backend.

The SoundFont backends play the system's .sf2 General MIDI font (FluidR3_GM where installed;
FluidSynth too, so that these tests do not load the 86 MB MuseScore font); tests skip a backend
that is not installed. tests/render/test_fluid.py covers FluidSynth on a tiny font.
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

from vmb import VmbError
from vmb.render import fluid, synthesize
from vmb.render import soundfont as sfmod
from vmb.render.synth import voice_for
from vmb.types import Note, Score, TempoChange, Track

SR = 44100


def _soundfont() -> str | None:
    try:
        path = sfmod.find_soundfont()
    except VmbError:
        return None
    return path if importlib.util.find_spec("tinysoundfont") else None


SOUNDFONT = _soundfont()
needs_sf = pytest.mark.skipif(SOUNDFONT is None, reason="no General MIDI SoundFont or tinysoundfont")
needs_fs = pytest.mark.skipif(SOUNDFONT is None or fluid.unavailable_reason() is not None,
                              reason="no General MIDI SoundFont or FluidSynth")
BACKENDS = [pytest.param("fluidsynth", marks=needs_fs), pytest.param("tinysoundfont", marks=needs_sf), "numpy"]


def one_note(program=73, pitch=69, beats=4.0, *, drum=False, volume=1.0, pan=0.0, duration_s=2.0) -> Score:
    track = Track("t", program, [Note(pitch, 0.0, beats, 100)], is_drum=drum, volume=volume, pan=pan)
    return Score([track], [TempoChange(0.0, 120.0)], duration_s=duration_s)


def render(score: Score, backend: str, **kw) -> np.ndarray:
    if backend != "numpy":
        kw.setdefault("soundfont", SOUNDFONT)
    audio, name = synthesize(score, backend=backend, reverb=0.0, **kw)
    assert name == "numpy" if backend == "numpy" else name == f"{backend}:{SOUNDFONT}"
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    return audio


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def peak_hz(x: np.ndarray, sr: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / sr)[np.argmax(spectrum)])


def centroid_hz(x: np.ndarray, sr: int = SR) -> float:
    """Power-weighted spectral centroid."""
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / sr)
    return float(np.sum(freqs * spectrum) / np.sum(spectrum))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sample_rate,duration_s", [(44100, 2.0), (22050, 1.2345)])
def test_length_is_exact_when_duration_is_set(backend, sample_rate, duration_s):
    score = one_note(duration_s=duration_s)
    score.tracks[0].notes.append(Note(72, 3.0, 8.0, 90))  # starts inside, rings far past the end
    score.tracks[0].notes.append(Note(74, 40.0, 1.0, 90))  # starts after the end: cut
    audio = render(score, backend, sample_rate=sample_rate)
    assert audio.shape == (round(duration_s * sample_rate), 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_length_without_duration_follows_tempo_map_plus_tail(backend):
    # 4 beats at 120 BPM (2 s) then 2 beats at 60 BPM (2 s): last note ends at 4 s, +2 s tail.
    track = Track("t", 0, [Note(60, 0.0, 1.0), Note(64, 5.0, 1.0)])
    score = Score([track], [TempoChange(0.0, 120.0), TempoChange(4.0, 60.0)])
    audio = render(score, backend)
    assert audio.shape[0] == round((4.0 + sfmod.RELEASE_TAIL_S) * SR)
    # The second note starts at 3 s (beat 5 at 60 BPM after 2 s): silence just before, sound after.
    assert rms(audio[int(2.9 * SR):int(2.99 * SR)]) < 0.05 * rms(audio[int(3.05 * SR):int(3.3 * SR)])


@pytest.mark.parametrize("backend", BACKENDS)
def test_sustained_a4_sounds_at_440_hz(backend):
    audio = render(one_note(program=73, pitch=69), backend)
    mono = audio[int(0.3 * SR):int(1.8 * SR)].mean(axis=1)
    assert rms(mono) > 1e-3
    assert abs(peak_hz(mono) - 440.0) < 3.0


@pytest.mark.parametrize("program", [0, 6, 11, 16, 25, 33, 40, 48, 52, 56, 65, 71, 73, 81, 89, 105])
def test_every_builtin_voice_is_in_tune(program):
    # A3 (220 Hz) so that bass and low instruments are in range too; no vibrato in the window's mean.
    audio = render(one_note(program=program, pitch=57, duration_s=1.5), "numpy")
    mono = audio[int(0.1 * SR):int(1.4 * SR)].mean(axis=1)
    assert rms(mono) > 1e-3, voice_for(Track("t", program))
    assert abs(peak_hz(mono) - 220.0) < 3.0, voice_for(Track("t", program))


@pytest.mark.parametrize("backend", BACKENDS)
def test_drums_have_energy_and_kick_is_lower_than_hihat(backend):
    kick = render(one_note(program=0, pitch=36, beats=0.5, drum=True, duration_s=0.6), backend)
    hat = render(one_note(program=0, pitch=42, beats=0.5, drum=True, duration_s=0.6), backend)
    snare = render(one_note(program=0, pitch=38, beats=0.5, drum=True, duration_s=0.6), backend)
    for hit in (kick, hat, snare):
        assert rms(hit) > 1e-3
    assert centroid_hz(kick.mean(axis=1)) < 1500 < 3000 < centroid_hz(hat.mean(axis=1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_volume_is_a_linear_gain_and_pan_moves_the_image(backend):
    full = render(one_note(program=73, volume=1.0), backend)
    half = render(one_note(program=73, volume=0.5), backend)
    assert rms(half) / rms(full) == pytest.approx(0.5, abs=0.05)
    left = render(one_note(program=73, pan=-1.0), backend)
    right = render(one_note(program=73, pan=1.0), backend)
    assert rms(left[:, 0]) > 1.5 * rms(left[:, 1])
    assert rms(right[:, 1]) > 1.5 * rms(right[:, 0])


def _busy_score() -> Score:
    notes = [Note(60 + (i * 5) % 17, 0.5 * i, 0.5, 60 + i % 50) for i in range(12)]
    drums = [Note([36, 38, 42][i % 3], 0.5 * i, 0.25, 100) for i in range(12)]
    tracks = [Track("lead", 81, notes), Track("pad", 89, [Note(48, 0, 6, 70)]),
              Track("kit", 0, drums, is_drum=True)]
    return Score(tracks, [TempoChange(0.0, 120.0)], duration_s=3.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rendering_is_deterministic(backend):
    font = None if backend == "numpy" else SOUNDFONT
    a, _ = synthesize(_busy_score(), backend=backend, soundfont=font)
    synthesize(one_note(program=48, pitch=40, beats=100.0), backend=backend, soundfont=font)  # a held note
    b, _ = synthesize(_busy_score(), backend=backend, soundfont=font)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("backend", BACKENDS)
def test_more_than_sixteen_tracks_all_sound(backend):
    tracks = [Track(f"t{i}", 0, [Note(48 + i, 0.0, 1.0, 100)] if i == 17 else []) for i in range(18)]
    audio = render(Score(tracks, duration_s=1.0), backend)
    assert rms(audio) > 1e-3  # the only note is in the second group of 16


def test_env_forces_the_builtin_synth(monkeypatch):
    monkeypatch.setenv("VMB_SYNTH", "numpy")
    _, name = synthesize(one_note(duration_s=0.5))
    assert name == "numpy"


def test_fallback_warns_once_when_no_soundfont(monkeypatch):
    monkeypatch.setattr(sfmod, "find_soundfont", lambda *args: None)
    monkeypatch.setattr(sfmod, "_warned", False)
    monkeypatch.delenv("VMB_SYNTH", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        audio, name = synthesize(one_note(duration_s=0.5))
        synthesize(one_note(duration_s=0.5))
    assert name == "numpy" and rms(audio) > 1e-3
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "VMB_SOUNDFONT" in messages[0]
    assert "apt-get install libfluidsynth3 musescore-general-soundfont" in messages[0]
    assert "pip install pyfluidsynth==1.4.0" in messages[0]
    with pytest.raises(VmbError, match="tinysoundfont"):
        synthesize(one_note(duration_s=0.5), backend="tinysoundfont")
    with pytest.raises(VmbError, match="FluidSynth"):
        synthesize(one_note(duration_s=0.5), backend="fluidsynth")


def test_soundfont_env_and_argument_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("VMB_SOUNDFONT", str(tmp_path / "missing.sf2"))
    with pytest.raises(VmbError, match="missing.sf2"):
        sfmod.find_soundfont()
    monkeypatch.setenv("VMB_SOUNDFONT", str(tmp_path))  # a folder is not a SoundFont
    with pytest.raises(VmbError, match="VMB_SOUNDFONT"):
        sfmod.find_soundfont()
    monkeypatch.delenv("VMB_SOUNDFONT")
    with pytest.raises(VmbError, match="nope.sf2"):
        synthesize(one_note(), soundfont=str(tmp_path / "nope.sf2"), backend="auto")


def test_bad_input_is_a_one_line_error():
    with pytest.raises(VmbError, match="pitch 130"):
        synthesize(one_note(pitch=130), backend="numpy")
    with pytest.raises(VmbError, match="sample rate"):
        synthesize(one_note(), backend="numpy", sample_rate=100)
    with pytest.raises(VmbError, match="backend"):
        synthesize(one_note(), backend="timidity")
