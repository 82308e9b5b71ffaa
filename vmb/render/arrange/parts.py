"""Note generators for the arranger's parts: drums, bass, chords, arpeggios, lines, the melody.

Each generator reads the bar plan (:class:`Plan`: bars with their energy and section kind,
the harmony, drum fills) and one :class:`Part`, and returns that part's notes, in beats,
before the final bar (the closing chord is :func:`vmb.render.arrange.arranger.final_notes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vmb.render.arrange import grooves
from vmb.render.arrange.styles import GENERIC_68, PATTERNS, PULSE, Pattern, Style
from vmb.render.arrange.voicing import ChordSpan, Harmony, bass_note, place, voice
from vmb.types import Note
from vmb.vocab import INSTRUMENTS

LEVEL_INDEX = {"light": 0, "main": 1, "full": 2}
# Velocity at energy 0 and at energy 1, per role.
VELOCITY = {
    "drums": (62, 112), "perc": (50, 96), "bass": (66, 104), "comp": (50, 92), "pad": (42, 78),
    "melody": (70, 108), "counter": (50, 86), "arp": (44, 84), "timpani": (55, 112),
}
EPS = 1e-6


def clamp(x, low, high):
    """``x`` within [low, high], for plain numbers (np.clip on a scalar costs ~15 us, 50 ms an arrangement)."""
    return low if x < low else high if x > high else x


@dataclass
class Bar:
    index: int
    start: float  # beats
    end: float
    energy: float  # 0..1, the section's energy after ramps
    kind: str  # "intro" | "body" | "breakdown" | "ending"
    progress: float  # 0..1 through its section
    section_start: bool  # first bar of a section other than the first


@dataclass
class Plan:
    meter: str
    bar_beats: float
    bars: list[Bar]  # every bar before the final downbeat
    final: float  # downbeat of the last bar, where the closing chord is struck
    length: float  # lead.length_beats
    end_energy: float
    harmony: Harmony
    style: Style
    melody: list[Note]
    fills: list[tuple[float, float, float]]  # drum fills: (start, end, energy)
    has_beat: bool  # a drum or percussion part keeps time from the start
    register: int = 0  # the moods' register: semitones the chords, arpeggios and tune move
    articulation: float = 1.0  # the moods' articulation: share of each written note that sounds


@dataclass
class Part:
    role: str
    instrument: str
    pattern: str
    threshold: float = 0.0
    volume: float = 0.8
    pan: float = 0.0
    requested: bool = False
    state: dict = field(default_factory=dict)  # voicing, last pitch, arpeggio position
    register: int = 0  # semitones its register moves from the pattern's (the moods' register)
    voice: str = ""  # the style's synth voice for the part (voices.toml), while it plays ``voiced``
    voiced: str = ""  # the instrument the style named the voice for

    @property
    def low(self) -> int:
        return INSTRUMENTS[self.instrument].low

    @property
    def high(self) -> int:
        return INSTRUMENTS[self.instrument].high

    def center(self, pattern: Pattern) -> int:
        return int(clamp(pattern.center + self.register, self.low + 6, max(self.low + 6, self.high - 7)))


def velocity(role: str, energy: float, accent: float, loudness: float) -> int:
    lo, hi = VELOCITY.get(role, (55, 95))
    return int(clamp(round((lo + (hi - lo) * energy) * accent * loudness), 1, 127))


def plays(part: Part, bar: Bar, plan: Plan) -> bool:
    """Whether ``part`` plays in ``bar``: the intro starts sparse, parts join as energy rises."""
    if part.role == "melody":
        return True
    if bar.kind == "intro":
        if part.role in ("counter", "arp", "timpani") and (not part.requested or bar.progress < 0.5):
            return False
    if bar.kind == "breakdown" and part.role in ("drums", "bass") and not part.requested:
        return False  # the kick and the bass drop out; pads, arpeggio and tune carry it to the build
    return part.requested or bar.energy >= part.threshold - EPS


def metric_accent(offset: float, meter: str) -> float:
    """Velocity factor of an onset ``offset`` beats into the bar: downbeat, beats, the rest.

    6/8 stays nearly flat after the downbeat (see grooves.GENERIC on why).
    """
    if offset < EPS:
        return 1.0
    if meter == "6/8":
        return 0.9
    if abs(offset - round(offset)) < EPS:
        return 0.93
    return 0.86 if abs(offset * 2 - round(offset * 2)) < EPS else 0.8


def grid_for(pattern: Pattern, meter: str, energy: float) -> str:
    """The pattern's step grid for one bar of ``meter`` at ``energy``."""
    level = LEVEL_INDEX[grooves.level_of(energy)]
    g44 = pattern.grids.get("4/4", ("", "", ""))
    if meter in pattern.grids:
        grids = pattern.grids[meter]
    elif len(g44[1]) == 1:  # one note a bar fits every meter
        grids = g44
    elif meter == "6/8":
        grids = GENERIC_68[pattern.kind]
    else:
        keep = 3 if meter == "3/4" else 2
        grids = tuple(g[: len(g) * keep // 4] for g in g44)
    return grids[level] or grids[1] or grids[0]


def part_grid(part: Part, pat: Pattern, bar: Bar, plan: Plan) -> str:
    """The grid a chord or arpeggio part plays in ``bar``. Without drums or percussion keeping
    time it plays at least its main grid, and a syncopated comp or arpeggio turns into a steady
    pulse (:data:`~vmb.render.arrange.styles.PULSE`), so the beat stays audible."""
    if plan.has_beat:
        return grid_for(pat, plan.meter, bar.energy)
    energy = max(bar.energy, 0.4)
    if pat.steady or part.role not in ("comp", "arp") or pat.kind not in PULSE:
        return grid_for(pat, plan.meter, energy)
    return grid_for(PULSE[pat.kind], plan.meter, energy)


def events(grid: str, bar: Bar, bar_beats: float, legato: bool) -> list[tuple[str, float, float]]:
    """(symbol, onset, length) for every onset in ``grid``; ``-`` holds, ``legato`` rings to the next onset."""
    step = bar_beats / len(grid)
    onsets = [i for i, ch in enumerate(grid) if ch not in ".-"]
    out = []
    for k, i in enumerate(onsets):
        j = i + 1
        while j < len(grid) and grid[j] == "-":
            j += 1
        if legato:
            j = onsets[k + 1] if k + 1 < len(onsets) else len(grid)
        t = bar.start + i * step
        if t < bar.end - EPS:
            out.append((grid[i], t, min((j - i) * step, bar.end - t)))
    return out


def split(harmony: Harmony, t: float, d: float) -> list[tuple[float, float, ChordSpan]]:
    """Cut a held note at chord changes, so a held chord or root follows the harmony."""
    pieces, end = [], t + d
    while t < end - EPS:
        span = harmony.at(t)
        seg_end = min(end, span.end) if span.end > t + EPS else end
        pieces.append((t, seg_end - t, span))
        t = seg_end
    return pieces


def note(pitch: int, start: float, duration: float, vel: int) -> Note:
    return Note(int(pitch), float(start), float(max(duration, 0.05)), vel)


# --------------------------------------------------------------------------- generators


def drum_notes(part: Part, plan: Plan) -> list[Note]:
    """The groove bar by bar, fills before section changes and the final bar, crashes on new sections."""
    loud, notes = plan.style.loudness, []
    fills = plan.fills if part.role == "drums" else []
    crash = grooves.crash_of(part.pattern)
    for bar in plan.bars:
        if not plays(part, bar, plan):
            continue
        for pitch, off, acc in grooves.groove_hits(part.pattern, plan.meter, bar.energy, bar.index):
            t = bar.start + off
            if not any(a - EPS <= t < b - EPS for a, b, _ in fills):
                notes.append(note(pitch, t, 0.25, velocity(part.role, bar.energy, acc, loud)))
        if bar.section_start and crash is not None and part.role == "drums" and bar.energy >= 0.4:
            notes.append(note(crash, bar.start, 1.0, velocity(part.role, bar.energy, 0.95, loud)))
    for start, end, energy in fills:
        for pitch, off, acc in grooves.fill_hits(part.pattern, end - start, energy, plan.meter):
            notes.append(note(pitch, start + off, 0.25, velocity(part.role, energy, acc, loud)))
    return notes


def bass_notes(part: Part, plan: Plan) -> list[Note]:
    """A bass (or timpani) line from a symbol grid: roots, fifths, approach notes.

    Under the intro it holds a tonic pedal (whole notes, then its pattern from halfway),
    which settles the key before the tune comes in.
    """
    pat, h, loud, notes = PATTERNS[part.pattern], plan.harmony, plan.style.loudness, []
    center = part.center(pat)
    prev = part.state.get("pitch")
    for bar in plan.bars:
        if not plays(part, bar, plan):
            continue
        nxt = h.at(min(bar.end, plan.length - EPS))
        grid = grid_for(pat, plan.meter, bar.energy)
        pedal = h.tonic_span(bar.start, bar.end) if bar.kind == "intro" else None
        if pedal is not None:
            grid = "R" if bar.progress < 0.5 else grid
            last = bar.index + 1 >= len(plan.bars) or plan.bars[bar.index + 1].kind != "intro"
            nxt = nxt if last else pedal  # the last intro bar leads into the tune
        for sym, t, d in events(grid, bar, plan.bar_beats, pat.legato):
            for t0, d0, span in split(h, t, d):
                p = bass_note(sym, pedal or span, nxt, h, prev, center, part.low, part.high)
                acc = metric_accent(t0 - bar.start, plan.meter)
                notes.append(note(p, t0, d0 * pat.staccato, velocity(part.role, bar.energy, acc, loud)))
                prev = p
    if part.role == "timpani":  # rolls into each new section and the last bar
        for start, end, energy in plan.fills:
            notes = [n for n in notes if not start - EPS <= n.start < end - EPS]
            root = place(h.at(end - EPS).root, center, part.low, part.high)
            n_steps = max(1, int(round((end - start) / 0.25)))
            for i in range(n_steps):
                acc = 0.6 + 0.5 * i / max(1, n_steps - 1)
                notes.append(note(root, start + i * 0.25, 0.25, velocity("timpani", energy, acc, loud)))
    part.state["pitch"] = prev
    return notes


def walking_notes(part: Part, plan: Plan, rng: np.random.Generator) -> list[Note]:
    """A walking bass: a quarter note a beat, root on each new chord, a scale step into the next."""
    pat, h, loud, notes = PATTERNS[part.pattern], plan.harmony, plan.style.loudness, []
    center = part.center(pat)
    prev: int | None = None
    for bar in plan.bars:
        if not plays(part, bar, plan):
            continue
        if grooves.level_of(bar.energy) == "light" or plan.meter == "6/8" or bar.kind == "intro":
            sub = Part(part.role, part.instrument, part.pattern, requested=True, state={"pitch": prev})
            one = Plan(**{**plan.__dict__, "bars": [bar]})
            notes += bass_notes(sub, one)
            prev = sub.state["pitch"]
            continue
        for b in range(int(round(bar.end - bar.start))):
            t = bar.start + b
            span = h.at(t)
            change = min(span.end, plan.final)
            if prev is None or abs(t - span.start) < EPS or (b == 0 and rng.random() < 0.5):
                p = place(span.bass, prev if prev is not None else center, part.low, part.high)
            elif t + 1 >= change - EPS:
                p = bass_note("A", span, h.at(change), h, prev, center, part.low, part.high)
            else:
                goal = place(h.at(change).bass, prev, part.low, part.high)
                cands = [q for q in range(prev - 5, prev + 6) if q != prev and part.low <= q <= part.high
                         and (q % 12 in span.tones or h.in_scale(q))]
                cands.sort(key=lambda q: (abs(q - goal) + (0 if q % 12 in span.tones else 1.5)
                                          + abs(q - center) * 0.15, q))
                p = cands[int(rng.integers(0, min(2, len(cands))))] if cands else prev
            acc = 1.0 if b % 2 == 0 else 0.9
            notes.append(note(p, t, 0.92, velocity(part.role, bar.energy, acc, loud)))
            prev = p
    part.state["pitch"] = prev
    return notes


def register_shift(energy: float) -> int:
    """Semitones a chord part's register rises with energy (-2 when still, +3 at full)."""
    return int(round(5 * (energy - 0.4)))


def _voicing(part: Part, pat: Pattern, span: ChordSpan, h: Harmony, energy: float) -> list[int]:
    """The part's voicing of ``span``, led from its previous one (kept while the chord lasts)."""
    if part.state.get("span") is not span:
        center = part.center(pat) + register_shift(energy)
        part.state["voicing"] = voice(span, pat.voicing, h, part.state.get("voicing"), center,
                                      part.low, part.high, pat.voices)
        part.state["span"] = span
    return part.state["voicing"]


def _select(sym: str, v: list[int], span: ChordSpan, part: Part) -> list[int]:
    if sym in "co":
        return v
    if sym == "u":
        return v[1:] or v
    if sym == "h":
        return [v[0], v[-1]] if len(v) > 1 else v
    if sym.isdigit():
        return [v[min(int(sym), len(v)) - 1]]
    bottom = v[0] if len(v) >= 3 and (v[1] - v[0]) >= 7 else v[0] - 5  # spread shapes own their bass
    if sym == "b":
        return [place(span.bass, bottom, part.low, part.high)]
    if sym == "f":
        return [place(span.fifth, bottom + 2, part.low, part.high)]
    raise ValueError(f"unknown chord symbol {sym!r}")


def chord_notes(part: Part, plan: Plan) -> list[Note]:
    """Comping and pads: voice-led chords struck on the grid, strummed where the pattern says."""
    pat, h, loud, notes = PATTERNS[part.pattern], plan.harmony, plan.style.loudness, []
    for bar in plan.bars:
        if not plays(part, bar, plan):
            continue
        if bar.section_start:  # a new section may sit in a new register
            part.state["span"] = part.state["voicing"] = None
        for sym, t, d in events(part_grid(part, pat, bar, plan), bar, plan.bar_beats, pat.legato):
            for t0, d0, span in split(h, t, d):
                pitches = _select(sym, _voicing(part, pat, span, h, bar.energy), span, part)
                off = t0 - bar.start
                acc = metric_accent(off, plan.meter) * (0.6 if sym == "o" else 1.0)
                on_beat = abs(off - round(off)) < EPS
                order = pitches if on_beat or pat.strum == 0 else pitches[::-1]
                vel = velocity(part.role, bar.energy, acc, loud)
                for k, p in enumerate(order):
                    lag = k * pat.strum
                    notes.append(note(p, t0 + lag, d0 * pat.staccato - lag, vel))
    return notes


def chord_pool(part: Part, pat: Pattern, span: ChordSpan, energy: float = 0.4) -> list[int]:
    c = part.center(pat) + register_shift(energy)
    pool = [p for p in range(c - 8, c + 13) if p % 12 in span.tones and part.low <= p <= part.high]
    return pool or [place(span.root, c, part.low, part.high)]


def arp_notes(part: Part, plan: Plan, rng: np.random.Generator) -> list[Note]:
    """Arpeggios and bells over the chord tones: up, up-down, a random walk, or a banjo-like roll."""
    pat, h, loud, notes = PATTERNS[part.pattern], plan.harmony, plan.style.loudness, []
    idx, direction, roll = 0, 1, 0
    for bar in plan.bars:
        if not plays(part, bar, plan):
            continue
        for _sym, t, d in events(part_grid(part, pat, bar, plan), bar, plan.bar_beats, pat.legato):
            for t0, d0, span in split(h, t, d):
                pool = chord_pool(part, pat, span, bar.energy)
                if pat.order == "walk":
                    idx += int(rng.choice([-2, -1, 1, 2]))
                elif pat.order == "roll":
                    roll = (roll + 1) % 3
                    idx = (0, len(pool) // 2, len(pool) - 1)[roll]
                elif pat.order == "updown" and len(pool) > 1:
                    if not 0 <= idx + direction < len(pool):
                        direction = -direction
                    idx += direction
                else:
                    idx += 1
                    idx %= len(pool)
                idx = int(clamp(idx, 0, len(pool) - 1))
                acc = metric_accent(t0 - bar.start, plan.meter)
                notes.append(note(pool[idx], t0, d0 * pat.staccato, velocity(part.role, bar.energy, acc, loud)))
    return notes


def line_notes(part: Part, plan: Plan, rng: np.random.Generator) -> list[Note]:
    """A counter-line of guide tones: thirds and sevenths, moving by the smallest step."""
    pat, h, loud, notes = PATTERNS[part.pattern], plan.harmony, plan.style.loudness, []
    center = part.center(pat)
    prev, prev_span = part.state.get("pitch"), None
    for bar in plan.bars:
        if not plays(part, bar, plan):
            continue
        for _sym, t, d in events(grid_for(pat, plan.meter, bar.energy), bar, plan.bar_beats, pat.legato):
            for t0, d0, span in split(h, t, d):
                guide = {span.third, span.tones[3] if len(span.tones) > 3 else None}
                cands = [p for p in range(center - 9, center + 10)
                         if p % 12 in span.tones and part.low <= p <= part.high]
                if not cands:
                    cands = [place(span.root, center, part.low, part.high)]
                ref = prev if prev is not None else center
                moving = span is prev_span and len(cands) > 1
                p = min(cands, key=lambda q: (abs(q - ref) - (1.5 if q % 12 in guide else 0)
                                              + (99 if moving and q == prev else 0) + rng.random() * 0.1))
                acc = metric_accent(t0 - bar.start, plan.meter)
                notes.append(note(p, t0, d0, velocity(part.role, bar.energy, acc, loud)))
                prev, prev_span = p, span
    part.state["pitch"] = prev
    return notes


TUNE_FLOOR = 48  # C3: a tune stays above it, clear of the bass line (a cello sings on its upper strings)


def melody_notes(part: Part, plan: Plan, rng: np.random.Generator) -> list[Note]:
    """The lead sheet's melody, moved by whole octaves into the instrument's range."""
    source = [n for n in plan.melody if 0.0 <= n.start < plan.final - EPS]
    if not source:  # no tune given: a guide-tone line in the melody's register
        sub = Part(part.role, part.instrument, "guide", requested=True)
        notes = line_notes(sub, plan, rng)
        for n in notes:
            n.pitch += 12 if n.pitch + 12 <= part.high and n.pitch < 66 else 0
        part.state["pitch"] = notes[-1].pitch if notes else None
        return notes
    # The tune sits in the instrument's singing register: a cello plays it around D4, not at the
    # top of its range where it sounds like a viola.
    center = min(part.center(PATTERNS["melody"]), (part.low + part.high) // 2 + 6 + part.register)
    pitches = np.array([n.pitch for n in source])

    floor = max(part.low, TUNE_FLOOR)

    def misfit(k: int) -> float:
        shifted = pitches + 12 * k
        out = np.clip(floor - shifted, 0, None) + np.clip(shifted - part.high, 0, None)
        return float(out.sum() * 10 + abs(shifted.mean() - center))

    shift = 12 * min(range(-4, 5), key=lambda k: (misfit(k), abs(k)))
    loud, notes = plan.style.loudness, []
    for n in source:
        bar = plan.bars[min(len(plan.bars) - 1, int(n.start // plan.bar_beats))]
        acc = metric_accent(n.start - bar.start, plan.meter) + (n.velocity - 90) / 300.0
        end = min(n.start + n.duration, plan.final)
        notes.append(note(n.pitch + shift, n.start, end - n.start, velocity("melody", bar.energy, acc, loud)))
    if INSTRUMENTS[part.instrument].family == "strings":  # bowed: the line is held into the next note
        legato(notes)
    part.state["pitch"] = notes[-1].pitch
    part.state["shift"] = shift
    return notes


def legato(notes: list[Note], *, longest_gap: float = 1.0) -> None:
    """Hold each note until the next one starts where the silence between them is under
    ``longest_gap`` beats (a bowed or breathed line, not a plucked one); longer rests stay."""
    for a, b in zip(notes, notes[1:]):
        gap = b.start - (a.start + a.duration)
        if 0 < gap < longest_gap:
            a.duration = b.start - a.start


FEEL_ROLES = ("melody", "counter", "comp", "arp")  # the parts the moods' register and articulation move


def generate(part: Part, plan: Plan, rng: np.random.Generator) -> list[Note]:
    """All of ``part``'s notes before the final bar."""
    if part.role in ("drums", "perc"):
        return drum_notes(part, plan)
    if part.role not in FEEL_ROLES:
        return _notes(part, plan, rng)
    part.register = plan.register
    notes = _notes(part, plan, rng)
    if plan.articulation < 1.0:  # detached: each note sounds a share of its written length
        for n in notes:
            n.duration = max(0.05, n.duration * plan.articulation)
    return notes


def _notes(part: Part, plan: Plan, rng: np.random.Generator) -> list[Note]:
    kind = PATTERNS[part.pattern].kind
    if kind == "bass":
        return bass_notes(part, plan)
    if kind == "walk":
        return walking_notes(part, plan, rng)
    if kind == "chord":
        return chord_notes(part, plan)
    if kind == "arp":
        return arp_notes(part, plan, rng)
    if kind == "line":
        return line_notes(part, plan, rng)
    return melody_notes(part, plan, rng)
