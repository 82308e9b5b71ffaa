"""The chain for one request: describe -> retrieve -> compose -> arrange -> render -> files."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Callable

from vmb import VmbError
from vmb.pipeline.composers import ComposeRequest, get_composer
from vmb.pipeline.core import (
    DEFAULT_DURATION_S,
    DEFAULT_GENERATOR,
    GenerationResult,
    Progress,
    RetrievalOptions,
    check_duration,
    check_seed,
    pick_reference,
    resolve_attributes,
    retrieve_references,
)
from vmb.pipeline.loop import LOOP_TAIL_S, cut_for_loop, loop_from_plan, loop_plan, wrap_tail
from vmb.pipeline.outputs import output_files
from vmb.theory import quarter_notes_per_pulse
from vmb.types import Attributes, MusicDescription, RenderResult, TempoChange


class StageTimer:
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
    generator: str = DEFAULT_GENERATOR,
    checkpoint: str | None = None,
    loop: bool = False,
    progress: Progress | None = None,
    timer: StageTimer | None = None,
) -> GenerationResult:
    """Text bridge -> music bridge -> baseline composition -> arrangement -> mastered audio.

    ``loop``: instead of an ending, music whose last bar leads back into its first, rendered so
    that playing the file on repeat has no gap or click (see :func:`vmb.pipeline.loop.loop_plan`).
    """
    from vmb.describe import apply_user_attributes
    from vmb.embed import encode_texts
    from vmb.render import SAMPLE_RATE, arrange, master, synthesize

    composer = get_composer(generator)
    timer = timer or StageTimer(progress)
    if user.set_fields():
        description = apply_user_attributes(description, user, seed=seed)
    attrs = resolve_attributes(description.attributes, duration_s=duration_s)

    with timer.stage("retrieve"):
        query = encode_texts([description.sentence])[0]
        retrieval = retrieve_references(attrs, query, options or RetrievalOptions(), progress=progress)
        reference = pick_reference(retrieval, seed=seed)
        meter = attrs.meter or reference.entry.lead_sheet.meter

    with timer.stage("compose"):
        planned = tempo_map is not None  # a video's beat map: keep its tempo bends
        if tempo_map is None:
            quarter_bpm = float(attrs.tempo_bpm) * quarter_notes_per_pulse(meter)
            tempo_map = [TempoChange(0.0, quarter_bpm)]
            length_beats = duration_s * quarter_bpm / 60.0
        loop_beats = None
        if loop and planned:
            loop_beats, length_beats, sections = loop_from_plan(length_beats, sections, meter)
        elif loop:
            loop_beats, tempo_map, length_beats, sections = loop_plan(duration_s, tempo_map[0].bpm, meter, attrs)
            attrs.tempo_bpm = round(tempo_map[0].bpm / quarter_notes_per_pulse(meter), 2)  # as nudged
        attrs.meter = meter
        made = composer.compose(ComposeRequest(
            attributes=attrs, meter=meter, length_beats=length_beats, sections=sections, retrieval=retrieval,
            reference=reference, text_embedding=query, seed=seed, checkpoint=checkpoint,
        ))
        lead = made.lead
        attrs.key, attrs.mode, attrs.meter = lead.key, lead.mode, lead.meter
        if loop_beats is None:
            score = arrange(lead, attrs, tempo_map=tempo_map, seed=seed, duration_s=duration_s)
        else:
            score = cut_for_loop(arrange(lead, attrs, tempo_map=tempo_map, seed=seed), loop_beats)
            score.duration_s = duration_s + LOOP_TAIL_S

    with timer.stage("render"):
        audio, synth_name = synthesize(score, sample_rate=SAMPLE_RATE, soundfont=soundfont)
        if loop_beats is None:
            audio, measured = master(audio, SAMPLE_RATE)
        else:
            audio, measured = master(wrap_tail(audio, round(duration_s * SAMPLE_RATE)), SAMPLE_RATE,
                                     fade_in_s=0.0, fade_out_s=0.0)
            score.duration_s = duration_s

    render = RenderResult(
        sample_rate=SAMPLE_RATE,
        channels=audio.shape[1],
        duration_s=audio.shape[0] / SAMPLE_RATE,
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
        checkpoint=made.checkpoint,
        reference=made.reference,
        generator_info=made.info,
        timings_s=timer.timings,
        audio=audio,
    )


def write_outputs(result: GenerationResult, out_path: Path, *, midi: bool = True, sidecar: bool = True, plot: bool = False) -> None:
    """Write the audio, the MIDI and the JSON sidecar beside it, all or nothing."""
    from vmb.render import write_audio, write_json, write_midi

    files = {kind: str(path) for kind, path in output_files(out_path, midi=midi, sidecar=sidecar, plot=plot).items()}
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
    allow_long: bool = False,
    **compose_options,
) -> GenerationResult:
    """Describe (timed), then compose and render for a request of ``duration_s`` seconds.

    ``allow_long`` lifts the 20-minute limit to an hour."""
    check_seed(seed)
    user = user or Attributes()
    if duration_s is None:
        duration_s = user.duration_s
    if duration_s is not None:
        check_duration(duration_s, allow_long=allow_long)  # before any work
    timer = StageTimer(progress)
    with timer.stage("describe"):
        description = describe(seed)
    # Precedence: the explicit length, then one the description read ("a 2 minute intro"), then 30 s.
    if duration_s is None:
        duration_s = description.attributes.duration_s or DEFAULT_DURATION_S
    duration_s = check_duration(duration_s, allow_long=allow_long)
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
