"""Analysis of audio files (WAV, FLAC, OGG, MP3, AIFF; Opus, M4A/AAC, WebM through PyAV): librosa
features and basic-pitch transcription.

Measured on the first :data:`MAX_ANALYSIS_S` seconds, mono at 22,050 Hz:
- BPM: librosa's beat tracker; key: mean CQT chroma correlated with the Krumhansl-Kessler
  profiles (24 keys), with that correlation as confidence;
- loudness: integrated LUFS (ITU-R BS.1770, pyloudnorm), brightness: mean spectral centroid
  in Hz over non-silent frames, onset rate: onsets per second, percussive ratio: the share of
  spectral energy HPSS assigns to the percussive part (0..1);
- symbolic content: notes transcribed by basic-pitch's bundled ONNX model (optional: the
  ``audio`` extra) on the first :data:`MAX_TRANSCRIBE_S` seconds, placed on the beat grid
  the tracker found (beat = quarter note, 4/4 assumed). Without basic-pitch, or when it finds
  too few notes, the lead sheet has no melody and a chord track named from beat chroma.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.retrieve.analyze_symbolic import chords_from_notes, describe_notes, lead_sheet_from_notes
from vmb.retrieve.autotag import Analysis
from vmb.retrieve.corpus import make_sections
from vmb.theory import KK_PROFILES
from vmb.types import Chord, LeadSheet, Note
from vmb.vocab import KEY_NAMES

# soundfile reads WAV/FLAC/OGG/MP3/AIFF; the rest is decoded with the FFmpeg that PyAV bundles.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".m4a", ".aac", ".webm")
# full scale of PyAV's integer sample formats (float formats are already in [-1, 1])
_INT_FULL_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2.0**31, "s64": 2.0**63}
SR = 22050
MAX_ANALYSIS_S = 300.0
MAX_TRANSCRIBE_S = 90.0
MIN_AUDIO_S = 1.0


def load_audio(path: str | Path, *, max_seconds: float = MAX_ANALYSIS_S) -> tuple[np.ndarray, int]:
    """(mono float32 samples at :data:`SR`, SR) of the first ``max_seconds`` of ``path``.

    soundfile reads WAV/FLAC/OGG/MP3; PyAV is the fallback. Raises VmbError for unreadable,
    empty, silent or too short audio.
    """
    import soundfile as sf

    path = Path(path)
    try:
        with sf.SoundFile(str(path)) as f:
            frames = min(f.frames, int(max_seconds * f.samplerate)) if f.frames > 0 else -1
            y, sr = f.read(frames, dtype="float32", always_2d=True), f.samplerate
    except Exception as exc:  # noqa: BLE001 - libsndfile reports corrupt files many ways
        try:
            y, sr = _load_with_av(path, max_seconds)
        except Exception:  # noqa: BLE001
            raise VmbError(f"{path}: not a readable audio file ({exc})") from None
    y = np.asarray(y, dtype=np.float32).mean(axis=1)
    if len(y) < MIN_AUDIO_S * sr:
        raise VmbError(f"{path}: audio too short ({len(y) / max(sr, 1):.2f} s, need {MIN_AUDIO_S:g} s)")
    if not np.isfinite(y).all() or float(np.abs(y).max()) < 1e-4:
        raise VmbError(f"{path}: audio is silent or holds invalid samples")
    if sr != SR:
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=SR).astype(np.float32)
    return y, SR


def _load_with_av(path: Path, max_seconds: float) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        sr = stream.rate
        chunks, total = [], 0
        for frame in container.decode(stream):
            data = frame.to_ndarray().astype(np.float32)
            fmt = frame.format.name.rstrip("p")
            if fmt in _INT_FULL_SCALE:
                data = (data - (128.0 if fmt == "u8" else 0.0)) / _INT_FULL_SCALE[fmt]
            data = data.reshape(frame.layout.nb_channels, -1) if not frame.format.is_planar else data
            chunks.append(data.T if data.ndim == 2 else data[:, None])
            total += chunks[-1].shape[0]
            if total >= max_seconds * sr:
                break
    if not chunks:
        raise ValueError("no audio frames")
    return np.concatenate(chunks)[: int(max_seconds * sr)], sr


def key_from_chroma(chroma: np.ndarray) -> tuple[int, str, float]:
    """(tonic pc, mode, correlation) of the best of 24 keys for a (12,) chroma profile."""
    best = (0, "major", -2.0)
    if float(np.std(chroma)) == 0:
        return 0, "major", 0.0
    for mode, profile in KK_PROFILES.items():
        for tonic in range(12):
            r = float(np.corrcoef(chroma, np.roll(profile, tonic))[0, 1])
            if r > best[2]:
                best = (tonic, mode, r)
    return best


def audio_features(y: np.ndarray, sr: int) -> dict:
    """BPM, beat times (s), key, loudness, brightness, onset rate and percussive ratio of ``y``."""
    import librosa

    tempo, beats = librosa.beat.beat_track(y=y, sr=sr, hop_length=512)
    beat_times = librosa.frames_to_time(beats, sr=sr, hop_length=512)
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr, hop_length=2048)
    tonic, mode, confidence = key_from_chroma(chroma.mean(axis=1))
    spec = np.abs(librosa.stft(y[: int(60 * sr)], n_fft=2048, hop_length=512))
    harmonic, percussive = librosa.decompose.hpss(spec)
    power = float((harmonic ** 2).sum() + (percussive ** 2).sum())
    centroid = librosa.feature.spectral_centroid(y=y, sr=sr, hop_length=512)[0]
    rms = librosa.feature.rms(y=y, hop_length=512)[0]
    voiced = rms > 0.05 * rms.max()
    onsets = librosa.onset.onset_detect(y=y, sr=sr, hop_length=512, units="time")
    bpm = float(np.atleast_1d(tempo)[0])
    if len(beat_times) >= 8:  # the tracker's tempo is quantised to frames; the beats' slope is finer
        period = float(np.polyfit(np.arange(len(beat_times)), beat_times, 1)[0])
        if 0.8 < bpm * period / 60.0 < 1.25:
            bpm = 60.0 / period
    return {
        "bpm": bpm, "beat_times": beat_times, "chroma": chroma,
        "key": (tonic, mode, confidence),
        "loudness_lufs": _loudness(y, sr),
        "brightness_hz": float(centroid[voiced[: len(centroid)]].mean()) if voiced.any() else 0.0,
        "onset_rate": len(onsets) / (len(y) / sr),
        "percussive_ratio": float((percussive ** 2).sum()) / power if power > 0 else 0.0,
    }


def _loudness(y: np.ndarray, sr: int) -> float:
    try:
        import pyloudnorm

        value = float(pyloudnorm.Meter(sr).integrated_loudness(y.astype(np.float64)))
    except Exception:  # noqa: BLE001 - missing package or too short: RMS level instead
        value = float(20 * np.log10(max(float(np.sqrt(np.mean(y ** 2))), 1e-9)))
    return round(value, 2) if math.isfinite(value) else -70.0


# --------------------------------------------------------------------------- transcription


@functools.lru_cache(maxsize=1)
def _basic_pitch_model(threads: int = 1):
    """basic-pitch's ONNX model in an onnxruntime session (loaded once per process)."""
    try:
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import onnxruntime as ort
            from basic_pitch import ICASSP_2022_MODEL_PATH
            from basic_pitch.inference import Model
    except ImportError as exc:
        raise VmbError("audio transcription needs basic-pitch: pip install 'vmb[audio]' "
                       "(basic-pitch --no-deps, onnxruntime, mir_eval, resampy<0.4.3)") from exc
    onnx_path = Path(ICASSP_2022_MODEL_PATH).with_suffix(".onnx")
    if not onnx_path.exists():
        onnx_path = Path(ICASSP_2022_MODEL_PATH).parent / "nmp.onnx"
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # ingest runs one process per core
    options.inter_op_num_threads = 1
    model = Model.__new__(Model)  # basic-pitch's wrapper, with our session (its own takes all cores)
    model.model_type = Model.MODEL_TYPES.ONNX
    model.model = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    return model


def basic_pitch_available() -> bool:
    try:
        _basic_pitch_model()
        return True
    except VmbError:
        return False


def transcribe(y: np.ndarray, sr: int = SR) -> list[tuple[float, float, int, float]]:
    """Notes (start s, end s, MIDI pitch, amplitude 0..1) that basic-pitch hears in ``y``."""
    from basic_pitch import note_creation
    from basic_pitch.constants import AUDIO_N_SAMPLES, AUDIO_SAMPLE_RATE, FFT_HOP
    from basic_pitch.inference import unwrap_output, window_audio_file

    model = _basic_pitch_model()
    if sr != AUDIO_SAMPLE_RATE:
        raise ValueError(f"transcribe expects {AUDIO_SAMPLE_RATE} Hz audio")
    overlap_frames = 30
    overlap = overlap_frames * FFT_HOP
    audio = np.concatenate([np.zeros(overlap // 2, np.float32), y.astype(np.float32)])
    windows = [w for w, _ in window_audio_file(audio, AUDIO_N_SAMPLES - overlap)]
    output: dict[str, list] = {"note": [], "onset": [], "contour": []}
    for start in range(0, len(windows), 8):
        batch = np.stack(windows[start:start + 8]).astype(np.float32)  # (B, samples, 1)
        for k, v in model.predict(batch).items():
            output[k].append(v)
    unwrapped = {k: unwrap_output(np.concatenate(v), len(y), overlap_frames) for k, v in output.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _midi, events = note_creation.model_output_to_notes(
            unwrapped, onset_thresh=0.5, frame_thresh=0.3,
            min_note_len=int(round(127.7 / 1000 * (AUDIO_SAMPLE_RATE / FFT_HOP))), melodia_trick=True)
    notes = sorted((float(s), float(e), int(p), float(a)) for s, e, p, a, *_ in events)
    return drop_overtones(notes)


_OVERTONES = (12, 19, 24, 28, 31)  # semitones of harmonics 2..6 above a fundamental


def drop_overtones(notes: list[tuple[float, float, int, float]]) -> list[tuple[float, float, int, float]]:
    """Drop notes that start with a louder note a harmonic interval below them (ghost notes
    the transcriber hears in a rich timbre). Notes are (start s, end s, pitch, amplitude)."""
    kept = []
    for i, (s, e, p, a) in enumerate(notes):
        ghost = any(abs(s2 - s) < 0.06 and (p - p2) in _OVERTONES and a2 >= a
                    for s2, e2, p2, a2 in notes[max(0, i - 40):i + 40])
        if not ghost:
            kept.append((s, e, p, a))
    return kept


def _beat_clock(beat_times: np.ndarray, bpm: float):
    """A function seconds -> beats that follows the tracked beats (steady ``bpm`` outside them);
    beat 0 is where the steady pulse before the first tracked beat would start."""
    period = 60.0 / bpm
    if len(beat_times) < 2:
        return lambda t: np.asarray(t, dtype=float) / period
    first, last = float(beat_times[0]), float(beat_times[-1])
    lead_in = round(first / period)  # untracked beats before the first tracked one
    idx = np.arange(len(beat_times), dtype=float) + lead_in

    def clock(t):
        t = np.asarray(t, dtype=float)
        steady_before = lead_in + (t - first) / period
        steady_after = idx[-1] + (t - last) / period
        return np.where(t < first, steady_before, np.where(t > last, steady_after,
                                                            np.interp(t, beat_times, idx)))
    return clock


def _chroma_chords(chroma: np.ndarray, clock, sr: int, length: float, meter: str) -> list[Chord]:
    """Chords named from CQT chroma (hop 2048) pooled per harmonic unit."""
    times = np.arange(chroma.shape[1]) * 2048 / sr
    beats = clock(times)
    notes = []
    for frame in range(chroma.shape[1]):
        top = chroma[:, frame]
        for pc in np.flatnonzero(top >= 0.5 * top.max()):
            notes.append(Note(48 + int(pc), float(beats[frame]), 2048 / sr * 2.0, 80))
    notes = [n for n in notes if 0 <= n.start < length]
    return chords_from_notes(notes, meter, length) if notes else []


def analyze_audio(path: str | Path, *, transcribe_notes: bool = True, max_transcribe_s: float = MAX_TRANSCRIBE_S,
                  audio: tuple[np.ndarray, int] | None = None) -> list[tuple[Analysis, LeadSheet]]:
    """Analyse an audio file -> [(analysis, lead sheet)]. Raises VmbError for unreadable audio.

    ``audio``: the file's samples as :func:`load_audio` returned them, when the caller already
    decoded it (the ingest decodes once for the analysis and the tagger)."""
    path = Path(path)
    y, sr = audio if audio is not None else load_audio(path)
    f = audio_features(y, sr)
    tonic, mode, confidence = f["key"]
    bpm = float(np.clip(f["bpm"], 40.0, 240.0)) if f["bpm"] > 0 else 100.0
    meter = "4/4"  # a tracker finds beats, not bars
    clock = _beat_clock(f["beat_times"], bpm)
    analysis = Analysis(kind="audio", title=path.stem, duration_s=round(len(y) / sr, 2), bpm=round(bpm, 1),
                        bpm_source="estimated", key=KEY_NAMES[tonic], mode=mode,
                        key_confidence=round(confidence, 3), meter=meter, meter_source="assumed",
                        loudness_lufs=f["loudness_lufs"], brightness_hz=round(f["brightness_hz"], 1),
                        onset_rate=round(f["onset_rate"], 3), percussive_ratio=round(f["percussive_ratio"], 3))
    analysis.has_drums = analysis.percussive_ratio > 0.45 and analysis.onset_rate > 1.5
    notes: list[Note] = []
    if transcribe_notes and basic_pitch_available():
        clip = y[: int(max_transcribe_s * sr)]
        events = transcribe(clip, sr)
        for start, end, pitch, amp in events:
            b0, b1 = (float(x) for x in clock([start, end]))
            b0 = round(b0 * 4) / 4  # sixteenth grid: transcription timing is not finer
            dur = max(0.25, round((b1 - b0) * 4) / 4)
            if b0 >= 0:
                notes.append(Note(pitch, b0, dur, int(np.clip(round(20 + 107 * amp), 1, 127))))
        analysis.transcribed = True
    title, source = path.stem, str(path)
    if len(notes) >= 8:
        sheet = lead_sheet_from_notes([notes], meter, title=title, source=source, key=(tonic, mode))
        describe_notes(analysis, [notes], sheet.length_beats)
    else:  # no transcription: a chord track from chroma over the analysed audio
        length = max(4.0, math.ceil(float(clock(len(y) / sr)) / 4) * 4.0)
        chords = _chroma_chords(f["chroma"], clock, sr, length, meter)
        sheet = LeadSheet(melody=[], chords=chords, sections=make_sections([], [], length, meter),
                          key=KEY_NAMES[tonic], mode=mode, meter=meter, length_beats=length,
                          title=title, source=source)
    return [(analysis, sheet)]
