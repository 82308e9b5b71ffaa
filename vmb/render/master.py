"""Mastering: loudness normalisation (ITU-R BS.1770 via pyloudnorm), a look-ahead peak
limiter, short fades, and the light room reverb the synthesizers share.

Audio arrays are float, shape (n_samples,) or (n_samples, channels), full scale = 1.0.
Loudness is integrated loudness in LUFS; peaks are sample peaks in dBFS.
"""

from __future__ import annotations

import numpy as np

from vmb import VmbError

_SILENCE = 1e-7  # -140 dBFS: below this the input counts as silence


def _as_2d(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    # float32 is ample for 16-bit output and halves memory: 10 minutes of stereo is 200 MB a copy.
    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] > 5:
        raise VmbError(f"audio must have shape (n_samples,) or (n_samples, channels), got {np.shape(audio)}")
    if sample_rate <= 0:
        raise VmbError(f"sample rate {sample_rate} must be positive")
    if not np.all(np.isfinite(x)):
        raise VmbError("audio contains NaN or infinite samples")
    return x


def loudness_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness (BS.1770-4, gated) in LUFS; None for silence or audio below the -70 LUFS gate.

    Clips shorter than the standard 400 ms block are measured with one block as long as the clip.
    """
    import pyloudnorm

    x = _as_2d(audio, sample_rate)
    if x.shape[0] == 0 or np.max(np.abs(x)) < _SILENCE:
        return None
    block = min(0.4, x.shape[0] / sample_rate)
    value = pyloudnorm.Meter(sample_rate, block_size=block).integrated_loudness(x)
    return float(value) if np.isfinite(value) else None


def peak_level_dbfs(audio: np.ndarray) -> float | None:
    """Sample peak in dBFS (0 dBFS = 1.0); None for silence."""
    peak = float(np.max(np.abs(audio))) if np.size(audio) else 0.0
    return float(20.0 * np.log10(peak)) if peak >= _SILENCE else None


def limit(audio: np.ndarray, sample_rate: int, *, ceiling: float, smooth_s: float = 0.01) -> np.ndarray:
    """Look-ahead peak limiter: a smooth, stereo-linked gain that keeps |sample| <= ``ceiling``.

    The gain needed at each sample is spread by a moving minimum over +-``smooth_s`` and then
    smoothed by two moving averages of ``smooth_s`` each, so the gain ramps down before a peak
    (look-ahead) and back up after it, and is never above what any sample in reach needs.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    x = _as_2d(audio, sample_rate)
    level = np.max(np.abs(x), axis=1)
    if level.max() <= ceiling:
        return x.copy()
    need = np.minimum(1.0, ceiling / np.maximum(level, 1e-12))
    width = max(1, int(smooth_s * sample_rate))
    gain = minimum_filter1d(need, size=2 * width + 1, mode="nearest")
    gain = uniform_filter1d(uniform_filter1d(gain, width + 1, mode="nearest"), width + 1, mode="nearest")
    # The averages can overshoot by rounding only; the clip is a safety net, not a clipper.
    return np.clip(x * gain[:, None].astype(np.float32), -ceiling, ceiling)


def fade(audio: np.ndarray, sample_rate: int, *, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """Linear fade-in and fade-out (seconds), each at most half the clip."""
    x = _as_2d(audio, sample_rate).copy()
    n = x.shape[0]
    n_in = min(int(round(fade_in_s * sample_rate)), n // 2)
    n_out = min(int(round(fade_out_s * sample_rate)), n // 2)
    if n_in > 0:
        x[:n_in] *= np.linspace(0.0, 1.0, n_in, endpoint=False)[:, None]
    if n_out > 0:
        x[n - n_out:] *= np.linspace(1.0, 0.0, n_out)[:, None]
    return x


def master(
    audio: np.ndarray,
    sample_rate: int,
    *,
    target_lufs: float = -14.0,
    peak_dbfs: float = -1.0,
    fade_in_s: float = 0.005,
    fade_out_s: float = 0.05,
) -> tuple[np.ndarray, dict]:
    """Fade, normalise to ``target_lufs`` and limit sample peaks to ``peak_dbfs``.

    The gain is refined a few times, because limiting lowers the loudness a little; ordinary
    music lands within 0.1 LU of the target. Input shape is kept; the output is float32.
    Returns ``(audio, {"loudness_lufs": float | None, "peak_dbfs": float | None})`` measured on
    the output. Silent input gives silence and ``None`` measurements; audio too quiet to
    measure (below the -70 LUFS gate) is only faded and limited.
    """
    x = _as_2d(audio, sample_rate)
    ceiling = 10.0 ** (peak_dbfs / 20.0)
    x = fade(x, sample_rate, fade_in_s=fade_in_s, fade_out_s=fade_out_s)
    measured = loudness_lufs(x, sample_rate)
    if measured is None:
        y = limit(x, sample_rate, ceiling=ceiling)
    else:
        gain_db = target_lufs - measured
        y = x
        for _ in range(5):
            y = limit(x * np.float32(10.0 ** (gain_db / 20.0)), sample_rate, ceiling=ceiling)
            got = loudness_lufs(y, sample_rate)
            if got is None or abs(got - target_lufs) < 0.05:
                break
            # Very peaky audio cannot reach the target under the ceiling: cap the push at +12 dB.
            gain_db = min(gain_db + (target_lufs - got), target_lufs - measured + 12.0)
    y = y.astype(np.float32)
    if np.ndim(audio) == 1:
        y = y[:, 0]
    report = {"loudness_lufs": loudness_lufs(y, sample_rate), "peak_dbfs": peak_level_dbfs(y)}
    return y, report


_REVERB_CHUNK = 1 << 18  # samples


def room_reverb(
    audio: np.ndarray, sample_rate: int, *, wet: float = 0.12, decay_s: float = 1.2, seed: int = 0
) -> np.ndarray:
    """Add a light room: convolution with a seeded, exponentially decaying noise response.

    ``decay_s`` is the RT60 (time to fall 60 dB); ``wet`` the level of the reverb relative to the
    dry signal (0 = dry). Each channel gets its own response, which widens the image. The
    output has the input's shape; the tail past the end is cut.
    """
    from scipy.signal import butter, oaconvolve, sosfilt

    x = _as_2d(audio, sample_rate)
    if wet <= 0 or x.shape[0] == 0:
        return x.astype(np.float32).reshape(np.shape(audio))
    rng = np.random.default_rng(seed)
    n_ir = int(decay_s * sample_rate)
    t = np.arange(n_ir) / sample_rate
    damp = butter(1, min(6000.0, 0.45 * sample_rate), btype="low", fs=sample_rate, output="sos")
    predelay = int(0.012 * sample_rate)
    # float32 throughout: a 10-minute stereo piece is 200 MB per copy at float32.
    out = np.array(x, dtype=np.float32)
    for ch in range(x.shape[1]):
        ir = sosfilt(damp, rng.standard_normal(n_ir)) * np.exp(-6.91 * t / decay_s)
        ir = np.concatenate([np.zeros(predelay), ir / np.sqrt(np.sum(ir**2))]).astype(np.float32)
        # Overlap-add in chunks of ~6 s keeps the FFT buffers small for long pieces.
        for start in range(0, x.shape[0], _REVERB_CHUNK):
            wet_part = oaconvolve(x[start:start + _REVERB_CHUNK, ch], ir)
            stop = min(x.shape[0], start + len(wet_part))
            out[start:stop, ch] += wet * wet_part[: stop - start]
    return out.reshape(np.shape(audio))
