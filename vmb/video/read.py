"""Reading videos with PyAV: probe the file, stream low-resolution frames with their timestamps.

Conventions:
- times are seconds from the first video frame (pts * time_base minus the stream's start time),
  so variable frame rate videos keep their true frame times;
- frames are RGB ``uint8`` arrays of shape (height, width, 3) *as displayed*: the display matrix
  rotation is applied, so a portrait phone clip comes out portrait;
- decoding is streamed: one decoded frame at a time, never the whole video in memory.

Limits (each raises :class:`vmb.VmbError` with one line naming the file):
- duration above ``max_duration_s`` (default :data:`MAX_DURATION_S`, one hour) — pass a larger
  value to lift it;
- frame size above :data:`MAX_PIXELS` (8K DCI, 8192 x 4352): larger frames would need gigabytes
  of decoder buffers. Up to that size frames are decoded and scaled down at once; above 4K the
  decoder runs two threads (measured: 400 MB peak for 7680 x 4320 H.264).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from vmb import VmbError

MAX_DURATION_S = 3600.0
MAX_PIXELS = 8192 * 4352
# Above this many pixels per frame, decode with fewer threads: each thread holds its own frames.
_BIG_FRAME_PIXELS = 3840 * 2160


@dataclass
class VideoInfo:
    """What :func:`probe_video` learns from a file's headers and first frame."""

    path: str
    duration_s: float
    fps: float  # average frame rate
    width: int  # as displayed (after rotation)
    height: int
    rotation: int  # counter-clockwise degrees to apply for display (PyAV VideoFrame.rotation)
    has_audio: bool
    audio_sample_rate: int | None
    n_frames: int  # from the header, or duration * fps when the header does not say
    codec: str
    start_s: float = 0.0  # the video stream's start time in the container, s


def _open(path: str | Path) -> av.container.InputContainer:
    p = Path(path)
    if not p.exists():
        raise VmbError(f"{p}: no such file")
    if p.is_dir():
        raise VmbError(f"{p}: is a folder, not a video file")
    if p.stat().st_size == 0:
        raise VmbError(f"{p}: the file is empty")
    try:
        return av.open(str(p))
    except av.FFmpegError as exc:
        raise VmbError(f"{p}: not a readable video ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip().rstrip(".") or type(exc).__name__


def _video_stream(container: av.container.InputContainer, path: str | Path) -> av.video.stream.VideoStream:
    streams = [s for s in container.streams.video if s.codec_context is not None]
    if not streams:
        kinds = sorted({s.type for s in container.streams}) or ["nothing"]
        raise VmbError(f"{path}: no video stream (the file holds {', '.join(kinds)})")
    return streams[0]


def _rotate(image: np.ndarray, rotation: int) -> np.ndarray:
    k = int(round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(image, k)) if k else image


def _check_limits(info: VideoInfo, max_duration_s: float) -> None:
    if info.duration_s > max_duration_s:
        raise VmbError(
            f"{info.path}: the video is {info.duration_s / 60:.1f} min long, above the "
            f"{max_duration_s / 60:.0f} min limit (pass max_duration_s to lift it)"
        )
    if info.width * info.height > MAX_PIXELS:
        raise VmbError(
            f"{info.path}: {info.width}x{info.height} frames are above the 8K limit of "
            f"{MAX_PIXELS / 1e6:.1f} Mpixels (decoding needs gigabytes); scale the video down first"
        )


def probe_video(path: str | Path, *, max_duration_s: float = MAX_DURATION_S) -> VideoInfo:
    """Read a video's headers and decode its first frame (for the rotation).

    Raises VmbError for a missing or unreadable file, a file without a video stream, a video
    without any decodable frame, or one beyond the duration / size limits.
    """
    container = _open(path)
    try:
        stream = _video_stream(container, path)
        tb = stream.time_base
        start_s = float(stream.start_time * tb) if stream.start_time is not None and tb else 0.0
        if stream.duration is not None and tb:
            duration = float(stream.duration * tb)
        elif container.duration is not None:
            duration = container.duration / av.time_base - start_s
        else:
            duration = 0.0
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        first = _first_frame(container, stream)
        if first is None:
            raise VmbError(f"{path}: the video stream has no decodable frames")
        rotation = int(first.rotation or 0)
        width, height = first.width, first.height
        if rotation % 180:
            width, height = height, width
        if duration <= 0 and fps > 0 and stream.frames:
            duration = stream.frames / fps
        if duration <= 0:
            raise VmbError(f"{path}: the video has zero length")
        n_frames = int(stream.frames) if stream.frames else int(round(duration * fps))
        audio = container.streams.audio
        info = VideoInfo(
            path=str(path),
            duration_s=duration,
            fps=fps,
            width=width,
            height=height,
            rotation=rotation,
            has_audio=bool(audio),
            audio_sample_rate=int(audio[0].rate) if audio and audio[0].rate else None,
            n_frames=n_frames,
            codec=stream.codec_context.name,
            start_s=start_s,
        )
    finally:
        container.close()
    _check_limits(info, max_duration_s)
    return info


def _first_frame(container: av.container.InputContainer, stream) -> av.VideoFrame | None:
    for packet in container.demux(stream):
        try:
            for frame in packet.decode():
                return frame
        except av.FFmpegError:
            continue
    return None


def decoded_frames(
    path: str | Path, *, max_duration_s: float = MAX_DURATION_S
) -> Iterator[tuple[float, av.VideoFrame, int]]:
    """Yield ``(time_s, frame, rotation)`` for every decodable frame, streamed.

    (The demuxer ends with an empty packet whose decode flushes the decoder's last frames.)

    Packets the decoder rejects (a corrupt middle) are skipped and counted; a warning names how
    many. Frames without a pts get the previous time plus one frame period.
    """
    info = probe_video(path, max_duration_s=max_duration_s)
    container = _open(path)
    stream = _video_stream(container, path)
    stream.thread_type = "AUTO"
    if info.width * info.height > _BIG_FRAME_PIXELS:
        stream.codec_context.thread_count = 2  # bound decoder memory for 8K frames
    period = 1.0 / info.fps if info.fps > 0 else 1.0 / 25.0
    bad_packets, n_frames, last_t = 0, 0, -period

    def stamp(frame: av.VideoFrame) -> float:
        nonlocal last_t
        t = float(frame.pts * frame.time_base) - info.start_s if frame.pts is not None else None
        t = last_t + period if t is None else t
        last_t = t
        return t

    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError:
                bad_packets += 1
                continue
            for frame in frames:
                n_frames += 1
                yield stamp(frame), frame, int(frame.rotation or info.rotation)
    finally:
        container.close()
    if n_frames == 0:
        raise VmbError(f"{path}: no frame of the video could be decoded")
    if bad_packets:
        warnings.warn(f"{path}: skipped {bad_packets} undecodable packets (corrupt data)", stacklevel=2)
    if last_t + period < info.duration_s - 1.0:
        warnings.warn(
            f"{path}: frames end at {last_t + period:.1f} s of the {info.duration_s:.1f} s the "
            "header states (truncated file?)",
            stacklevel=2,
        )


def small_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most ``max_side``, both even, >= 2."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def to_small_rgb(frame: av.VideoFrame, rotation: int, max_side: int) -> np.ndarray:
    """The frame as displayed, scaled down: RGB uint8, longer side <= ``max_side``."""
    w, h = small_size(frame.width, frame.height, max_side)
    # Area averaging: a proper box filter for large shrink factors, and 4x faster than bilinear.
    image = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray()
    return _rotate(image, rotation)


def sample_frames(
    path: str | Path,
    *,
    fps: float = 4.0,
    max_side: int = 160,
    max_duration_s: float = MAX_DURATION_S,
) -> Iterator[tuple[float, np.ndarray]]:
    """Yield ``(time_s, rgb)`` about ``fps`` times a second, small (longer side <= ``max_side``).

    The frame taken for each tick of the ``1/fps`` grid is the first one at or after the tick;
    ``fps <= 0`` yields every frame. Memory stays bounded whatever the video's length.
    """
    step = 1.0 / fps if fps > 0 else 0.0
    next_t = 0.0
    for t, frame, rotation in decoded_frames(path, max_duration_s=max_duration_s):
        if t + 1e-6 < next_t:
            continue
        if step:
            next_t = step * (math.floor(t / step + 1e-6) + 1)
        yield t, to_small_rgb(frame, rotation, max_side)
