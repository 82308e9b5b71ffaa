"""A tempo map whose beats land on a video's cuts, and sections that follow its intensity.

Units: times are seconds. The planner counts *beats*, the pulse a listener taps (beat 0 is at
t = 0 s and is a downbeat; a bar is ``beats_per_bar`` beats); a beat lasts ``quarters_per_beat``
quarter notes (1 in 2/4, 3/4, 4/4; 1.5 in 6/8, whose pulse is the dotted quarter). BPMs given to
and reported by the planner (``bpm_range``, ``base_bpm``, ``mean_bpm``) count beats; the tempo
map, ``length_beats`` and the sections it returns are in quarter notes, the unit of a Score.

Method (:func:`plan_tempo_map`):

1. Anchors: user markers (weight 4, important), cuts (weight 2 + strength, plus 0.5 for the
   strongest third, which are *important*), and the video's end (it should fall on a bar line).
   A cut outweighs the costs of the tempo change that reaches it (at most 0.65 a segment) and
   the pull of ``preferred_bpm``, so every cut the limits allow gets its beat, the stronger one
   where two compete; a cut no plan within the limits can reach is listed in
   ``SyncStats.missed_s``. Anchors closer than 0.3 s to t = 0 or to a stronger anchor are dropped.
2. Base tempo: a grid search over ``bpm_range`` (0.2 BPM steps) scores how close the anchors
   fall to a steady beat grid starting at t = 0; the best few local maxima (and
   ``preferred_bpm``) go on to step 3, and the best result wins, minus 0.5 * (d / 10 %)^2 for
   a base ``d`` away from ``preferred_bpm`` (a cut is worth a base 20 % further away).
3. Pinning by dynamic programming: the path visits some anchors in time order and puts each on
   an integer beat; between two pinned anchors the tempo is constant, so they land *exactly*
   (floating-point) on their beats. Limits keep one steady pulse: each segment's tempo stays
   within ``max_deviation`` of the base, consecutive segments differ by at most ``max_step``,
   and each anchor's beat stays within one bar of the base grid. Gains: a pinned anchor earns
   its weight, 1.3 times when an important anchor is on a downbeat; an anchor left between pins
   earns ``weight * exp(-(err / 30 ms)^2 / 2)`` (same downbeat factor) for its distance ``err``
   to the nearest beat. Costs: 0.15 per pin (a tempo change), 0.25 * (deviation /
   max_deviation)^2 and 0.25 * (step / max_step)^2. The end is either pinned to a beat (1 on
   a bar line, 0.2 elsewhere) or the last segment runs at the base tempo and the piece ends
   mid-bar (``length_beats`` fractional).
4. Sections (:mod:`vmb.video.sections`): bars are grouped into phrases (4 bars, or 2 / 1 for
   short videos) and labelled from the intensity curve: "intro" and "outro" at the ends,
   "climax" for the most intense phrases, "build" for the phrase before a climax, "A"/"B" for
   calmer/livelier ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vmb.types import JsonMixin, Score, Section, TempoChange, VideoTiming
from vmb.video.sections import plan_sections

HIT_TOLERANCE_S = 0.05  # a cut "on the beat" is within this of one
# Weight of a cut before its strength (0..1), and the pull of preferred_bpm. With 0.5 and a
# linear 2 per 10 % the gain of a weak cut hardly paid for the tempo change reaching it, nor
# for moving the base away from the preferred tempo, so mostly the strongest cuts were pinned:
# a 15 s video with 5 cuts got 3 within 50 ms of a beat at 94 BPM, where 111.4 reaches all 5.
# On 96 random cut lists (shots 0.8-8 s, four tempo settings) cuts within 50 ms went 79% ->
# 85%, the base 1.3% -> 6.3% from the preferred tempo on average. A linear 0.5 per 10 % (86%)
# let bikes.mp4's base run from 149 to 180 BPM, the top of its range, for no cut more.
_CUT_WEIGHT = 2.0
_PREFERENCE_COST = 0.5  # at 10 % between the base tempo and preferred_bpm (quadratic)
_SIGMA_S = 0.03  # soft hit width of the DP gain
_MIN_GAP_S = 0.3  # anchors closer than this to each other (or to t = 0) cannot all be beats
_LOOKAHEAD = 8  # how many anchors a segment may skip over
_PIN_COST = 0.15
_DEVIATION_COST = 0.25  # at a deviation of max_deviation
_MARKER_WEIGHT = 4.0
# A musical ending on a bar line is worth half a cut's base weight (0.5 before the cut weight
# rose: 26% of the random plans above ended on a bar line, 35% with 1.0, cuts unchanged).
_END_WEIGHT = 1.0
_STEP_COST = 0.25  # at a tempo step of max_step between consecutive segments
_BEAM = 4
_DOWNBEAT_BONUS = 0.3  # an important anchor on a downbeat earns 1.3 x its weight


@dataclass
class SyncStats(JsonMixin):
    """How well the plan's beats meet the video's cuts and markers (errors in seconds)."""

    base_bpm: float = 0.0
    n_cuts: int = 0
    n_markers: int = 0
    n_important: int = 0
    median_error_s: float = 0.0  # over cuts and markers: |time - nearest beat|
    mean_error_s: float = 0.0
    max_error_s: float = 0.0
    within_50ms: float = 1.0  # fraction of cuts and markers within 50 ms of a beat
    # Cuts and markers (s) with no beat within 50 ms: reaching them (together with the others)
    # would bend the tempo beyond max_deviation / max_step, or they lie < 0.3 s from a stronger
    # cut or from the start.
    missed_s: list[float] = field(default_factory=list)
    important_on_beat: float = 1.0  # fraction of important cuts and markers within 50 ms of a beat
    important_on_downbeat: float = 1.0  # fraction of important ones within 50 ms of a downbeat
    markers_on_beat: float = 1.0  # fraction of markers within 10 ms of a beat
    n_tempo_changes: int = 0
    max_tempo_deviation: float = 0.0  # max |bpm / base - 1| over the tempo map
    max_tempo_step: float = 0.0  # max |bpm_k / bpm_(k-1) - 1| between consecutive tempos
    end_on_downbeat: bool = False
    # The tempo the music has, in beats per minute: beats over the whole video, 60 * beats /
    # duration (the mean of a bent map; equal to the tempo of a steady one). What vmb reports.
    mean_bpm: float = 0.0


@dataclass
class BeatPlan(JsonMixin):
    """The tempo map and form the music must follow to fit a video (units: module docstring)."""

    tempo_map: list[TempoChange]  # quarter-note beats -> quarter notes per minute
    beats_s: list[float]  # time of every whole beat 0, 1, 2 ... within the video
    downbeats_s: list[float]  # the beats that start a bar
    length_beats: float  # the video's length in quarter notes (fractional when it ends mid-beat)
    beats_per_bar: int = 4
    sections: list[Section] = field(default_factory=list)  # in quarter notes
    base_bpm: float = 120.0  # beats per minute
    pinned_s: list[float] = field(default_factory=list)  # anchors placed exactly on a beat
    sync: SyncStats = field(default_factory=SyncStats)
    quarters_per_beat: float = 1.0

    def beat_to_seconds(self, beat: float) -> float:
        """Seconds at ``beat`` quarter notes."""
        return Score(tracks=[], tempo_map=self.tempo_map).beat_to_seconds(beat)

    def seconds_to_beat(self, seconds: float) -> float:
        """Quarter notes at ``seconds``."""
        return Score(tracks=[], tempo_map=self.tempo_map).seconds_to_beat(seconds)


@dataclass
class _Anchors:
    t: np.ndarray  # (n,) seconds, sorted
    w: np.ndarray  # (n,) weights
    important: np.ndarray  # (n,) bool
    marker: np.ndarray  # (n,) bool


def _anchors(timing: VideoTiming) -> _Anchors:
    strengths = list(timing.cut_strengths) or [1.0] * len(timing.cuts_s)
    items = [(float(m), _MARKER_WEIGHT, True, True) for m in timing.markers_s]
    if timing.cuts_s:
        cutoff = np.quantile(strengths, 2.0 / 3.0) if len(strengths) >= 3 else min(strengths)
        items += [(float(c), _CUT_WEIGHT + float(s) + 0.5 * (s >= cutoff), s >= cutoff, False)
                  for c, s in zip(timing.cuts_s, strengths)]
    # Strongest first; drop anchors too close to t = 0, the end, or a kept anchor.
    kept: list[tuple[float, float, bool, bool]] = []
    for item in sorted(items, key=lambda a: -a[1]):
        if item[0] < _MIN_GAP_S or item[0] > timing.duration_s - 0.05:
            continue
        if all(abs(item[0] - k[0]) >= _MIN_GAP_S for k in kept):
            kept.append(item)
    kept.sort()
    return _Anchors(
        np.array([k[0] for k in kept], np.float64),
        np.array([k[1] for k in kept], np.float64),
        np.array([k[2] for k in kept], bool),
        np.array([k[3] for k in kept], bool),
    )


def _soft_hits(errors_s: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * (errors_s / _SIGMA_S) ** 2)


def _grid_scores(anchors: _Anchors, bpms: np.ndarray) -> np.ndarray:
    """Soft hit score of a steady grid from t = 0 at each BPM: (len(bpms),)."""
    if len(anchors.t) == 0:
        return np.zeros(len(bpms))
    beats = anchors.t[None, :] * bpms[:, None] / 60.0
    err = np.abs(beats - np.round(beats)) * 60.0 / bpms[:, None]
    return (_soft_hits(err) * anchors.w[None, :]).sum(axis=1)


def _candidate_tempos(anchors: _Anchors, low: float, high: float, preferred: float | None, n: int = 5) -> list[float]:
    bpms = np.arange(low, high + 1e-9, 0.2) if high > low else np.array([low])
    scores = _grid_scores(anchors, bpms)
    peaks = [i for i in range(len(bpms)) if scores[i] >= scores[max(0, i - 1)] and scores[i] >= scores[min(len(bpms) - 1, i + 1)]]
    peaks.sort(key=lambda i: -scores[i])
    out = [float(round(bpms[i], 3)) for i in peaks[:n]]
    if preferred is not None:
        out.append(float(min(high, max(low, preferred))))
    return sorted(set(out)) or [0.5 * (low + high)]


class _Planner:
    """The dynamic program of step 3 for one base tempo.

    A state is an anchor pinned to a beat together with the tempo of the segment that reached
    it, so the change to the next segment's tempo can be bounded and charged. For each
    (anchor, beat) only the best ``_BEAM`` states are kept.
    """

    def __init__(self, anchors: _Anchors, duration_s: float, base: float, bpb: int, max_dev: float, max_step: float,
                 end_on_bar: bool = False):
        self.end_on_bar = end_on_bar  # a loop: the end must be a bar line (no free tail)
        self.a, self.duration, self.base, self.bpb = anchors, duration_s, base, bpb
        self.dev, self.max_step = max_dev, max_step
        self.bonus = np.where(anchors.important, _DOWNBEAT_BONUS, 0.0)
        self.t, self.w, self.bonus_l = anchors.t.tolist(), anchors.w.tolist(), self.bonus.tolist()

    def _skip_gain(self, lo: int, hi: int, t0: float, b0: int, bpm: float) -> float:
        """Gain of anchors lo..hi-1 (0-based) left between pins, on a grid b0 + (t - t0) * bpm / 60."""
        if hi - lo > 16:  # long spans (tails): vectorised
            x = b0 + (self.a.t[lo:hi] - t0) * bpm / 60.0
            nearest = np.round(x)
            hits = _soft_hits(np.abs(x - nearest) * 60.0 / bpm)
            down = (nearest.astype(np.int64) % self.bpb) == 0
            return float((self.a.w[lo:hi] * hits * (1.0 + self.bonus[lo:hi] * down)).sum())
        total, scale = 0.0, bpm / 60.0
        for m in range(lo, hi):  # short spans: plain Python is faster than NumPy here
            x = b0 + (self.t[m] - t0) * scale
            nearest = round(x)
            err = abs(x - nearest) / scale
            hit = math.exp(-0.5 * (err / _SIGMA_S) ** 2)
            total += self.w[m] * hit * (1.0 + (self.bonus_l[m] if nearest % self.bpb == 0 else 0.0))
        return total

    def _cost(self, bpm: float, prev_bpm: float | None) -> float:
        """Cost of a segment at ``bpm`` after one at ``prev_bpm`` (inf beyond the step limit)."""
        cost = _PIN_COST + _DEVIATION_COST * ((bpm / self.base - 1.0) / self.dev) ** 2
        if prev_bpm is not None:
            step = abs(bpm / prev_bpm - 1.0)
            if step > self.max_step + 1e-12:
                return math.inf
            cost += _STEP_COST * (step / self.max_step) ** 2
        return cost

    def _beats_for(self, t: float, t0: float, b0: int) -> range:
        """Integer beats reachable at time t from (t0, b0) within the tempo and drift limits."""
        centre = t * self.base / 60.0
        span = (t - t0) * self.base / 60.0
        lo = max(b0 + 1, math.ceil(b0 + span * (1 - self.dev) - 1e-9), round(centre) - self.bpb)
        hi = min(math.floor(b0 + span * (1 + self.dev) + 1e-9), round(centre) + self.bpb)
        return range(lo, hi + 1)

    def _relax(self, k: int, preds: list[int], best: list[dict], node_t: list[float]) -> None:
        """Best ways to pin anchor k (node k) coming from the states of the predecessor nodes."""
        w, bonus = self.w[k - 1], self.bonus_l[k - 1]
        for i in preds:
            dt = node_t[k] - node_t[i]
            for b0, states in best[i].items():
                for b in self._beats_for(node_t[k], node_t[i], b0):
                    bpm = 60.0 * (b - b0) / dt
                    gain = w * (1.0 + (bonus if b % self.bpb == 0 else 0.0))
                    skip = None
                    for idx, (value, prev_bpm, _back) in enumerate(states):
                        cost = self._cost(bpm, prev_bpm)
                        if cost == math.inf:
                            continue
                        if skip is None:
                            skip = self._skip_gain(i, k - 1, node_t[i], b0, bpm)
                        _insert(best[k].setdefault(b, []), (value + gain + skip - cost, bpm, (i, b0, idx)))

    def solve(self) -> tuple[float, list[tuple[float, int]], float]:
        """-> (objective, pinned [(time_s, beat)] including (0, 0), length_beats)."""
        n = len(self.t)
        # best[node][beat] = [(value, tempo into this pin, (prev node, prev beat, prev index))],
        # best first; node 0 is the start (t = 0, beat 0), node k is anchor k - 1.
        best: list[dict[int, list]] = [{0: [(0.0, None, None)]}] + [{} for _ in range(n)]
        node_t = [0.0] + self.t
        for k in range(1, n + 1):
            # Predecessors: the previous _LOOKAHEAD nodes; if none of them can reach anchor k,
            # look further back so the path never dead-ends.
            first = max(0, k - _LOOKAHEAD)
            self._relax(k, [i for i in range(first, k) if best[i]], best, node_t)
            while not best[k] and first > 0:
                first, end = max(0, first - _LOOKAHEAD), first
                self._relax(k, [i for i in range(first, end) if best[i]], best, node_t)
        # Close a path after one of the last anchors: a free tail at the base tempo, or the end
        # pinned to a beat.
        finish = (-math.inf, None, 0.0)
        last = [i for i in range(max(0, n + 1 - _LOOKAHEAD), n + 1) if best[i]]
        last = last or [i for i in range(n + 1) if best[i]]
        for i in last:
            ti = node_t[i]
            for b0, states in best[i].items():
                tails = [] if self.end_on_bar else [(self.base, b0 + (self.duration - ti) * self.base / 60.0, 0.0)]
                for b in self._beats_for(self.duration, ti, b0):
                    if self.end_on_bar and b % self.bpb:
                        continue
                    tails.append((60.0 * (b - b0) / (self.duration - ti), float(b), _END_WEIGHT * (1.0 if b % self.bpb == 0 else 0.2)))
                for bpm, length, gain in tails:
                    skip = self._skip_gain(i, n, ti, b0, bpm)
                    for idx, (value, prev_bpm, _back) in enumerate(states):
                        cost = self._cost(bpm, prev_bpm) - _PIN_COST
                        total = value + gain + skip - cost
                        if total > finish[0] + 1e-12:
                            finish = (total, (i, b0, idx), length)
        objective, back, length = finish
        pins = []
        while back is not None:
            node, beat, idx = back
            pins.append((float(node_t[node]), beat))
            back = best[node][beat][idx][2]
        return objective, pins[::-1], length


def _insert(states: list, entry: tuple) -> None:
    """Insert ``entry`` into ``states`` (sorted by value, best first), keeping ``_BEAM`` of them."""
    pos = len(states)
    while pos > 0 and states[pos - 1][0] < entry[0]:
        pos -= 1
    if pos < _BEAM:
        states.insert(pos, entry)
        del states[_BEAM:]


def _tempo_map(pins: list[tuple[float, int]], length_beats: float, duration_s: float, base: float) -> list[TempoChange]:
    changes: list[TempoChange] = []
    for (t0, b0), (t1, b1) in zip(pins, pins[1:]):
        changes.append(TempoChange(float(b0), 60.0 * (b1 - b0) / (t1 - t0)))
    t_last, b_last = pins[-1]
    if length_beats > b_last + 1e-9 and duration_s > t_last:
        changes.append(TempoChange(float(b_last), 60.0 * (length_beats - b_last) / (duration_s - t_last)))
    if not changes:
        changes.append(TempoChange(0.0, base))
    merged = [changes[0]]
    for change in changes[1:]:
        if abs(change.bpm - merged[-1].bpm) > 1e-6:
            merged.append(change)
    return [TempoChange(c.beat, round(c.bpm, 6)) for c in merged]


def _nearest_error(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    if len(times) == 0 or len(grid) == 0:
        return np.full(len(times), np.inf)
    idx = np.clip(np.searchsorted(grid, times), 1, len(grid) - 1)
    return np.minimum(np.abs(times - grid[idx - 1]), np.abs(times - grid[idx]))


def _sync_stats(timing: VideoTiming, anchors: _Anchors, beats: np.ndarray, downbeats: np.ndarray,
                tempo_map: list[TempoChange], base: float, length_beats: float, bpb: int) -> SyncStats:
    """Sync statistics; ``tempo_map``, ``base`` and ``length_beats`` count beats, not quarters."""
    events = np.asarray(sorted(set(timing.cuts_s) | set(timing.markers_s)), np.float64)
    err = _nearest_error(events, beats)
    important = anchors.t[anchors.important]
    markers = np.asarray(timing.markers_s, np.float64)
    bpms = np.array([c.bpm for c in tempo_map])
    return SyncStats(
        base_bpm=round(base, 3),
        n_cuts=len(timing.cuts_s),
        n_markers=len(markers),
        n_important=len(important),
        median_error_s=float(np.median(err)) if len(err) else 0.0,
        mean_error_s=float(err.mean()) if len(err) else 0.0,
        max_error_s=float(err.max()) if len(err) else 0.0,
        within_50ms=float((err <= HIT_TOLERANCE_S).mean()) if len(err) else 1.0,
        missed_s=[float(t) for t in events[err > HIT_TOLERANCE_S]],
        important_on_beat=float((_nearest_error(important, beats) <= HIT_TOLERANCE_S).mean()) if len(important) else 1.0,
        important_on_downbeat=float((_nearest_error(important, downbeats) <= HIT_TOLERANCE_S).mean()) if len(important) else 1.0,
        markers_on_beat=float((_nearest_error(markers, beats) <= 0.01).mean()) if len(markers) else 1.0,
        n_tempo_changes=len(tempo_map) - 1,
        max_tempo_deviation=float(np.abs(bpms / base - 1).max()),
        max_tempo_step=float(np.abs(bpms[1:] / bpms[:-1] - 1).max()) if len(bpms) > 1 else 0.0,
        end_on_downbeat=abs(length_beats - round(length_beats)) < 1e-6 and round(length_beats) % bpb == 0,
        mean_bpm=round(60.0 * length_beats / timing.duration_s, 1),
    )


def _preference_penalty(base: float, preferred: float) -> float:
    """What moving the base tempo away from ``preferred`` (both BPM) costs the plan.

    Quadratic in the distance (0.5 at 10 %, 2 at 20 %, 4.5 at 30 %): a nearby tempo that lands
    more cuts wins, a far one must land many more.
    """
    return _PREFERENCE_COST * (math.log(base / preferred) / math.log(1.1)) ** 2


def plan_tempo_map(
    timing: VideoTiming,
    *,
    bpm_range: tuple[float, float],
    preferred_bpm: float | None = None,
    beats_per_bar: int = 4,
    max_deviation: float = 0.06,
    max_step: float = 0.06,
    end_on_bar: bool = False,
    quarters_per_beat: float = 1.0,
) -> BeatPlan:
    """Plan the tempo map, beats and sections for ``timing`` (see the module docstring).

    ``end_on_bar`` (for loops): the video's end must fall exactly on a bar line; raises
    ValueError when no tempo within the limits can do that (a video shorter than ~2 bars).

    ``bpm_range`` bounds the base tempo (beats per minute, a beat being ``quarters_per_beat``
    quarter notes: 1.5 for the dotted-quarter pulse of 6/8); segments may bend up to
    ``max_deviation`` (relative) around it, and consecutive segments may differ by at most
    ``max_step`` (relative). ``preferred_bpm`` (beats per minute) pulls the base tempo towards
    it. ``beats_per_bar`` counts beats (2 in 6/8).
    """
    low, high = sorted(float(x) for x in bpm_range)
    if low <= 0:
        raise ValueError(f"bpm_range {bpm_range} must be positive")
    duration = float(timing.duration_s)
    anchors = _anchors(timing)
    best = None
    n_candidates = 12 if len(anchors.t) <= 150 else 5  # keep long videos under a second
    for base in _candidate_tempos(anchors, low, high, preferred_bpm, n_candidates):
        objective, pins, length = _Planner(anchors, duration, base, beats_per_bar, max_deviation, max_step,
                                           end_on_bar).solve()
        if not pins:  # no path could close (only possible with end_on_bar)
            continue
        if preferred_bpm:
            objective -= _preference_penalty(base, preferred_bpm)
        if best is None or objective > best[0] + 1e-9:
            best = (objective, base, pins, length)
    if best is None:
        raise ValueError(f"no tempo in {low:g}-{high:g} BPM fits whole bars into {duration:.2f} s")
    _objective, base, pins, length_beats = best
    beat_map = _tempo_map(pins, length_beats, duration, base)  # in beats
    clock = Score(tracks=[], tempo_map=beat_map)
    n_beats = int(math.floor(length_beats + 1e-6))
    beats = np.array([clock.beat_to_seconds(b) for b in range(n_beats + 1)])
    beats = beats[beats <= duration + 1e-6]
    downbeats = beats[::beats_per_bar]
    sync = _sync_stats(timing, anchors, beats, downbeats, beat_map, base, length_beats, beats_per_bar)
    q = float(quarters_per_beat)
    tempo_map = [TempoChange(round(c.beat * q, 6), round(c.bpm * q, 6)) for c in beat_map]
    sections = plan_sections(timing, Score(tracks=[], tempo_map=tempo_map), length_beats * q, beats_per_bar * q)
    return BeatPlan(
        tempo_map=tempo_map,
        beats_s=[round(float(b), 6) for b in beats],
        downbeats_s=[round(float(b), 6) for b in downbeats],
        length_beats=round(float(length_beats * q), 6),
        beats_per_bar=beats_per_bar,
        sections=sections,
        base_bpm=round(base, 3),
        pinned_s=[p[0] for p in pins[1:]],
        sync=sync,
        quarters_per_beat=q,
    )
