"""Score -> stereo audio with FluidSynth (libfluidsynth through the pyfluidsynth binding).

One MIDI channel per track: melodic tracks play ``track.program`` from bank 0 (preset 0 when
the SoundFont lacks it); drum tracks play on a drum-type channel from bank 128 with
``track.program`` as the GM2 kit number (0 standard, 8 room, 16 power, 24 electronic, 25 TR-808,
32 jazz, 40 brush, 48 orchestra; kit 0 when the SoundFont lacks it).

Each track plays alone on a fresh synth (created in a few ms; the SoundFont stays loaded), so
:func:`render_parts` returns every track's own stereo audio and :func:`render` their sum, and
a track sounds the same whatever else the score holds or was rendered before: same score, same
samples. ``track.volume`` is applied to a track's audio as an exact linear gain; ``track.pan``
is MIDI pan (CC10: FluidSynth's constant-power law per voice, so stereo samples keep their
image). Tracks are shared out between two threads on a machine with two or more cores.

FluidSynth's own reverb and chorus are OFF: the renders are dry, and effects are the mixer's
job, per part. Output is FluidSynth's float mix (``fluid_synth_write_float``), not 16-bit.

Timing: FluidSynth starts and stops voices only at the start of its 64-sample blocks (1.45 ms at
44.1 kHz), so events are rounded to the nearest block boundary (at most 32 samples early or
late; notes at the same time in different tracks stay together).

The loaded SoundFont is cached per (path, sample rate, thread) for the life of the process;
samples are loaded on demand (``synth.dynamic-sample-loading``) and pinned once used, so a large
SoundFont costs load time and memory only for the presets the pieces play. :class:`Preload` does
that loading ahead, in a background thread (libfluidsynth's calls release the GIL), while the
caller composes; decoding a preset ahead changes no sample of the render.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections import OrderedDict
from contextlib import contextmanager, redirect_stdout

import numpy as np

from vmb import VmbError
from vmb.types import Score

from .events import note_events

BLOCK = 64  # FluidSynth's internal block: voices start at multiples of it
MAX_SAMPLE_RATE = 96000  # FluidSynth's synth.sample-rate range is 8000-96000 Hz
GAIN = 0.5  # synth.gain; FluidSynth's default 0.2 is ~8 dB quieter than tinysoundfont with FluidR3_GM
_POLYPHONY = 512
# The note note_cost plays: middle C (a snare on a kit) at a mezzo-forte velocity, its release
# followed in 512-sample chunks for up to 4 s.
_PROBE_PITCH, _PROBE_DRUM, _PROBE_VELOCITY, _PROBE_CHUNK, _PROBE_MAX_S = 60, 38, 90, 512, 4.0
_CACHE_SIZE = 4  # two SoundFonts (or rates) for each of two render threads
_MELODIC, _DRUM = 0, 1  # fluid_midi_channel_type
_cache: OrderedDict[tuple, _FluidSynth] = OrderedDict()
_cache_lock = threading.Lock()
_unreadable: set[tuple] = set()  # (real path, mtime, size) of files libfluidsynth would not load
_lib = None


def unavailable_reason() -> str | None:
    """None when FluidSynth can render here, else why not (in a few words)."""
    try:
        _library()
    except VmbError as exc:
        return str(exc)
    return None


def _library():
    """The libfluidsynth handle (a private ctypes.CDLL, so our prototypes leave pyfluidsynth's alone)."""
    global _lib
    if _lib is not None:
        return _lib
    try:
        # pyfluidsynth prints where it found the library to stdout when CI is set in the environment,
        # which would corrupt `--json` output; its import goes to stderr instead.
        with redirect_stdout(sys.stderr):
            import fluidsynth  # pyfluidsynth; raises ImportError when it cannot find libfluidsynth
    except ImportError as exc:
        if "fluidsynth" in str(exc).lower() and "library" in str(exc).lower():
            raise VmbError("libfluidsynth is not installed") from None
        raise VmbError("the pyfluidsynth package is not installed") from None
    except OSError as exc:  # found but not loadable (wrong architecture, missing dependency)
        raise VmbError(f"libfluidsynth does not load: {exc}") from None
    try:
        lib = ctypes.CDLL(fluidsynth.lib)
        lib.fluid_synth_pin_preset  # noqa: B018 - FluidSynth >= 2.2
    except (OSError, AttributeError):
        raise VmbError(f"libfluidsynth ({fluidsynth.lib}) is too old; FluidSynth 2.2 or later is needed") from None
    vp, i = ctypes.c_void_p, ctypes.c_int
    for name, args in {
        "fluid_synth_noteon": (vp, i, i, i),
        "fluid_synth_noteoff": (vp, i, i),
        "fluid_synth_cc": (vp, i, i, i),
        "fluid_synth_program_select": (vp, i, i, i, i),
        "fluid_synth_pin_preset": (vp, i, i, i),
        "fluid_synth_set_channel_type": (vp, i, i),
        "fluid_synth_get_active_voice_count": (vp,),
                "fluid_synth_write_float": (vp, i, vp, i, i, vp, i, i),
        "fluid_synth_sfload": (vp, ctypes.c_char_p, i),
        "fluid_synth_get_sfont_by_id": (vp, i),
        "fluid_synth_add_sfont": (vp, vp),
        "fluid_synth_remove_sfont": (vp, vp),
        "new_fluid_settings": (),
        "new_fluid_synth": (vp,),
        "delete_fluid_synth": (vp,),
        "delete_fluid_settings": (vp,),
        "fluid_settings_setint": (vp, ctypes.c_char_p, i),
        "fluid_settings_setnum": (vp, ctypes.c_char_p, ctypes.c_double),
        "fluid_set_log_function": (i, vp, vp),
    }.items():
        fn = getattr(lib, name)
        fn.argtypes = list(args)
        fn.restype = vp if name.startswith("new_") or name.endswith("_by_id") else i
    lib.fluid_set_log_function.restype = vp
    for level in range(1, 5):  # quiet ERR, WARN, INFO, DBG: failures come back as VmbErrors instead
        lib.fluid_set_log_function(level, None, None)
    _lib = lib
    return lib


class _Unreadable(VmbError):
    def __init__(self, path: str):
        super().__init__(f"cannot load SoundFont {path}: FluidSynth does not read it as a SoundFont")


class _FluidSynth:
    """A SoundFont loaded into FluidSynth, and the lock that serialises its use.

    The SoundFont lives in a host synth that never plays; every render pass plays on a fresh
    synth that borrows it (``fluid_synth_add_sfont``). A fresh synth per pass is what makes
    renders repeatable: libfluidsynth 2.3 leaves filter state in its recycled voices, so a reused
    synth plays a note's first milliseconds differently depending on what it played before.
    """

    def __init__(self, path: str, sample_rate: int):
        lib = _library()
        self.lib, self.lock, self.closed = lib, threading.Lock(), False
        self.sample_rate = sample_rate
        self.settings = lib.new_fluid_settings()
        for name, value in (("synth.midi-channels", 16), ("synth.audio-channels", 1),
                            ("synth.audio-groups", 1), ("synth.reverb.active", 0),
                            ("synth.chorus.active", 0), ("synth.polyphony", _POLYPHONY),
                            ("synth.cpu-cores", 1), ("synth.dynamic-sample-loading", 1)):
            if lib.fluid_settings_setint(self.settings, name.encode(), value) != 0:
                raise VmbError(f"libfluidsynth rejects the setting {name}={value}")
        for name, value in (("synth.sample-rate", float(sample_rate)), ("synth.gain", GAIN)):
            if lib.fluid_settings_setnum(self.settings, name.encode(), value) != 0:
                raise VmbError(f"libfluidsynth rejects the setting {name}={value}")
        self.host = lib.new_fluid_synth(self.settings)
        if not self.host:
            lib.delete_fluid_settings(self.settings)
            raise VmbError("libfluidsynth could not create a synthesizer")
        sfid = lib.fluid_synth_sfload(self.host, os.fsencode(path), 0)
        if sfid < 0:
            self.close()
            raise _Unreadable(path)
        self.sfont, self.host_sfid = lib.fluid_synth_get_sfont_by_id(self.host, sfid), sfid
        self.presets: dict[tuple[int, int], bool] = {}  # (bank, preset) -> present (and pinned)
        # A synth given the SoundFont selects piano and the standard kit on every channel; with
        # dynamic sample loading that decoded both again for every fresh synth (0.1-2 s per
        # track with the .sf3). Pinned in the host, they are decoded once per process.
        for bank, preset in ((0, 0), (128, 0)):
            self.presets[(bank, preset)] = lib.fluid_synth_pin_preset(self.host, sfid, bank, preset) == 0
        self.note_costs: dict[tuple[bool, int], tuple[float, float]] = {}  # see note_cost

    @contextmanager
    def fresh_synth(self):
        """A new synth playing this SoundFont: (synth, its id for the SoundFont)."""
        lib = self.lib
        synth = lib.new_fluid_synth(self.settings)
        if not synth:
            raise VmbError("libfluidsynth could not create a synthesizer")
        sfid = lib.fluid_synth_add_sfont(synth, self.sfont)
        try:
            if sfid < 0:
                raise VmbError("libfluidsynth could not share a loaded SoundFont")
            yield synth, sfid
        finally:
            if sfid >= 0:
                lib.fluid_synth_remove_sfont(synth, self.sfont)  # the host keeps it
            lib.delete_fluid_synth(synth)

    def pin(self, bank: int, preset: int) -> None:
        """Decode (bank, preset)'s samples now and keep them, as :meth:`select` does on its first
        use; a preset the SoundFont lacks is left for :meth:`select` to find. Hold the lock."""
        key = (bank, preset)
        if key not in self.presets and self.lib.fluid_synth_pin_preset(self.host, self.host_sfid, bank, preset) == 0:
            self.presets[key] = True

    def select(self, synth, sfid: int, ch: int, bank: int, preset: int) -> bool:
        """Select (bank, preset) on channel ``ch``, its samples loaded and kept; False if absent."""
        key = (bank, preset)
        known = self.presets.get(key)
        if known is False:
            return False
        ok = self.lib.fluid_synth_program_select(synth, ch, sfid, bank, preset) == 0
        if known is None:  # pinned in the host, which outlives the fresh synths: decoded once per process
            self.presets[key] = ok and self.lib.fluid_synth_pin_preset(self.host, self.host_sfid, bank, preset) == 0
        return ok

    def note_cost(self, is_drum: bool, program: int) -> tuple[float, float]:
        """What a note of ``program`` (a kit when ``is_drum``) costs to render: (voices it sounds
        while held, voice-seconds of its release), from a probe note played once per process.
        Presets differ by 60x (one voice and 0.2 s of release for a bass, six voices and 1.8 s
        for the string ensemble), so a note count does not say which render thread has more to
        do. Hold the lock."""
        key = (is_drum, program % 128)
        if key not in self.note_costs:
            pitch = _PROBE_DRUM if is_drum else _PROBE_PITCH
            chunk = np.zeros((_PROBE_CHUNK, 2), dtype=np.float32)
            at, lib = chunk.ctypes.data, self.lib
            with self.fresh_synth() as (synth, sfid):
                _select_program(self, synth, sfid, is_drum, program)
                lib.fluid_synth_noteon(synth, 0, pitch, _PROBE_VELOCITY)
                held = float(lib.fluid_synth_get_active_voice_count(synth))
                lib.fluid_synth_noteoff(synth, 0, pitch)
                tail, seconds = 0.0, _PROBE_CHUNK / self.sample_rate
                for _ in range(int(_PROBE_MAX_S / seconds)):
                    lib.fluid_synth_write_float(synth, _PROBE_CHUNK, at, 0, 2, at, 1, 2)
                    voices = lib.fluid_synth_get_active_voice_count(synth)
                    if voices == 0:
                        break
                    tail += voices * seconds
            self.note_costs[key] = (held, tail)
        return self.note_costs[key]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.lib.delete_fluid_synth(self.host)
            self.lib.delete_fluid_settings(self.settings)


def _load(path: str, sample_rate: int, worker: int = 0) -> _FluidSynth:
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise VmbError(f"cannot load SoundFont {path}: {exc.strerror or exc}") from None
    if not 8000 <= sample_rate <= MAX_SAMPLE_RATE:
        raise VmbError(f"FluidSynth renders at 8000-{MAX_SAMPLE_RATE} Hz, not {sample_rate} Hz")
    key = (os.path.realpath(path), sample_rate, stat.st_mtime_ns, stat.st_size, worker)
    file = (key[0], stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        if file in _unreadable:  # tried once (by a preload or the other render thread): not again
            raise _Unreadable(path)
        try:
            _cache[key] = _FluidSynth(path, sample_rate)
        except _Unreadable:
            _unreadable.add(file)
            raise
        while len(_cache) > _CACHE_SIZE:
            old = _cache.popitem(last=False)[1]
            with old.lock:
                old.close()
        return _cache[key]


def _select_program(fs: _FluidSynth, synth, sfid: int, is_drum: bool, program: int) -> None:
    """Channel 0 of ``synth`` plays ``program`` (a kit when ``is_drum``)."""
    fs.lib.fluid_synth_set_channel_type(synth, 0, _DRUM if is_drum else _MELODIC)
    bank = 128 if is_drum else 0
    if not fs.select(synth, sfid, 0, bank, program % 128):
        fs.select(synth, sfid, 0, bank, 0)  # the SoundFont lacks it: standard kit / preset 0


def _setup(fs: _FluidSynth, synth, sfid: int, track) -> None:
    lib = fs.lib
    _select_program(fs, synth, sfid, track.is_drum, track.program)
    pan = min(max(track.pan, -1.0), 1.0)
    lib.fluid_synth_cc(synth, 0, 7, 127)  # unity: track.volume is applied to the rendered part
    lib.fluid_synth_cc(synth, 0, 11, 127)
    lib.fluid_synth_cc(synth, 0, 10, 64 + round(pan * (63 if pan > 0 else 64)))


def _play(fs: _FluidSynth, score: Score, ti: int, sample_rate: int, n_samples: int, dest: np.ndarray,
          pitches: frozenset[int] | None = None) -> None:
    """Render track ``ti`` alone (only its notes of ``pitches``, when given), before its volume,
    on a fresh synth into ``dest``: a C-contiguous float32 array of shape (n_samples rounded up to
    whole blocks, 2), overwritten."""
    lib = fs.lib
    events = note_events(score, [ti], sample_rate, n_samples, grid=BLOCK)
    if pitches is not None:
        events = [event for event in events if event[4] in pitches]
    e, n_events, now, total = 0, len(events), 0, dest.shape[0]
    address = dest.ctypes.data
    with fs.fresh_synth() as (synth, sfid):
        _setup(fs, synth, sfid, score.tracks[ti])
        while now < total:
            while e < n_events and events[e][0] <= now:
                _sample, _order, kind, _ch, pitch, vel = events[e]
                if kind == "on":
                    lib.fluid_synth_noteon(synth, 0, pitch, vel)
                else:
                    lib.fluid_synth_noteoff(synth, 0, pitch)
                e += 1
            nxt = min(total, events[e][0]) if e < n_events else total
            at = address + now * 8  # interleaved stereo float32: left at +0, right at +1
            lib.fluid_synth_write_float(synth, nxt - now, at, 0, 2, at, 1, 2)
            now = nxt


Job = tuple[int, "frozenset[int] | None"]  # a track index and the pitches of it to play (None: all)


def render_threads() -> int:
    """Render threads, one or two: ``$VMB_SYNTH_THREADS``, else two where there are two cores."""
    env = os.environ.get("VMB_SYNTH_THREADS", "").strip()
    n = int(env) if env.isdigit() and int(env) > 0 else min(2, os.cpu_count() or 1)
    return max(1, min(n, 2))


def _shares(fs: _FluidSynth, score: Score, tracks: list[int], split: bool = True) -> list[list[Job]]:
    """Split the sounding tracks between two render threads, balancing what their notes cost
    (:meth:`_FluidSynth.note_cost`: voices times seconds held, plus the release). A track that
    costs more than all the others together (a piano comping in chords is 60% of a pop band's
    render) is split by pitch into halves of about the same cost, its low notes on one thread and
    its high notes on the other: a key's notes stay on one synth, where a re-struck key releases
    its previous note, so the two halves sum to the track. Deterministic for a
    score and a SoundFont. Hold ``fs``'s lock."""
    per_pitch: dict[int, dict[int, float]] = {}
    for ti in tracks:
        track = score.tracks[ti]
        held, tail = fs.note_cost(track.is_drum, track.program)
        costs = per_pitch[ti] = {}
        for x in track.notes:
            seconds = score.beat_to_seconds(x.start + x.duration) - score.beat_to_seconds(x.start)
            costs[x.pitch] = costs.get(x.pitch, 0.0) + held * seconds + tail
    cost = {ti: sum(per_pitch[ti].values()) for ti in tracks}
    big = max(tracks, key=lambda ti: (cost[ti], -ti))
    # Drum kits stay whole: their exclusive classes (an open hi-hat choked by a closed one) span pitches.
    split = (split and cost[big] > sum(cost.values()) / 2 and not score.tracks[big].is_drum
             and len(per_pitch[big]) > 1)
    jobs: list[tuple[float, Job]] = [(cost[ti], (ti, None)) for ti in tracks if not (split and ti == big)]
    if split:
        pitches = sorted(per_pitch[big])
        low, below = [pitches[0]], per_pitch[big][pitches[0]]
        for pitch in pitches[1:-1]:  # the low notes, as long as that brings them nearer half the cost
            if abs(below + per_pitch[big][pitch] - cost[big] / 2) >= abs(below - cost[big] / 2):
                break
            low.append(pitch)
            below += per_pitch[big][pitch]
        jobs += [(below, (big, frozenset(low))), (cost[big] - below, (big, frozenset(pitches) - frozenset(low)))]
    def order(job: Job) -> tuple[int, int]:  # by track, then a split track's low half first
        return job[0], min(job[1] or (-1,))

    loads, shares = [0.0, 0.0], [[], []]
    placed: dict[int, int] = {}  # track -> the thread given its first half
    for job_cost, job in sorted(jobs, key=lambda j: (-j[0], *order(j[1]))):
        # The less loaded thread; a track's second half goes to the other one (the estimate is off
        # by up to 1.7x between presets, and both halves on one thread would gain nothing).
        w = 1 - placed[job[0]] if job[0] in placed else loads.index(min(loads))
        placed[job[0]] = w
        loads[w] += job_cost
        shares[w].append(job)
    return [sorted(share, key=order) for share in shares if share]


def _locked(path: str, sample_rate: int, worker: int, stop: threading.Event | None = None) -> _FluidSynth | None:
    """The cached synth of ``worker`` for this SoundFont, its lock held by the caller; with
    ``stop``, None once it is set (the lock is then waited for in short turns: another request's
    render may hold the font for minutes)."""
    while stop is None or not stop.is_set():
        fs = _load(path, sample_rate, worker)
        if fs.lock.acquire() if stop is None else fs.lock.acquire(timeout=0.05):
            if not fs.closed:
                return fs
            fs.lock.release()  # evicted by another thread between _load and here: load it again
    return None


class Preload:
    """The SoundFont at ``path`` loaded and ``presets`` ((bank, preset) pairs) decoded in a
    background thread, into the synth the first render thread uses: what a render of those
    presets would do first, done while the caller works on (a 30 s piece on the MuseScore font
    spends 1-3 s there). :meth:`wait` before rendering; :meth:`close` (stop after the preset
    being decoded, then join) when giving up. Only a head start: a failure is dropped, and the
    render that follows loads the font itself and reports it as before.
    """

    def __init__(self, path: str, sample_rate: int, presets):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(path, sample_rate, tuple(presets)),
                                        name="vmb-soundfont-preload", daemon=True)
        self._thread.start()

    def _run(self, path: str, sample_rate: int, presets: tuple[tuple[int, int], ...]) -> None:
        try:
            fs = _locked(path, sample_rate, 0, self._stop)  # the first render thread's synth
        except Exception:  # noqa: BLE001 - the render reports it
            return
        if fs is None:
            return
        try:
            for bank, preset in presets:
                if self._stop.is_set():
                    break
                fs.pin(bank, preset)
        finally:
            fs.lock.release()

    def wait(self) -> None:
        self._thread.join()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _render_tracks(score: Score, sample_rate: int, n_samples: int, path: str, take, *, threads: bool = True,
                   into=None, split: bool = True) -> None:
    """Render every sounding track alone, calling ``take(worker, track_index, audio, in_place)``
    with its float32 (n_samples, 2) audio (before volume). ``into(track_index, pitches)`` may
    give a C-contiguous float32 array of (n_samples rounded up to whole blocks, 2) to render
    that job straight into (``in_place`` True: no buffer, no copy; a 10-minute part is 212 MB);
    otherwise (None) the audio is a thread's buffer, reused after ``take`` returns. A track split
    between the threads (see :func:`_shares`) comes in two calls, whose audio sums to the
    track's, possibly at the same time from both threads.

    Each track plays on a synth of its own: libfluidsynth 2.3 carries filter state over in the
    voices it recycles, so sharing a synth would let one track colour the next one's attacks.
    """
    tracks = [i for i, t in enumerate(score.tracks) if t.notes and t.volume > 0]
    if not tracks:
        return
    if not threads or render_threads() == 1:
        shares: list[list[Job]] = [[(ti, None) for ti in tracks]]
    else:
        fs = _locked(path, sample_rate, 0)
        try:
            shares = _shares(fs, score, tracks, split)
        finally:
            fs.lock.release()
    total = -(-n_samples // BLOCK) * BLOCK

    def run(w: int) -> None:
        buffer = None  # allocated when a track of this thread is not rendered in place
        fs = _locked(path, sample_rate, w)
        try:
            for ti, pitches in shares[w]:
                dest = into(ti, pitches) if into is not None else None
                in_place = dest is not None
                if not in_place:
                    if buffer is None:
                        buffer = np.empty((total, 2), dtype=np.float32)
                    dest = buffer
                _play(fs, score, ti, sample_rate, n_samples, dest, pitches)
                take(w, ti, dest[:n_samples], in_place)
        finally:
            fs.lock.release()

    if len(shares) == 1:
        run(0)
        return
    errors: list[BaseException] = []

    def helper() -> None:
        try:
            run(1)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(exc)

    thread = threading.Thread(target=helper, name="vmb-fluidsynth", daemon=True)
    thread.start()
    try:
        run(0)
    finally:
        thread.join()
    if errors:
        raise errors[0]


def _gain(track) -> np.float32:
    return np.float32(min(max(track.volume, 0.0), 1.0))


def render_parts(score: Score, sample_rate: int, n_samples: int, path: str, *, split: bool = True) -> list[np.ndarray]:
    """Each track of ``score`` on its own: float32 arrays of shape (n_samples, 2), in track order.

    A part is the track alone, dry, with its volume and pan; the parts sum to :func:`render`.
    ``split=False`` never splits a track between the threads: every part renders in place, with
    no buffer besides the parts (for long pieces; a split track needs one more part's worth).
    """
    # Each part is rendered in place; of a track split between the threads, the half that starts
    # first is, and the other half (from a buffer) is added by whichever thread finishes second.
    whole = [np.zeros((-(-n_samples // BLOCK) * BLOCK, 2), dtype=np.float32) for _ in score.tracks]
    parts = [w[:n_samples] for w in whole]
    lock = threading.Lock()
    claimed: set[int] = set()  # tracks whose part a job renders in place
    done: set[int] = set()  # ... and has finished
    pending: dict[int, np.ndarray] = {}  # a split track's other half, finished first

    def into(ti, pitches):
        with lock:
            if ti in claimed:
                return None
            claimed.add(ti)
            return whole[ti]

    def take(_worker, ti, audio, in_place):
        audio *= _gain(score.tracks[ti])
        with lock:  # a + b == b + a: the same bits whichever half comes first
            if in_place:
                done.add(ti)
                if ti in pending:
                    parts[ti] += pending.pop(ti)
            elif ti in done:
                parts[ti] += audio
            else:
                pending[ti] = audio.copy()  # the thread's buffer plays its next job

    _render_tracks(score, sample_rate, n_samples, path, take, into=into, split=split)
    return parts


def render(score: Score, sample_rate: int, n_samples: int, path: str) -> np.ndarray:
    """Render ``score`` with the SoundFont at ``path``: float32 stereo of shape (n_samples, 2).

    Two render threads each sum their tracks; pieces over three minutes use one thread, which
    keeps memory to the output and one track's buffer.
    """
    outs = [np.zeros((n_samples, 2), dtype=np.float32), None]

    def take(worker, ti, audio, _in_place):
        if outs[worker] is None:
            outs[worker] = np.zeros((n_samples, 2), dtype=np.float32)
        audio *= _gain(score.tracks[ti])
        outs[worker] += audio

    _render_tracks(score, sample_rate, n_samples, path, take, threads=n_samples <= 180 * sample_rate)
    if outs[1] is not None:
        outs[0] += outs[1]
    return outs[0]
