"""Arrangement: a lead sheet (melody, chords, sections) -> a multi-track :class:`~vmb.types.Score`.

The half of :mod:`vmb.render` that writes notes; the other half turns them into sound.

- :mod:`~vmb.render.arrange.arranger`: :func:`arrange`, the session arranger: picks the band,
  plans every bar's energy, writes each part, ends on the tonic, swings and humanises
  (:func:`planned_tracks`: the band it will pick, before there are notes);
- :mod:`~vmb.render.arrange.styles`: the bands (views of ``vmb/data/styles.toml``) and the
  pitched patterns as step grids;
- :mod:`~vmb.render.arrange.grooves`: drum grooves and fills as step grids;
- :mod:`~vmb.render.arrange.parts`: one part's notes, bar by bar, from its pattern;
- :mod:`~vmb.render.arrange.voicing`: chord voicings and voice leading;
- :mod:`~vmb.render.arrange.mma`: optional, drum grooves read at run time from MMA's groove
  library when Debian's ``mma`` package is installed (no default path uses it).
"""

from vmb.render.arrange.arranger import arrange, planned_tracks

__all__ = ["arrange", "planned_tracks"]
