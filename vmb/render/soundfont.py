"""Score -> stereo audio: SoundFont synthesis with FluidSynth or tinysoundfont, or the numpy synth.

Backends, best first (``synthesize(backend=...)`` or ``$VMB_SYNTH``):

- ``fluidsynth`` (:mod:`vmb.render.fluid`): libfluidsynth through pyfluidsynth, with the MuseScore
  General SoundFont (.sf3) or FluidR3_GM; the default where it is installed;
- ``tinysoundfont``: the tinysoundfont package with a .sf2 General MIDI SoundFont;
- ``numpy``: :mod:`vmb.render.synth`, vmb's own plainer synthesizer, needing nothing.

"auto" takes the first that works, with one warning that says what to install when it is not
FluidSynth. Every backend renders one MIDI channel per track with events at their sample (on
FluidSynth's 64-sample grid) and can render track by track (:func:`synthesize_parts`). Loaded
SoundFonts are cached per (path, sample rate) for the life of the process.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.knowledge import knowledge
from vmb.types import Score, Track

from . import analog, fluid
from .events import RELEASE_TAIL_S, SAMPLE_RATE, note_events, render_length, validate_score
from .master import room_reverb
from .synth import render_builtin, render_builtin_parts

__all__ = ["RELEASE_TAIL_S", "SAMPLE_RATE", "find_soundfont", "preload", "render_length", "synthesize",
           "synthesize_parts"]

# FluidSynth reads .sf3 (Ogg Vorbis samples): the MuseScore General SoundFont comes first for it.
FLUIDSYNTH_SOUNDFONT_PATHS = (
    "/usr/share/sounds/sf3/MuseScore_General_Full.sf3",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/local/share/soundfonts/default.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
)
# tinysoundfont: searched in order after $VMB_SOUNDFONT. .sf3 files are left out on purpose: their
# piano comes out nearly silent with tinysoundfont.
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
FLUIDSYNTH_HINT = ("for vmb's default renderer install FluidSynth and its SoundFont with "
                   "`apt-get install libfluidsynth3 musescore-general-soundfont` and "
                   "`pip install pyfluidsynth==1.4.0` (or run install.sh)")
BACKENDS = ("auto", "fluidsynth", "tinysoundfont", "numpy")
_BLOCK = 4096  # samples per render call while draining a reused synth
_CACHE_SIZE = 2
_cache: OrderedDict[tuple, tuple] = OrderedDict()
_cache_lock = threading.Lock()
_warned = False


def find_soundfont(backend: str = "tinysoundfont") -> str | None:
    """Path of the General MIDI SoundFont ``backend`` would use, or None when there is none.

    ``$VMB_SOUNDFONT`` wins when set (a VmbError if it is missing or unreadable); then the
    standard Debian/Homebrew locations: for "fluidsynth" MuseScore_General_Full.sf3 first, then
    FluidR3_GM; for "tinysoundfont" only .sf2 files (links resolving to a ``.sf3`` are skipped).
    """
    env = os.environ.get("VMB_SOUNDFONT", "").strip()
    if env:
        if not os.path.isfile(env) or not os.access(env, os.R_OK):
            raise VmbError(f"VMB_SOUNDFONT={env} is not a readable file; {INSTALL_HINT}")
        return env
    sf3_ok = backend == "fluidsynth"
    for candidate in FLUIDSYNTH_SOUNDFONT_PATHS if sf3_ok else SOUNDFONT_PATHS:
        real = os.path.realpath(candidate)
        if not sf3_ok and (real.lower().endswith(".sf3") or "musescore_general_lite" in real.lower()):
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


def _play_tinysoundfont(synth, sfid: int, score: Score, group, sample_rate: int, n_samples: int, view) -> None:
    """Render the tracks ``group`` (at most 16, one channel each) into ``view``, a byte view of a
    float32 (n_samples, 2) buffer, from a reset synth."""
    _reset(synth)
    for ch, ti in enumerate(group):
        _setup_channel(synth, sfid, ch, score.tracks[ti])
    now = 0
    for sample, _order, kind, ch, pitch, vel in note_events(score, group, sample_rate, n_samples):
        if sample > now:
            synth.generate_simple(sample - now, buffer=view[now * 8:sample * 8])
            now = sample
        if kind == "on":
            synth.noteon(ch, pitch, vel)
        else:
            synth.noteoff(ch, pitch)
    if now < n_samples:
        synth.generate_simple(n_samples - now, buffer=view[now * 8:])


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
            _play_tinysoundfont(synth, sfid, score, range(first, min(first + 16, len(score.tracks))),
                                sample_rate, n_samples, view)
            if block is not out:
                out += block
        _reset(synth)
    return out


def render_tinysoundfont_parts(score: Score, sample_rate: int, n_samples: int, path: str) -> list[np.ndarray]:
    """Each track of ``score`` alone (float32 (n_samples, 2) arrays in track order), rendered as
    :func:`render_tinysoundfont` renders it, so the parts sum to the whole."""
    synth, sfid, lock = _load(path, sample_rate)
    parts = []
    with lock:
        for ti, track in enumerate(score.tracks):
            part = np.zeros((n_samples, 2), dtype=np.float32)
            if track.notes:
                _play_tinysoundfont(synth, sfid, score, [ti], sample_rate, n_samples,
                                    memoryview(part.reshape(-1)).cast("B"))
            parts.append(part)
        _reset(synth)
    return parts


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def _fluidsynth_font(soundfont: str | None, sample_rate: int) -> tuple[str | None, str | None]:
    """(the SoundFont FluidSynth renders with, None), or (None, why FluidSynth cannot render)."""
    reason = fluid.unavailable_reason()
    if reason is not None:
        return None, reason
    path = soundfont or find_soundfont("fluidsynth")
    if not path:
        return None, "no General MIDI SoundFont found"
    if sample_rate > fluid.MAX_SAMPLE_RATE:
        return None, f"FluidSynth renders at most {fluid.MAX_SAMPLE_RATE} Hz"
    return path, None


def _resolve(backend: str | None, soundfont: str | None, sample_rate: int) -> tuple[str, str | None]:
    """(backend, SoundFont path) to render with; warns once when "auto" cannot use FluidSynth."""
    choice = (backend or os.environ.get("VMB_SYNTH") or "auto").strip().lower()
    if choice not in BACKENDS:
        raise VmbError(f"unknown synth backend {choice!r}; use {', '.join(BACKENDS)}")
    if choice == "numpy":
        return "numpy", None
    if soundfont is not None and not Path(soundfont).is_file():
        raise VmbError(f"SoundFont {soundfont} does not exist")
    missed = []
    if choice in ("auto", "fluidsynth"):
        path, reason = _fluidsynth_font(soundfont, sample_rate)
        if reason is None:
            return "fluidsynth", path
        if choice == "fluidsynth":
            raise VmbError(f"cannot render with FluidSynth: {reason}; {FLUIDSYNTH_HINT}")
        missed.append(f"FluidSynth: {reason}")
    path = soundfont or find_soundfont()
    reason = None if path else "no .sf2 General MIDI SoundFont found"
    try:
        import tinysoundfont  # noqa: F401
    except ImportError:
        reason = "the tinysoundfont package is not installed (pip install --no-deps tinysoundfont)"
    if reason is None:
        if missed:
            _warn_once(f"{missed[0]}: rendering with tinysoundfont instead; {FLUIDSYNTH_HINT}")
        return "tinysoundfont", path
    if choice == "tinysoundfont":
        raise VmbError(f"cannot render with tinysoundfont: {reason}; {INSTALL_HINT}")
    missed.append(f"tinysoundfont: {reason}")
    _warn_once(f"{'; '.join(missed)}: rendering with vmb's built-in synthesizer, which sounds plainer; "
               f"{FLUIDSYNTH_HINT}, or set VMB_SOUNDFONT to a .sf2/.sf3 file")
    return "numpy", None


def preload(tracks: Sequence[Track], *, sample_rate: int = SAMPLE_RATE, soundfont: str | None = None,
            backend: str | None = None) -> fluid.Preload | None:
    """Start loading, in a background thread, what :func:`synthesize_parts` will load first for
    ``tracks`` (notes not needed): the FluidSynth SoundFont and the presets of the tracks that play
    on it (not those with a synth voice). None, and nothing started, when it would not render with
    FluidSynth. Quiet: it warns and raises nothing; the render does, as without it."""
    choice = (backend or os.environ.get("VMB_SYNTH") or "auto").strip().lower()
    if choice not in ("auto", "fluidsynth") or sample_rate < 8000:
        return None
    if soundfont is not None and not Path(soundfont).is_file():
        return None
    try:
        path, _reason = _fluidsynth_font(soundfont, sample_rate)
    except VmbError:  # $VMB_SOUNDFONT unreadable: the render says so
        return None
    if path is None:
        return None
    presets = dict.fromkeys((128 if t.is_drum else 0, t.program % 128) for t in tracks if not t.voice)
    return fluid.Preload(path, sample_rate, presets)


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

    ``soundfont``: a .sf2/.sf3 path (a VmbError if it does not exist); None searches with
    :func:`find_soundfont`. ``backend``: "auto" (FluidSynth if possible, else tinysoundfont, else
    the built-in synth, with one warning saying what to install), "fluidsynth" or
    "tinysoundfont" (a VmbError if impossible) or "numpy"; None reads ``$VMB_SYNTH`` and
    defaults to "auto". ``reverb``: wet level of a light room (0 = dry); FluidSynth's own reverb
    and chorus are always off.

    Returns ``(audio, synth)``, synth being "fluidsynth:<path>", "tinysoundfont:<path>" or "numpy".
    """
    validate_score(score, sample_rate)
    name, path = _resolve(backend, soundfont, sample_rate)
    n_samples = render_length(score, sample_rate)
    if name == "fluidsynth":
        audio = fluid.render(score, sample_rate, n_samples, path)
    elif name == "tinysoundfont":
        audio = render_tinysoundfont(score, sample_rate, n_samples, path)
    else:
        audio = render_builtin(score, sample_rate, n_samples)
    return room_reverb(audio, sample_rate, wet=reverb), f"{name}:{path}" if path else name


def synthesize_parts(
    score: Score,
    *,
    sample_rate: int = SAMPLE_RATE,
    soundfont: str | None = None,
    backend: str | None = None,
    groups: Sequence[Sequence[int]] | None = None,
) -> tuple[Sequence[np.ndarray], str]:
    """Render each track of ``score`` on its own: ``(parts, synth)``, parts being float32 arrays
    of shape (n_samples, 2), one per track in ``score.tracks`` order (silent for a track without
    notes), dry (no room reverb; FluidSynth's reverb and chorus are off), with the track's volume
    and pan. A track with a synth voice (``Track.voice``, vmb/data/voices.toml) plays on
    :mod:`vmb.render.analog`; every other track's part is what :func:`synthesize`, which plays
    every track on the font, renders of it with ``reverb=0`` (to float rounding).

    ``groups`` (track indices, e.g. one group per stem): the parts are rendered a group at a
    time, when a part of the group is first asked for, and only that group is kept, so a long
    piece never holds every part at once (a 10-minute part is 212 MB). Length, ``soundfont``
    and ``backend`` as for :func:`synthesize`.
    """
    validate_score(score, sample_rate)
    name, path = _resolve(backend, soundfont, sample_rate)
    n_samples = render_length(score, sample_rate)

    def render_font(tracks_of: Score) -> list[np.ndarray]:
        if name == "fluidsynth":  # a group at a time: no track split, so no buffer besides the parts
            return fluid.render_parts(tracks_of, sample_rate, n_samples, path, split=groups is None)
        if name == "tinysoundfont":
            return render_tinysoundfont_parts(tracks_of, sample_rate, n_samples, path)
        return render_builtin_parts(tracks_of, sample_rate, n_samples)

    def render(tracks_of: Score) -> list[np.ndarray]:
        # Tracks with a synth voice play on vmb.render.analog; the font plays the rest.
        voiced = {i for i, t in enumerate(tracks_of.tracks) if t.voice and t.notes}
        if not voiced:
            return render_font(tracks_of)
        parts = render_font(dataclasses.replace(tracks_of, tracks=[
            dataclasses.replace(t, notes=[]) if i in voiced else t for i, t in enumerate(tracks_of.tracks)]))
        voices = knowledge().voices
        for i in voiced:
            track = tracks_of.tracks[i]
            parts[i] = analog.render_track(tracks_of, track, voices[track.voice], sample_rate, n_samples)
        return parts

    parts = render(score) if groups is None else GroupedParts(score, groups, render)
    synth = f"{name}:{path}" if path else name
    return parts, synth + "+analog" if any(t.voice and t.notes for t in score.tracks) else synth


class GroupedParts(Sequence):
    """The parts of a score's tracks, rendered a group of tracks at a time on first use; only the
    group last asked for is held (see :func:`synthesize_parts`)."""

    def __init__(self, score: Score, groups: Sequence[Sequence[int]], render):
        self.score, self.render = score, render
        self.group_of = {i: g for g, members in enumerate(groups) for i in members}
        self.groups = [tuple(members) for members in groups]
        self.held: tuple[int, dict[int, np.ndarray]] | None = None

    def __len__(self) -> int:
        return len(self.score.tracks)

    def __getitem__(self, i: int) -> np.ndarray:
        if not 0 <= i < len(self):
            raise IndexError(i)
        g = self.group_of.get(i, -1)
        if self.held is None or self.held[0] != g:
            members = self.groups[g] if g >= 0 else (i,)
            self.held = None  # free the previous group before rendering the next
            alone = dataclasses.replace(self.score, tracks=[
                t if k in members else dataclasses.replace(t, notes=[]) for k, t in enumerate(self.score.tracks)])
            parts = self.render(alone)
            self.held = (g, {k: parts[k] for k in members})
        return self.held[1][i]
