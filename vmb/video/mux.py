"""Put the music onto the video: an MP4 with the video stream copied and the music as AAC.

- The video packets are copied, not re-encoded (same pictures, same timestamps, display
  rotation kept). A codec MP4 cannot hold (VP8, Theora, ...) is re-encoded to H.264 instead.
- The music is trimmed or padded with silence to the video stream's duration, sample-exact,
  and starts with the first frame.
- ``keep_audio=True`` mixes the original sound back in and ducks the music under it: the music
  gain falls by up to ``duck_db`` where the original is loud (RMS over 50 ms, soft knee from
  -40 to -25 dBFS), with a 30 ms attack and a 400 ms release so speech is not chopped.
- Written to a temporary file in the output folder, then renamed: never a half-written file,
  and the input video is never the output. The file gets the mode every other output gets
  (0666 less the umask, e.g. 0644), not the 0600 of a private temporary file.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import av
import numpy as np

from vmb import VmbError
from vmb.render.writers import new_temp_file
from vmb.video.read import probe_video

AAC_BIT_RATE = 192_000
_FRAME = 1024  # AAC frame length, samples
_HOP_S = 0.01  # ducking envelope hop
_ATTACK_S, _RELEASE_S = 0.03, 0.4
_KNEE_DB = (-40.0, -25.0)


def _as_stereo(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.ndim != 2 or audio.shape[1] not in (1, 2):
        raise VmbError(f"music audio must be (n,) or (n, 2) samples, got shape {audio.shape}")
    if not np.isfinite(audio).all():
        raise VmbError("music audio contains NaN or infinite samples")
    return np.repeat(audio, 2, axis=1) if audio.shape[1] == 1 else audio


def fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    """``audio`` (m, c) cut or zero-padded to exactly ``n`` samples."""
    if len(audio) >= n:
        return audio[:n]
    return np.concatenate([audio, np.zeros((n - len(audio), audio.shape[1]), audio.dtype)])


def decode_audio(path: str | Path, sample_rate: int, *, start_s: float = 0.0) -> np.ndarray:
    """The first audio stream of ``path`` as float32 (n, 2) at ``sample_rate``.

    Sample 0 is at ``start_s`` on the container's clock (the video's first frame), so the sound
    stays in sync with the pictures even when the audio stream starts later.
    """
    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise VmbError(f"{path}: not a readable media file ({exc})") from None
    if not container.streams.audio:
        container.close()
        raise VmbError(f"{path}: has no audio stream")
    try:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=sample_rate)
        chunks: list[np.ndarray] = []
        first_s = None
        for frame in container.decode(stream):
            if first_s is None and frame.pts is not None:
                first_s = float(frame.pts * frame.time_base)
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1, 2))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1, 2))
    except av.FFmpegError as exc:
        raise VmbError(f"{path}: its audio could not be decoded ({exc})") from None
    finally:
        container.close()
    audio = np.concatenate(chunks) if chunks else np.zeros((0, 2), np.float32)
    offset = int(round(((first_s or 0.0) - start_s) * sample_rate))
    if offset > 0:
        audio = np.concatenate([np.zeros((offset, 2), np.float32), audio])
    elif offset < 0:
        audio = audio[-offset:]
    return audio


def duck_gain(original: np.ndarray, sample_rate: int, duck_db: float) -> np.ndarray:
    """Per-sample linear gain (n,) for the music: ``duck_db`` under loud parts of ``original``."""
    n = len(original)
    hop = max(1, int(_HOP_S * sample_rate))
    window = max(hop, int(0.05 * sample_rate))
    power = (original.astype(np.float64) ** 2).mean(axis=1)
    csum = np.concatenate([[0.0], np.cumsum(power)])
    centres = np.arange(0, n, hop)
    lo = np.clip(centres - window // 2, 0, n)
    hi = np.clip(centres + window // 2, 0, n)
    rms = np.sqrt(np.maximum((csum[hi] - csum[lo]) / np.maximum(hi - lo, 1), 1e-12))
    level_db = 20 * np.log10(rms)
    depth = np.clip((level_db - _KNEE_DB[0]) / (_KNEE_DB[1] - _KNEE_DB[0]), 0.0, 1.0)
    target_db = depth * min(duck_db, 0.0)
    # One-pole smoothing: fast when the gain drops (attack), slow when it recovers (release).
    attack = math.exp(-_HOP_S / _ATTACK_S)
    release = math.exp(-_HOP_S / _RELEASE_S)
    smooth = np.empty_like(target_db)
    state = 0.0
    for i, target in enumerate(target_db):
        coeff = attack if target < state else release
        state = coeff * state + (1 - coeff) * target
        smooth[i] = state
    return np.interp(np.arange(n), centres, 10 ** (smooth / 20)).astype(np.float32)


class _AudioWriter:
    """Encodes the music in 1024-sample AAC frames, on demand, to interleave with the video."""

    def __init__(self, out: av.container.OutputContainer, stream, audio: np.ndarray, start: int):
        self.out, self.stream, self.start = out, stream, start
        self.planar = np.ascontiguousarray(audio.T)
        self.pos = 0

    def until(self, seconds: float) -> None:
        """Encode every frame that starts before ``seconds`` (from the video's first frame)."""
        n = self.planar.shape[1]
        while self.pos < n and self.pos < seconds * self.stream.rate:
            chunk = np.ascontiguousarray(self.planar[:, self.pos : self.pos + _FRAME])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = self.stream.rate, self.start + self.pos
            for packet in self.stream.encode(frame):
                self.out.mux(packet)
            self.pos += _FRAME

    def finish(self) -> None:
        self.until(math.inf)
        for packet in self.stream.encode(None):
            self.out.mux(packet)


def _packet_time(packet, start_s: float) -> float:
    stamp = packet.dts if packet.dts is not None else packet.pts
    return float(stamp * packet.time_base) - start_s if stamp is not None else 0.0


def _copy_video(inp, in_stream, out_stream, out, audio: _AudioWriter, start_s: float) -> None:
    for packet in inp.demux(in_stream):
        if packet.dts is None:  # the demuxer's final empty packet
            continue
        audio.until(_packet_time(packet, start_s) + 0.5)  # interleave: no big muxer buffers
        packet.stream = out_stream
        out.mux(packet)


def _reencode_video(inp, in_stream, out_stream, out, audio: _AudioWriter, start_s: float) -> None:
    """For codecs MP4 cannot hold: decode and encode to H.264 (slower, near-lossless)."""
    for frame in inp.decode(in_stream):
        if frame.pts is not None:
            audio.until(float(frame.pts * frame.time_base) - start_s + 0.5)
        for packet in out_stream.encode(frame.reformat(format="yuv420p")):
            out.mux(packet)
    for packet in out_stream.encode(None):
        out.mux(packet)


def _h264_stream(out: av.container.OutputContainer, in_stream, rotation: int):
    rate = in_stream.average_rate or in_stream.guessed_rate or 25
    stream = out.add_stream("libx264", rate=rate)
    ctx = in_stream.codec_context
    stream.width, stream.height, stream.pix_fmt = ctx.width, ctx.height, "yuv420p"
    stream.options = {"crf": "18", "preset": "veryfast"}
    stream.codec_context.time_base = in_stream.time_base
    if rotation:
        stream.set_display_rotation(rotation)
    return stream


def mux_audio(
    video_path: str | Path,
    audio: np.ndarray,
    sample_rate: int,
    out_path: str | Path,
    *,
    keep_audio: bool = False,
    duck_db: float = -12.0,
    bit_rate: int = AAC_BIT_RATE,
) -> Path:
    """Write ``out_path`` (MP4): ``video_path``'s pictures with ``audio`` as its sound.

    ``audio`` is float32 (n, 2) or (n,) at ``sample_rate`` Hz, -1..1; it is fitted to the video's
    duration. Returns the output path. Raises VmbError for unreadable input, bad audio, or an
    output that would overwrite the input; on any failure no output file is left behind.
    """
    video_path, out_path = Path(video_path), Path(out_path)
    if out_path.exists() and out_path.resolve() == video_path.resolve():
        raise VmbError(f"{out_path}: is the input video; vmb never overwrites its input")
    if int(sample_rate) <= 0:
        raise VmbError(f"sample rate must be positive, got {sample_rate}")
    sample_rate = int(sample_rate)
    music = _as_stereo(audio)
    info = probe_video(video_path, max_duration_s=math.inf)
    n = int(round(info.duration_s * sample_rate))
    mix = fit_length(music, n)
    if keep_audio and info.has_audio:
        original = fit_length(decode_audio(video_path, sample_rate, start_s=info.start_s), n)
        mix = original + mix * duck_gain(original, sample_rate, duck_db)[:, None]
    peak = float(np.abs(mix).max()) if len(mix) else 0.0
    if peak > 0.99:  # keep the AAC encoder out of clipping
        mix = mix * (0.99 / peak)

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = new_temp_file(out_path, ".mp4")
    try:
        inp = av.open(str(video_path))
        try:
            out = av.open(tmp_name, "w", format="mp4", options={"movflags": "+faststart"})
            try:
                in_stream = inp.streams.video[0]
                copyable = in_stream.codec_context.name in out.supported_codecs
                if copyable:
                    video_stream = out.add_stream_from_template(in_stream)
                else:
                    video_stream = _h264_stream(out, in_stream, info.rotation)
                audio_stream = out.add_stream("aac", rate=sample_rate)
                audio_stream.layout = "stereo"
                audio_stream.bit_rate = bit_rate
                audio_stream.options = {"aac_coder": "fast"}  # twice as fast as "twoloop"; fine at 192k
                writer = _AudioWriter(out, audio_stream, mix.astype(np.float32), int(round(info.start_s * sample_rate)))
                copy = _copy_video if copyable else _reencode_video
                copy(inp, in_stream, video_stream, out, writer, info.start_s)
                writer.finish()
            finally:
                out.close()
        finally:
            inp.close()
        os.replace(tmp_name, out_path)
    except av.FFmpegError as exc:
        raise VmbError(f"{out_path}: could not write the video ({exc})") from None
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return out_path
