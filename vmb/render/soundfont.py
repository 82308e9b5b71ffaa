"""Score -> stereo audio: SoundFont synthesis with tinysoundfont, or the built-in numpy synth.

``synthesize`` renders with ``tinysoundfont`` and a General MIDI SoundFont when both are
available (one MIDI channel per track, events placed at their exact sample), and otherwise
falls back to :mod:`vmb.render.synth` with a one-time warning that says how to install a
SoundFont. A loaded SoundFont is cached per (path, sample rate) for the life of the process.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.types import Score

from .master import room_reverb
from .synth import render_builtin

# Searched in order after $VMB_SOUNDFONT. MuseScore_General_Lite.sf3 is left out on purpose:
# its piano comes out nearly silent with tinysoundfont.
SOUNDFONT_PATHS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/local/share/soundfonts/default.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
)
INSTALL_HINT = "install one with `apt-get install fluid-soundfont-gm` or set VMB_SOUNDFONT to a .sf2 file"
SAMPLE_RATE = 44100  # what vmb renders, masters and writes at (Hz)
RELEASE_TAIL_S = 2.0  # rendered after the last note when the score has no fixed duration
_BLOCK = 4096  # samples per render call while draining a reused synth
_CACHE_SIZE = 2
_cache: OrderedDict[tuple, tuple] = OrderedDict()
_cache_lock = threading.Lock()
_warned = False


def find_soundfont() -> str | None:
    """Path of the General MIDI SoundFont to use, or None when there is none.

    ``$VMB_SOUNDFONT`` wins when set (a VmbError if it is missing or unreadable); then the
    standard Debian/Homebrew locations. Links resolving to a ``.sf3`` file are skipped.
    """
    env = os.environ.get("VMB_SOUNDFONT", "").strip()
    if env:
        if not os.path.isfile(env) or not os.access(env, os.R_OK):
            raise VmbError(f"VMB_SOUNDFONT={env} is not a readable file; {INSTALL_HINT}")
        return env
    for candidate in SOUNDFONT_PATHS:
        real = os.path.realpath(candidate)
        if real.lower().endswith(".sf3") or "musescore_general_lite" in real.lower():
            continue
        if os.path.isfile(real) and os.access(real, os.R_OK):
            return candidate
    return None


def _load(path: str, sample_rate: int):
    """(Synth, soundfont id, lock) for ``path`` at ``sample_rate``, loaded once and cached."""
    import tinysoundfont

    try:
        stat = os.stat(path)
    except OSError as exc:
        raise VmbError(f"cannot load SoundFont {path}: {exc.strerror or exc}") from None
    key = (os.path.realpath(path), sample_rate, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        synth = tinysoundfont.Synth(samplerate=sample_rate)
        try:
            sfid = synth.sfload(path, max_voices=512)
        except Exception as exc:  # tinysoundfont raises a bare Exception/RuntimeError on bad files
            raise VmbError(f"cannot load SoundFont {path}: {exc}") from None
        _cache[key] = (synth, sfid, threading.Lock())
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return _cache[key]


def _reset(synth) -> None:
    """Silence a reused synth completely so every render starts from the same state."""
    for ch in range(16):
        synth.control_change(ch, 120, 0)  # all sounds off (a very fast release)
        synth.control_change(ch, 121, 0)  # reset controllers
    scratch = np.zeros((_BLOCK, 2), dtype=np.float32)
    view = memoryview(scratch.reshape(-1)).cast("B")
    for _ in range(64):  # the fast release ends within a few blocks
        synth.generate_simple(_BLOCK, buffer=view)
        if not scratch.any():
            return


def _events(score: Score, tracks: range, sample_rate: int, n_samples: int) -> list[tuple]:
    """(sample, order, kind, channel, pitch, velocity) for the given track indices, sorted.

    At one sample, note-offs (order 0) come before note-ons (order 1) so repeated notes re-strike.
    """
    events = []
    for ch, ti in enumerate(tracks):
        for note in score.tracks[ti].notes:
            start = int(round(score.beat_to_seconds(note.start) * sample_rate))
            if start >= n_samples or note.duration <= 0:
                continue
            end = int(round(score.beat_to_seconds(note.start + note.duration) * sample_rate))
            vel = min(127, max(1, int(note.velocity)))
            events.append((start, 1, "on", ch, note.pitch, vel))
            events.append((max(end, start + 1), 0, "off", ch, note.pitch, 0))
    events.sort()
    return events


def _setup_channel(synth, sfid: int, ch: int, track) -> None:
    try:
        synth.program_select(ch, sfid, 0, track.program % 128, is_drums=track.is_drum)
    except RuntimeError:  # the SoundFont lacks this preset: fall back to piano / standard kit
        synth.program_select(ch, sfid, 0, 0, is_drums=track.is_drum)
    # tinysoundfont's channel gain is (CC7/CC39 14-bit value / 16383)^3: invert that for a linear gain.
    vol = round(16383 * min(max(track.volume, 0.0), 1.0) ** (1 / 3))
    pan = round(16383 * (min(max(track.pan, -1.0), 1.0) + 1.0) / 2)
    for msb, lsb, value in ((7, 39, vol), (10, 42, pan)):
        synth.control_change(ch, msb, value >> 7)
        synth.control_change(ch, lsb, value & 127)


def render_tinysoundfont(score: Score, sample_rate: int, n_samples: int, path: str) -> np.ndarray:
    """Render ``score`` with the SoundFont at ``path``: float32 stereo of shape (n_samples, 2).

    Tracks take one MIDI channel each; more than 16 tracks are rendered 16 at a time and summed.
    """
    synth, sfid, lock = _load(path, sample_rate)
    out = np.zeros((n_samples, 2), dtype=np.float32)
    # Up to 16 tracks render straight into ``out``; more need a second buffer to sum groups.
    block = out if len(score.tracks) <= 16 else np.zeros((n_samples, 2), dtype=np.float32)
    view = memoryview(block.reshape(-1)).cast("B")
    with lock:
        for first in range(0, len(score.tracks), 16):
            group = range(first, min(first + 16, len(score.tracks)))
            _reset(synth)
            for ch, ti in enumerate(group):
                _setup_channel(synth, sfid, ch, score.tracks[ti])
            now = 0
            for sample, _order, kind, ch, pitch, vel in _events(score, group, sample_rate, n_samples):
                if sample > now:
                    synth.generate_simple(sample - now, buffer=view[now * 8:sample * 8])
                    now = sample
                if kind == "on":
                    synth.noteon(ch, pitch, vel)
                else:
                    synth.noteoff(ch, pitch)
            if now < n_samples:
                synth.generate_simple(n_samples - now, buffer=view[now * 8:])
            if block is not out:
                out += block
        _reset(synth)
    return out


def render_length(score: Score, sample_rate: int) -> int:
    """Samples to render: ``round(duration_s * sample_rate)`` when the score fixes its duration,
    else up to the later of the last note's end and ``length_beats``, plus a release tail."""
    if score.duration_s is not None:
        if score.duration_s <= 0:
            raise VmbError(f"score duration_s={score.duration_s} must be positive")
        return int(round(score.duration_s * sample_rate))
    end_beat = max([score.length_beats] + [n.start + n.duration for t in score.tracks for n in t.notes])
    return int(round((score.beat_to_seconds(end_beat) + RELEASE_TAIL_S) * sample_rate))


def _validate(score: Score, sample_rate: int) -> None:
    if not 8000 <= sample_rate <= 192000:
        raise VmbError(f"sample rate {sample_rate} Hz is out of range (8000-192000)")
    if not score.tempo_map or any(c.bpm <= 0 for c in score.tempo_map):
        raise VmbError("score tempo map must be non-empty with positive BPM values")
    for track in score.tracks:
        for note in track.notes:
            if not 0 <= note.pitch <= 127 or note.start < 0:
                raise VmbError(
                    f"track {track.name!r}: note pitch {note.pitch} at beat {note.start} is out of range "
                    "(pitch 0-127, start >= 0)"
                )


def _warn_fallback(reason: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"{reason}: rendering with vmb's built-in synthesizer, which sounds plainer; {INSTALL_HINT}",
            RuntimeWarning,
            stacklevel=3,
        )


def synthesize(
    score: Score,
    *,
    sample_rate: int = SAMPLE_RATE,
    soundfont: str | None = None,
    backend: str | None = None,
    reverb: float = 0.12,
) -> tuple[np.ndarray, str]:
    """Render ``score`` to float32 stereo audio of shape (n_samples, 2) at ``sample_rate`` Hz.

    Length: exactly ``round(score.duration_s * sample_rate)`` samples when ``duration_s`` is
    set (later sound is cut), else until the last note ends plus a 2 s release tail.

    ``soundfont``: a .sf2 path (a VmbError if it does not exist); None searches with
    :func:`find_soundfont`. ``backend``: "auto" (SoundFont if possible, else the built-in synth
    with a warning), "tinysoundfont" (a VmbError if impossible) or "numpy"; None reads
    ``$VMB_SYNTH`` and defaults to "auto". ``reverb``: wet level of a light room (0 = dry).

    Returns ``(audio, synth)``, synth being "tinysoundfont:<path>" or "numpy".
    """
    choice = (backend or os.environ.get("VMB_SYNTH") or "auto").strip().lower()
    if choice not in ("auto", "tinysoundfont", "numpy"):
        raise VmbError(f"unknown synth backend {choice!r}; use auto, tinysoundfont or numpy")
    _validate(score, sample_rate)
    n_samples = render_length(score, sample_rate)

    path = None
    if choice != "numpy":
        if soundfont is not None and not Path(soundfont).is_file():
            raise VmbError(f"SoundFont {soundfont} does not exist")
        path = soundfont or find_soundfont()
        reason = None if path else "no General MIDI SoundFont found"
        try:
            import tinysoundfont  # noqa: F401
        except ImportError:
            reason = "the tinysoundfont package is not installed (pip install --no-deps tinysoundfont)"
        if reason:
            if choice == "tinysoundfont":
                raise VmbError(f"cannot render with tinysoundfont: {reason}; {INSTALL_HINT}")
            _warn_fallback(reason)
            path = None

    if path:
        audio, name = render_tinysoundfont(score, sample_rate, n_samples, path), f"tinysoundfont:{path}"
    else:
        audio, name = render_builtin(score, sample_rate, n_samples), "numpy"
    return room_reverb(audio, sample_rate, wet=reverb), name
