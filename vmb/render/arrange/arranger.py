"""The arranger: a lead sheet (melody, chords, sections) -> a multi-track :class:`~vmb.types.Score`.

It works like a session arranger with a style sheet (:mod:`vmb.render.arrange.styles`): it picks a
band for the genre, swaps in the instruments the user asked for and out the ones they
excluded, plans every bar's energy from the sections (a sparse building intro, parts
joining as energy rises, drum fills into each new section), writes each part
(:mod:`vmb.render.arrange.parts`), ends on the tonic chord struck on the last downbeat and held
to ``length_beats``, then swings and humanises the timing slightly with a seeded rng.

Times are beats (quarter notes); humanising moves onsets by at most 8 ms so the beat
stays measurable.
"""

from __future__ import annotations

import math

import numpy as np

from vmb import VmbError, theory
from vmb.knowledge import knowledge
from vmb.render.arrange import grooves
from vmb.render.arrange.parts import EPS, Bar, Part, Plan, chord_pool, clamp, generate, note, velocity
from vmb.render.arrange.styles import PATTERNS, ROLE_PATTERN, SUBSTITUTES, Style, base_energy, resolve_style, roles_for
from vmb.render.arrange.voicing import Harmony, fold, place, voice
from vmb.types import Attributes, Chord, LeadSheet, Note, Score, Section, TempoChange, Track
from vmb.vocab import DRUM_NOTES, INSTRUMENTS, METERS, MODES, PITCH_CLASS, normalize_instrument, normalize_mood

ROLE_VOLUME = {"drums": 0.8, "perc": 0.6, "bass": 0.8, "comp": 0.65, "pad": 0.45, "melody": 0.8,
               "counter": 0.55, "arp": 0.45, "timpani": 0.6}
MAX_JITTER_S = 0.008  # humanised onsets stay within 8 ms of the grid
JITTER_SD_S = 0.003


def arrange(lead: LeadSheet, attributes: Attributes, *, tempo_map: list[TempoChange], seed: int = 0,
            duration_s: float | None = None, style: str | None = None, hits: tuple[float, ...] = ()) -> Score:
    """Arrange ``lead`` for a band in ``style`` (or the style the attributes imply).

    ``attributes`` gives genres/moods (the style when ``style`` is None), ``instruments``
    that must each get a track, ``excluded_instruments`` that must not appear, and
    ``energy`` (0..1) that with each section's energy sets dynamics and density.
    ``tempo_map`` (beats -> BPM) and ``duration_s`` are passed through to the Score.
    ``hits`` (beats): moments the music must mark audibly (a video's cuts), each struck by the
    comping chord and the bass, with kick and crash where there is a kit.
    Same inputs and ``seed`` give the same Score.
    """
    _validate(lead, tempo_map)
    chosen = resolve_style(style, attributes)
    parts = assign_parts(chosen, attributes.instruments, attributes.excluded_instruments)
    plan = make_plan(lead, chosen, base_energy(attributes, chosen),
                     has_beat=any(p.role in ("drums", "perc") and (p.requested or p.threshold <= 0) for p in parts),
                     ring_beats=_beats_before_end(tempo_map, float(lead.length_beats), ENDING_RING_S))
    plan.register, plan.articulation = mood_feel(attributes.moods)
    rng = np.random.default_rng(seed)
    tracks: list[Track] = []
    for part in parts:
        notes = generate(part, plan, rng)
        if not notes and not part.requested:
            continue  # the energy never rose far enough for this part to join
        notes = _finish(notes + final_notes(part, plan), part, plan, tempo_map, rng)
        info = INSTRUMENTS[part.instrument]
        name = f"{part.instrument} ({part.role})"
        while any(t.name == name for t in tracks):
            name += "'"
        # Without a kit the sustained pads sit lower, so the parts that pulse carry the beat.
        volume = part.volume * (0.5 if part.role == "pad" and not plan.has_beat else 1.0)
        tracks.append(Track(name=name, program=_program(chosen, part), notes=notes, is_drum=info.is_drum,
                            role=part.role, instrument=part.instrument, volume=volume, pan=part.pan,
                            voice=_voice(part)))
    if hits:
        _strike_hits(tracks, plan, hits)
    return Score(tracks=tracks, tempo_map=list(tempo_map), key=lead.key, mode=lead.mode, meter=lead.meter,
                 sections=list(lead.sections), length_beats=lead.length_beats, duration_s=duration_s,
                 ending_beat=plan.final, style=chosen.name)


def planned_tracks(attributes: Attributes, *, style: str | None = None) -> list[Track]:
    """The tracks :func:`arrange` may write for ``attributes`` (and ``style``), without notes: every
    part of the band it picks, with its program, kit and synth voice, in the same order, whatever
    the lead sheet (a part whose energy never rises far enough to join is still in the list; volumes
    are the parts' own). What a renderer can load before the piece is composed."""
    chosen = resolve_style(style, attributes)
    return [Track(name=f"{part.instrument} ({part.role})", program=_program(chosen, part),
                  is_drum=INSTRUMENTS[part.instrument].is_drum, role=part.role, instrument=part.instrument,
                  volume=part.volume, pan=part.pan, voice=_voice(part))
            for part in assign_parts(chosen, attributes.instruments, attributes.excluded_instruments)]


def _program(style: Style, part: Part) -> int:
    """The part's GM program, or for the kit its GM2 drum kit (the style's)."""
    info = INSTRUMENTS[part.instrument]
    return style.kit if info.is_drum and part.role == "drums" else info.program


def _voice(part: Part) -> str:
    """The synth voice a part plays in the studio: the style's, unless another instrument took the
    part, else the instrument's default voice (the synth pad's analog pad), else "" (the GM font)."""
    voice = knowledge().voice_for(part.instrument, part.voice if part.instrument == part.voiced else "")
    return voice.name if voice is not None else ""


ENDING_RING_S = 2.0  # the closing chord is struck at least this long before the end, to die away
LEAD_GAIN = 1.15  # an asked-for instrument sits this much (about 1.2 dB) forward of its part's level
BAND_STEP_BACK = 0.7  # and the chords, pads, arpeggios and counter-lines of the others 3 dB back


def _beats_before_end(tempo_map: list[TempoChange], length: float, seconds: float) -> float:
    """How many beats the last ``seconds`` before beat ``length`` span."""
    clock = Score(tracks=[], tempo_map=list(tempo_map))
    return length - clock.seconds_to_beat(max(0.0, clock.beat_to_seconds(length) - seconds))


HIT_LENGTH = 0.5  # beats a struck hit rings (a short, clear attack)
HIT_VELOCITY = 108
# Measured on a 15 s five-cut video (benchmarks/video_sync.py --heard): a cut on the 4th beat of a
# bar carried only a held piano chord and strings, and no onset was heard within 274 ms; raising
# the velocity of the notes already there added none. A new attack on the beat is what is heard.


def _strike_hits(tracks: list[Track], plan: Plan, hits: tuple[float, ...]) -> None:
    """Re-strike the harmony on every hit: the comping chord (else the pad) and the bass, plus a kick
    and crash on the kit. Notes of the same pitch still sounding there are cut to the hit."""
    by_role = {t.role: t for t in reversed(tracks)}  # the first track of each role
    chordal = by_role.get("comp") or by_role.get("pad") or by_role.get("arp")
    for beat in sorted(h for h in hits if 0 < h < plan.length - EPS):
        span = plan.harmony.at(beat)
        strikes = []
        if chordal is not None:
            low, high = INSTRUMENTS[chordal.instrument].low, INSTRUMENTS[chordal.instrument].high
            strikes.append((chordal, voice(span, "close", plan.harmony, None, 62, max(low, 48), min(high, 79))))
        if "bass" in by_role:
            bass = by_role["bass"]
            info = INSTRUMENTS[bass.instrument]
            strikes.append((bass, [place(span.bass, 38, info.low, info.high)]))
        if "drums" in by_role:
            strikes.append((by_role["drums"], [DRUM_NOTES["kick"], DRUM_NOTES["crash"]]))
        for track, pitches in strikes:
            struck = set()
            for n in track.notes:
                if n.pitch in pitches and abs(n.start - beat) < EPS:  # already attacked here: make it heard
                    n.velocity = max(n.velocity, HIT_VELOCITY)
                    struck.add(n.pitch)
                elif n.pitch in pitches and n.start < beat - EPS < n.start + n.duration:
                    n.duration = beat - n.start  # let the hit's attack through
            track.notes.extend(Note(p, beat, HIT_LENGTH, HIT_VELOCITY) for p in pitches if p not in struck)
            track.notes.sort(key=lambda n: (n.start, n.pitch))


def _validate(lead: LeadSheet, tempo_map: list[TempoChange]) -> None:
    if not lead.length_beats or lead.length_beats <= 0:
        raise VmbError(f"lead sheet length_beats must be positive, got {lead.length_beats!r}")
    if lead.meter not in METERS:
        raise VmbError(f"lead sheet meter {lead.meter!r} is not one of {', '.join(METERS)}")
    if lead.mode not in MODES:
        raise VmbError(f"lead sheet mode {lead.mode!r} is not 'major' or 'minor'")
    if str(lead.key).strip().upper() not in PITCH_CLASS:
        raise VmbError(f"lead sheet key {lead.key!r} is not a tonic name like 'D' or 'Bb'")
    if not tempo_map or any(not c.bpm or c.bpm <= 0 for c in tempo_map):
        raise VmbError("tempo_map must hold at least one change with a positive bpm")


# --------------------------------------------------------------------------- the band


def _default_pattern(role: str, instrument: str, style: Style) -> str:
    if role == "drums":
        return style.fallback_drums
    if role == "comp" and INSTRUMENTS[instrument].family in ("guitar", "plucked"):
        return "strum"
    return ROLE_PATTERN[role]


def _claim(parts: list[Part], instrument: str, style: Style) -> None:
    """Give an asked-for instrument a part: its own, a free part of a role it fits, or a new one."""
    same = next((p for p in parts if p.instrument == instrument and not p.requested), None)
    if same is not None:
        same.requested = True
        return
    roles = roles_for(instrument)
    for role in roles:
        if _take(parts, role, instrument, style):
            return
    # every role it fits is taken by another asked-for instrument: a second melody plays a
    # counter-line, anything else doubles the first part of its role
    base = next(p for p in parts if p.role == roles[0])
    role, pattern = ("counter", "guide") if base.role == "melody" else (base.role, base.pattern)
    parts.append(Part(role, instrument, pattern, volume=ROLE_VOLUME[role] * 0.8, pan=-base.pan,
                      requested=True))


def _take(parts: list[Part], role: str, instrument: str, style: Style, *, repattern: bool = False) -> bool:
    """``instrument`` takes the first part of ``role`` no asked-for instrument has (``repattern``:
    and plays that role's pattern for it), or a new part when the band has none of that role.
    False when every part of the role is already asked for."""
    free = next((p for p in parts if p.role == role and not p.requested), None)
    if free is not None:
        free.instrument, free.requested = instrument, True
        if repattern:
            free.pattern = _default_pattern(role, instrument, style)
        return True
    if not any(p.role == role for p in parts):
        parts.append(Part(role, instrument, _default_pattern(role, instrument, style),
                          volume=ROLE_VOLUME[role], requested=True))
        return True
    return False


def _lead(parts: list[Part], instrument: str) -> None:
    """Give the tune to ``instrument``: it takes over the style's melody part (or adds one)."""
    melody = next((p for p in parts if p.role == "melody"), None)
    if melody is None:
        parts.append(Part("melody", instrument, "melody", volume=ROLE_VOLUME["melody"], requested=True))
    else:
        melody.instrument, melody.requested = instrument, True


ACCOMPANYING_ROLES = ("comp", "arp", "pad")  # the texture parts a lead instrument can feature in


def _feature(parts: list[Part], instrument: str, style: Style) -> None:
    """The tune's instrument also plays the first accompanying role it fits (a guitar strums, a
    harpsichord or piano comps, a synthesizer arpeggiates, an organ holds the pad), taking over
    that part unless another asked-for instrument has it, or adding it: heard in the texture,
    not only on top."""
    role = next((r for r in roles_for(instrument) if r in ACCOMPANYING_ROLES), None)
    if role is None:  # strings, winds, brass: the tune is their idiom
        return
    same = next((p for p in parts if p.role == role and p.instrument == instrument), None)
    if same is not None:
        same.requested = True
        return
    _take(parts, role, instrument, style, repattern=role == "comp")


def assign_parts(style: Style, instruments: list[str], excluded: list[str]) -> list[Part]:
    """The style's band with asked-for instruments in and excluded ones out (or substituted).

    The first asked-for instrument that can carry a tune plays the melody; the others take the
    parts they fit best. Asked-for parts always play and sit forward of the band. Excluding
    "drums" removes every drum and percussion part that was not asked for.
    """
    asked = list(dict.fromkeys(normalize_instrument(i) for i in instruments))
    banned = {normalize_instrument(i) for i in excluded} - set(asked)
    parts = [Part(s.role, s.instrument, s.pattern, s.joins_at_energy, s.volume, s.pan,
                  voice=s.voice, voiced=s.instrument) for s in style.parts]
    lead = next((i for i in asked if "melody" in roles_for(i)), None)
    if lead is not None:  # "--instrument piano": the piano plays the tune, not only the chords
        _lead(parts, lead)
    for instrument in asked:
        if instrument != lead:
            _claim(parts, instrument, style)
    if lead is not None:
        _feature(parts, lead, style)
    for part in parts:
        if part.requested:  # heard: forward of the band
            part.volume = min(1.0, max(part.volume, ROLE_VOLUME[part.role]) * LEAD_GAIN)
        elif asked and part.role in ACCOMPANYING_ROLES + ("counter",):  # and the band steps back
            part.volume *= BAND_STEP_BACK
    kept: list[Part] = []
    for part in parts:
        if not part.requested and part.role in ("drums", "perc") and ("drums" in banned or part.instrument in banned):
            continue
        if not part.requested and part.instrument in banned:
            used = {p.instrument for p in parts}
            options = [i for i in SUBSTITUTES.get(part.role, ()) if i not in banned]
            fresh = [i for i in options if i not in used]
            if not options:
                continue
            part.instrument = (fresh or options)[0]
        kept.append(part)
    return kept


# --------------------------------------------------------------------------- the bar plan


def _kind(name: str) -> str:
    low = name.strip().lower()
    if low.startswith("intro"):
        return "intro"
    if low.startswith(("outro", "ending", "end", "coda")):
        return "ending"
    if low.startswith("breakdown"):
        return "breakdown"
    return "body"


def make_plan(lead: LeadSheet, style: Style, energy: float, *, has_beat: bool, ring_beats: float = 0.0) -> Plan:
    """Every bar's energy and kind, the drum fills, and the harmony of ``lead``.

    The closing chord is struck on the last bar line at least ``ring_beats`` before the end (so
    it has time to die away), unless the piece is too short to leave a bar before it.
    """
    bar_beats = theory.bar_beats(lead.meter)
    length = float(lead.length_beats)
    final = bar_beats * math.floor((length - max(EPS, ring_beats - EPS)) / bar_beats)
    if final < bar_beats:
        final = bar_beats * math.floor((length - EPS) / bar_beats)
    tonic = PITCH_CLASS[lead.key.strip().upper()]
    closing = max(lead.chords, key=lambda c: c.start) if lead.chords else None
    if (closing is not None and closing.root % 12 == tonic and 0 < closing.start < final
            and length - closing.start <= 2 * bar_beats + EPS
            and abs(closing.start / bar_beats - round(closing.start / bar_beats)) < EPS):
        final = closing.start  # the lead sheet's own closing tonic, held a little over a bar
    sections = sorted(lead.sections, key=lambda s: s.start) or [Section("A", 0.0, length, 0.5)]

    def section_index(t: float) -> int:
        return max([i for i, s in enumerate(sections) if s.start <= t + EPS] or [0])

    bars: list[Bar] = []
    for i in range(int(round(final / bar_beats))):
        start = i * bar_beats
        k = section_index(start)
        sec = sections[k]
        e = clamp(float(energy + 0.8 * (sec.energy - 0.5)), 0.05, 1.0)
        progress = (start - sec.start) / max(sec.end - sec.start, bar_beats)
        kind = _kind(sec.name)
        if kind == "intro" or "build" in sec.name.lower():  # building up
            e *= 0.55 + 0.45 * progress
        first_of_section = i > 0 and section_index(start - bar_beats) != k
        bars.append(Bar(i, start, start + bar_beats, e, kind, clamp(float(progress), 0.0, 1.0), first_of_section))

    def fill_length(e: float) -> float:
        if lead.meter == "6/8":
            return 1.5
        return 2.0 if lead.meter == "4/4" and e >= 0.65 else 1.0

    fills: list[tuple[float, float, float]] = []
    boundaries = [s.start for s in sections[1:] if bar_beats <= s.start < final - EPS] + ([final] if bars else [])
    for b in boundaries:
        bar = bars[min(len(bars) - 1, int((b - EPS) // bar_beats))]
        length_f = fill_length(bar.energy)
        if b - length_f >= bar.start - EPS:
            fills.append((b - length_f, b, max(bar.energy, 0.3)))
    melody = sorted(lead.melody, key=lambda n: (n.start, n.pitch))
    chords = reharmonise(lead.chords, melody, style, tonic, lead.mode, bar_beats, final, sections)
    harmony = Harmony(chords, tonic, lead.mode, length, colour=style.colour)
    end_energy = bars[-1].energy if bars else energy
    return Plan(lead.meter, bar_beats, bars, final, length, end_energy, harmony, style, melody, fills, has_beat)


def mood_feel(moods: list[str]) -> tuple[int, float]:
    """(register in semitones, articulation) of the moods (moods.toml), averaged; (0, 1) for none."""
    records = [knowledge().moods[normalize_mood(m)] for m in moods]
    if not records:
        return 0, 1.0
    return (int(round(sum(m.register for m in records) / len(records))),
            sum(m.articulation for m in records) / len(records))


# --------------------------------------------------------------------------- genre harmony

# A loop chord replaces a bar's own chords unless the melody fits it this much worse (the share of
# the bar's melody, by length, on chord tones).
LOOP_FIT_MARGIN = 0.15


def _fit(melody: list[Note], start: float, end: float, chord_at) -> float | None:
    """Share of the melody sounding in [start, end), by length, on tones of ``chord_at(beat)``."""
    total = on = 0.0
    for n in melody:
        lo, hi = max(n.start, start), min(n.start + n.duration, end)
        if hi <= lo:
            continue
        chord = chord_at(lo)
        total += hi - lo
        on += (hi - lo) * (chord is not None and n.pitch % 12 in chord.pitch_classes())
    return on / total if total > 0 else None


def reharmonise(chords: list[Chord], melody: list[Note], style: Style, tonic: int, mode: str, bar_beats: float,
                final: float, sections: list[Section]) -> list[Chord]:
    """The style's chord loop (one chord a bar, from each section's start) where the melody fits it,
    the lead sheet's own chords in the other bars and from the closing chord on."""
    loop = style.progression_major if mode == "major" else style.progression_minor
    if not loop:
        return list(chords)
    ordered = sorted(chords, key=lambda c: c.start)

    def own_at(beat: float) -> Chord | None:
        sounding = [c for c in ordered if c.start <= beat + EPS]
        return sounding[-1] if sounding else None

    out: list[Chord] = []
    starts = [s.start for s in sections]
    for i in range(int(round(final / bar_beats))):
        start, end = i * bar_beats, (i + 1) * bar_beats
        section_start = max([s for s in starts if s <= start + EPS] or [0.0])
        root, quality = theory.roman_chord(loop[int(round((start - section_start) / bar_beats)) % len(loop)],
                                           tonic, mode)
        candidate = Chord(start, bar_beats, root, quality)
        fit_loop = _fit(melody, start, end, lambda _beat: candidate)
        fit_own = _fit(melody, start, end, own_at)
        if fit_loop is None or fit_own is None or fit_loop >= fit_own - LOOP_FIT_MARGIN:
            out.append(candidate)
            continue
        own = [c for c in ordered if start - EPS <= c.start < end - EPS]  # the bar's own chords, clipped
        held = own_at(start)
        if held is not None and (not own or own[0].start > start + EPS):
            own.insert(0, held)
        for k, c in enumerate(own):
            c_start = max(c.start, start)
            c_end = min(own[k + 1].start if k + 1 < len(own) else end, end)
            out.append(Chord(c_start, c_end - c_start, c.root, c.quality, c.bass))
    return out + [c for c in ordered if c.start >= final - EPS]


# --------------------------------------------------------------------------- the ending


def final_notes(part: Part, plan: Plan) -> list[Note]:
    """The part's share of the closing tonic chord, struck on the last downbeat and held to the end."""
    start, dur, e = plan.final, plan.length - plan.final, plan.end_energy
    span = plan.harmony.tonic_span(start, plan.length)
    loud = plan.style.loudness
    vel = velocity(part.role, e, 1.05, loud)
    if part.role == "perc":  # the groove's downbeat hits, softly
        hits = grooves.groove_hits(part.pattern, plan.meter, e, 0)
        return [note(p, start, 0.25, velocity(part.role, e, acc, loud)) for p, off, acc in hits if off == 0.0]
    if part.role == "drums":
        crash = grooves.crash_of(part.pattern)
        hits = [DRUM_NOTES["kick"]] + ([crash] if crash is not None else [])
        return [note(p, start, min(dur, 2.0), vel) for p in hits]
    pat = PATTERNS[part.pattern]
    prev = part.state.get("pitch")
    if pat.kind in ("bass", "walk"):
        low_target = part.center(pat) - 4 if prev is None else min(prev, part.center(pat))
        return [note(place(span.root, low_target, part.low, part.high), start, dur, vel)]
    if pat.kind in ("melody", "line"):
        ref = prev if prev is not None else part.center(pat)
        given = [n for n in plan.melody if abs(n.start - start) < 0.01 and n.pitch % 12 in span.tones]
        if pat.kind == "melody" and given:
            p = given[0].pitch + part.state.get("shift", 0)
        else:
            cands = [q for q in range(ref - 6, ref + 7) if q % 12 in span.tones and part.low <= q <= part.high]
            p = min(cands, key=lambda q: (abs(q - ref) - (3 if q % 12 == span.root else 0), q)) if cands \
                else place(span.root, ref, part.low, part.high)
        return [note(p, start, dur, vel)]
    if pat.kind == "arp":
        pool = chord_pool(part, pat, span)[:4]
        return [note(p, start + k * 0.08, dur - k * 0.08, vel) for k, p in enumerate(pool)]
    pitches = voice(span, pat.voicing, plan.harmony, part.state.get("voicing"), part.center(pat),
                    part.low, part.high, max(pat.voices, 3))
    strum = pat.strum or 0.0
    return [note(p, start + k * strum, dur - k * strum, vel) for k, p in enumerate(pitches)]


# --------------------------------------------------------------------------- finishing


def _bpm_at(tempo_map: list[TempoChange], beat: float) -> float:
    bpm = tempo_map[0].bpm
    for change in tempo_map:
        if change.beat <= beat + EPS:
            bpm = change.bpm
    return bpm


def _swing(t: float, ratio: float, unit: float) -> float:
    """Move an onset on the off-subdivision of a pair (the "and") later, to ``ratio`` of the pair."""
    pair = 2 * unit
    frac = t % pair
    if abs(frac - unit) < 1e-4:
        return t + (2 * ratio - 1) * unit
    return t


def _merge_ties(notes: list[Note]) -> list[Note]:
    """Join a note to the next one of the same pitch that starts where it ends (held pads)."""
    out: list[Note] = []
    last: dict[int, Note] = {}
    for n in sorted(notes, key=lambda n: (n.start, n.pitch)):
        prev = last.get(n.pitch)
        if prev is not None and abs(prev.start + prev.duration - n.start) < 1e-3:
            prev.duration = n.start + n.duration - prev.start
            continue
        out.append(n)
        last[n.pitch] = n
    return out


def _finish(notes: list[Note], part: Part, plan: Plan, tempo_map: list[TempoChange],
            rng: np.random.Generator) -> list[Note]:
    """Swing, ties, range, humanising, clipping to [0, length] and same-pitch overlaps."""
    style, info = plan.style, INSTRUMENTS[part.instrument]
    if style.swing > 0.5 and theory.meter(plan.meter).swing_allowed:
        for n in notes:
            end = _swing(n.start + n.duration, style.swing, style.swing_unit)
            n.start = _swing(n.start, style.swing, style.swing_unit)
            n.duration = end - n.start
    if not info.is_drum:
        if part.pattern in PATTERNS and PATTERNS[part.pattern].tie:
            notes = _merge_ties(notes)
        for n in notes:
            n.pitch = fold(n.pitch, info.low, info.high)
    for n in sorted(notes, key=lambda n: (n.start, n.pitch)):
        jitter = clamp(float(rng.normal(0.0, JITTER_SD_S)), -MAX_JITTER_S, MAX_JITTER_S)
        n.velocity = int(clamp(n.velocity + round(rng.normal(0.0, 2.5)), 1, 127))
        if n.start >= plan.final - EPS or n.start < EPS:
            continue  # the first and the final downbeats stay exact
        end = n.start + n.duration
        n.start = max(0.0, n.start + jitter * _bpm_at(tempo_map, n.start) / 60.0)
        n.duration = end - n.start
    out: list[Note] = []
    last_by_pitch: dict[int, Note] = {}
    for n in sorted(notes, key=lambda n: (n.start, n.pitch)):
        end = min(n.start + n.duration, plan.length)
        n.duration = end - n.start
        prev = last_by_pitch.get(n.pitch)
        if prev is not None and prev.start + prev.duration > n.start:
            prev.duration = n.start - prev.start
        if n.duration >= 0.02 and n.start < plan.length:
            out.append(n)
            last_by_pitch[n.pitch] = n
    return [n for n in out if n.duration >= 0.02]
