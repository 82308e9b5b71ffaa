"""Built-in synthesizer: renders a Score with numpy alone, for when no SoundFont is available.

Each track gets a voice model chosen by its General MIDI program range:

- ``piano``: additive, a bright and a mellow wavetable cross-faded as the note decays;
- ``pluck``: Karplus-Strong plucked string (guitars, bass, harp, harpsichord, sitar ...);
- ``mallet``: two-operator FM with a decaying index (glockenspiel, marimba, bells, steel drums);
- sustained wavetables with ADSR and delayed vibrato: ``bowed``, ``brass``, ``reed``, ``flute``,
  ``organ``, ``voice``, ``lead``, ``pad`` (two detuned oscillators);
- drums: noise and sine one-shots per GM drum note (kick, snare, clap, toms, hats, cymbals,
  hand percussion).

Notes of the same voice, pitch, length and velocity band are rendered once per call and reused.
All noise comes from ``numpy.random.default_rng`` seeded per drum note, so output is deterministic.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from vmb.theory import midi_hz
from vmb.types import Score, Track

_TABLE = 2048  # wavetable length (samples per cycle)

# (first GM program, voice) ranges: a program uses the voice of the last start <= it.
_PROGRAM_VOICES = [
    (0, "piano"), (6, "pluck"), (8, "mallet"), (16, "organ"), (24, "pluck"), (40, "bowed"),
    (45, "pluck"), (47, "mallet"), (48, "bowed"), (52, "voice"), (55, "brass"), (64, "reed"),
    (72, "flute"), (80, "lead"), (88, "pad"), (104, "pluck"), (108, "mallet"), (109, "reed"),
    (110, "bowed"), (111, "reed"), (112, "mallet"), (120, "pad"),
]

# voice -> harmonic amplitudes (index 0 = fundamental), (attack, decay, sustain, release) in s/level,
# vibrato depth in semitones.
_SUSTAINED = {
    "bowed": ([1 / k for k in range(1, 25)], (0.08, 0.2, 0.85, 0.25), 0.12),
    "brass": ([1 / k**0.8 for k in range(1, 21)], (0.04, 0.1, 0.8, 0.12), 0.05),
    "reed": ([(1 if k % 2 else 0.35) / k for k in range(1, 17)], (0.03, 0.1, 0.85, 0.1), 0.08),
    "flute": ([1.0, 0.22, 0.08, 0.03, 0.01], (0.06, 0.1, 0.9, 0.12), 0.1),
    "organ": ([1.0, 0.7, 0.5, 0.3, 0, 0.25, 0, 0.2], (0.01, 0.05, 1.0, 0.06), 0.0),
    "voice": ([1.0, 0.5, 0.6, 0.3, 0.15, 0.1, 0.05], (0.15, 0.2, 0.85, 0.3), 0.15),
    "lead": ([1 / k for k in range(1, 31)], (0.01, 0.15, 0.7, 0.1), 0.05),
    "pad": ([1 / k**1.3 for k in range(1, 17)], (0.5, 0.5, 0.8, 0.8), 0.0),
}
_PIANO_BRIGHT = [1 / k**1.2 for k in range(1, 17)]
_PIANO_MELLOW = [1.0, 0.3, 0.1, 0.04]
_LEVEL = {"piano": 0.5, "pluck": 0.55, "mallet": 0.45, "bowed": 0.22, "brass": 0.25, "reed": 0.28,
          "flute": 0.4, "organ": 0.22, "voice": 0.3, "lead": 0.2, "pad": 0.22}


def voice_for(track: Track) -> str:
    """The voice model name for ``track`` ("drums" for drum tracks)."""
    if track.is_drum:
        return "drums"
    program = track.program % 128
    return [v for start, v in _PROGRAM_VOICES if start <= program][-1]


def _wavetable(harmonics: list[float], freq: float, sample_rate: int) -> np.ndarray:
    """One cycle with the given harmonic amplitudes, those at or above Nyquist left out, peak 1."""
    k_max = max(1, min(len(harmonics), int(0.45 * sample_rate / freq)))
    phase = np.arange(_TABLE) * (2 * np.pi / _TABLE)
    table = sum(a * np.sin(k * phase) for k, a in enumerate(harmonics[:k_max], start=1) if a)
    return table / np.max(np.abs(table))


def _read(table: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    """Read ``table`` at running phase ``cycles`` (in cycles), linearly interpolated."""
    pos = (cycles % 1.0) * _TABLE
    i0 = pos.astype(np.int64)
    frac = pos - i0
    return table[i0] * (1 - frac) + table[(i0 + 1) % _TABLE] * frac


def _adsr(n_hold: int, n_total: int, sample_rate: int, a: float, d: float, s: float, r: float) -> np.ndarray:
    t = np.arange(n_total) / sample_rate
    t_off = n_hold / sample_rate
    env = np.interp(t, [0.0, a, a + d], [0.0, 1.0, s])
    level_off = float(np.interp(t_off, [0.0, a, a + d], [0.0, 1.0, s]))
    after = t >= t_off
    env[after] = level_off * np.clip(1.0 - (t[after] - t_off) / r, 0.0, 1.0)
    return env


def _release(n_hold: int, n_total: int, sample_rate: int, r: float) -> np.ndarray:
    """1 while the key is held, then an exponential damper over ``r`` seconds."""
    env = np.ones(n_total)
    t = (np.arange(n_total - n_hold)) / sample_rate
    env[n_hold:] = np.exp(-t * 6.9 / r)
    return env


def _karplus(freq: float, n: int, sample_rate: int, brightness: float, t60: float, seed: int) -> np.ndarray:
    """Karplus-Strong string, tuned exactly by resampling from an integer loop length.

    The loop y[i] = g ((1 - S) y[i-N] + S y[i-N-1]) has a period of N + S samples; it is computed
    one period-block at a time (each block depends only on the previous one), then read at the
    rate that turns N + S into the wanted period. The damping S shrinks for high notes, which the
    plain two-point average (S = 0.5) would silence within a fraction of a second.
    """
    period = sample_rate / freq
    loop = max(2, int(period))
    damp = 0.5 * min(1.0, (220.0 / freq) ** 2)
    ratio = (loop + damp) / period
    length = int(n * ratio) + loop + 3
    g = 10.0 ** (-3.0 / (t60 * freq))  # loss per period for a T60 of t60 seconds
    y = np.zeros(length)
    rng = np.random.default_rng(seed)
    # Initial string shape: plucked a fifth of the way along (a triangle, strong fundamental) plus
    # noise low-passed a few harmonics up (brighter when struck harder); no DC, which the loop keeps.
    x = np.linspace(0.0, 1.0, loop + 1)
    shape = np.where(x < 0.2, x / 0.2, (1.0 - x) / 0.8)
    cutoff = min(0.45 * sample_rate, freq * (1.5 + 8.0 * brightness))
    sos = butter(2, cutoff, fs=sample_rate, output="sos")
    noise = sosfilt(sos, rng.uniform(-1, 1, 4 * (loop + 1)))[-(loop + 1):]
    burst = shape + 0.5 * brightness * noise / (np.max(np.abs(noise)) + 1e-12)
    y[: loop + 1] = burst - burst.mean()
    for s in range(loop + 1, length, loop):
        e = min(s + loop, length)
        y[s:e] = g * ((1 - damp) * y[s - loop:e - loop] + damp * y[s - loop - 1:e - loop - 1])
    out = np.interp(np.arange(n) * ratio, np.arange(length), y)
    return out / (np.max(np.abs(out)) + 1e-12)


def _note(voice: str, pitch: int, n_hold: int, velocity: int, sample_rate: int) -> np.ndarray:
    """Mono samples of one note held for ``n_hold`` samples, including its release."""
    freq = midi_hz(pitch)
    bright = velocity / 127.0
    sr = sample_rate
    if voice in _SUSTAINED:
        harmonics, (a, d, s, r), vib = _SUSTAINED[voice]
        n = n_hold + int(r * sr)
        t = np.arange(n) / sr
        # Vibrato fades in after 0.3 s, as players do on long notes.
        depth = vib * np.clip((t - 0.3) / 0.4, 0.0, 1.0)
        inst = freq * 2.0 ** (depth * np.sin(2 * np.pi * 5.5 * t) / 12)
        cycles = np.cumsum(inst) / sr
        table = _wavetable(harmonics, freq, sr)
        wave = _read(table, cycles)
        if voice == "pad":  # a second oscillator 8 cents up gives the chorus of a pad
            wave = 0.5 * (wave + _read(table, cycles * 2 ** (8 / 1200) + 0.25))
        return wave * _adsr(n_hold, n, sr, a, d, s, r)
    if voice == "piano":
        tau = 1.6 * 2.0 ** (-(pitch - 60) / 24)  # low strings ring longer
        n = n_hold + int(0.25 * sr)
        t = np.arange(n) / sr
        cycles = freq * t
        mix = np.exp(-t / (0.25 * tau)) * (0.4 + 0.6 * bright)
        wave = mix * _read(_wavetable(_PIANO_BRIGHT, freq, sr), cycles)
        wave += (1 - mix) * _read(_wavetable(_PIANO_MELLOW, freq, sr), cycles)
        attack = np.clip(t / 0.003, 0.0, 1.0)
        return wave * attack * np.exp(-t / tau) * _release(n_hold, n, sr, 0.25)
    if voice == "pluck":
        n = n_hold + int(0.12 * sr)
        t60 = 4.0 if pitch < 48 else 2.5
        wave = _karplus(freq, n, sr, 0.3 + 0.6 * bright, t60, seed=pitch)
        return wave * _release(n_hold, n, sr, 0.12)
    if voice == "mallet":
        ratio, index, tau = (3.5, 2.0, 1.2) if pitch >= 72 else (4.0, 1.5, 0.6)
        n = max(n_hold, int(0.2 * sr)) + int(0.3 * sr)
        t = np.arange(n) / sr
        mod = index * bright * np.exp(-t / 0.08) * np.sin(2 * np.pi * ratio * freq * t)
        wave = np.sin(2 * np.pi * freq * t + mod) * np.exp(-t / tau)
        return wave * np.clip(t / 0.002, 0.0, 1.0) * _release(max(n_hold, int(0.2 * sr)), n, sr, 0.3)
    raise ValueError(f"unknown voice {voice!r}")


# --------------------------------------------------------------------------- drums


def _filtered(noise: np.ndarray, sample_rate: int, low: float | None, high: float | None) -> np.ndarray:
    nyq = 0.49 * sample_rate
    low = min(low, 0.6 * nyq) if low else None  # keep edges valid at low sample rates
    if low and high:
        sos = butter(2, [low, min(high, nyq)], btype="band", fs=sample_rate, output="sos")
    elif low:
        sos = butter(2, low, btype="high", fs=sample_rate, output="sos")
    else:
        sos = butter(2, min(high, nyq), btype="low", fs=sample_rate, output="sos")
    return sosfilt(sos, noise)


def _metal(t: np.ndarray) -> np.ndarray:
    """Six inharmonic square waves: the metallic core of 808-style hats and cymbals."""
    return sum(np.sign(np.sin(2 * np.pi * f * t)) for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)) / 6


def drum_hit(note: int, sample_rate: int) -> np.ndarray:
    """Mono one-shot for a General MIDI drum note (35..81), peak about 1."""
    sr = sample_rate
    rng = np.random.default_rng(1000 + note)

    def span(seconds: float) -> tuple[np.ndarray, np.ndarray]:
        t = np.arange(int(seconds * sr)) / sr
        return t, rng.standard_normal(t.size)

    if note in (35, 36):  # kick: a sine sweeping down, plus a click
        t, noise = span(0.5)
        cycles = np.cumsum(50 + 110 * np.exp(-t / 0.035)) / sr
        wave = np.sin(2 * np.pi * cycles) * np.exp(-t / 0.25) + 0.3 * noise * np.exp(-t / 0.003)
    elif note in (38, 40):  # snare: body tone + bright rattle
        t, noise = span(0.35)
        wave = (np.sin(2 * np.pi * 185 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) * np.exp(-t / 0.05)
        wave += 0.5 * _filtered(noise, sr, 1200, 6000) * np.exp(-t / 0.12)
    elif note == 39:  # clap: three quick bursts and a tail
        t, noise = span(0.3)
        env = sum(np.exp(-np.clip(t - d, 0, None) / 0.006) * (t >= d) for d in (0.0, 0.011, 0.022))
        wave = _filtered(noise, sr, 900, 3500) * (env + 0.5 * np.exp(-t / 0.1) * (t >= 0.03))
    elif note == 37 or note in (75, 76, 77):  # side stick, claves, wood blocks: short pitched clicks
        t, _ = span(0.12)
        freq = {37: 1700.0, 75: 2500.0, 76: 1200.0, 77: 900.0}[note]
        wave = np.sin(2 * np.pi * freq * t) * np.exp(-t / 0.02)
    elif note in (41, 43, 45, 47, 48, 50) or 60 <= note <= 68:  # toms, bongos, congas, timbales
        t, noise = span(0.5)
        base = 0.9 * midi_hz(note) if note <= 50 else 1.6 * midi_hz(note)
        cycles = np.cumsum(base * (1 + 0.35 * np.exp(-t / 0.04))) / sr
        tau = 0.3 if note <= 50 else 0.15
        wave = np.sin(2 * np.pi * cycles) * np.exp(-t / tau) + 0.1 * noise * np.exp(-t / 0.01)
    elif note in (42, 44, 46):  # hi-hats: closed, pedal, open
        t, noise = span(0.8 if note == 46 else 0.2)
        tau = {42: 0.035, 44: 0.05, 46: 0.3}[note]
        wave = _filtered(0.6 * noise + 0.6 * _metal(t), sr, 7000, None) * np.exp(-t / tau)
    elif note in (49, 52, 55, 57):  # crash, china, splash
        t, noise = span(2.0)
        wave = _filtered(noise + 0.5 * _metal(t), sr, 3000, 11000) * np.exp(-t / 0.7)
    elif note in (51, 53, 59):  # ride, ride bell
        t, noise = span(1.2)
        ping = np.sin(2 * np.pi * 3300 * t) * (0.5 if note == 53 else 0.2)
        wave = (_filtered(0.4 * noise + _metal(t), sr, 4000, 12000) + ping) * np.exp(-t / 0.45)
    elif note in (54, 69, 70, 82):  # tambourine, cabasa, shaker
        t, noise = span(0.25)
        wave = _filtered(noise, sr, 6000, None) * np.exp(-t / (0.09 if note == 54 else 0.04))
    elif note in (56, 80, 81):  # cowbell, triangles: metallic tones
        t, _ = span(0.6 if note != 56 else 0.3)
        f1, f2 = (545.0, 815.0) if note == 56 else (4200.0, 5700.0)
        tau = 0.08 if note in (56, 80) else 0.4
        wave = (np.sin(2 * np.pi * f1 * t) + 0.7 * np.sin(2 * np.pi * f2 * t)) * np.exp(-t / tau)
    else:  # anything else: a short band-limited noise hit
        t, noise = span(0.2)
        wave = _filtered(noise, sr, 800, 5000) * np.exp(-t / 0.05)
    # A 0.5 ms attack against clicks at the start, and the last quarter fading out so that a
    # decay still audible at the end of the buffer does not stop with a click.
    wave = wave * np.clip(t / 0.0005, 0.0, 1.0) * np.clip((t[-1] - t) / (0.25 * t[-1]), 0.0, 1.0)
    return wave / (np.max(np.abs(wave)) + 1e-12)


# --------------------------------------------------------------------------- mixing


def pan_gains(pan: float, volume: float) -> tuple[float, float]:
    """Constant-power pan: -1 hard left, 0 centre (each side -3 dB), 1 hard right."""
    angle = (min(max(pan, -1.0), 1.0) + 1.0) * np.pi / 4
    return volume * float(np.cos(angle)), volume * float(np.sin(angle))


def _track_mono(score: Score, track: Track, sample_rate: int, n_samples: int, cache: dict) -> np.ndarray:
    """One track's notes as float64 mono samples, before volume and pan."""
    voice = voice_for(track)
    mono = np.zeros(n_samples)
    for note in track.notes:
        start = round(score.beat_to_seconds(note.start) * sample_rate)
        if start >= n_samples or note.duration <= 0:
            continue
        # Sound past the end is cut anyway: never synthesize more than fits.
        end = min(n_samples, round(score.beat_to_seconds(note.start + note.duration) * sample_rate))
        hold = max(1, end - start)
        vel = min(127, max(1, int(note.velocity)))
        if voice == "drums":
            key: tuple = ("drums", note.pitch)
            if key not in cache:
                cache[key] = 0.6 * drum_hit(note.pitch, sample_rate)
        else:
            key = (voice, note.pitch, hold, vel // 16)
            if key not in cache:
                cache[key] = _LEVEL[voice] * _note(voice, note.pitch, hold, 16 * (vel // 16) + 8, sample_rate)
        wave = cache[key][: n_samples - start]
        mono[start:start + wave.size] += wave * (vel / 127.0) ** 1.5
    return mono


def render_builtin(score: Score, sample_rate: int, n_samples: int) -> np.ndarray:
    """Render ``score`` to float32 stereo of shape (n_samples, 2); notes past the end are cut."""
    out = np.zeros((n_samples, 2), dtype=np.float64)
    cache: dict[tuple, np.ndarray] = {}
    for track in score.tracks:
        mono = _track_mono(score, track, sample_rate, n_samples, cache)
        left, right = pan_gains(track.pan, track.volume)
        out[:, 0] += left * mono
        out[:, 1] += right * mono
    return out.astype(np.float32)


def render_builtin_parts(score: Score, sample_rate: int, n_samples: int) -> list[np.ndarray]:
    """Each track of ``score`` alone, as :func:`render_builtin` renders it: float32 (n_samples, 2)
    arrays in track order, summing to the whole render."""
    parts = []
    cache: dict[tuple, np.ndarray] = {}
    for track in score.tracks:
        part = np.empty((n_samples, 2), dtype=np.float32)
        if track.notes:
            mono = _track_mono(score, track, sample_rate, n_samples, cache)
            left, right = pan_gains(track.pan, track.volume)
            part[:, 0], part[:, 1] = left * mono, right * mono
        else:
            part[:] = 0.0
        parts.append(part)
    return parts
