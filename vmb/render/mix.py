"""Mixing: the dry stereo parts of a Score, one per track, into stems and a stereo mix.

:func:`mix_parts` takes what the per-track renderer returns (one float (n, 2) array per
``score.tracks`` entry, volume and pan already applied, no reverb) and a style's
:class:`vmb.knowledge.Mix` settings, and returns the mix before the master bus
(:func:`vmb.render.master.master` normalises and limits it afterwards) with its stems.

Signal flow, per stem group (:data:`STEMS`: drums, bass, harmony, pads, lead by track role)::

    part -> saturation (its role in settings.saturation_roles) -> drum image (the kit) --+
    part -> ...                                                                         +-> stem
    stem -> EQ (high-pass; low shelf on the bass) -> tape drive (lofi) -> duck (sidechain, not drums)
    stem send (pre-EQ) -> reverb (room | plate | hall, its return high-passed) -> duck -> + stem
    sum of stems -> bus compressor gain, brightness shelf, lofi low-pass and wow/flutter (the same on every stem)
    + vinyl hiss and crackle (lofi, the "vinyl" stem) = mix

Everything non-linear happens inside a stem, and the bus stage applies one shared gain curve,
filter and delay line to each stem, so the stems sum to the mix (to float rounding). With
``stems=False`` the reverb and the bus run once, on the sum, for the same mix in less time.

Speed and memory: float32 throughout, long filters run in chunks of ~3 s, and the reverbs are
FFT convolutions at a half or a quarter of the sample rate (their returns are damped below
that band anyway, as in the classic digital reverbs), so 30 s of 8 parts mixes in about a
tenth of a second and a 10-minute piece needs little besides its stems.
Nothing is cut except at the buffer's end: the caller pads the parts for tails to ring.
Deterministic: every random thing (reverb responses, vinyl noise, wow phase) comes from ``seed``.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft
from scipy.signal import butter, sosfilt

from vmb import VmbError
from vmb.knowledge import Mix
from vmb.types import Score, Track

# Stem groups by track role, in output order; a role not named here (or "") mixes with harmony.
STEMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("drums", ("drums", "perc", "timpani")),
    ("bass", ("bass",)),
    ("harmony", ("comp", "arp")),
    ("pads", ("pad",)),
    ("lead", ("melody", "counter")),
)
VINYL = "vinyl"  # the stem of the lofi chain's hiss and crackle (no track)
STEM_NAMES = tuple(name for name, _roles in STEMS) + (VINYL,)  # every stem a mix may have
_SEND = {"drums": "send_drums", "bass": "send_bass", "harmony": "send_harmony", "pads": "send_pad",
         "lead": "send_lead"}
KICKS = (35, 36)  # GM acoustic and bass drum 1: what the sidechain ducks to
_TOM_PAN = {41: 0.6, 43: 0.45, 45: 0.2, 47: 0.0, 48: -0.25, 50: -0.45}  # drummer's view: floor tom right
_HATS, _RIDES = (42, 44, 46), (51, 53, 59)
_CHUNK = 1 << 17  # samples per chunk of the long filters (a multiple of _BLOCK)
_BLOCK = 256  # samples per level reading of the bus compressor


@dataclass
class Stem:
    """One stem: a group of tracks with its share of the reverb and bus processing."""

    name: str  # a name of STEMS, or VINYL
    tracks: tuple[int, ...]  # indices into score.tracks
    audio: np.ndarray  # float32 (n, 2)


@dataclass
class MixResult:
    """The mix before the master bus, and (``stems=True``) the stems that sum to it."""

    audio: np.ndarray  # float32 (n, 2)
    sample_rate: int
    stems: list[Stem] = field(default_factory=list)


def stem_of(track: Track) -> str:
    """The stem group of a track, by role (a drum track with no known role goes to drums)."""
    for name, roles in STEMS:
        if track.role in roles:
            return name
    return "drums" if track.is_drum else "harmony"


def stem_groups(score: Score) -> list[tuple[str, tuple[int, ...]]]:
    """(stem name, indices of its tracks) for every stem that has a track, in mixing order."""
    groups = [(name, tuple(i for i, t in enumerate(score.tracks) if stem_of(t) == name)) for name, _ in STEMS]
    return [(name, idx) for name, idx in groups if idx]


def mix_parts(score: Score, parts, settings: Mix | None = None, sample_rate: int = 44100, *, seed: int = 0,
              stems: bool = True, threads: int = 1, consume: bool = False) -> MixResult:
    """Mix ``parts`` (float (n, 2) each, aligned with ``score.tracks``) as ``settings`` say.

    ``settings`` is a style's ``knowledge().styles[name].mix`` (None: ``Mix()``). The output has
    the parts' length; reverb and release tails ring up to the end of the buffer. ``stems=False``
    returns no stems and is faster. Deterministic for the same ``seed``. ``threads`` > 1 makes
    the stems side by side (the same samples, every stem held at once); with 1 the parts are
    read one at a time, in stem order, and may be rendered as they are read.

    ``consume``: the parts may be overwritten (each stem is built in its first float32 part) and
    each stem is added to the mix as soon as it is made, so that besides the sum only the stem
    being made is held: a 10-minute piece needs 212 MB per array. Without stems that mix is the
    same to float rounding (the high-pass then runs on each stem instead of once on their sum).
    """
    settings = settings or Mix()
    _check(score, parts, sample_rate)
    groups = stem_groups(score)
    n = 0
    if parts:  # parts are read one at a time, in stem order (they may be rendered as they are read)
        n = _part(parts, groups[0][1][0] if groups else 0, score, None).shape[0]
    if n == 0 or not groups:
        return MixResult(np.zeros((n, 2), np.float32), sample_rate, [])
    rate = sample_rate
    duck = _duck_gain(score, settings, rate, n)
    reverb = _Reverb(settings, rate, seed) if any(getattr(settings, _SEND[g]) > 0 for g, _ in groups) else None
    # Without stems the high-passed stems (all filtered alike, all linear while there is no lofi
    # drive) are summed first and filtered once.
    merge = not stems and settings.lofi <= 0 and not consume

    def merged(name: str) -> bool:
        return merge and name not in ("drums", "bass")

    def prepare(name: str, idx: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
        """One stem's own processing: (its audio, the reverb send still to add, or None)."""
        buf = None
        for i in idx:
            buf = _add_part(buf, _part(parts, i, score, n), score.tracks[i], score, settings, rate, consume)
        send = getattr(settings, _SEND[name])
        wet = reverb.send(buf, send) if reverb is not None and send > 0 else None
        if merged(name):
            return buf, wet
        _filter(buf, eq_sections(name, settings, rate))
        if settings.lofi > 0:
            _drive(buf, buf, 0.35 * settings.lofi)
        if duck is not None and name != "drums":
            buf *= duck[:, None]
        if wet is not None and stems:
            reverb.add_return(buf, wet, duck)
            wet = None
        return buf, wet

    if threads > 1:  # every stem held at once; filters and FFTs release the GIL
        with ThreadPoolExecutor(threads, thread_name_prefix="vmb-mix") as pool:
            prepared = list(pool.map(lambda group: prepare(*group), groups))
    else:  # one stem at a time: only the sums and the stem being made are held
        prepared = (prepare(name, idx) for name, idx in groups)
    total_send = None
    bufs: list[tuple[str, tuple[int, ...], np.ndarray]] = []
    mix = upper = None
    for (name, idx), (buf, wet) in zip(groups, prepared):  # summed in stem order: the same samples
        if wet is not None:
            total_send = wet if total_send is None else total_send + wet
        if merged(name):
            if upper is None:
                upper = buf
            else:
                upper += buf
        elif stems:
            bufs.append((name, idx, buf))
        elif mix is None:
            mix = buf
        else:
            mix += buf
        del buf, wet
    del prepared
    if upper is not None:
        _filter(upper, eq_sections("harmony", settings, rate))
        if duck is not None:
            upper *= duck[:, None]
        if mix is None:
            mix = upper
        else:
            mix += upper
        del upper
    if stems:
        mix = bufs[0][2].copy()
        for _, _, buf in bufs[1:]:
            mix += buf
    elif total_send is not None:
        reverb.add_return(mix, total_send, duck)

    bus = _Bus(mix, settings, rate, seed)
    bus.run([b for _, _, b in bufs] if stems else [mix])
    if stems:
        mix[:] = bufs[0][2]
        for _, _, buf in bufs[1:]:
            mix += buf
    out = [Stem(name, idx, buf) for name, idx, buf in bufs]
    if settings.lofi > 0:
        noise = _vinyl(n, rate, settings.lofi, bus.reference, seed)
        mix += noise
        if stems:
            out.append(Stem(VINYL, (), noise))
    return MixResult(mix, sample_rate, out)


# --------------------------------------------------------------------------- checks


def _check(score: Score, parts, sample_rate: int) -> None:
    if sample_rate <= 0:
        raise VmbError(f"sample rate {sample_rate} must be positive")
    if len(parts) != len(score.tracks):
        raise VmbError(f"{len(parts)} parts for {len(score.tracks)} tracks: give one part per track")


def _part(parts, i: int, score: Score, n: int | None) -> np.ndarray:
    """Part ``i`` as float32, checked: (n, 2) (the first part read sets n) and finite."""
    x = np.asarray(parts[i], dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != 2 or (n is not None and x.shape[0] != n):
        raise VmbError(f"part {i} has shape {x.shape}; every part must be (n, 2) with the same n")
    if not np.isfinite(x).all():
        raise VmbError(f"part {i} ({score.tracks[i].name!r}) contains NaN or infinite samples")
    return x


# --------------------------------------------------------------------------- per part


def _add_part(buf: np.ndarray | None, x: np.ndarray, track: Track, score: Score, settings: Mix,
              rate: int, consume: bool = False) -> np.ndarray:
    """``buf`` (None: a new buffer, or ``x`` itself when it may be overwritten) plus ``x``,
    saturated and imaged as its track asks."""
    driven = settings.saturation > 0 and track.role in settings.saturation_roles
    imaged = track.is_drum and track.role == "drums" and settings.drum_width > 0
    if buf is None and not imaged:
        if consume and x.flags.writeable:
            return _drive(x, x, settings.saturation) if driven else x
        return _drive(np.empty_like(x), x, settings.saturation) if driven else x.copy()
    if driven:
        x = _drive(np.empty_like(x), x, settings.saturation)
    if buf is None:
        buf = np.zeros_like(x)
    if imaged:
        _drum_image(buf, x, track, score, settings.drum_width, rate)
    else:
        buf += x
    return buf


def _drive(out: np.ndarray, x: np.ndarray, drive: float) -> np.ndarray:
    """Soft clipping: tanh with unity small-signal gain, its level matched to the input's RMS.

    The knee sits at the part's peak / (1 + 6 ``drive``): at drive 1 the loud notes are driven
    about 7 times past it (odd harmonics), quiet ones pass nearly clean.
    """
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak < 1e-7 or drive <= 0:
        out[:] = x
        return out
    k = np.float32((1.0 + 6.0 * drive) / peak)
    sub = x[::7]  # the level match, from every 7th sample
    rms_in = float(np.sqrt(np.mean(np.square(sub, dtype=np.float64))))
    rms_out = float(np.sqrt(np.mean(np.square(np.tanh(sub * k), dtype=np.float64)))) / float(k)
    gain = np.float32(rms_in / rms_out / float(k)) if rms_out > 0 else np.float32(1.0 / float(k))
    for a in range(0, x.shape[0], _CHUNK):
        piece = np.tanh(x[a:a + _CHUNK] * k)
        piece *= gain
        out[a:a + _CHUNK] = piece
    return out


def _drum_image(buf: np.ndarray, x: np.ndarray, track: Track, score: Score, width: float, rate: int) -> None:
    """Add a drum kit into ``buf`` spread in stereo; the mono sum (L + R) is kept exactly.

    The kit's mid is split in three bands: the lows (kick, below 150 Hz) stay centred; the mids
    (snare, toms) stay centred except under a tom, which moves to its place by pitch (floor tom
    right, high tom left, drummer's view); the highs (hats, cymbals, above 4 kHz) lean towards
    the hi-hat or the ride, whichever the track plays more, and widen by a 0.7 ms side delay.
    """
    lo = butter(2, 150.0, btype="low", fs=rate, output="sos")
    hi = butter(2, min(4000.0, 0.4 * rate), btype="high", fs=rate, output="sos")
    z_lo, z_hi = np.zeros((lo.shape[0], 2)), np.zeros((hi.shape[0], 2))
    hats = sum(1 for nt in track.notes if nt.pitch in _HATS)
    rides = sum(1 for nt in track.notes if nt.pitch in _RIDES)
    p_hi = np.float32(0.3 * width * (rides - hats) / max(1, rides + hats))
    side = np.float32(0.35 * width)
    delay = max(1, int(0.0007 * rate))
    toms = _tom_segments(track, score, rate, width)
    prev = np.zeros(delay, np.float32)  # the highs of the previous chunk's last samples
    n = x.shape[0]
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        mid = (x[a:b, 0] + x[a:b, 1]) * np.float32(0.5)
        low, z_lo = sosfilt(lo, mid, zi=z_lo)
        high, z_hi = sosfilt(hi, mid, zi=z_hi)
        high = high.astype(np.float32)
        band = mid - low.astype(np.float32) - high
        pan = _segments_in(toms, a, b)
        both = np.concatenate([prev, high])
        delayed, prev = both[: b - a], both[-delay:]
        spread = high * p_hi + side * delayed  # what R gains and L loses
        if pan is not None:
            spread += band * pan
        buf[a:b, 0] += x[a:b, 0] - spread
        buf[a:b, 1] += x[a:b, 1] + spread


def _tom_segments(track: Track, score: Score, rate: int, width: float) -> list[tuple[int, int, float]]:
    """(start, end, pan) sample spans of the tom hits: each until the next tom, at most 0.35 s."""
    hits = sorted((round(score.beat_to_seconds(nt.start) * rate), _TOM_PAN[nt.pitch])
                  for nt in track.notes if nt.pitch in _TOM_PAN)
    out = []
    for k, (start, pan) in enumerate(hits):
        end = start + int(0.35 * rate)
        if k + 1 < len(hits):
            end = min(end, hits[k + 1][0])
        if end - start > 8 and pan:
            out.append((start, end, width * pan))
    return out


def _segments_in(segments: list[tuple[int, int, float]], a: int, b: int) -> np.ndarray | None:
    """The pan curve over samples a..b of ``segments``, with 3 ms ramps at the ends of each."""
    hit = [s for s in segments if s[0] < b and s[1] > a]
    if not hit:
        return None
    curve = np.zeros(b - a, np.float32)
    for start, end, pan in hit:
        ramp = max(1, min(132, (end - start) // 2))
        t = np.arange(max(start, a), min(end, b))
        w = np.minimum(np.minimum(t - start, end - 1 - t) / ramp, 1.0)
        curve[t - a] = pan * w
    return curve


# --------------------------------------------------------------------------- EQ


def _biquad_shelf(kind: str, gain_db: float, fc: float, rate: int) -> np.ndarray:
    """RBJ cookbook shelf (slope 1) as one second-order section."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * fc / rate
    cos, alpha = np.cos(w0), np.sin(w0) / np.sqrt(2.0)
    root = 2.0 * np.sqrt(a) * alpha
    sign = 1.0 if kind == "high" else -1.0
    b = [a * ((a + 1) + sign * (a - 1) * cos + root), -2 * sign * a * ((a - 1) + sign * (a + 1) * cos),
         a * ((a + 1) + sign * (a - 1) * cos - root)]
    den = [(a + 1) - sign * (a - 1) * cos + root, 2 * sign * ((a - 1) - sign * (a + 1) * cos),
           (a + 1) - sign * (a - 1) * cos - root]
    return np.array([[v / den[0] for v in b] + [1.0] + [v / den[0] for v in den[1:]]])


def eq_sections(stem: str, settings: Mix, rate: int) -> np.ndarray | None:
    """The EQ of a stem as second-order sections (None: flat). Drums and bass are not high-passed."""
    sections = []
    if stem not in ("drums", "bass") and settings.low_cut_hz > 0:
        sections.append(butter(2, min(settings.low_cut_hz, 0.45 * rate), btype="high", fs=rate, output="sos"))
    if stem == "bass" and settings.bass_boost_db:
        sections.append(_biquad_shelf("low", settings.bass_boost_db, 90.0, rate))
    return np.vstack(sections) if sections else None


def bus_sections(settings: Mix, rate: int) -> np.ndarray | None:
    """The bus filter as second-order sections (None: flat): the brightness shelf at 8 kHz and,
    for lofi, a low-pass from 6.5 kHz (a touch) down to 4 kHz (all the way)."""
    sections = []
    if settings.brightness_db and 8000.0 < 0.45 * rate:
        sections.append(_biquad_shelf("high", settings.brightness_db, 8000.0, rate))
    if settings.lofi > 0:
        fc = min(6500.0 - 2500.0 * settings.lofi, 0.45 * rate)
        sections.append(butter(2, fc, btype="low", fs=rate, output="sos"))
    return np.vstack(sections) if sections else None


def _filter(buf: np.ndarray, sos: np.ndarray | None) -> None:
    """Run ``sos`` over each channel of ``buf`` in place, in chunks."""
    if sos is None:
        return
    for ch in range(2):
        zi = np.zeros((sos.shape[0], 2))
        for a in range(0, buf.shape[0], _CHUNK):
            y, zi = sosfilt(sos, buf[a:a + _CHUNK, ch], zi=zi)
            buf[a:a + _CHUNK, ch] = y


# --------------------------------------------------------------------------- sidechain


def kick_samples(score: Score, rate: int) -> np.ndarray:
    """Sample positions of the kick drum hits (pitches 35 and 36 of drum tracks), sorted."""
    times = {round(score.beat_to_seconds(nt.start) * rate)
             for t in score.tracks if t.is_drum for nt in t.notes if nt.pitch in KICKS}
    return np.array(sorted(times), dtype=np.int64)


def _duck_gain(score: Score, settings: Mix, rate: int, n: int) -> np.ndarray | None:
    """The sidechain gain (float32, length n): down by ``sidechain`` at each kick, in 5 ms, and back
    up over 40% of a beat (at most 250 ms) on a smooth curve; None when there is nothing to duck."""
    kicks = kick_samples(score, rate)
    kicks = kicks[(kicks >= 0) & (kicks < n)]
    if settings.sidechain <= 0 or not len(kicks):
        return None
    depth = np.zeros(n, np.float32)
    attack = max(1, int(0.005 * rate))
    for k in kicks:
        beat_s = score.beat_to_seconds(score.seconds_to_beat(k / rate) + 1.0) - k / rate
        release = max(attack + 1, int(min(0.25, 0.4 * beat_s) * rate))
        t = np.arange(release, dtype=np.float32)
        shape = np.where(t < attack, t / attack, (1.0 - (t - attack) / (release - attack)) ** 2)
        seg = depth[k:k + release]
        np.maximum(seg, shape[: len(seg)].astype(np.float32), out=seg)
    return 1.0 - np.float32(settings.sidechain) * depth


# --------------------------------------------------------------------------- reverb

# kind -> (damping low-pass Hz, high-band decay as a share of the low band's, onset build-up s,
# early reflections, rate divisor)
_KINDS = {
    "room": (6500.0, 0.55, 0.0, True, 2),
    "plate": (10000.0, 0.85, 0.002, False, 2),  # bright and dense from the first ms
    "hall": (4500.0, 0.5, 0.03, True, 4),  # long and dark, swells in
}


@functools.lru_cache(maxsize=16)
def impulse_response(kind: str, decay_s: float, predelay_ms: float, rate: int, seed: int) -> np.ndarray:
    """A stereo reverb response (float32 (2, length), unit energy per channel) at ``rate``.

    Seeded noise, decorrelated per channel, split at 2 kHz into two bands that decay
    exponentially (the highs faster: air and walls absorb them), damped by a low-pass,
    high-passed at 150 Hz (a clean, unmuddy return), after ``predelay_ms`` of silence; a room
    and a hall add a few early reflections, a hall swells in over its first 30 ms.
    """
    damp, hf_ratio, build, early, _ = _KINDS[kind]
    rng = np.random.default_rng([seed, 7001])
    length = max(16, int(decay_s * rate))
    t = np.arange(length) / rate
    noise = rng.standard_normal((2, length))
    split = butter(1, min(2000.0, 0.4 * rate), btype="low", fs=rate, output="sos")
    low = sosfilt(split, noise, axis=-1)
    ir = low * np.exp(-6.91 * t / decay_s) + (noise - low) * np.exp(-6.91 * t / (decay_s * hf_ratio))
    if build > 0:
        ir *= 1.0 - np.exp(-t / build)
    if early:
        span = 0.04 if kind == "room" else 0.08
        for ch in range(2):
            at = (rng.uniform(0.003, span, 8) * rate).astype(int)
            ir[ch, at] += rng.choice([-1.0, 1.0], 8) * rng.uniform(2.0, 5.0, 8) * np.exp(-at / (0.5 * span * rate))
    ir = sosfilt(butter(2, min(damp, 0.45 * rate), btype="low", fs=rate, output="sos"), ir, axis=-1)
    ir = sosfilt(butter(2, 150.0, btype="high", fs=rate, output="sos"), ir, axis=-1)
    ir /= np.sqrt(np.sum(ir**2, axis=1, keepdims=True))
    pre = np.zeros((2, int(predelay_ms * 0.001 * rate)))
    return np.concatenate([pre, ir], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _ir_spectrum(kind: str, decay_s: float, predelay_ms: float, rate: int,
                 seed: int) -> tuple[np.ndarray, int, int]:
    """The response's spectrum at an FFT size of about 4 times its length, the size and the length."""
    ir = impulse_response(kind, decay_s, predelay_ms, rate, seed)
    size = sfft.next_fast_len(4 * ir.shape[1], real=True)
    return sfft.rfft(ir, size, axis=-1), size, ir.shape[1]


class _Reverb:
    """A send reverb: ``send`` takes a stem's share in, ``add_return`` adds the wet signal back.

    It runs at the sample rate / 2 (room, plate) or / 4 (hall): the send is averaged down,
    convolved by overlap-add FFT and linearly interpolated back up.
    """

    def __init__(self, settings: Mix, rate: int, seed: int):
        self.factor = _KINDS[settings.reverb][4]
        self.spectrum, self.size, self.ir_len = _ir_spectrum(
            settings.reverb, settings.reverb_decay_s, settings.predelay_ms, rate // self.factor, seed)

    def send(self, buf: np.ndarray, level: float) -> np.ndarray:
        """The mono send of ``buf`` at ``level``, at the reverb's rate (made in chunks: no
        full-rate copy of a long stem)."""
        f, n = self.factor, buf.shape[0]
        m = -(-n // f)
        down = np.empty(m, np.float32)
        mono = np.zeros(_CHUNK, np.float32)  # _CHUNK is a multiple of f
        for a in range(0, m * f, _CHUNK):
            b = min(n, a + _CHUNK)
            if b - a < _CHUNK:
                mono[b - a:] = 0.0  # the last frame's missing samples count as silence
            np.add(buf[a:b, 0], buf[a:b, 1], out=mono[:b - a])
            used = -(-(b - a) // f) * f
            frames = down[a // f:(a + used) // f]
            frames[:] = mono[0:used:f]
            for j in range(1, f):
                frames += mono[j:used:f]
        down *= np.float32(0.5 * level / f)
        return down

    def add_return(self, out: np.ndarray, wet_in: np.ndarray, duck: np.ndarray | None) -> None:
        """Convolve ``wet_in`` and add the stereo return, up-sampled (and ducked), into ``out``."""
        m = wet_in.shape[0]
        size = self.size
        step = size - self.ir_len + 1  # input per FFT block: its convolution fits the block
        wet = np.zeros((2, m + 1), np.float32)
        for a in range(0, m, step):
            block = sfft.rfft(wet_in[a:a + step], size)
            y = sfft.irfft(self.spectrum * block, size, axis=-1)
            stop = min(m, a + size)
            wet[:, a:stop] += y[:, : stop - a]
        f = self.factor
        for j in range(f):
            rows = out[j::f]
            k = rows.shape[0]
            frac = np.float32(j / f)
            for ch in range(2):
                up = wet[ch, :k] + (wet[ch, 1:k + 1] - wet[ch, :k]) * frac
                if duck is not None:
                    up *= duck[j::f]
                rows[:, ch] += up


# --------------------------------------------------------------------------- bus


class _Bus:
    """The bus stage, measured on the summed mix and applied alike to each stem (or the mix):
    an RMS compressor's gain, the brightness shelf, and for lofi a low-pass and a wow-and-flutter
    delay line."""

    def __init__(self, mix: np.ndarray, settings: Mix, rate: int, seed: int):
        self.settings, self.rate = settings, rate
        n = mix.shape[0]
        nb = -(-n // _BLOCK)
        energy = np.zeros(nb)
        for a in range(0, nb, _CHUNK // _BLOCK):
            rows = mix[a * _BLOCK:(a + _CHUNK // _BLOCK) * _BLOCK]
            full = rows.shape[0] // _BLOCK
            r = rows[: full * _BLOCK].reshape(full, 2 * _BLOCK)
            energy[a:a + full] = np.einsum("ij,ij->i", r, r, dtype=np.float64) / (2 * _BLOCK)
            if full * _BLOCK < rows.shape[0]:
                rest = rows[full * _BLOCK:]
                energy[a + full] = float(np.sum(rest.astype(np.float64) ** 2)) / (2 * _BLOCK)
        audible = energy[energy > 1e-10]
        self.reference = float(np.sqrt(np.mean(audible))) if len(audible) else 0.0  # RMS of the music
        self.gain = self._compressor(energy) if settings.compression_ratio > 1.0 and len(audible) else None
        self.filter = bus_sections(settings, rate)
        self.wow = self.flutter = None
        if settings.lofi > 0:
            phases = np.random.default_rng([seed, 7003]).uniform(0, 2 * np.pi, 2)
            # wow: 0.55 Hz, up to 0.3% pitch; flutter: 7 Hz, up to 0.08%
            self.wow = (0.003 * settings.lofi / (2 * np.pi * 0.55) * rate, 0.55, phases[0])
            self.flutter = (0.0008 * settings.lofi / (2 * np.pi * 7.0) * rate, 7.0, phases[1])

    def _compressor(self, energy: np.ndarray) -> np.ndarray:
        """Gain per block boundary (float32, len(energy) + 1): RMS over 50 ms, 6 dB soft knee,
        10 ms attack and 150 ms release on the gain reduction."""
        from scipy.signal import lfilter

        s = self.settings
        per_s = self.rate / _BLOCK
        a = np.exp(-1.0 / (0.05 * per_s))
        smooth = lfilter([1 - a], [1, -a], energy)
        level = 10.0 * np.log10(np.maximum(smooth, 1e-12))
        loud = level[level > -70.0]
        threshold = (np.percentile(loud, 95) if len(loud) else 0.0) + s.compression_threshold_db
        over = level - threshold
        knee = 6.0
        slope = 1.0 - 1.0 / s.compression_ratio
        target = np.where(over > knee / 2, over * slope,
                          np.where(over > -knee / 2, slope * (over + knee / 2) ** 2 / (2 * knee), 0.0))
        att, rel = np.exp(-1.0 / (0.01 * per_s)), np.exp(-1.0 / (0.15 * per_s))
        reduction = np.empty(len(target) + 1)
        g = reduction[0] = 0.0
        for k, want in enumerate(target.tolist(), 1):
            g = want + (g - want) * (att if want > g else rel)
            reduction[k] = g
        return (10.0 ** (-reduction / 20.0)).astype(np.float32)

    def _chunk_gain(self, a: int, b: int) -> np.ndarray:
        k0, k1 = a // _BLOCK, -(-b // _BLOCK)
        g = self.gain
        ends = g[k0 + 1:k1 + 1]
        ramp = np.arange(_BLOCK, dtype=np.float32) / _BLOCK
        curve = g[k0:k1, None] + (ends - g[k0:k1])[:, None] * ramp
        return curve.ravel()[: b - a]

    def _delay(self, a: int, b: int) -> np.ndarray:
        """Read positions (float64) of the wow-and-flutter delay line for samples a..b."""
        t = np.arange(a, b, dtype=np.float64)
        d = 2.0
        for depth, hz, phase in (self.wow, self.flutter):
            d = d + depth * (1.0 + np.sin(2 * np.pi * hz * t / self.rate + phase))
        return t - d

    def run(self, targets: list[np.ndarray]) -> None:
        """Apply the bus to each of ``targets`` in place."""
        if self.gain is None and self.filter is None and self.wow is None:
            return
        n = targets[0].shape[0]
        zis = [np.zeros((2, self.filter.shape[0], 2)) if self.filter is not None else None for _ in targets]
        reach = 0
        if self.wow is not None:
            reach = int(2.0 + 2 * self.wow[0] + 2 * self.flutter[0]) + 2
        tails = [np.zeros((reach, 2), np.float32) for _ in targets]
        for a in range(0, n, _CHUNK):
            b = min(n, a + _CHUNK)
            gain = self._chunk_gain(a, b)[:, None] if self.gain is not None else None
            if self.wow is not None:
                pos = self._delay(a, b) - (a - reach)  # into [tail, chunk]
                i0 = np.clip(pos.astype(np.int64), 0, reach + b - a - 2)
                frac = np.clip(pos - i0, 0.0, 1.0).astype(np.float32)[:, None]
            for t, x in enumerate(targets):
                piece = x[a:b]
                if self.wow is not None:
                    src = np.concatenate([tails[t], piece])
                    tails[t] = src[-reach:].copy()
                    piece = src[i0] + (src[i0 + 1] - src[i0]) * frac
                if self.filter is not None:
                    piece = np.array(piece)
                    for ch in range(2):
                        y, zis[t][ch] = sosfilt(self.filter, piece[:, ch], zi=zis[t][ch])
                        piece[:, ch] = y
                if gain is not None:
                    piece = piece * gain
                x[a:b] = piece


def _vinyl(n: int, rate: int, amount: float, reference: float, seed: int) -> np.ndarray:
    """Vinyl hiss (softened white noise ~40 dB under the music) and crackle (a few clicks a second)."""
    rng = np.random.default_rng([seed, 7002])
    out = np.empty((n, 2), np.float32)
    level = np.float32(reference * amount * 10.0 ** (-40.0 / 20.0))
    prev = np.zeros((1, 2), np.float32)
    for a in range(0, n, _CHUNK):
        white = rng.standard_normal((min(_CHUNK, n - a), 2), dtype=np.float32)
        both = np.concatenate([prev, white])
        out[a:a + len(white)] = (both[1:] + both[:-1]) * (level * np.float32(0.7))
        prev = white[-1:]
    clicks = rng.poisson(4.0 * amount * n / rate)
    at = rng.integers(0, max(1, n - 64), clicks)
    size = rng.uniform(0.3, 1.5, clicks) * reference * amount * 0.5 * rng.choice([-1.0, 1.0], clicks)
    balance = rng.uniform(0.2, 0.8, clicks)
    shape = (np.exp(-np.arange(48) / 5.0) * np.cos(np.arange(48) * 1.9)).astype(np.float32)
    for k, s, p in zip(at, size, balance):
        seg = out[k:k + 48]
        seg[:, 0] += np.float32(s * (1 - p)) * shape[: len(seg)]
        seg[:, 1] += np.float32(s * p) * shape[: len(seg)]
    return out
