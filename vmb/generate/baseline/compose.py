"""The baseline composer: a new lead sheet from a retrieved corpus tune.

It transposes the tune to the requested key (and mode, mapping scale degrees if they differ),
lays out a form that fills exactly ``length_beats``:

    intro (1-4 bars of chords)  A  A'  B  A''  ...  (cadence)  ending (tonic, to the last beat)

and varies repeated strains (octave shift, rhythmic simplification, ornaments) with a seeded
RNG. The melody cadences onto the tonic on the final downbeat, the last bar line at least 2
beats before the end; the tonic chord lasts from there to exactly ``length_beats``.

Units: beats (quarter notes) from the start, MIDI pitches, pitch classes with C = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vmb import VmbError
from vmb.generate.baseline.parts import (
    HIGH,
    LOW,
    Bar,
    apply_variation,
    fit_range,
    fold_into_range,
    intro_chords,
    map_mode_chord,
    map_mode_pitch,
    tidy_chords,
    tidy_melody,
    tune_bars,
)
from vmb.theory import bar_beats
from vmb.types import Attributes, Chord, LeadSheet, Note, Section
from vmb.vocab import KEY_NAMES, METERS, key_pitch_class, parse_key

ENDING_MIN_BEATS = 2.0  # the final tonic sounds at least this long


def default_intro_bars(body_bars: int) -> int:
    """Chords-only intro length: none for a 2-bar piece, 1, 2, then 4 bars from 16 bars up."""
    return 0 if body_bars <= 2 else 1 if body_bars <= 6 else 2 if body_bars < 16 else 4


@dataclass
class _Plan:
    """A section of the body, in whole bars of the target meter."""

    name: str
    first_bar: int
    n_bars: int
    energy: float
    parts: list[str] = field(default_factory=list)  # which tune halves fill it ("A"/"B")


def _energy_scale(attributes: Attributes) -> float:
    return 1.0 if attributes.energy is None else 0.5 + float(attributes.energy)


def _default_plan(n_body: int, intro: int, half_bars: dict[str, int], scale: float) -> list[_Plan]:
    """intro, then A A B A ... sections sized like the tune's halves; energies rise and settle."""
    plans = [_Plan("intro", 0, intro, min(1.0, 0.35 * scale))] if intro else []
    cycle, bar, j = ["A", "A", "B", "A"], intro, 0
    letters: dict[str, int] = {}
    total_parts = max(1, round((n_body - intro) / max(1, np.mean(list(half_bars.values())))))
    while bar < n_body:
        part = cycle[j % 4]
        size = min(half_bars[part], n_body - bar)
        if n_body - bar - size < 2:  # do not leave a sliver: stretch this section to the end
            size = n_body - bar
        t = (j + 0.5) / total_parts
        energy = 0.55 + 0.2 * math.sin(math.pi * min(1.0, t)) + (0.08 if part == "B" else 0.0)
        primes = letters.get(part, 0)
        letters[part] = primes + 1
        plans.append(_Plan(part + "'" * primes, bar, size, float(np.clip(energy * scale, 0.05, 1.0)), [part]))
        bar, j = bar + size, j + 1
    return plans


def _given_plan(sections: list[Section], n_body: int, bar: float, intro_cap: int) -> tuple[list[_Plan], float]:
    """Given sections snapped to bar lines inside the body; (plans, energy for the ending)."""
    if not sections:
        raise VmbError("sections: the list is empty; pass None to let the composer plan the form")
    ordered = sorted(sections, key=lambda s: s.start)
    for s in ordered:
        if not (s.end > s.start and 0.0 <= s.energy <= 1.0):
            raise VmbError(f"sections: {s.name!r} must have start < end and energy in 0..1")
    edges = [0] + [min(n_body, max(0, round(s.start / bar))) for s in ordered[1:]] + [n_body]
    edges = list(np.maximum.accumulate(edges))
    plans = []
    for s, lo, hi in zip(ordered, edges, edges[1:]):
        if hi > lo:
            plans.append(_Plan(s.name, int(lo), int(hi - lo), float(s.energy)))
    if plans and plans[0].name.lower() == "intro" and plans[0].n_bars > intro_cap:
        # A long intro keeps its energy but only its first bars are chords only.
        first = plans[0]
        plans[0:1] = [_Plan("intro", first.first_bar, intro_cap, first.energy),
                      _Plan(first.name + " (melody)", first.first_bar + intro_cap, first.n_bars - intro_cap,
                            first.energy)]
    return plans, float(ordered[-1].energy)


def compose_lead_sheet(
    reference: LeadSheet,
    attributes: Attributes,
    *,
    length_beats: float,
    meter: str | None = None,
    sections: list[Section] | None = None,
    seed: int = 0,
) -> LeadSheet:
    """A new lead sheet of exactly ``length_beats`` beats made from ``reference``.

    ``attributes.key``/``mode`` pick the key (None: the tune's own key, octave-fitted to a
    singable range), ``attributes.energy`` scales the default section energies, ``meter``
    defaults to the tune's. ``sections`` (beats, e.g. from a video's intensity curve) fix the
    section boundaries (snapped to bar lines) and energies; a first section named "intro"
    starts with up to 4 bars of chords only. The result ends with a Section "ending".
    """
    if not reference.melody:
        raise VmbError(f"reference tune {reference.title!r} has no melody")
    if not (length_beats > 0 and math.isfinite(length_beats)):
        raise VmbError(f"length_beats must be a positive number, got {length_beats!r}")
    meter = meter or reference.meter
    if meter not in METERS:
        raise VmbError(f"meter {meter!r} is not supported; use one of {', '.join(METERS)}")
    rng = np.random.default_rng(seed)
    bar = bar_beats(meter)
    length = float(length_beats)

    # Key: transpose the tune's tonic to the requested one; map degrees if the mode differs.
    src_tonic = key_pitch_class(reference.key)
    tonic = parse_key(attributes.key)[0] if attributes.key else KEY_NAMES[src_tonic]
    tonic_pc = key_pitch_class(tonic)
    mode = attributes.mode or reference.mode
    bars, pickup = tune_bars(reference, bar)
    shift = (tonic_pc - src_tonic + 6) % 12 - 6
    for b in [*bars, pickup]:
        for n in b.notes:
            n.pitch = map_mode_pitch(n.pitch + shift, tonic_pc, reference.mode, mode)
        b.chords = [map_mode_chord(c, shift, tonic_pc, reference.mode, mode) for c in b.chords]
    octave = fit_range([n.pitch for b in bars for n in b.notes])
    for b in [*bars, pickup]:
        for n in b.notes:
            n.pitch = fold_into_range(n.pitch + octave)

    # Grid: the final downbeat, body bars before it, intro, sections.
    n_body = max(0, int(math.floor((length - ENDING_MIN_BEATS) / bar + 1e-9))) if length >= ENDING_MIN_BEATS else 0
    final_downbeat = n_body * bar
    half = max(1, len(bars) // 2)
    split = _phrase_split(reference, bar, len(bars), half)
    halves = {"A": list(range(0, split)), "B": list(range(split, len(bars)))}
    if not halves["B"]:
        halves["B"] = halves["A"]
    if sections is not None:
        plans, end_energy = _given_plan(sections, n_body, bar, default_intro_bars(n_body) or 1)
        intro = plans[0].n_bars if plans and plans[0].name == "intro" else 0
    else:
        intro = default_intro_bars(n_body)
        plans = _default_plan(n_body, intro, {k: len(v) for k, v in halves.items()}, _energy_scale(attributes))
        end_energy = float(np.clip(0.5 * _energy_scale(attributes), 0.05, 1.0))

    # Fill each section with tune bars (a fresh strain at each section start); the last
    # section ends with the bars that lead into the tune's final cadence.
    slots: list[tuple[int, Bar]] = []  # (target bar index, bar content)
    cycle = ["A", "A", "B", "A"]
    turn = 0
    occurrences: dict[str, int] = {}
    approach = _approach_bars(reference, bar, len(bars))
    last_parts = plans[-1].parts if plans else []
    if last_parts and last_parts[0] == "A" and len(halves["A"]) > 1:
        # A closing A strain cadences with its own last bars when it ends on the tonic.
        end_bar = bars[halves["A"][-1]]
        if end_bar.chords and end_bar.chords[0].root == tonic_pc:
            approach = halves["A"][-5:-1]
    for p_i, plan in enumerate(plans):
        if plan.name == "intro":
            continue
        want = plan.n_bars
        tail = approach[-min(len(approach), want):] if p_i == len(plans) - 1 else []
        sources: list[tuple[int, str]] = []
        queue = list(plan.parts)  # a default section starts with its own strain
        while len(sources) < want - len(tail):
            if queue:
                part = queue.pop(0)
            else:
                part, turn = cycle[turn % 4], turn + 1
            sources.extend((i, part) for i in halves[part])
        sources = sources[: want - len(tail)] + [(i, "end") for i in tail]
        kind, previous = "original", None
        for bar_no, (src_i, part) in enumerate(sources):
            starts_strain = part != previous or (src_i == halves.get(part, [None])[0] and bar_no > 0)
            if starts_strain:  # one variation per pass through a strain, so its bars agree
                count = occurrences.get(part, 0)
                occurrences[part] = count + 1
                kind = "original" if count == 0 else _pick_variation(rng, plan.energy)
            previous = part
            content = apply_variation(bars[src_i], kind, tonic_pc, mode, bar, rng)
            slots.append((plan.first_bar + bar_no, content))

    melody, chords = _assemble(slots, pickup=pickup, intro_bars=intro, final_downbeat=final_downbeat,
                               length=length, bar=bar, tonic=tonic_pc, mode=mode, plans=plans, meter=meter)
    out_sections = [Section(p.name, p.first_bar * bar, (p.first_bar + p.n_bars) * bar, p.energy) for p in plans]
    out_sections.append(Section("ending", final_downbeat, length, end_energy))
    return LeadSheet(melody=melody, chords=chords, sections=out_sections, key=tonic, mode=mode, meter=meter,
                     length_beats=length, title=reference.title, source=reference.source)


def _phrase_split(reference: LeadSheet, bar: float, n_bars: int, half: int) -> int:
    """Bar index splitting the tune into halves at the section boundary nearest its middle."""
    body_start = reference.sections[0].start if reference.sections else 0.0
    cuts = [round((s.start - body_start) / bar) for s in reference.sections[1:]]
    cuts = [c for c in cuts if 0 < c < n_bars]
    return min(cuts, key=lambda c: (abs(c - half), c)) if cuts else half


def _approach_bars(reference: LeadSheet, bar: float, n_bars: int) -> list[int]:
    """Tune bars leading into its final note (up to 4 bars, not the final bar itself)."""
    body_start = reference.sections[0].start if reference.sections else 0.0
    last = max(n.start for n in reference.melody)
    final_bar = min(n_bars - 1, max(0, int((last - body_start) // bar)))
    return list(range(max(0, final_bar - 4), final_bar))


def _pick_variation(rng: np.random.Generator, energy: float) -> str:
    if energy >= 0.65:
        options, p = ["ornament", "octave_up", "original"], [0.45, 0.35, 0.2]
    elif energy <= 0.45:
        options, p = ["simplify", "octave_down", "original"], [0.5, 0.3, 0.2]
    else:
        options, p = ["ornament", "simplify", "octave_up", "original"], [0.3, 0.25, 0.15, 0.3]
    return str(rng.choice(options, p=p))


def _assemble(slots: list[tuple[int, Bar]], *, pickup: Bar, intro_bars: int, final_downbeat: float, length: float,
              bar: float, tonic: int, mode: str, plans: list[_Plan], meter: str) -> tuple[list[Note], list[Chord]]:
    """Melody and chords in target time: intro chords, placed bars, the V-I cadence and ending.

    ``slots`` are (target bar index, bar content); the tonic (a pitch class) sounds from
    ``final_downbeat`` to ``length`` (beats)."""
    final = final_downbeat
    melody: list[Note] = []
    chords: list[Chord] = list(intro_chords(intro_bars, bar, tonic, mode))
    energy_at = {}
    for p in plans:
        for b in range(p.first_bar, p.first_bar + p.n_bars):
            energy_at[b] = p.energy
    if intro_bars and slots and pickup.notes:  # the tune's pickup leads out of the intro
        start = intro_bars * bar
        for n in pickup.notes:
            if start + n.start >= 0:
                melody.append(Note(n.pitch, start + n.start, n.duration, 78))
    for (b, content), nxt in zip(slots, slots[1:] + [(None, None)]):
        start = b * bar
        continues = nxt[0] == b + 1 and nxt[1] is not None and nxt[1].source == content.source + 1
        vel = int(round(58 + 50 * energy_at.get(b, 0.5)))
        for n in content.notes:
            end = n.start + n.duration
            if not continues:
                end = min(end, bar)
            melody.append(Note(n.pitch, start + n.start, min(end, final - start) - n.start,
                               min(127, vel + (6 if n.start == 0 else 0))))
        for c in content.chords:
            chords.append(Chord(start + c.start, c.duration, c.root, c.quality, c.bass))
    # Cadence: the last harmonic unit before the final downbeat is the dominant (V7) unless already V.
    unit = {"4/4": 2.0, "6/8": 1.5}.get(meter, bar)
    if final > 0:
        chords = tidy_chords(chords, 0.0, final)
        last = chords[-1]
        dominant = (tonic + 7) % 12
        if last.root != dominant:
            cut = max(last.start, final - unit)
            if cut > last.start:
                last.duration = cut - last.start
            else:
                chords.pop()
            chords.append(Chord(cut, final - cut, dominant, "7"))
    tonic_chord = Chord(final, length - final, tonic, "maj" if mode == "major" else "min")
    chords = tidy_chords(chords + [tonic_chord], 0.0, length)
    previous = melody[-1].pitch if melody else 67
    final_pitch = min((p for p in range(LOW, HIGH + 1) if p % 12 == tonic), key=lambda p: (abs(p - previous), p))
    melody = tidy_melody([n for n in melody if n.start < final], final)
    melody.append(Note(final_pitch, final, length - final, int(round(58 + 50 * plans[-1].energy)) if plans else 80))
    return melody, chords
