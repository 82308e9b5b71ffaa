"""musicnn's front end: audio -> 16 kHz mono -> log-mel spectrogram -> 3 s patches.

Reproduces musicnn 0.1.0 ``extractor.batch_data`` step by step (same librosa calls):

1. ``librosa.load(path, sr=16000)``: channels averaged (``librosa.to_mono``), then resampled
   with librosa's default resampler, ``soxr_hq`` (skipped when the audio is already 16 kHz).
2. ``librosa.feature.melspectrogram(sr=16000, n_fft=512, hop_length=256, n_mels=96)``: Hann
   window, centred frames (zero padding, librosa >= 0.10), power 2, Slaney mel filters.
3. cast to float16, then ``log10(10000 x + 1)``. Under numpy 1.26 ``10000 * float16`` is
   float32 (value-based casting), which musicnn was built on; numpy 2 keeps float16, where
   10000 x overflows to inf: the cause of "musicnn returns garbage with numpy 2". Here the
   float16 values are widened to float32 explicitly, so numpy 2 computes what numpy 1.26 did.
4. patches of 187 frames (3 s: ``librosa.time_to_frames(3) + 1``) every 187 frames (musicnn's
   default ``input_overlap=False``); the frames after the last whole patch are dropped.

Audio shorter than one patch (under 186 hops = 2.976 s at 16 kHz): musicnn itself fails
(``batch_data`` never assigns its batch). Here ``short="repeat"`` (the default) repeats the
spectrogram frames cyclically up to 187: the checkpoints' config.json says ``pad_short:
"repeat-pad"``, which the author's training code implements as exactly that cyclic repetition
of spectrogram frames. ``short="error"`` raises ValueError instead.

Units: ``sample_rate`` in Hz; frames of 256 samples at 16 kHz (16 ms); patch starts in frames.
"""

from __future__ import annotations

import librosa
import numpy as np

__all__ = [
    "HOP", "N_FFT", "N_MELS", "PATCH_FRAMES", "PATCH_HOP", "RESAMPLER", "SAMPLE_RATE",
    "log_mel", "patches", "to_mono_16k",
]

SAMPLE_RATE = 16000  # Hz
N_FFT = 512
HOP = 256  # samples
N_MELS = 96
PATCH_FRAMES = 187  # 3 s
PATCH_HOP = 187  # frames between patch starts (no overlap)
RESAMPLER = "soxr_hq"  # librosa.load's default res_type


def to_mono_16k(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Float mono ``(n,)`` or multichannel audio -> float32 mono at 16 kHz, as ``librosa.load``.

    Multichannel audio may be ``(channels, n)`` (librosa's layout) or ``(n, channels)``
    (soundfile's): the shorter axis is taken as the channels. Channels are averaged first,
    then resampled with :data:`RESAMPLER`.
    """
    a = np.asarray(audio)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"audio must be a float array (samples in [-1, 1]), got dtype {a.dtype}")
    if a.ndim == 2:
        a = a if a.shape[0] <= a.shape[1] else a.T  # -> (channels, n)
    elif a.ndim != 1:
        raise ValueError(f"audio must be (n,), (channels, n) or (n, channels), got shape {a.shape}")
    if a.shape[-1] == 0:
        raise ValueError("audio is empty")
    if not np.isfinite(a).all():
        raise ValueError("audio contains NaN or inf")
    if int(sample_rate) != sample_rate or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer in Hz, got {sample_rate!r}")
    a = librosa.to_mono(np.ascontiguousarray(a, dtype=np.float32))
    if int(sample_rate) != SAMPLE_RATE:
        a = librosa.resample(a, orig_sr=int(sample_rate), target_sr=SAMPLE_RATE, res_type=RESAMPLER)
    return np.ascontiguousarray(a, dtype=np.float32)


def log_mel(audio_16k: np.ndarray) -> np.ndarray:
    """Mono float32 audio at 16 kHz -> musicnn's log-mel spectrogram (frames, 96) float32.

    ``frames = 1 + len(audio) // 256`` (centred frames).
    """
    mel = librosa.feature.melspectrogram(y=audio_16k, sr=SAMPLE_RATE, hop_length=HOP, n_fft=N_FFT,
                                         n_mels=N_MELS).T
    mel16 = mel.astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * mel16 + np.float32(1))


def patches(spec: np.ndarray, *, frames: int = PATCH_FRAMES, hop: int = PATCH_HOP,
            short: str = "repeat") -> tuple[np.ndarray, np.ndarray, bool]:
    """Log-mel (T, F) -> (patches (P, frames, F), start frames (P,), padded).

    ``P = 1 + (T - frames) // hop``; ``padded`` is True when ``T < frames`` and the frames were
    repeated (``short="repeat"``); ``short="error"`` raises ValueError instead.
    """
    n = spec.shape[0]
    if n == 0:
        raise ValueError("the spectrogram has no frames")
    if n < frames:
        if short == "error":
            raise ValueError(
                f"audio of {n} frames ({(n - 1) * HOP / SAMPLE_RATE:.3f} s) is shorter than one "
                f"musicnn patch of {frames} frames ({(frames - 1) * HOP / SAMPLE_RATE:.3f} s)"
            )
        if short != "repeat":
            raise ValueError(f"short must be 'repeat' or 'error', got {short!r}")
        return spec[np.arange(frames) % n][None], np.zeros(1, dtype=np.int64), True
    starts = np.arange(0, n - frames + 1, hop, dtype=np.int64)
    return np.stack([spec[s:s + frames] for s in starts]), starts, False
