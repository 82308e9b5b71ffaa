"""master(): loudness target, peak ceiling, fades, silence; room_reverb keeps shape and adds a tail."""

from __future__ import annotations

import numpy as np
import pytest

from vmb import VmbError
from vmb.render import loudness_lufs, master, room_reverb, synthesize
from vmb.types import Note, Score, TempoChange, Track

SR = 44100


@pytest.fixture(scope="module")
def rendered() -> np.ndarray:
    """6 s of melody, chords, bass and drums from the built-in synth (same on every machine)."""
    melody = [Note(72 + [0, 2, 4, 7, 9, 7, 4, 2][i % 8], 0.5 * i, 0.5, 100) for i in range(24)]
    chords = [Note(p, 4.0 * b, 4.0, 70) for b in range(3) for p in (48, 52, 55)]
    bass = [Note(36, float(i), 0.9, 95) for i in range(12)]
    drums = [Note([36, 42, 38, 42][i % 4], 0.5 * i, 0.25, 110) for i in range(24)]
    tracks = [Track("lead", 81, melody), Track("keys", 0, chords), Track("bass", 33, bass),
              Track("drums", 0, drums, is_drum=True)]
    audio, _ = synthesize(Score(tracks, [TempoChange(0, 120)], duration_s=6.0), backend="numpy")
    return audio


@pytest.mark.parametrize("scale", [0.01, 1.0, 8.0])  # far too quiet, as rendered, clipping hot
def test_master_reaches_target_loudness_under_the_peak_ceiling(rendered, scale):
    out, report = master(rendered * scale, SR)
    assert out.shape == rendered.shape and out.dtype == np.float32
    assert report["loudness_lufs"] == pytest.approx(-14.0, abs=0.5)
    assert loudness_lufs(out, SR) == pytest.approx(report["loudness_lufs"], abs=1e-6)
    assert report["peak_dbfs"] <= -1.0 + 1e-4
    assert 20 * np.log10(np.max(np.abs(out))) <= -1.0 + 1e-4


def test_master_other_targets_and_mono(rendered):
    out, report = master(rendered[:, 0], SR, target_lufs=-23.0, peak_dbfs=-3.0)
    assert out.ndim == 1 and out.shape[0] == rendered.shape[0]
    assert report["loudness_lufs"] == pytest.approx(-23.0, abs=0.5)
    assert report["peak_dbfs"] <= -3.0 + 1e-4


def test_master_fades_the_ends(rendered):
    out, _ = master(rendered, SR, fade_in_s=0.01, fade_out_s=0.1)
    assert np.all(out[0] == 0.0) and np.all(np.abs(out[-1]) < 1e-6)
    assert np.max(np.abs(out[:10])) < np.max(np.abs(out[1000:2000]))


def test_master_keeps_silence_silent():
    out, report = master(np.zeros((SR, 2), dtype=np.float32), SR)
    assert out.shape == (SR, 2) and not out.any()
    assert report == {"loudness_lufs": None, "peak_dbfs": None, "gain_db": 0.0}


def test_the_reported_loudness_is_the_outputs_when_the_limiter_works_hard():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((SR * 4, 2)) * 0.05).astype(np.float32)
    x[::3000] *= 12  # peaks far over the ceiling: the gain is refined several times
    out, report = master(x, SR)
    assert report["peak_dbfs"] <= -1.0 + 1e-4
    assert report["loudness_lufs"] == loudness_lufs(out, SR)


def test_master_handles_clips_shorter_than_a_loudness_block():
    t = np.arange(int(0.2 * SR)) / SR
    tone = 0.1 * np.sin(2 * np.pi * 440 * t)
    out, report = master(np.stack([tone, tone], axis=1), SR)
    assert report["loudness_lufs"] == pytest.approx(-14.0, abs=0.5)
    assert report["peak_dbfs"] <= -1.0 + 1e-4


def test_master_rejects_bad_audio():
    with pytest.raises(VmbError, match="NaN"):
        master(np.full((SR, 2), np.nan), SR)
    with pytest.raises(VmbError, match="shape"):
        master(np.zeros((2, SR, 2)), SR)


def test_room_reverb_adds_a_tail_and_keeps_the_length():
    click = np.zeros((SR, 2), dtype=np.float32)
    click[100] = 1.0
    wet = room_reverb(click, SR, wet=0.3)
    assert wet.shape == click.shape
    assert np.abs(wet[int(0.2 * SR):int(0.3 * SR)]).max() > 1e-4  # reverb rings after the click
    assert not np.array_equal(wet[:, 0], wet[:, 1])  # decorrelated channels
    assert np.array_equal(room_reverb(click, SR, wet=0.3), wet)  # seeded
    assert np.array_equal(room_reverb(click, SR, wet=0.0), click)


@pytest.mark.parametrize("sample_rate", [44100, 48000, 16000])
@pytest.mark.parametrize("seconds", [0.25, 7.3])
def test_streaming_loudness_meter_agrees_with_pyloudnorm(sample_rate, seconds):
    pyloudnorm = pytest.importorskip("pyloudnorm")
    rng = np.random.default_rng(1)
    n = int(sample_rate * seconds)
    t = np.arange(n) / sample_rate
    audio = np.stack([np.sin(2 * np.pi * 440 * t) * (0.5 + 0.5 * np.sin(3 * t)),
                      rng.standard_normal(n) * 0.1 * (t > seconds / 2)], axis=1).astype(np.float32)
    expected = pyloudnorm.Meter(sample_rate, block_size=min(0.4, seconds)).integrated_loudness(audio.astype(np.float64))
    assert loudness_lufs(audio, sample_rate) == pytest.approx(expected, abs=1e-3)


def test_chunked_mastering_equals_mastering_in_one_piece(rendered, monkeypatch):
    """Chunk seams must not show: 1000-sample chunks give the same samples as one chunk."""
    import importlib

    mastering = importlib.import_module("vmb.render.master")
    hot = rendered.copy()
    hot[::337] += 1.0  # clicks: the limiter works across every chunk seam
    whole, report = master(hot, SR)
    monkeypatch.setattr(mastering, "_CHUNK", 1000)
    pieces, report_pieces = mastering.master(hot, SR)
    np.testing.assert_allclose(pieces, whole, atol=1e-6)
    assert report_pieces["loudness_lufs"] == pytest.approx(report["loudness_lufs"], abs=1e-4)
