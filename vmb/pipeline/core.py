"""What every task shares: the result, input checks, attribute resolution, retrieval, loops."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

import vmb
from vmb import VmbError, theory
from vmb.pipeline.composers import COMPOSERS, DEFAULT_GENERATOR  # noqa: F401 (re-exported)
from vmb.pipeline.outputs import AUDIO_SUFFIXES, check_output_path  # noqa: F401 (re-exported)
from vmb.pipeline.request import (  # noqa: F401 (re-exported)
    DEFAULT_DURATION_S,
    LONG_MAX_DURATION_S,
    MAX_DURATION_S,
    MIN_DURATION_S,
    RetrievalOptions,
    check_duration,
    check_seed,
)
from vmb.types import (
    SCHEMA_VERSION,
    Attributes,
    MusicDescription,
    MusicPlan,
    Reference,
    RenderResult,
    Retrieval,
    Score,
    VideoTiming,
)
from vmb.vocab import METERS, tempo_class_of

if TYPE_CHECKING:
    from vmb.video import BeatPlan

GENERATORS = tuple(COMPOSERS)  # the registry in vmb.pipeline.composers: baseline, ecmg

Progress = Callable[[str], None]


@dataclass
class VideoScoring:
    """What scoring a video added to a result: the input, its timing and the beat map on its cuts."""

    path: str
    timing: VideoTiming  # duration, frame rate, cuts, motion
    beat_plan: BeatPlan  # the tempo map whose beats land on the cuts, and how well they do (sync)
    keep_audio: bool = False  # the video's own sound stays, the music ducked under it
    loop: bool = False  # the video's end falls on a bar line


@dataclass
class GenerationResult:
    """Everything one generation did: the two bridges, the score, the files and timings."""

    description: MusicDescription
    attributes: Attributes  # what the music was made to (description + user overrides, resolved)
    retrieval: Retrieval
    score: Score
    render: RenderResult
    seed: int
    generator: str
    plan: MusicPlan | None = None  # meter, tempo map, length, form and loop, as resolved once
    checkpoint: dict | None = None  # the ECMG checkpoint's name, version, step and sha256; None for the baseline
    reference: Reference | None = None  # the reference the baseline re-composed
    timings_s: dict[str, float] = field(default_factory=dict)
    audio: np.ndarray | None = None  # (n, 2) float32, kept in memory for callers/benchmarks
    stems: dict[str, np.ndarray] = field(default_factory=dict)  # stem name -> (n, 2) float32, when asked
    video: VideoScoring | None = None  # for video input
    generator_info: dict = field(default_factory=dict)  # ECMG: references used, strength, copy check

    def sidecar(self) -> dict:
        """The JSON written next to the audio: enough to explain and reproduce the result."""
        return {
            "schema_version": SCHEMA_VERSION,
            "vmb_version": vmb.__version__,
            "generator": self.generator,
            "checkpoint": self.checkpoint,
            "seed": self.seed,
            "description": self.description.to_dict(),
            "attributes": self.attributes.to_dict(),
            # pinned first, then targeted (m_k*), then broad (m_i*)
            "references": [_reference_summary(r) for r in sorted(
                self.retrieval.broad + self.retrieval.targeted, key=lambda r: ("pinned", "targeted", "broad").index(r.track)
            )],
            "content_reference": self.reference.entry.id if self.reference else None,
            "generator_info": self.generator_info,
            "render": self.render.to_dict(),
            # what the request resolved to before composing (tempo in counted pulses, lengths in beats)
            "plan": None if self.plan is None else {
                "meter": self.plan.meter, "pulse_bpm": self.plan.pulse_bpm, "length_beats": self.plan.length_beats,
                "duration_s": self.plan.duration_s, "loop_beats": self.plan.loop_beats},
            # which part each instrument plays; "asked": the request (or the text) named it
            "parts": [{"track": t.name, "instrument": t.instrument, "role": t.role,
                       "asked": t.instrument in self.attributes.instruments} for t in self.score.tracks],
            "tempo_map": [t.to_dict() for t in self.score.tempo_map],
            "key": f"{self.score.key} {self.score.mode}",
            "meter": self.score.meter,
            # positions in quarter-note beats and in seconds of the audio (the tempo map converts)
            "sections": [{"name": s.name, "start_beat": s.start, "end_beat": s.end,
                          "start_s": round(self.score.beat_to_seconds(s.start), 4),
                          "end_s": round(self.score.beat_to_seconds(s.end), 4), "energy": s.energy}
                         for s in self.score.sections],
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
        }


def _reference_summary(ref: Reference) -> dict:
    e = ref.entry
    return {
        "track": ref.track,
        "id": e.id,
        "title": e.title,
        "source": e.source,
        "score": round(float(ref.score), 4),
        "matched": ref.matched,
        "key": f"{e.key} {e.mode}",
        "meter": e.meter,
        "description": e.description,
    }


# --------------------------------------------------------------------------- checks


# --------------------------------------------------------------------------- resolving attributes


def resolve_attributes(attrs: Attributes, *, duration_s: float) -> Attributes:
    """Fill in what the generator needs and the user left open: tempo, mode, energy, duration."""
    out = dataclasses.replace(attrs)
    out.duration_s = duration_s
    if out.tempo_bpm is None:  # nothing named a BPM: the genre and the moods place it
        out.tempo_bpm = theory.tempo_for(out.genres, out.moods, out.arousal, out.tempo_class)
    out.tempo_class = tempo_class_of(out.tempo_bpm)
    if out.mode is None:
        out.mode = theory.mode_for_valence(out.valence if out.valence is not None else 0.0)
    if out.energy is None:
        out.energy = theory.energy_for_arousal(out.arousal if out.arousal is not None else 0.0)
    if out.meter is not None and out.meter not in METERS:
        raise VmbError(f"meter {out.meter!r} is not supported; use one of {', '.join(METERS)}")
    return out


# --------------------------------------------------------------------------- the music bridge


def retrieve_references(attrs: Attributes, query: np.ndarray, options: RetrievalOptions, *, progress: Progress | None = None) -> Retrieval:
    """The dual-track search (broad by similarity, targeted inside the asked partition)."""
    from vmb.retrieve.ingest import reference_entry
    from vmb.retrieve.search import dual_track
    from vmb.retrieve.store import open_default_library

    # built from the bundled corpus only if vmb has just created it; a damaged or emptied
    # library is a one-line error, never silently refilled
    library = open_default_library(options.library, progress=progress)
    pinned = [reference_entry(path, library=library)[0] for path in options.references]
    return dual_track(
        library,
        query,
        attrs,
        k=options.k,
        exclude=set(options.exclude),
        pinned=pinned,
        use_broad=options.use_broad,
        use_targeted=options.use_targeted,
        transpose_key=True,  # the composer transposes: only the mode must match
    )


def pick_reference(retrieval: Retrieval, *, seed: int = 0) -> Reference:
    """The reference whose melody and chords the composer builds on.

    A pinned reference wins; otherwise one of the best three targeted references (the seed
    chooses, so different seeds give different pieces), then the broad ones.
    """
    usable = [r for r in retrieval.broad + retrieval.targeted if r.entry.lead_sheet is not None]
    pinned = [r for r in usable if r.track == "pinned"]
    if pinned:
        return pinned[0]
    targeted = [r for r in usable if r.track == "targeted"][:3]
    if targeted:
        return targeted[seed % len(targeted)]
    if usable:
        return usable[0]
    raise VmbError("no reference in the library has symbolic content to build on; relax the request")
