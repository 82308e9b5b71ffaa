"""Synthetic test videos made with PyAV: shots with known cut times, moving shapes, optional tone.

Each shot has its own colour and a smooth random texture, so hard cuts are unambiguous;
a square moves across every shot at a per-shot speed, so motion varies between shots.
Everything is seeded: the same arguments give the same pixels.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def iter_shot_images(size: tuple[int, int], seed: int):
    """Endless RGB uint8 backgrounds (height, width, 3), one per shot: a colour plus a smooth texture."""
    width, height = size
    rng = np.random.default_rng(seed)
    ys = np.linspace(0, 5, height)
    xs = np.linspace(0, 7, width)
    y0 = np.clip(ys.astype(int), 0, 4)
    x0 = np.clip(xs.astype(int), 0, 6)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    while True:
        colour = rng.uniform(30, 225, size=3)
        coarse = rng.uniform(-60, 60, size=(6, 8, 3))
        # Smooth texture: bilinear upscale of a coarse noise grid (compresses well).
        tex = (
            coarse[y0][:, x0] * (1 - fy) * (1 - fx)
            + coarse[y0 + 1][:, x0] * fy * (1 - fx)
            + coarse[y0][:, x0 + 1] * (1 - fy) * fx
            + coarse[y0 + 1][:, x0 + 1] * fy * fx
        )
        yield np.clip(colour + tex, 0, 255).astype(np.uint8)


def shot_images(n_shots: int, size: tuple[int, int], seed: int) -> list[np.ndarray]:
    """The first ``n_shots`` backgrounds of :func:`iter_shot_images`."""
    shots = iter_shot_images(size, seed)
    return [next(shots) for _ in range(n_shots)]


def make_video(
    path: str | Path,
    *,
    duration_s: float = 6.0,
    fps: float = 25.0,
    size: tuple[int, int] = (320, 240),
    cuts_s: tuple[float, ...] = (1.3, 2.9, 3.65, 5.2),
    codec: str = "libx264",
    speeds: tuple[float, ...] | None = None,
    audio_hz: float | None = None,
    audio_rate: int = 44100,
    rotation: int | None = None,
    faststart: bool = False,
    vfr_jitter: float = 0.0,
    flash_s: tuple[float, ...] = (),
    colours: tuple[tuple[int, int, int], ...] | None = None,
    noise: float = 0.0,
    dissolve_s: float = 0.0,
    seed: int = 0,
) -> list[float]:
    """Write a test video and return the true cut times (pts of each new shot's first frame), s.

    ``cuts_s`` are requested shot changes; a shot starts at the first frame whose time is at or
    after the requested time. ``speeds`` (frame widths per second, one per shot) sets the moving
    square's speed; ``vfr_jitter`` (0..0.4) shifts frame times randomly by that fraction of a
    frame period (variable frame rate, time base 1/1000 s). ``flash_s`` inserts one white frame
    at each of those times (not a cut). ``rotation`` writes a display matrix (counter-clockwise
    degrees, PyAV's convention). ``colours`` (one RGB triple per shot) gives flat-colour shots
    instead of the textured ones; ``noise`` adds fresh Gaussian noise of that standard deviation
    (0..255 levels) to every frame, like sensor grain. ``dissolve_s`` turns every cut into a
    cross-dissolve of that length, starting at the cut (a gradual transition, not a hard cut;
    the returned times are still where each transition starts).
    """
    width, height = size
    cuts_s = tuple(c for c in cuts_s if 0 < c < duration_s - 1.0 / fps)
    rng = np.random.default_rng(seed + 1)
    n_shots = len(cuts_s) + 1
    if colours is not None:
        if len(colours) != n_shots:
            raise ValueError(f"{len(colours)} colours for {n_shots} shots")
        backgrounds = iter(np.full((height, width, 3), c, np.uint8) for c in colours)
    else:
        backgrounds = iter_shot_images(size, seed)  # made one shot at a time: long videos stay small
    if speeds is None:
        speeds = tuple(rng.uniform(0.05, 0.6, size=n_shots))
    n_frames = int(round(duration_s * fps))
    period = 1.0 / fps
    times = np.arange(n_frames) * period
    if vfr_jitter > 0:
        times = times + rng.uniform(-vfr_jitter, vfr_jitter, n_frames) * period
        times[0] = 0.0
        times = np.maximum.accumulate(times)
    time_base = Fraction(1, 1000) if vfr_jitter > 0 else None
    pts = np.round(times * 1000).astype(int) if time_base else np.arange(n_frames)
    frame_times = pts / 1000.0 if time_base else times

    # The first frame at or after each requested cut starts the new shot.
    true_cuts = [float(frame_times[np.searchsorted(frame_times, c - 1e-9)]) for c in cuts_s]
    shot_of = np.searchsorted(np.array(true_cuts), frame_times, side="right")
    flash_frames = {int(np.searchsorted(frame_times, f - 1e-9)) for f in flash_s}

    options = {"movflags": "faststart"} if faststart else {}
    out = av.open(str(path), "w", format="mp4", options=options)
    stream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    if codec in ("libx264", "h264"):
        stream.options = {"preset": "ultrafast", "crf": "30"}
    else:
        stream.bit_rate = 400_000
    if time_base is not None:
        stream.codec_context.time_base = time_base
    if rotation:
        stream.set_display_rotation(rotation)
    audio = None
    if audio_hz:
        audio = out.add_stream("aac", rate=audio_rate)
        audio.layout = "stereo"

    side = max(8, height // 6)
    current, background, previous = -1, None, None
    for i in range(n_frames):
        shot = int(shot_of[i])
        while current < shot:
            current, previous, background = current + 1, background, next(backgrounds)
        if i in flash_frames:
            img = np.full((height, width, 3), 255, np.uint8)
        else:
            img = background.copy()
            mix = (frame_times[i] - true_cuts[shot - 1]) / dissolve_s if dissolve_s > 0 and shot > 0 else 1.0
            if mix < 1.0:
                img = np.round(mix * img + (1 - mix) * previous).astype(np.uint8)
            x = int((frame_times[i] * speeds[shot] * width) % max(1, width - side))
            y = int(height / 2 + height / 4 * math.sin(2 * math.pi * frame_times[i] * speeds[shot]))
            img[max(0, y - side // 2) : y + side // 2, x : x + side] = (250, 250, 40)
        if noise > 0:
            grain = rng.normal(0.0, noise, img.shape)
            img = np.clip(img + grain, 0, 255).astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = int(pts[i])
        if time_base is not None:
            frame.time_base = time_base
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)

    if audio is not None:
        n = int(round(duration_s * audio_rate))
        t = np.arange(n) / audio_rate
        tone = (0.3 * np.sin(2 * np.pi * audio_hz * t)).astype(np.float32)
        planar = np.stack([tone, tone])
        for start in range(0, n, 1024):
            chunk = np.ascontiguousarray(planar[:, start : start + 1024])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = audio_rate, start
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    out.close()
    return true_cuts


def make_audio_only(path: str | Path, *, duration_s: float = 2.0, rate: int = 44100, codec: str = "aac",
                    container: str = "mp4") -> None:
    """An audio-only file (default an .mp4/m4a with one AAC stream; e.g. libopus in ogg or webm)."""
    out = av.open(str(path), "w", format=container)
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "stereo"
    n = int(duration_s * rate)
    tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    planar = np.stack([tone, tone])
    step = stream.codec_context.frame_size or 1024  # opus takes whole frames of its own size
    for start in range(0, n - step + 1, step):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(planar[:, start : start + step]), format="fltp", layout="stereo"
        )
        frame.sample_rate, frame.pts = rate, start
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


def corrupt_middle(src: str | Path, dst: str | Path, *, fraction: float = 0.08, seed: int = 0) -> None:
    """Copy ``src`` to ``dst`` with random garbage over ``fraction`` of the bytes around 50 %."""
    data = bytearray(Path(src).read_bytes())
    n = int(len(data) * fraction)
    start = len(data) // 2 - n // 2
    data[start : start + n] = np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()
    Path(dst).write_bytes(bytes(data))


def truncate(src: str | Path, dst: str | Path, *, keep: float = 0.5) -> None:
    """Copy the first ``keep`` fraction of ``src``'s bytes to ``dst`` (a cut-off download)."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep)])


# --------------------------------------------------------------------------- pytest fixtures
# Import these into a test module (``from video_fixtures import clip``) to use them.

import pytest  # noqa: E402

CLIP_CUTS = (1.3, 2.9, 3.65, 5.2)


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> dict:
    """Small test files shared by the video tests: paths and the true cut times."""
    root = tmp_path_factory.mktemp("video")
    files: dict = {"root": root}
    files["clip_cuts"] = make_video(root / "clip.mp4", duration_s=6.0, cuts_s=CLIP_CUTS, audio_hz=440)
    files["clip"] = root / "clip.mp4"
    files["silent"] = root / "silent.mp4"
    make_video(files["silent"], duration_s=4.0, cuts_s=(1.7,), codec="mpeg4", seed=3)
    files["rotated"] = root / "rotated.mp4"
    make_video(files["rotated"], duration_s=2.0, cuts_s=(1.0,), rotation=90, seed=4)
    files["vfr"] = root / "vfr.mp4"
    files["vfr_cuts"] = make_video(files["vfr"], duration_s=6.0, cuts_s=CLIP_CUTS, vfr_jitter=0.3, seed=5)
    files["audio_only"] = root / "audio.m4a"
    make_audio_only(files["audio_only"])
    files["garbage"] = root / "garbage.mp4"
    files["garbage"].write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    files["empty"] = root / "empty.mp4"
    files["empty"].write_bytes(b"")
    files["truncated"] = root / "truncated.mp4"
    truncate(files["clip"], files["truncated"], keep=0.5)
    files["corrupt"] = root / "corrupt.mp4"
    corrupt_middle(files["silent"], files["corrupt"], fraction=0.1)
    return files
