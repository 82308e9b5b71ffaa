"""Analog-style synth voices in numpy: the supersaws, plucks, pads and 808s of electronic music.

A General MIDI font has one "saw lead" and one "synth bass"; records in ``vmb/data/voices.toml``
(:class:`vmb.knowledge.Voice`) describe the patches electronic genres are made of, and this
module plays them: band-limited oscillators (``unison`` detuned copies spread across the
stereo field, plus a sub-octave sine), a low-pass filter whose cutoff follows its own envelope
(the dark and the bright filtering of the note cross-faded, which a listener hears as a sweep),
an amplitude ADSR, a pitch drop at the attack (the 808's punch), portamento between
overlapping notes of a mono voice (the 808 glide) and tanh drive.

Parts are float32 (n_samples, 2) like every renderer's, with the track's volume and pan, dry:
the mixer adds the room. Deterministic: unison phases come from the note's pitch.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from vmb.knowledge import Voice
from vmb.render.synth import pan_gains
from vmb.theory import midi_hz
from vmb.types import Score, Track

_TABLE = 8192  # samples per wavetable cycle (a power of two)
_MAX_HARMONICS = 160


def _harmonics(oscillator: str) -> np.ndarray:
    k = np.arange(1, _MAX_HARMONICS + 1, dtype=np.float64)
    if oscillator == "saw":
        return 1.0 / k
    if oscillator == "square":
        return np.where(k % 2 == 1, 1.0 / k, 0.0)
    if oscillator == "triangle":
        return np.where(k % 2 == 1, ((-1.0) ** ((k - 1) // 2)) / k**2, 0.0)
    return (k == 1).astype(np.float64)  # sine


_tables: dict[tuple[str, int], np.ndarray] = {}


def _wavetable(oscillator: str, max_hz: float, sample_rate: int) -> np.ndarray:
    """One cycle of ``oscillator`` without the harmonics above Nyquist at ``max_hz`` (no aliasing)."""
    n = int(max(1, min(_MAX_HARMONICS, 0.45 * sample_rate / max(max_hz, 1.0))))
    key = (oscillator, n)
    if key not in _tables:
        amps = _harmonics(oscillator)[:n]
        phase = np.arange(_TABLE) * (2 * np.pi / _TABLE)
        table = np.sin(np.outer(phase, np.arange(1, n + 1))) @ amps
        _tables[key] = (table / np.max(np.abs(table))).astype(np.float32)
    return _tables[key]


def _read(table: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    """``table`` at running phase ``cycles`` (float64, in cycles), nearest sample: the table is long
    enough (8192) that the error sits far below the filter's output."""
    return table[(cycles * _TABLE).astype(np.int64) & (_TABLE - 1)]


def _envelope(voice: Voice, n_hold: int, n_total: int, sample_rate: int) -> np.ndarray:
    """ADSR: linear attack, exponential decay to sustain, exponential release after the key."""
    t = np.arange(n_total, dtype=np.float32) / np.float32(sample_rate)
    a = max(voice.attack_s, 1e-3)
    falling = voice.sustain + (1.0 - voice.sustain) * np.exp(-np.maximum(t - a, 0.0) * (4.6 / max(voice.decay_s, 1e-3)))
    env = np.where(t < a, t / a, falling).astype(np.float32)
    if n_hold < n_total:
        level = env[n_hold]
        env[n_hold:] = level * np.exp(-(t[n_hold:] - t[n_hold]) * (6.9 / max(voice.release_s, 1e-3)))
    return env


def _lowpass(x: np.ndarray, cutoff_hz: float, sample_rate: int) -> np.ndarray:
    nyquist = 0.5 * sample_rate
    if cutoff_hz >= 0.95 * nyquist:
        return x
    sos = butter(2, max(cutoff_hz, 20.0) / nyquist, btype="low", output="sos")
    return sosfilt(sos, x, axis=0).astype(np.float32)


def oscillator(voice: Voice, pitch: np.ndarray, sample_rate: int, *,
               drop: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """The voice's filtered oscillators at MIDI pitch ``pitch`` (one value per sample), before the
    amplitude envelope: (dark, bright), float32 (n, 2) each; bright is None without a filter sweep.
    ``drop``: the attack's pitch drop (a note glided into keeps its pitch line instead).

    Everything here is time-invariant once the pitch curve is given, so a note can be cut from a
    longer rendering of its pitch: :func:`render_track` renders each pitch once per track.
    """
    n = pitch.size
    drop = drop and voice.pitch_drop > 0
    if drop:  # the attack starts above the note and falls onto it
        pitch = pitch + voice.pitch_drop * np.exp(-np.arange(n) / (max(voice.pitch_decay_s, 1e-3) * sample_rate))
    if pitch[0] == pitch[-1] and not drop:  # a steady note (no glide): its phase is a line
        top = float(midi_hz(pitch[0]))
        base = np.arange(n) * (top / sample_rate)
    else:
        hz = midi_hz(pitch)
        top = float(hz.max())
        base = np.cumsum(hz) / sample_rate
    table = _wavetable(voice.oscillator, top * 2.0 ** (voice.detune_cents / 1200.0), sample_rate)
    out = np.zeros((n, 2), dtype=np.float32)
    u = voice.unison
    for i in range(u):
        # spread from -detune to +detune, alternately left and right; deterministic phases
        spread = (2.0 * i / (u - 1) - 1.0) if u > 1 else 0.0
        ratio = 2.0 ** (spread * voice.detune_cents / 1200.0)
        phase0 = ((int(pitch[-1]) * 7919 + i * 104729) % 1000) / 1000.0 if u > 1 else 0.0
        wave = _read(table, base * ratio + phase0)
        side = 0.5 + 0.5 * voice.width * spread
        out[:, 0] += wave * np.float32(1.0 - side)
        out[:, 1] += wave * np.float32(side)
    out *= np.float32(2.0 / u)
    if voice.sub:
        out += (voice.sub * np.sin(np.pi * base)).astype(np.float32)[:, None]  # one octave below
    dark = _lowpass(out, voice.cutoff_hz, sample_rate)
    bright = _lowpass(out, voice.bright_cutoff_hz, sample_rate) if voice.bright_cutoff_hz > voice.cutoff_hz else None
    return dark, bright


def _shape(voice: Voice, dark: np.ndarray, bright: np.ndarray | None, env: np.ndarray, velocity: int,
           sample_rate: int) -> np.ndarray:
    """A note from its oscillators: the filter sweep, the envelope, the velocity and the drive."""
    n = env.size
    gain = (env * np.float32((0.25 + 0.75 * velocity / 127.0) * voice.level))[:, None]
    if bright is None:
        out = dark[:n] * gain
    else:
        sweep = np.exp(-np.arange(n, dtype=np.float32) / np.float32(max(voice.filter_decay_s, 1e-3) * sample_rate))
        out = (dark[:n] + (bright[:n] - dark[:n]) * sweep[:, None]) * gain
    if voice.drive:
        drive = np.float32(1.0 + 6.0 * voice.drive)  # unity for quiet signals; loud ones are rounded off
        out = np.tanh(out * drive) / drive
    return out


def note_audio(voice: Voice, pitch: np.ndarray, n_hold: int, velocity: int, sample_rate: int) -> np.ndarray:
    """One note as float32 stereo (n, 2): ``pitch`` is its MIDI pitch per sample (a glide moves it),
    ``n_hold`` samples held, then the release rings out to ``len(pitch)``."""
    dark, bright = oscillator(voice, pitch, sample_rate)
    return _shape(voice, dark, bright, _envelope(voice, n_hold, pitch.size, sample_rate), velocity, sample_rate)


def render_track(score: Score, track: Track, voice: Voice, sample_rate: int, n_samples: int) -> np.ndarray:
    """``track`` played by ``voice``: float32 (n_samples, 2) with its volume and pan; sound past
    the end is cut. A mono voice plays one note at a time and glides into overlapping notes."""
    out = np.zeros((n_samples, 2), dtype=np.float32)
    spans = []
    for x in sorted((x for x in track.notes if x.duration > 0), key=lambda x: (x.start, x.pitch)):
        start = round(score.beat_to_seconds(x.start) * sample_rate)
        end = round(score.beat_to_seconds(x.start + x.duration) * sample_rate)
        if start < n_samples:
            spans.append([start, max(start + 1, end), x.pitch, int(min(127, max(1, x.velocity))), None])
    release = round(voice.release_s * sample_rate)
    for k, span in enumerate(spans):
        if voice.mono and k + 1 < len(spans) and spans[k + 1][0] < span[1]:
            span[1] = spans[k + 1][0]  # the next note takes over: one voice at a time
        if voice.mono and voice.glide_s and k and spans[k - 1][1] >= span[0] and spans[k - 1][2] != span[2]:
            span[4] = spans[k - 1][2]  # legato into it: glide from the last pitch
    # One oscillator rendering per (pitch, glide), as long as its longest note, cut for each note.
    longest: dict[tuple, int] = {}
    for start, end, pitch, _vel, glide_from in spans:
        key = (pitch, glide_from)
        longest[key] = max(longest.get(key, 0), min(n_samples, end + release) - start)
    glide = max(1, round(voice.glide_s * sample_rate))
    sounds = {}
    for (pitch, glide_from), n in longest.items():
        curve = np.full(n, float(pitch))
        if glide_from is not None:
            g = min(n, glide)
            curve[:g] = glide_from + (pitch - glide_from) * np.linspace(0.0, 1.0, g)
        sounds[(pitch, glide_from)] = oscillator(voice, curve, sample_rate, drop=glide_from is None)
    envelopes: dict[tuple[int, int], np.ndarray] = {}
    for start, end, pitch, vel, glide_from in spans:
        stop = min(n_samples, end + release)
        shape = (min(end, stop) - start, stop - start)
        if shape not in envelopes:
            envelopes[shape] = _envelope(voice, *shape, sample_rate)
        dark, bright = sounds[(pitch, glide_from)]
        out[start:stop] += _shape(voice, dark, bright, envelopes[shape], vel, sample_rate)
    # The other renderers' pan law, lifted 3 dB: a voice is already stereo, so the centre keeps both sides at 0 dB.
    left, right = (gain * np.sqrt(2.0) for gain in pan_gains(track.pan, track.volume))
    out[:, 0] *= np.float32(left)
    out[:, 1] *= np.float32(right)
    return out
