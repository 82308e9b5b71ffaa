"""The VMB chain: input -> text bridge -> music bridge -> music -> files.

One function per task (``generate_from_text``, ``generate_from_image``, ``generate_from_video``);
each returns a :class:`GenerationResult`. This is the only module (with the CLI) that combines
stages; the stages themselves know nothing of each other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

import vmb
from vmb import VmbError
from vmb.types import (
    SCHEMA_VERSION,
    Attributes,
    MusicDescription,
    Reference,
    RenderResult,
    Retrieval,
    Score,
    Section,
    TempoChange,
)
from vmb.vocab import GENRES, MAX_BPM, METERS, MIN_BPM, TEMPO_CLASSES, tempo_class_of

MIN_DURATION_S = 3.0
MAX_DURATION_S = 20 * 60.0
DEFAULT_DURATION_S = 30.0
# "baseline": retrieve a tune and re-compose it (no model); "ecmg": the diffusion transformer
# with its ControlFormer (needs a trained checkpoint; the default one is not shipped yet).
GENERATORS = ("baseline", "ecmg")
AUDIO_SUFFIXES = (".wav", ".flac")

Progress = Callable[[str], None]


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
    checkpoint: str | None = None  # the ECMG checkpoint file, None for the baseline
    reference: Reference | None = None  # the reference the baseline re-composed
    timings_s: dict[str, float] = field(default_factory=dict)
    audio: np.ndarray | None = None  # (n, 2) float32, kept in memory for callers/benchmarks
    video: dict | None = None  # for video input: path, VideoTiming, beat plan, keep_audio

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
            "render": self.render.to_dict(),
            "tempo_map": [t.to_dict() for t in self.score.tempo_map],
            "key": f"{self.score.key} {self.score.mode}",
            "meter": self.score.meter,
            "sections": [s.to_dict() for s in self.score.sections],
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


def check_output_path(path: str | os.PathLike, suffixes: tuple[str, ...] = AUDIO_SUFFIXES) -> Path:
    """Fail early (before any work) on an output path we could not write."""
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise VmbError(f"output {str(out)!r}: use one of {', '.join(suffixes)}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise VmbError(f"output {str(out)!r}: folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise VmbError(f"output {str(out)!r}: folder {str(parent)!r} is not writable")
    if out.is_dir():
        raise VmbError(f"output {str(out)!r} is a folder")
    return out


def check_duration(duration_s: float) -> float:
    if not np.isfinite(duration_s) or not (MIN_DURATION_S <= duration_s <= MAX_DURATION_S):
        raise VmbError(
            f"duration {duration_s:g} s is out of range; use {MIN_DURATION_S:g} s to "
            f"{MAX_DURATION_S / 60:g} min"
        )
    return float(duration_s)


# --------------------------------------------------------------------------- resolving attributes


def resolve_attributes(attrs: Attributes, *, duration_s: float) -> Attributes:
    """Fill in what the generator needs and the user left open: tempo, mode, energy, duration."""
    out = dataclasses.replace(attrs)
    out.duration_s = duration_s
    if out.tempo_bpm is None:
        if out.tempo_class is not None:
            low, high, default = TEMPO_CLASSES[out.tempo_class]
            bpm = default
            if out.genres:  # inside the class, lean to the genre's usual range
                g_low, g_high = GENRES[out.genres[0]][0]
                lo, hi = max(low, g_low), min(high - 1, g_high)
                if lo <= hi:
                    bpm = (lo + hi) / 2
            out.tempo_bpm = float(round(bpm))
        elif out.genres:
            g_low, g_high = GENRES[out.genres[0]][0]
            out.tempo_bpm = float(round((g_low + g_high) / 2))
        else:
            out.tempo_bpm = TEMPO_CLASSES["medium"][2]
    out.tempo_class = tempo_class_of(out.tempo_bpm)
    if out.mode is None:
        out.mode = "minor" if (out.valence is not None and out.valence < -0.1) else "major"
    if out.energy is None:
        arousal = out.arousal if out.arousal is not None else 0.0
        out.energy = float(np.clip(0.5 + 0.4 * arousal, 0.1, 0.95))
    if out.meter is not None and out.meter not in METERS:
        raise VmbError(f"meter {out.meter!r} is not supported; use one of {', '.join(METERS)}")
    return out


def quarter_notes_per_pulse(meter: str) -> float:
    """How many quarter notes one counted beat lasts: a BPM in 6/8 counts dotted quarters.

    Scores keep time in quarter notes; a request of "6/8 at 92 BPM" means 92 dotted-quarter
    pulses a minute (the way musicians and beat trackers count it), i.e. 138 quarter notes.
    """
    return 1.5 if meter == "6/8" else 1.0


# --------------------------------------------------------------------------- the music bridge


@dataclass
class RetrievalOptions:
    """How to search the library: which one, what to pin or exclude, which tracks to use."""

    library: str | None = None  # folder; None = $VMB_LIBRARY or the user data dir (built on first use)
    references: tuple[str, ...] = ()  # the user's own reference files, pinned
    exclude: tuple[str, ...] = ()  # entry ids never to use
    use_broad: bool = True  # False/False-ablations of the paper's Table 6
    use_targeted: bool = True
    k: int = 5


def retrieve_references(attrs: Attributes, query: np.ndarray, options: RetrievalOptions, *, progress: Progress | None = None) -> Retrieval:
    """The dual-track search (broad by similarity, targeted inside the asked partition)."""
    from vmb.retrieve.ingest import reference_entry
    from vmb.retrieve.search import dual_track
    from vmb.retrieve.store import Library, build_default_library

    library = Library.open(options.library)
    if library.count() == 0:
        if progress:
            progress("building the default music library (first run only)")
        library = build_default_library(library.path)
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


# --------------------------------------------------------------------------- seamless loops

LOOP_TAIL_S = 3.0  # rendered past the loop point: releases and reverb, wrapped onto the start


def _loop_plan(duration_s: float, quarter_bpm: float, meter: str, attrs: Attributes):
    """A whole number of bars that fills ``duration_s`` at a tempo nudged to fit.

    The composer is asked for one bar more than the loop, so its cadence (V7 in the last
    body bar) and the drummer's fill fall just before the loop point and lead back into bar 1;
    the closing bar itself is cut away. Returns (loop_beats, tempo_map, length_beats, sections).
    """
    bar = Score(tracks=[], meter=meter).beats_per_bar
    bars = max(2, round(duration_s * quarter_bpm / 60.0 / bar))
    loop_beats = bars * bar
    bpm = loop_beats * 60.0 / duration_s
    pulse = quarter_notes_per_pulse(meter)
    if not (MIN_BPM <= bpm / pulse <= MAX_BPM):
        raise VmbError(f"a {duration_s:g} s loop cannot hold whole bars at a usable tempo; choose another length")
    if abs(bpm / quarter_bpm - 1.0) > 0.03:
        exact = bars * bar * 60.0 / quarter_bpm
        warnings.warn(
            f"a {duration_s:g} s loop holds {bars} whole bars at {bpm / pulse:.1f} BPM instead of "
            f"{quarter_bpm / pulse:g}; a {exact:.2f} s loop would keep {quarter_bpm / pulse:g} BPM"
        )
    energy = attrs.energy if attrs.energy is not None else 0.6
    sections = [Section("A", 0.0, loop_beats, energy), Section("ending", loop_beats, loop_beats + bar, energy)]
    return loop_beats, [TempoChange(0.0, bpm)], loop_beats + bar, sections


def _cut_for_loop(score: Score, loop_beats: float) -> Score:
    """Drop what starts at or after the loop point; notes still sounding there are cut to it."""
    for track in score.tracks:
        kept = []
        for n in track.notes:
            if n.start < loop_beats - 1e-6:
                n.duration = min(n.duration, loop_beats - n.start)
                kept.append(n)
        track.notes = kept
    score.sections = [s for s in score.sections if s.start < loop_beats - 1e-6]
    score.length_beats = loop_beats
    return score


def _wrap_tail(audio: np.ndarray, loop_samples: int) -> np.ndarray:
    """Fold what rings past the loop point back onto its start: on repeat the tail continues."""
    out = audio[:loop_samples].copy()
    tail = audio[loop_samples:]
    n = min(len(tail), loop_samples)
    out[:n] += tail[:n]
    return out


# --------------------------------------------------------------------------- the chain


class _Timer:
    """Times the named stages of one generation and reports each to ``progress``."""

    def __init__(self, progress: Progress | None):
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextlib.contextmanager
    def stage(self, name: str):
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - t0


def compose_and_render(
    description: MusicDescription,
    user: Attributes,
    *,
    duration_s: float,
    seed: int = 0,
    tempo_map: list[TempoChange] | None = None,
    sections=None,
    length_beats: float | None = None,
    soundfont: str | None = None,
    options: RetrievalOptions | None = None,
    generator: str = "baseline",
    checkpoint: str | None = None,
    loop: bool = False,
    progress: Progress | None = None,
    timer: _Timer | None = None,
) -> GenerationResult:
    """Text bridge -> music bridge -> baseline composition -> arrangement -> mastered audio.

    ``loop``: instead of an ending, music whose last bar leads back into its first, rendered so
    that playing the file on repeat has no gap or click (see :func:`_loop_plan`).
    """
    from vmb.describe import apply_user_attributes
    from vmb.embed import encode_texts
    from vmb.generate.baseline import compose_lead_sheet
    from vmb.render import arrange, master, synthesize

    if generator not in GENERATORS:
        raise VmbError(f"unknown generator {generator!r}; use one of {', '.join(GENERATORS)}")
    timer = timer or _Timer(progress)
    checkpoint_used = None
    if user.set_fields():
        description = apply_user_attributes(description, user, seed=seed)
    attrs = resolve_attributes(description.attributes, duration_s=duration_s)

    with timer.stage("retrieve"):
        query = encode_texts([description.sentence])[0]
        retrieval = retrieve_references(attrs, query, options or RetrievalOptions(), progress=progress)
        reference = pick_reference(retrieval, seed=seed)
        lead_ref = reference.entry.lead_sheet
        meter = attrs.meter or lead_ref.meter

    with timer.stage("compose"):
        if tempo_map is None:
            quarter_bpm = float(attrs.tempo_bpm) * quarter_notes_per_pulse(meter)
            tempo_map = [TempoChange(0.0, quarter_bpm)]
            length_beats = duration_s * quarter_bpm / 60.0
        loop_beats = None
        if loop:
            if len(tempo_map) > 1:
                raise VmbError("--loop needs one steady tempo; it cannot follow a video's tempo map yet")
            loop_beats, tempo_map, length_beats, sections = _loop_plan(duration_s, tempo_map[0].bpm, meter, attrs)
            attrs.tempo_bpm = round(tempo_map[0].bpm / quarter_notes_per_pulse(meter), 2)  # as nudged
        if generator == "ecmg":
            from vmb.generate.ecmg import load_ecmg

            ecmg = load_ecmg(checkpoint)
            broad = next((r.entry.lead_sheet for r in retrieval.broad if r.entry.lead_sheet is not None), None)
            targeted = next((r.entry.lead_sheet for r in retrieval.targeted if r.entry.lead_sheet is not None), None)
            attrs.meter = meter
            lead = ecmg(
                attributes=attrs, text_embedding=query, broad=broad, targeted=targeted,
                length_beats=length_beats, sections=sections, seed=seed,
            ).lead_sheet
            checkpoint_used = ecmg.checkpoint
        else:
            lead = compose_lead_sheet(
                lead_ref, attrs, length_beats=length_beats, meter=meter, sections=sections, seed=seed
            )
        attrs.key, attrs.mode, attrs.meter = lead.key, lead.mode, lead.meter
        if loop_beats is None:
            score = arrange(lead, attrs, tempo_map=tempo_map, seed=seed, duration_s=duration_s)
        else:
            score = _cut_for_loop(arrange(lead, attrs, tempo_map=tempo_map, seed=seed), loop_beats)
            score.duration_s = duration_s + LOOP_TAIL_S

    with timer.stage("render"):
        audio, synth_name = synthesize(score, soundfont=soundfont)
        if loop_beats is None:
            audio, measured = master(audio, 44100)
        else:
            audio, measured = master(_wrap_tail(audio, round(duration_s * 44100)), 44100, fade_in_s=0.0, fade_out_s=0.0)
            score.duration_s = duration_s

    render = RenderResult(
        sample_rate=44100,
        channels=audio.shape[1],
        duration_s=audio.shape[0] / 44100,
        loudness_lufs=measured.get("loudness_lufs"),
        peak_dbfs=measured.get("peak_dbfs"),
        synth=synth_name,
    )
    return GenerationResult(
        description=description,
        attributes=attrs,
        retrieval=retrieval,
        score=score,
        render=render,
        seed=seed,
        generator=generator,
        checkpoint=checkpoint_used,
        reference=reference if generator == "baseline" else None,
        timings_s=timer.timings,
        audio=audio,
    )


def write_outputs(result: GenerationResult, out_path: Path, *, midi: bool = True, sidecar: bool = True, plot: bool = False) -> None:
    """Write the audio, the MIDI and the JSON sidecar beside it, all or nothing."""
    from vmb.render import write_audio, write_json, write_midi

    files = {out_path.suffix.lower().lstrip("."): str(out_path)}
    if midi:
        files["midi"] = str(out_path.with_suffix(".mid"))
    if sidecar:
        files["json"] = str(out_path.with_suffix(".json"))
    if plot:
        files["plot"] = str(out_path.with_suffix(".png"))
    result.render.files = files
    written: list[str] = []
    try:
        write_audio(out_path, result.audio, result.render.sample_rate)
        written.append(str(out_path))
        if midi:
            write_midi(files["midi"], result.score)
            written.append(files["midi"])
        if plot:
            from vmb.render import plot_score

            plot_score(result.score, files["plot"])
            written.append(files["plot"])
        if sidecar:
            write_json(files["json"], result.sidecar())
            written.append(files["json"])
    except BaseException:
        # All or nothing: a failure after the audio was written leaves no orphans.
        for path in written:
            Path(path).unlink(missing_ok=True)
        raise


def _generate_described(
    describe: Callable[[int], MusicDescription],
    *,
    user: Attributes | None,
    duration_s: float | None,
    seed: int,
    progress: Progress | None,
    **compose_options,
) -> GenerationResult:
    """Describe (timed), then compose and render for a request of ``duration_s`` seconds."""
    user = user or Attributes()
    if duration_s is None:
        duration_s = user.duration_s
    if duration_s is not None:
        check_duration(duration_s)  # before any work
    timer = _Timer(progress)
    with timer.stage("describe"):
        description = describe(seed)
    # Precedence: the explicit length, then one the description read ("a 2 minute intro"), then 30 s.
    if duration_s is None:
        duration_s = description.attributes.duration_s or DEFAULT_DURATION_S
    duration_s = check_duration(duration_s)
    return compose_and_render(
        description, user, duration_s=duration_s, seed=seed, progress=progress, timer=timer, **compose_options
    )


def generate_from_text(
    text: str,
    *,
    user: Attributes | None = None,
    duration_s: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    **compose_options,
) -> GenerationResult:
    """Text prompt (+ explicit user attributes) -> music. Nothing is written to disk.

    ``compose_options`` go to :func:`compose_and_render` (soundfont, options, generator, checkpoint).
    """
    from vmb.describe import describe_text

    return _generate_described(
        lambda s: describe_text(text, seed=s), user=user, duration_s=duration_s, seed=seed, progress=progress,
        **compose_options,
    )


def generate_from_image(
    image: str | os.PathLike,
    *,
    user: Attributes | None = None,
    duration_s: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    describer=None,
    **compose_options,
) -> GenerationResult:
    """An image (+ explicit user attributes) -> music. Nothing is written to disk.

    ``describer``: None for the offline analysis, or one from :func:`load_describer`.
    ``compose_options`` go to :func:`compose_and_render` (soundfont, options, generator, checkpoint).
    """
    from vmb.describe import describe_image

    describe = describer.describe_image if describer is not None else describe_image
    return _generate_described(
        lambda s: describe(image, seed=s), user=user, duration_s=duration_s, seed=seed, progress=progress,
        **compose_options,
    )


DESCRIBERS = ("analysis", "vlm")


def load_describer(name: str = "analysis", *, vlm_model: str | os.PathLike | None = None,
                   adapter: str | os.PathLike | None = None):
    """None for the offline ``analysis`` describer; a loaded VlmDescriber for ``vlm``.

    The VLM comes from ``vlm_model`` (a local folder or a locally cached model id), else $VMB_VLM_MODEL.
    """
    if name not in DESCRIBERS:
        raise VmbError(f"describer {name!r} is unknown; use one of {', '.join(DESCRIBERS)}")
    if name == "analysis":
        return None
    model = vlm_model or os.environ.get("VMB_VLM_MODEL")
    if not model:
        raise VmbError("the vlm describer needs a model: pass --vlm-model DIR (or set $VMB_VLM_MODEL)")
    from vmb.describe.vlm import VlmDescriber

    return VlmDescriber.from_pretrained(model, adapter=adapter)


# --------------------------------------------------------------------------- video

VIDEO_DESCRIBE_FPS = 2.0  # frames per second sampled for the visual description
VIDEO_TEMPO_TOLERANCE = 0.04  # an explicit --tempo may bend this much to land cuts on beats
# Without an explicit tempo the beat map may bend each stretch between cuts up to 10% around its
# base tempo (film-score practice). Measured on 60 s of random cuts 0.8-4 s apart at a medium
# tempo: 6% lands 68% of cuts within 50 ms of a beat, 10% lands 83% (benchmarks/video_sync.py).
VIDEO_FREE_TEMPO_BEND = 0.10


def describe_video_file(path: str | os.PathLike, *, seed: int = 0, markers_s=(), progress: Progress | None = None,
                        describer=None):
    """One low-resolution decoding pass -> (MusicDescription, VideoFeatures, VideoTiming).

    The timing analysis hands every sampled frame to ``on_frame``; every
    ``VIDEO_DESCRIBE_FPS``-th second's worth of them feeds the visual describer (the offline
    analysis, or ``describer`` from :func:`load_describer`; the features are the analysis' either way).
    """
    from vmb.describe import analyze_video, describe_video
    from vmb.video import analyze_timing

    times: list[float] = []
    frames: list[np.ndarray] = []

    def keep(t: float, frame: np.ndarray) -> None:
        if not times or t - times[-1] >= 1.0 / VIDEO_DESCRIBE_FPS - 1e-6:
            times.append(t)
            frames.append(frame)

    timing = analyze_timing(path, markers_s=list(markers_s), on_frame=keep)
    if not frames:
        raise VmbError(f"video {str(path)!r}: no frames could be decoded")
    features = analyze_video(frames, times, timing, seed=seed)
    if describer is not None:
        description = describer.describe_video(frames, times, timing, seed=seed)
    else:
        description = describe_video(frames, times, timing, seed=seed, features=features)
    return description, features, timing


def generate_from_video(
    video: str | os.PathLike,
    *,
    user: Attributes | None = None,
    seed: int = 0,
    soundfont: str | None = None,
    markers_s: list[float] | tuple[float, ...] = (),
    keep_audio: bool = False,
    options: RetrievalOptions | None = None,
    generator: str = "baseline",
    checkpoint: str | None = None,
    progress: Progress | None = None,
    describer=None,
) -> GenerationResult:
    """A video -> music of its exact length whose beats land on its cuts. Nothing is written."""
    from vmb.describe import apply_user_attributes
    from vmb.video import plan_tempo_map

    user = user or Attributes()
    timer = _Timer(progress)
    with timer.stage("analyse + describe video"):
        description, _features, timing = describe_video_file(video, seed=seed, markers_s=markers_s, describer=describer)
        if user.set_fields():
            description = apply_user_attributes(description, user, seed=seed)
    duration_s = timing.duration_s
    if not (1.0 <= duration_s <= MAX_DURATION_S):
        raise VmbError(f"video {str(video)!r} is {duration_s:.2f} s long; vmb scores 1 s to {MAX_DURATION_S / 60:g} min")
    attrs = resolve_attributes(description.attributes, duration_s=duration_s)
    meter = attrs.meter or "4/4"
    attrs.meter = meter
    beats_per_bar = int(meter.split("/")[0]) if meter != "6/8" else 3
    if user.tempo_bpm is not None:  # the user named a BPM: only bend it slightly
        bpm_range = (user.tempo_bpm * (1 - VIDEO_TEMPO_TOLERANCE), user.tempo_bpm * (1 + VIDEO_TEMPO_TOLERANCE))
    else:
        low, high, _default = TEMPO_CLASSES[attrs.tempo_class]
        bpm_range = (low, high)
    with timer.stage("beat map"):
        bend = VIDEO_TEMPO_TOLERANCE if user.tempo_bpm is not None else VIDEO_FREE_TEMPO_BEND
        plan = plan_tempo_map(
            timing, bpm_range=bpm_range, preferred_bpm=attrs.tempo_bpm, beats_per_bar=beats_per_bar,
            max_deviation=bend, max_step=bend,
        )
    description = dataclasses.replace(description, attributes=attrs)
    result = compose_and_render(
        description,
        Attributes(),
        duration_s=duration_s,
        seed=seed,
        tempo_map=plan.tempo_map,
        sections=plan.sections,
        length_beats=plan.length_beats,
        soundfont=soundfont,
        options=options,
        generator=generator,
        checkpoint=checkpoint,
        progress=progress,
        timer=timer,
    )
    result.video = {"path": str(video), "timing": timing, "plan": plan, "keep_audio": keep_audio}
    return result


def write_video_outputs(result: GenerationResult, out_path: Path, *, midi: bool = True, plot: bool = False) -> None:
    """The finished MP4 (video stream copied, music as AAC) plus WAV, MIDI and a cue sheet."""
    from vmb.render import write_json
    from vmb.video import mux_audio, plot_timing

    info = result.video
    if out_path.suffix.lower() != ".mp4":
        write_outputs(result, out_path, midi=midi, plot=plot)
        return
    if Path(info["path"]).resolve() == out_path.resolve():
        raise VmbError(f"output {str(out_path)!r} is the input video; vmb never overwrites its input")
    wav_path = out_path.with_suffix(".wav")
    cue_path = out_path.with_suffix(".cues.json")
    written: list[Path] = []
    try:
        write_outputs(result, wav_path, midi=midi, sidecar=False)
        written += [Path(p) for p in result.render.files.values()]
        mux_audio(info["path"], result.audio, result.render.sample_rate, out_path, keep_audio=info["keep_audio"])
        written.append(out_path)
        files = dict(result.render.files) | {"mp4": str(out_path), "cues": str(cue_path)}
        if plot:
            plot_path = out_path.with_suffix(".timing.png")
            plot_timing(info["timing"], info["plan"], plot_path)
            written.append(plot_path)
            files["plot"] = str(plot_path)
        result.render.files = files
        plan = info["plan"]
        cues = result.sidecar() | {
            "video": str(info["path"]),
            "video_timing": info["timing"].to_dict(),
            "beats_s": [round(b, 4) for b in plan.beats_s],
            "downbeats_s": [round(b, 4) for b in plan.downbeats_s],
            "cuts_s": info["timing"].cuts_s,
        }
        write_json(cue_path, cues)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
