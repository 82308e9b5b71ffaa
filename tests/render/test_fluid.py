"""The FluidSynth backend and the backend choice, on a tiny SoundFont written by the test itself
(tests/fixtures/sf2.py), so no General MIDI font is needed."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import time
import warnings

import numpy as np
import pytest

from tests.fixtures.sf2 import write_sf2
from vmb import VmbError
from vmb.render import fluid
from vmb.render import soundfont as sfmod
from vmb.render.soundfont import synthesize, synthesize_parts
from vmb.types import Note, Score, TempoChange, Track

SR = 44100
HAVE_FLUIDSYNTH = fluid.unavailable_reason() is None
needs_fluidsynth = pytest.mark.skipif(not HAVE_FLUIDSYNTH, reason=f"FluidSynth: {fluid.unavailable_reason()}")


@pytest.fixture(scope="module")
def font(tmp_path_factory) -> str:
    return str(write_sf2(tmp_path_factory.mktemp("sf2") / "tiny.sf2"))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def peak_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / SR)[np.argmax(spectrum)])


def onset(x: np.ndarray) -> int:
    return int(np.argmax(np.abs(x).max(axis=1) > 1e-5))


def score(*tracks: Track, duration_s: float | None = 1.0) -> Score:
    return Score(list(tracks), [TempoChange(0.0, 120.0)], duration_s=duration_s)


def tone(program=0, pitch=69, start=0.0, beats=1.0, **kw) -> Track:
    return Track("t", program, [Note(pitch, start, beats, 100)], **kw)


def fs(sc: Score, font: str) -> np.ndarray:
    audio, name = synthesize(sc, backend="fluidsynth", soundfont=font, reverb=0.0)
    assert name == f"fluidsynth:{font}"
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    return audio


def busy(n_tracks: int = 3) -> Score:
    tracks = [Track(f"t{i}", 0, [Note(57 + 3 * i + (j % 5), 0.37 * j + 0.1 * i, 0.3, 60 + 7 * j % 60)
                                 for j in range(8)], volume=0.4 + 0.1 * (i % 5), pan=-0.8 + 0.3 * (i % 6))
              for i in range(n_tracks)]
    tracks.append(Track("kit", 8, [Note(36 + j % 3, 0.5 * j, 0.25, 100) for j in range(6)], is_drum=True))
    return score(*tracks, duration_s=2.0)


@needs_fluidsynth
def test_length_pitch_and_onset(font):
    audio = fs(score(tone(pitch=69, start=1.0), duration_s=1.2345), font)
    assert audio.shape == (round(1.2345 * SR), 2)
    # Beat 1 at 120 BPM = sample 22050; FluidSynth starts voices on its 64-sample grid (nearest).
    assert abs(onset(audio) - 22050) <= fluid.BLOCK // 2 + 2
    assert rms(audio[:22000]) == 0.0
    assert abs(peak_hz(audio[23000:43000].mean(axis=1)) - 440.0) < 3.0
    low = fs(score(tone(pitch=57)), font)  # the sample's root key is 69: A3 plays an octave down
    assert abs(peak_hz(low[2000:20000].mean(axis=1)) - 220.0) < 3.0


@needs_fluidsynth
def test_length_without_duration_is_last_note_plus_tail(font):
    audio = fs(score(tone(start=2.0, beats=2.0), duration_s=None), font)  # ends at 2 s
    assert audio.shape[0] == round((2.0 + sfmod.RELEASE_TAIL_S) * SR)


@needs_fluidsynth
def test_volume_is_linear_and_pan_moves_the_image(font):
    full = fs(score(tone()), font)
    half = fs(score(tone(volume=0.5)), font)
    assert rms(half) / rms(full) == pytest.approx(0.5, rel=1e-4)
    left, right = fs(score(tone(pan=-1.0)), font), fs(score(tone(pan=1.0)), font)
    assert rms(left[:, 0]) > 30 * rms(left[:, 1])
    assert rms(right[:, 1]) > 30 * rms(right[:, 0])
    assert rms(full[:, 0]) == pytest.approx(rms(full[:, 1]), rel=0.02)  # centre is centre


@needs_fluidsynth
def test_drum_kit_is_the_program_and_falls_back_to_kit_0(font):
    def kit_hz(program: int) -> float:
        audio = fs(score(tone(program=program, pitch=38, beats=0.5, is_drum=True), duration_s=0.5), font)
        assert rms(audio) > 1e-3
        return peak_hz(audio[100:2100].mean(axis=1))

    assert abs(kit_hz(0) - 1000) < 30 and abs(kit_hz(8) - 2000) < 30
    assert abs(kit_hz(25) - 1000) < 30  # no TR-808 kit in this font: the standard kit plays
    missing = fs(score(tone(program=40)), font)  # no violin either: preset 0
    assert abs(peak_hz(missing[2000:20000].mean(axis=1)) - 440.0) < 3.0


@needs_fluidsynth
def test_more_than_sixteen_tracks_and_parts_sum_to_the_whole(font, monkeypatch):
    sc = busy(19)
    whole = fs(sc, font)
    parts, name = synthesize_parts(sc, backend="fluidsynth", soundfont=font)
    assert name == f"fluidsynth:{font}" and len(parts) == len(sc.tracks)
    assert all(p.shape == whole.shape and p.dtype == np.float32 for p in parts)
    assert all(rms(p) > 1e-4 for p in parts)  # tracks 17-20 sound too
    error = np.sum(parts, axis=0) - whole
    assert rms(error) < 1e-6 * rms(whole)  # far below the -60 dB the mixer needs
    # A part is its track alone: the same as rendering a one-track score (on one thread: with
    # two, a lone track is split by pitch between them, which changes the rounding).
    monkeypatch.setenv("VMB_SYNTH_THREADS", "1")
    alone = fs(score(sc.tracks[17], duration_s=2.0), font)
    assert parts[17].tobytes() == alone.tobytes()


@needs_fluidsynth
def test_parts_without_a_split_track_are_the_same_parts(font, monkeypatch):
    from vmb.render import fluid

    monkeypatch.setenv("VMB_SYNTH_THREADS", "2")
    sc = busy(3)
    sc.tracks[0].notes.extend(dataclasses.replace(n, pitch=n.pitch + k) for n in list(sc.tracks[0].notes)
                              for k in (3, 7, 12))  # a track heavier than the others: split by pitch
    n = int(sc.duration_s * 44100) if sc.duration_s else 44100
    split = fluid.render_parts(sc, 44100, n, font)
    whole = fluid.render_parts(sc, 44100, n, font, split=False)
    assert all(p.shape == (n, 2) and p.flags.c_contiguous for p in whole)
    for a, b in zip(split, whole):  # a split track's halves sum to it (two synths: -50 dB here)
        assert rms(a - b) <= 0.01 * max(rms(b), 1e-12)
    assert any(not np.array_equal(a, b) for a, b in zip(split, whole))  # the track was split


@needs_fluidsynth
def test_rendering_is_deterministic_whatever_came_before(font):
    sc = busy()
    a = fs(sc, font)
    fs(score(tone(pitch=40, beats=100.0), duration_s=1.5), font)  # a held note in between
    fs(busy(5), font)
    b = fs(sc, font)
    assert a.tobytes() == b.tobytes()
    p1, _ = synthesize_parts(sc, backend="fluidsynth", soundfont=font)
    p2, _ = synthesize_parts(sc, backend="fluidsynth", soundfont=font)
    assert all(x.tobytes() == y.tobytes() for x, y in zip(p1, p2))


@needs_fluidsynth
def test_one_and_two_render_threads_agree(font, monkeypatch):
    sc = busy(4)
    monkeypatch.setenv("VMB_SYNTH_THREADS", "1")
    one = fs(sc, font)
    parts_one, _ = synthesize_parts(sc, backend="fluidsynth", soundfont=font)
    monkeypatch.setenv("VMB_SYNTH_THREADS", "2")
    two = fs(sc, font)
    parts_two, _ = synthesize_parts(sc, backend="fluidsynth", soundfont=font)
    assert all(x.tobytes() == y.tobytes() for x, y in zip(parts_one, parts_two))
    np.testing.assert_allclose(one, two, atol=1e-6)  # the two threads' sums are added last


@pytest.mark.parametrize("backend", [pytest.param("fluidsynth", marks=needs_fluidsynth), "tinysoundfont", "numpy"])
def test_every_backend_renders_parts(font, backend):
    if backend == "tinysoundfont":
        pytest.importorskip("tinysoundfont")
    sc = busy()
    sc.tracks.append(Track("empty", 0, []))
    whole, name = synthesize(sc, backend=backend, soundfont=font, reverb=0.0)
    parts, name_parts = synthesize_parts(sc, backend=backend, soundfont=font)
    assert name == name_parts == (backend if backend == "numpy" else f"{backend}:{font}")
    assert len(parts) == len(sc.tracks) and not parts[-1].any()
    # tinysoundfont steps its envelopes per render call, and the whole render is cut at every
    # track's events: its parts differ from it by about -56 dB; the others by float rounding.
    tolerance = 3e-3 if backend == "tinysoundfont" else 1e-6
    assert rms(np.sum(parts, axis=0) - whole) < tolerance * rms(whole)


def test_auto_prefers_fluidsynth_then_warns_once_with_what_to_install(font, monkeypatch):
    monkeypatch.delenv("VMB_SYNTH", raising=False)
    monkeypatch.setattr(sfmod, "_warned", False)
    sc = score(tone())
    if HAVE_FLUIDSYNTH:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert synthesize(sc, soundfont=font)[1] == f"fluidsynth:{font}"
    monkeypatch.setattr(fluid, "unavailable_reason", lambda: "libfluidsynth is not installed")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = [synthesize(sc, soundfont=font)[1], synthesize_parts(sc, soundfont=font)[1]]
        monkeypatch.setattr(sfmod, "find_soundfont", lambda *a, **k: None)
        names.append(synthesize(sc)[1])
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1, messages
    assert "libfluidsynth3" in messages[0] and "musescore-general-soundfont" in messages[0]
    assert "pyfluidsynth==1.4.0" in messages[0]
    assert names[-1] == "numpy"
    if importlib.util.find_spec("tinysoundfont"):
        assert names[:2] == [f"tinysoundfont:{font}"] * 2
    with pytest.raises(VmbError, match="libfluidsynth3.*pyfluidsynth"):
        synthesize(sc, backend="fluidsynth", soundfont=font)


def test_backend_from_env_and_errors(font, monkeypatch, tmp_path):
    monkeypatch.setenv("VMB_SYNTH", "numpy")
    assert synthesize(score(tone()), soundfont=font)[1] == "numpy"
    monkeypatch.setenv("VMB_SYNTH", "timidity")
    with pytest.raises(VmbError, match="fluidsynth, tinysoundfont"):
        synthesize(score(tone()))
    monkeypatch.delenv("VMB_SYNTH")
    with pytest.raises(VmbError, match="missing.sf2 does not exist"):
        synthesize_parts(score(tone()), backend="fluidsynth", soundfont=str(tmp_path / "missing.sf2"))


@needs_fluidsynth
def test_bad_soundfont_and_rate_are_one_line_errors(tmp_path, font):
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF\x04\x00\x00\x00junk")
    with pytest.raises(VmbError, match="cannot load SoundFont .*junk.sf2") as err:
        synthesize(score(tone()), backend="fluidsynth", soundfont=str(junk))
    assert "\n" not in str(err.value)
    with pytest.raises(VmbError, match="96000"):
        synthesize(score(tone()), backend="fluidsynth", soundfont=font, sample_rate=192000)


def cached(path: str, worker: int = 0):
    """The loaded SoundFont the render thread ``worker`` would use for ``path``, or None."""
    return next((f for key, f in fluid._cache.items() if key[0] == os.path.realpath(path) and key[-1] == worker), None)


@needs_fluidsynth
def test_a_preload_decodes_the_presets_ahead_and_changes_no_sample(tmp_path, monkeypatch):
    monkeypatch.delenv("VMB_SYNTH", raising=False)
    ahead_font, cold_font = str(write_sf2(tmp_path / "ahead.sf2")), str(write_sf2(tmp_path / "cold.sf2"))
    sc = busy(3)
    sc.tracks += [tone(program=40), dataclasses.replace(tone(program=81), voice="supersaw")]
    preload = sfmod.preload(sc.tracks, soundfont=ahead_font)
    preload.wait()
    loaded = cached(ahead_font)
    # piano and the standard kit (always), kit 8 (asked); no violin in this font (left for the render to
    # find); a track with a synth voice plays on vmb.render.analog, not the font
    assert loaded is not None and loaded.presets == {(0, 0): True, (128, 0): True, (128, 8): True}
    assert cached(cold_font) is None
    font_only = dataclasses.replace(sc, tracks=sc.tracks[:-1])
    assert fs(font_only, ahead_font).tobytes() == fs(font_only, cold_font).tobytes()
    ahead, _ = synthesize_parts(sc, soundfont=ahead_font)
    cold, _ = synthesize_parts(sc, soundfont=cold_font)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(ahead, cold))
    # the render thread that played the violin found it missing, and played preset 0
    assert any(cached(ahead_font, w) and cached(ahead_font, w).presets.get((0, 40)) is False for w in (0, 1))
    preload.close()  # again, after the end: nothing to stop


def test_no_preload_where_fluidsynth_would_not_render(font, tmp_path, monkeypatch):
    tracks = [tone()]
    assert sfmod.preload(tracks, soundfont=font, backend="numpy") is None
    assert sfmod.preload(tracks, soundfont=font, backend="tinysoundfont") is None
    assert sfmod.preload(tracks, soundfont=str(tmp_path / "missing.sf2")) is None
    assert sfmod.preload(tracks, soundfont=font, sample_rate=192000) is None
    monkeypatch.setenv("VMB_SYNTH", "numpy")
    assert sfmod.preload(tracks, soundfont=font) is None
    monkeypatch.setenv("VMB_SYNTH", "fluidsynth")
    monkeypatch.setenv("VMB_SOUNDFONT", str(tmp_path / "missing.sf2"))
    assert sfmod.preload(tracks) is None  # the render says what is wrong with it


@needs_fluidsynth
def test_a_preload_of_a_broken_font_is_silent_and_the_render_says_it_once(tmp_path, monkeypatch):
    monkeypatch.delenv("VMB_SYNTH", raising=False)
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF\x04\x00\x00\x00junk")
    loads = []
    real = fluid._FluidSynth.__init__

    def counting(self, path, sample_rate):
        loads.append(path)
        real(self, path, sample_rate)

    monkeypatch.setattr(fluid._FluidSynth, "__init__", counting)
    sfmod.preload([tone()], soundfont=str(junk)).wait()
    for _ in range(2):
        with pytest.raises(VmbError, match="cannot load SoundFont .*junk.sf2: FluidSynth does not read it") as err:
            synthesize_parts(busy(3), backend="fluidsynth", soundfont=str(junk))
        assert "\n" not in str(err.value)
    assert loads == [str(junk)]  # libfluidsynth was asked once, by the preload
    write_sf2(junk)  # replaced by a good font (another size): it loads
    assert rms(fs(score(tone()), str(junk))) > 1e-3


@needs_fluidsynth
def test_a_closed_preload_has_stopped(tmp_path):
    path = str(write_sf2(tmp_path / "stop.sf2"))
    preload = fluid.Preload(path, SR, [(0, 40)] * 50)  # no violin: each is looked for and left
    preload.close()
    assert not preload._thread.is_alive()
    loaded = cached(path)
    assert loaded is not None and loaded.lock.acquire(blocking=False)  # the lock was let go
    # another request's render holds the font: a preload closed meanwhile stops without it
    try:
        preload = fluid.Preload(path, SR, [(128, 8)])
        started = time.perf_counter()
        preload.close()
        assert time.perf_counter() - started < 1.0 and not preload._thread.is_alive()
        assert (128, 8) not in loaded.presets
    finally:
        loaded.lock.release()


def test_fluidsynth_font_search_prefers_musescore(monkeypatch, tmp_path):
    monkeypatch.delenv("VMB_SOUNDFONT", raising=False)
    assert sfmod.FLUIDSYNTH_SOUNDFONT_PATHS[0].endswith("MuseScore_General_Full.sf3")
    assert not any(p.endswith(".sf3") for p in sfmod.SOUNDFONT_PATHS)
    found = sfmod.find_soundfont("fluidsynth")
    assert found is None or found in sfmod.FLUIDSYNTH_SOUNDFONT_PATHS
    monkeypatch.setenv("VMB_SOUNDFONT", str(write_sf2(tmp_path / "mine.sf2")))
    assert sfmod.find_soundfont("fluidsynth") == str(tmp_path / "mine.sf2")
