"""The music plan: meter, tempo map, length, form and loop, resolved once for every input.

Text and image requests plan a steady tempo over the requested length; a video request
brings its beat map (tempo bends that land beats on cuts, its sections, its length in beats).
Both then pass through :func:`plan_music`, which applies the loop rule, so the composer and the
renderer take one :class:`~vmb.types.MusicPlan` and never re-derive tempo, meter or length.
"""

from __future__ import annotations

import dataclasses

from vmb.knowledge import FormSection, knowledge
from vmb.pipeline.loop import loop_from_plan, loop_plan
from vmb.theory import bar_beats, quarter_notes_per_pulse
from vmb.types import Attributes, MusicPlan, Section, TempoChange
from vmb.vocab import normalize_genre


@dataclasses.dataclass(frozen=True)
class VideoBeats:
    """A video's beat map in quarter notes: what :func:`plan_music` keeps instead of a steady tempo."""

    tempo_map: list[TempoChange]
    length_beats: float
    sections: list[Section] | None
    pulse_bpm: float  # the map's mean tempo in counted pulses
    hits: tuple[float, ...] = ()  # beats of the cuts and markers the map reached: struck audibly


def plan_music(attrs: Attributes, *, meter: str, duration_s: float, loop: bool = False,
               beats: VideoBeats | None = None) -> MusicPlan:
    """The plan for resolved ``attrs`` (tempo_bpm in counted pulses) in ``meter`` over ``duration_s``.

    Without ``beats``: one tempo, the length in beats that fills ``duration_s``. ``loop``: whole
    bars (a steady tempo is nudged to fit, see :func:`vmb.pipeline.loop.loop_plan`; a beat map
    must already end on a bar line).
    """
    pulse = quarter_notes_per_pulse(meter)
    if beats is None:
        quarter_bpm = float(attrs.tempo_bpm) * pulse
        tempo_map = [TempoChange(0.0, quarter_bpm)]
        length_beats = duration_s * quarter_bpm / 60.0
        plan = MusicPlan(meter=meter, pulse_bpm=float(attrs.tempo_bpm), tempo_map=tempo_map,
                         length_beats=length_beats, duration_s=duration_s,
                         sections=None if loop else genre_sections(attrs.genres, length_beats, meter))
        if loop:
            loop_beats, tempo_map, length_beats, sections = loop_plan(duration_s, quarter_bpm, meter, attrs)
            plan = dataclasses.replace(plan, tempo_map=tempo_map, length_beats=length_beats, sections=sections,
                                       loop_beats=loop_beats, pulse_bpm=round(tempo_map[0].bpm / pulse, 2))
        return plan
    plan = MusicPlan(meter=meter, pulse_bpm=beats.pulse_bpm, tempo_map=list(beats.tempo_map),
                     length_beats=beats.length_beats, duration_s=duration_s, sections=beats.sections,
                     hits=list(beats.hits))
    if loop:
        loop_beats, length_beats, sections = loop_from_plan(beats.length_beats, beats.sections, meter)
        plan = dataclasses.replace(plan, length_beats=length_beats, sections=sections, loop_beats=loop_beats)
    return plan


def genre_sections(genres: list[str], length_beats: float, meter: str) -> list[Section] | None:
    """The first genre's typical form (``form`` in ``genres.toml``) over ``length_beats``, or None
    (no genre, or one without a form: the composer writes its own)."""
    if not genres:
        return None
    form = knowledge().genres[normalize_genre(genres[0])].form
    return form_sections(form, length_beats, bar_beats(meter)) if form else None


def form_sections(form: tuple[FormSection, ...], length_beats: float, bar: float) -> list[Section]:
    """``form`` fitted to a piece of ``length_beats``: whole bars, the last section to the end.

    A longer piece repeats the sections after the intro as many whole times as fit; then every
    section is scaled to the piece (largest remainders first; a section that gets no bar is left
    out and neighbours of the same name merge), so the piece ends where the form does.
    """
    n_bars = max(1, round(length_beats / bar))
    chosen = list(form)
    body = form[1:] if len(form) > 1 and form[0].section == "intro" else form
    while sum(s.bars for s in chosen) + sum(s.bars for s in body) <= n_bars:
        chosen += body
    total = sum(s.bars for s in chosen)
    exact = [s.bars * n_bars / total for s in chosen]
    bars = [int(x) for x in exact]
    for i in sorted(range(len(chosen)), key=lambda i: (-(exact[i] - bars[i]), i))[:n_bars - sum(bars)]:
        bars[i] += 1
    sections: list[Section] = []
    start = 0
    for spec, count in zip(chosen, bars):
        if count <= 0:
            continue
        if sections and sections[-1].name == spec.section:
            sections[-1].end = (start + count) * bar
        else:
            sections.append(Section(spec.section, start * bar, (start + count) * bar, spec.energy))
        start += count
    sections[-1].end = length_beats
    return sections
