"""musicnn auto-tagging of library audio (the default ingest tagger; the paper tags with CLAP).

:class:`MusicnnTagger` has the :class:`~vmb.retrieve.autotag.Tagger` interface. For an audio
file it hears the decoded samples with both bundled musicnn models (``vmb.listen``, PyTorch,
weights shipped in the package) and reads the tags as vmb attributes through the one table,
:mod:`vmb.listen.tagmap`: genres, moods and instruments by z-score against a fixed reference
distribution, and an energy estimate (:mod:`vmb.listen.attributes` defines each). BPM, key,
mode and tempo class stay those of the librosa analysis; the description is the rule tagger's
sentence with the heard tags, plus :func:`~vmb.retrieve.autotag.heard_clause`. Symbolic files
(no audio) get the rule tags unchanged.

The taggers load on the first audio file a process tags (about 0.2 s, once per worker), never
on import: ``vmb generate`` and symbolic ingests do not pay for them.
"""

from __future__ import annotations

import numpy as np

from vmb.retrieve.autotag import Analysis, RuleTagger, Tags, heard_clause
from vmb.types import LeadSheet


class MusicnnTagger:
    """Tags by the bundled musicnn taggers (MTT and MSD), judged against the shipped reference."""

    name = "musicnn"
    needs_audio = True

    def hear(self, y: np.ndarray, sr: int):
        """Mono samples ``y`` at ``sr`` Hz -> :class:`vmb.listen.attributes.HeardAttributes`."""
        from vmb.listen.attributes import hear, read_attributes

        return read_attributes(hear(y, sr))

    def tag(self, analysis: Analysis, sheet: LeadSheet | None, *, entry_id: str,
            audio: tuple[np.ndarray, int] | None = None) -> Tags:
        rules = RuleTagger().tag(analysis, sheet, entry_id=entry_id)
        if audio is None:
            return rules
        heard = self.hear(*audio)
        text = RuleTagger.describe(analysis, sheet, rules.tempo_class, heard.moods, heard.instruments,
                                   heard.genres, entry_id)
        clause = heard_clause(heard.genres, heard.instruments, heard.energy)
        return Tags(heard.genres, heard.moods, heard.instruments, rules.bpm, rules.tempo_class,
                    f"{text} {clause}" if clause else text, energy=heard.energy, heard=heard.to_dict())
