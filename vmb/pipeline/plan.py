"""The music plan: meter, tempo map, length, form and loop, resolved once for every input.

Text and image requests plan a steady tempo over the requested length; a video request
brings its beat map (tempo bends that land beats on cuts, its sections, its length in beats).
Both then pass through :func:`plan_music`, which applies the loop rule, so the composer and the
renderer take one :class:`~vmb.types.MusicPlan` and never re-derive tempo, meter or length.
"""

from __future__ import annotations

import dataclasses

from vmb.pipeline.loop import loop_from_plan, loop_plan
from vmb.theory import quarter_notes_per_pulse
from vmb.types import Attributes, MusicPlan, Section, TempoChange


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
        plan = MusicPlan(meter=meter, pulse_bpm=float(attrs.tempo_bpm), tempo_map=tempo_map,
                         length_beats=duration_s * quarter_bpm / 60.0, duration_s=duration_s)
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
