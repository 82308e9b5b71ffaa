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


# Long pieces are processed in chunks of ~6 s so that mastering 10 minutes of stereo needs a
# few MB of scratch space besides the input and the output (whole-array filters needed ~0.7 GB).
_CHUNK = 1 << 18  # samples


def _k_weighting(sample_rate: int) -> np.ndarray:
    """BS.1770 K-weighting as second-order sections: a +4 dB high shelf at 1.5 kHz and a
    38 Hz high-pass, designed with the RBJ cookbook formulas for any sample rate (the same
    design pyloudnorm uses, so the numbers agree with it)."""

    def biquad(kind: str, gain_db: float, q: float, fc: float) -> list[float]:
        a = 10.0 ** (gain_db / 40.0)
        w0 = 2.0 * np.pi * fc / sample_rate
        cos, alpha = np.cos(w0), np.sin(w0) / (2.0 * q)
        if kind == "shelf":
            root = 2.0 * np.sqrt(a) * alpha
            b = [a * ((a + 1) + (a - 1) * cos + root), -2 * a * ((a - 1) + (a + 1) * cos),
                 a * ((a + 1) + (a - 1) * cos - root)]
            den = [(a + 1) - (a - 1) * cos + root, 2 * ((a - 1) - (a + 1) * cos), (a + 1) - (a - 1) * cos - root]
        else:  # high-pass
            b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
            den = [1 + alpha, -2 * cos, 1 - alpha]
        return [v / den[0] for v in b] + [1.0] + [v / den[0] for v in den[1:]]

    return np.array([biquad("shelf", 4.0, 1 / np.sqrt(2), 1500.0), biquad("highpass", 0.0, 0.5, 38.0)])


class LoudnessMeter:
    """Integrated loudness (ITU-R BS.1770-4, gated) of audio fed in pieces of any length.

    Keeps only the filter state and one mean-square value per quarter block (100 ms), so the
    whole input never needs to be in memory at once. Blocks are 400 ms with 75% overlap,
    gated at -70 LUFS absolute and -10 LU relative; channel weights 1, 1, 1, 1.41, 1.41.
    """

    GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)

    def __init__(self, sample_rate: int, channels: int, *, block_s: float = 0.4):
        from scipy.signal import sosfilt_zi

        self.rate, self.block_s = sample_rate, block_s
        self.sos = _k_weighting(sample_rate)
        self.state = np.zeros((channels, *sosfilt_zi(self.sos).shape))
        self.weights = np.array(self.GAINS[:channels])
        self.n = 0
        self.quarters: list[float] = []  # weighted energy per quarter block, in order
        self._partial = 0.0  # energy of the quarter block still being filled

    def _boundary(self, k: int) -> int:
        return int(self.block_s * 0.25 * k * self.rate)

    def feed(self, chunk: np.ndarray) -> None:
        from scipy.signal import sosfilt

        x = np.asarray(chunk, dtype=np.float64)
        x = x[:, None] if x.ndim == 1 else x
        energy = np.zeros(len(x))
        for ch in range(x.shape[1]):
            y, self.state[ch] = sosfilt(self.sos, x[:, ch], zi=self.state[ch])
            energy += self.weights[ch] * y * y
        csum = np.concatenate([[0.0], np.cumsum(energy)])
        pos = 0  # in this chunk
        while True:
            end = self._boundary(len(self.quarters) + 1) - self.n
            if end > len(x):
                self._partial += csum[-1] - csum[pos]
                break
            self.quarters.append(self._partial + csum[end] - csum[pos])
            self._partial, pos = 0.0, end
        self.n += len(x)

    def integrated(self) -> float | None:
        """LUFS, or None for silence / audio below the absolute gate."""
        quarters = np.array(self.quarters + [self._partial])
        block_len = self.block_s * self.rate
        n_blocks = int(np.round((self.n / self.rate - self.block_s) / (self.block_s * 0.25))) + 1
        if n_blocks < 1 or not len(quarters):
            return None
        quarters = np.pad(quarters, (0, max(0, n_blocks + 3 - len(quarters))))
        z = np.convolve(quarters, np.ones(4), mode="valid")[:n_blocks] / block_len
        with np.errstate(divide="ignore"):
            blocks = -0.691 + 10.0 * np.log10(z)
        above = blocks >= -70.0
        if not above.any():
            return None
        relative = -0.691 + 10.0 * np.log10(z[above].mean()) - 10.0
        gated = (blocks > relative) & above
        if not gated.any():
            return None
        value = -0.691 + 10.0 * np.log10(z[gated].mean())
        return float(value) if np.isfinite(value) else None


def loudness_lufs(audio: np.ndarray, sample_rate: int) -> float | None:
    """Integrated loudness (BS.1770-4, gated) in LUFS; None for silence or audio below the -70 LUFS gate.

    Clips shorter than the standard 400 ms block are measured with one block as long as the clip.
    """
    x = _as_2d(audio, sample_rate)
    if x.shape[0] == 0 or np.max(np.abs(x)) < _SILENCE:
        return None
    meter = LoudnessMeter(sample_rate, x.shape[1], block_s=min(0.4, x.shape[0] / sample_rate))
    for start in range(0, x.shape[0], _CHUNK):
        meter.feed(x[start:start + _CHUNK])
    return meter.integrated()


def peak_level_dbfs(audio: np.ndarray) -> float | None:
    """Sample peak in dBFS (0 dBFS = 1.0); None for silence."""
    peak = float(np.max(np.abs(audio))) if np.size(audio) else 0.0
    return float(20.0 * np.log10(peak)) if peak >= _SILENCE else None


def _limiter_gain(level: np.ndarray, ceiling: float, width: int) -> np.ndarray:
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    need = np.minimum(1.0, ceiling / np.maximum(level, 1e-12))
    gain = minimum_filter1d(need, size=2 * width + 1, mode="nearest")
    return uniform_filter1d(uniform_filter1d(gain, width + 1, mode="nearest"), width + 1, mode="nearest")


def _channel_peak(x: np.ndarray) -> np.ndarray:
    """max |x| across the channels of each frame of (n, channels) ``x``: the same numbers as
    ``np.max(np.abs(x), axis=1)``, which numpy reduces frame by frame (40 ms for 30 s of stereo
    against 1 ms column by column)."""
    level = np.abs(x[:, 0])
    for ch in range(1, x.shape[1]):
        np.maximum(level, np.abs(x[:, ch]), out=level)
    return level


def _limited_chunks(x: np.ndarray, sample_rate: int, *, gain: float, ceiling: float, smooth_s: float = 0.01,
                    chunk: int | None = None):
    """Yield (start, limited chunk) of ``x * gain`` through the look-ahead limiter.

    Each chunk is computed with ``margin`` extra samples on both sides, more than the gain
    filters reach (2 * width + 2), so the pieces equal the limiter run on the whole array.
    """
    chunk = chunk or _CHUNK
    width = max(1, int(smooth_s * sample_rate))
    margin = 3 * width + 3
    n = x.shape[0]
    for start in range(0, n, chunk):
        a, b = max(0, start - margin), min(n, start + chunk + margin)
        piece = x[a:b] * np.float32(gain)
        level = _channel_peak(piece)
        stop = min(n, start + chunk)
        if level.max() <= ceiling:
            yield start, piece[start - a: stop - a]
            continue
        g = _limiter_gain(level, ceiling, width)[start - a: stop - a]
        # The averages can overshoot by rounding only; the clip is a safety net, not a clipper.
        yield start, np.clip(piece[start - a: stop - a] * g[:, None].astype(np.float32), -ceiling, ceiling)


def limit(audio: np.ndarray, sample_rate: int, *, ceiling: float, smooth_s: float = 0.01) -> np.ndarray:
    """Look-ahead peak limiter: a smooth, stereo-linked gain that keeps |sample| <= ``ceiling``.

    The gain needed at each sample is spread by a moving minimum over +-``smooth_s`` and then
    smoothed by two moving averages of ``smooth_s`` each, so the gain ramps down before a peak
    (look-ahead) and back up after it, and is never above what any sample in reach needs.
    """
    x = _as_2d(audio, sample_rate)
    out = np.empty_like(x)
    for start, piece in _limited_chunks(x, sample_rate, gain=1.0, ceiling=ceiling, smooth_s=smooth_s):
        out[start:start + len(piece)] = piece
    return out


def fade(audio: np.ndarray, sample_rate: int, *, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """Linear fade-in and fade-out (seconds), each at most half the clip."""
    return _fade_into(_as_2d(audio, sample_rate).copy(), sample_rate, fade_in_s=fade_in_s, fade_out_s=fade_out_s)


def _fade_into(x: np.ndarray, sample_rate: int, *, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """:func:`fade` in place on float32 (n, channels) ``x``; returns ``x``."""
    n = x.shape[0]
    n_in = min(int(round(fade_in_s * sample_rate)), n // 2)
    n_out = min(int(round(fade_out_s * sample_rate)), n // 2)
    if n_in > 0:
        x[:n_in] *= np.linspace(0.0, 1.0, n_in, endpoint=False, dtype=np.float32)[:, None]
    if n_out > 0:
        x[n - n_out:] *= np.linspace(1.0, 0.0, n_out, dtype=np.float32)[:, None]
    return x


def die_away(audio: np.ndarray, sample_rate: int, *, start_s: float, attack_s: float = 0.25,
             floor_db: float = -30.0, copy: bool = True) -> np.ndarray:
    """The closing chord dies away: from ``attack_s`` after ``start_s`` the level falls evenly in
    dB to ``floor_db`` at the end of ``audio`` (a held chord's diminuendo, never a cut at full level).
    ``copy=False`` scales a float32 (n, 2) ``audio`` in place (a long piece needs no second copy)."""
    x = _as_2d(audio, sample_rate)
    if copy or x.dtype != np.float32:
        x = x.astype(np.float32, copy=True)
    first = int(round((start_s + attack_s) * sample_rate))
    n = x.shape[0] - first
    if first < 0 or n <= 1:
        return x.reshape(np.shape(audio))
    gain = 10.0 ** (np.linspace(0.0, floor_db, n, dtype=np.float32) / 20.0)
    x[first:] *= gain[:, None]
    return x.reshape(np.shape(audio))


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
    Returns ``(audio, {"loudness_lufs": float | None, "peak_dbfs": float | None, "gain_db": float})``,
    the first two measured on the output, the last the gain applied before the limiter. Silent
    input gives silence and ``None`` measurements; audio too quiet to measure (below the -70 LUFS
    gate) is only faded and limited.

    Works in chunks: besides the input and the output it needs only a few MB, whatever the length.
    """
    src = _as_2d(audio, sample_rate)  # only read: the caller's array when it is float32 (n, channels)
    x = _fade_into(src.copy(), sample_rate, fade_in_s=fade_in_s, fade_out_s=fade_out_s)
    ceiling = 10.0 ** (peak_dbfs / 20.0)
    block_s = min(0.4, x.shape[0] / sample_rate) if x.shape[0] else 0.4
    faded = True  # x holds the faded input; a pass of the limiter overwrites it with its output

    def limit_x(gain_db: float, meter: LoudnessMeter | None = None) -> None:
        """x <- the faded input at ``gain_db`` through the limiter, its pieces fed to ``meter``.

        The output overwrites x chunk by chunk: a chunk's limiter only reads input samples ahead
        of what has been written (the margin lies in the next, unwritten chunk)."""
        nonlocal faded
        if not faded:
            np.copyto(x, src)
            _fade_into(x, sample_rate, fade_in_s=fade_in_s, fade_out_s=fade_out_s)
        faded = False
        pending = None
        for start, piece in _limited_chunks(x, sample_rate, gain=10.0 ** (gain_db / 20.0), ceiling=ceiling):
            if meter is not None:
                meter.feed(piece)
            if pending is not None:
                x[pending[0]:pending[0] + len(pending[1])] = pending[1]
            pending = (start, piece)
        if pending is not None:
            x[pending[0]:pending[0] + len(pending[1])] = pending[1]

    measured = loudness_lufs(x, sample_rate)
    gain_db = 0.0
    known: tuple[float, float | None] | None = None  # (gain_db, loudness) of the limited output x holds
    if measured is not None:
        gain_db = target_lufs - measured
        for _ in range(5):
            meter = LoudnessMeter(sample_rate, x.shape[1], block_s=block_s)
            limit_x(gain_db, meter)
            got = meter.integrated()
            known = (gain_db, got)
            if got is None or abs(got - target_lufs) < 0.05:
                break
            # Very peaky audio cannot reach the target under the ceiling: cap the push at +12 dB.
            gain_db = min(gain_db + (target_lufs - got), target_lufs - measured + 12.0)
    # The pass that measured the final gain wrote the output (its loudness known, one limiter
    # pass saved); only a loop that ended on an untried gain limits and measures again.
    if known is not None and known[0] == gain_db:
        loudness = known[1]
    else:
        limit_x(gain_db)
        loudness = loudness_lufs(x, sample_rate)
    y = x[:, 0] if np.ndim(audio) == 1 else x
    report = {"loudness_lufs": loudness, "peak_dbfs": peak_level_dbfs(y), "gain_db": gain_db}
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
