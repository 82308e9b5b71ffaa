"""Deterministic synthetic clips: the port's golden test signals and the benchmark's sanity set.

Numpy only (no torch, no vmb imports): ``scripts/convert_musicnn.py`` loads this file by path in
its TensorFlow venv (numpy 1.26) to compute the golden TF outputs, and the tests rebuild the same
clips here (numpy 2). Every clip is peak-normalised to 0.8 and rounded to the 16-bit grid
(``round(x * 32767) / 32767`` as float32, like audio decoded from a 16-bit file), so last-bit
differences between numpy versions in ``sin`` or ``convolve`` cannot change a single sample;
:func:`fingerprint` lets a test prove that the clip it rebuilt is the one the golden file saw.

Layout: mono clips are float32 ``(samples,)``; stereo clips are float32 ``(2, samples)``
(channels first, librosa's layout). Units: sample rates in Hz, durations in seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

__all__ = ["GOLDEN_CLIPS", "chord", "drums", "fingerprint", "noise_bursts", "stereo_pad", "sweep"]


def _finish(x: np.ndarray) -> np.ndarray:
    """Peak-normalise to 0.8 and round to the 16-bit grid (float32)."""
    x = np.asarray(x, dtype=np.float64)
    x = 0.8 * x / np.max(np.abs(x))
    return (np.round(x * 32767.0) / 32767.0).astype(np.float32)


def _fade(n: int, sample_rate: int, seconds: float = 0.05) -> np.ndarray:
    k = max(1, int(seconds * sample_rate))
    env = np.ones(n)
    ramp = np.linspace(0.0, 1.0, k)
    env[:k] = ramp
    env[-k:] = ramp[::-1]
    return env


def _lowpass(x: np.ndarray, cutoff_hz: float, sample_rate: int, taps: int = 101) -> np.ndarray:
    """Windowed-sinc FIR low-pass (Hann window), 'same' length."""
    t = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff_hz / sample_rate * t) * np.hanning(taps)
    return np.convolve(x, h / h.sum(), mode="same")


def chord(sample_rate: int = 22050, seconds: float = 8.0) -> np.ndarray:
    """A-minor chord (A3 C4 E4 A4) of decaying harmonic tones, re-struck every 2 s; mono."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    x = np.zeros_like(t)
    since = np.mod(t, 2.0)  # re-strike every 2 s
    for f0 in (220.0, 261.63, 329.63, 440.0):
        for k in range(1, 7):
            x += np.sin(2 * np.pi * f0 * k * t + 0.3 * k) * np.exp(-since * (0.6 + 0.4 * k)) / k
    return _finish(x * _fade(t.size, sample_rate))


def noise_bursts(sample_rate: int = 44100, seconds: float = 6.5, seed: int = 1) -> np.ndarray:
    """Bursts of white and low-passed noise every 0.5 s, each decaying over about 0.1 s; mono."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    white = rng.standard_normal(n)
    dark = _lowpass(rng.standard_normal(n), 800.0, sample_rate)
    t = np.arange(n) / sample_rate
    since = np.mod(t, 0.5)
    which = (np.floor(t / 0.5).astype(int) % 2) == 0
    x = np.where(which, white, 4.0 * dark) * np.exp(-since / 0.1)
    return _finish(x)


def drums(sample_rate: int = 16000, seconds: float = 8.0, seed: int = 2) -> np.ndarray:
    """A drum-machine bar at 120 BPM: kick on 1 and 3, snare on 2 and 4, closed hats on 8ths; mono."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    x = np.zeros(n)
    beat = int(0.5 * sample_rate)

    def hit(start: int, sound: np.ndarray) -> None:
        end = min(n, start + sound.size)
        x[start:end] += sound[: end - start]

    tk = np.arange(int(0.35 * sample_rate)) / sample_rate
    kick = np.sin(2 * np.pi * (50 * tk + 60 * 0.03 * (1 - np.exp(-tk / 0.03)))) * np.exp(-tk / 0.12)
    ts = np.arange(int(0.2 * sample_rate)) / sample_rate
    snare = (0.6 * rng.standard_normal(ts.size) + 0.5 * np.sin(2 * np.pi * 185 * ts)) * np.exp(-ts / 0.05)
    th = np.arange(int(0.05 * sample_rate)) / sample_rate
    hat = np.diff(rng.standard_normal(th.size + 1)) * np.exp(-th / 0.012) * 0.25
    for b in range(int(seconds / 0.5)):
        hit(b * beat, kick if b % 2 == 0 else snare)
        hit(b * beat, hat)
        hit(b * beat + beat // 2, hat)
    return _finish(x)


def stereo_pad(sample_rate: int = 44100, seconds: float = 7.0) -> np.ndarray:
    """Detuned band-limited sawtooth pad (D minor) spread left/right over a sine bass; (2, samples)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    chans = []
    for detune in (0.997, 1.003):
        x = 0.8 * np.sin(2 * np.pi * 73.42 * t)
        for f0 in (146.83, 174.61, 220.0):
            f = f0 * detune
            for k in range(1, int(6000 / f)):
                x += 0.3 * np.sin(2 * np.pi * f * k * t) / k
        chans.append(x * (0.75 + 0.25 * np.sin(2 * np.pi * 0.25 * t)) * _fade(t.size, sample_rate, 0.3))
    return _finish(np.stack(chans))


def sweep(sample_rate: int = 16000, seconds: float = 6.0) -> np.ndarray:
    """A logarithmic sine sweep from 100 Hz to 6 kHz; mono (benchmark sanity signal)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    f0, f1 = 100.0, 6000.0
    k = np.log(f1 / f0) / seconds
    return _finish(np.sin(2 * np.pi * f0 * (np.exp(k * t) - 1) / k))


# name -> (builder, sample rate): the clips whose TF outputs tests/data/musicnn_golden.npz holds.
# Three rates exercise the resampler (22.05 and 44.1 kHz) and its skip (16 kHz); one is stereo.
GOLDEN_CLIPS: dict[str, tuple[Callable[..., np.ndarray], int]] = {
    "chord": (chord, 22050),
    "noise_bursts": (noise_bursts, 44100),
    "drums": (drums, 16000),
    "stereo_pad": (stereo_pad, 44100),
}


def fingerprint(audio: np.ndarray) -> str:
    """sha256 of the float32 samples (C order) and the shape: identifies a clip exactly."""
    a = np.ascontiguousarray(audio, dtype=np.float32)
    return hashlib.sha256(repr(a.shape).encode() + a.tobytes()).hexdigest()
