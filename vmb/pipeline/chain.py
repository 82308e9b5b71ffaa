"""The chain for one request: describe -> retrieve -> compose -> arrange -> render -> files."""

from __future__ import annotations

import contextlib
import math
import os
import time
from pathlib import Path

import numpy as np

from vmb import VmbError, theory
from vmb.pipeline.composers import ComposeRequest, get_composer
from vmb.pipeline.core import GenerationResult, Progress, pick_reference, resolve_attributes, retrieve_references
from vmb.pipeline.loop import LOOP_TAIL_S, cut_for_loop, wrap_tail
from vmb.pipeline.outputs import output_files
from vmb.pipeline.plan import VideoBeats, plan_music
from vmb.pipeline.request import GenerationRequest
from vmb.types import Attributes, MusicDescription, RenderResult, Score


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
    request: GenerationRequest,
    *,
    duration_s: float,
    beats: VideoBeats | None = None,
    progress: Progress | None = None,
    timer: StageTimer | None = None,
) -> GenerationResult:
    """Text bridge -> music bridge -> plan -> composition -> arrangement -> mastered audio.

    ``request`` has been checked; its user attributes override the description's. ``beats``: a
    video's beat map, kept instead of a steady tempo. A loop request makes music whose last bar
    leads back into its first, rendered so that the file on repeat has no gap or click.
    """
    from vmb.describe import apply_user_attributes
    from vmb.embed import encode_texts
    from vmb.render import arrange

    composer = get_composer(request.generator)
    timer = timer or StageTimer(progress)
    seed = request.seed
    if request.attributes.set_fields():
        description = apply_user_attributes(description, request.attributes, seed=seed)
    attrs = resolve_attributes(description.attributes, duration_s=duration_s)
    # The SoundFont and the band's presets load on another core while the music is found and
    # written (1-3 s of decoding on a cold start); the render waits for them.
    preload = preload_sounds(attrs, request)
    try:
        with timer.stage("retrieve"):
            query = encode_texts([description.sentence])[0]
            retrieval = retrieve_references(attrs, query, request.retrieval, progress=progress)
            reference = pick_reference(retrieval, seed=seed)

        with timer.stage("compose"):
            meter = attrs.meter or theory.meter_for(attrs.genres, reference.entry.lead_sheet.meter)
            plan = plan_music(attrs, meter=meter, duration_s=duration_s,
                              loop=request.loop, beats=beats)
            attrs.meter, attrs.tempo_bpm = plan.meter, plan.pulse_bpm
            made = composer.compose(ComposeRequest(
                attributes=attrs, plan=plan, retrieval=retrieval, reference=reference, text_embedding=query,
                seed=seed, checkpoint=request.checkpoint,
            ))
            lead = made.lead
            attrs.key, attrs.mode, attrs.meter = lead.key, lead.mode, lead.meter
            if plan.loop_beats is None:
                score = arrange(lead, attrs, tempo_map=plan.tempo_map, seed=seed, duration_s=duration_s,
                                hits=tuple(plan.hits))
            else:
                score = cut_for_loop(arrange(lead, attrs, tempo_map=plan.tempo_map, seed=seed,
                                             hits=tuple(plan.hits)), plan.loop_beats)
                score.duration_s = duration_s + LOOP_TAIL_S

        with timer.stage("render"):
            if preload is not None:
                preload.wait()
            audio, stems, render = render_score(score, request, duration_s=duration_s,
                                                loop=plan.loop_beats is not None)
    finally:
        if preload is not None:  # a failed request stops it after the preset it is decoding
            preload.close()
    if plan.loop_beats is not None:
        score.duration_s = duration_s
    return GenerationResult(
        description=description,
        attributes=attrs,
        retrieval=retrieval,
        score=score,
        render=render,
        seed=seed,
        generator=request.generator,
        plan=plan,
        checkpoint=made.checkpoint,
        reference=made.reference,
        generator_info=made.info,
        timings_s=timer.timings,
        audio=audio,
        stems=stems,
    )


def preload_sounds(attrs: Attributes, request: GenerationRequest):
    """Start loading what the studio render of the band for ``attrs`` will need first (the
    FluidSynth SoundFont and the presets of that band, :func:`vmb.render.soundfont.preload`), in a
    background thread; None when nothing is started (the plain renderer, no FluidSynth). Only a
    head start: the render finds the same sounds, and the same errors, without it."""
    if request.renderer != "studio":
        return None
    from vmb.render import SAMPLE_RATE, planned_tracks, preload

    try:
        tracks = planned_tracks(attrs)
    except Exception:  # noqa: BLE001 - the arrangement reports it
        return None
    return preload(tracks, sample_rate=SAMPLE_RATE, soundfont=request.soundfont)


def render_score(score: Score, request: GenerationRequest, *, duration_s: float,
                 loop: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray], RenderResult]:
    """The arranged score -> (mastered audio, stems, what was rendered).

    Studio: every part rendered on its own and mixed as its style says (vmb.render.mix); plain:
    one pass and a light room. A piece dies away from its closing chord; a loop folds what rings
    past its end onto its start. Stems (when asked) are the mix before the master bus, each times
    the master's gain (less, if that would clip one), so that they sum to it.
    """
    from vmb.knowledge import knowledge
    from vmb.render import SAMPLE_RATE, die_away, master, mix_parts, synthesize, synthesize_parts
    from vmb.render.fluid import render_threads
    from vmb.render.mix import stem_groups

    style = score.style if request.renderer == "studio" else None
    if request.renderer == "plain":
        try:  # the renderer before the studio: tinysoundfont where installed
            audio, synth = synthesize(score, sample_rate=SAMPLE_RATE, soundfont=request.soundfont,
                                      backend="tinysoundfont")
        except VmbError:
            audio, synth = synthesize(score, sample_rate=SAMPLE_RATE, soundfont=request.soundfont, backend="numpy")
        stems: dict[str, np.ndarray] = {}
    else:
        # A long piece is rendered a stem at a time as the mixer reads it: every part of a
        # 10-minute piece at once would be 8 x 212 MB.
        groups = [idx for _name, idx in stem_groups(score)] if duration_s > GROUPED_RENDER_S else None
        parts, synth = synthesize_parts(score, sample_rate=SAMPLE_RATE, soundfont=request.soundfont, groups=groups)
        settings = knowledge().styles[style].mix if style else None
        # A long piece's stems are built in its parts and summed as they are made (consume).
        mixed = mix_parts(score, parts, settings, SAMPLE_RATE, seed=request.seed, stems=request.stems,
                          threads=1 if groups else render_threads(),  # all parts held: the render's threads
                          consume=groups is not None)
        del parts
        audio, stems = mixed.audio, {stem.name: stem.audio for stem in mixed.stems}
    if loop:
        n = round(duration_s * SAMPLE_RATE)
        audio, stems = wrap_tail(audio, n), {k: wrap_tail(v, n) for k, v in stems.items()}
        audio, measured = master(audio, SAMPLE_RATE, fade_in_s=0.0, fade_out_s=0.0)
    else:
        if score.ending_beat is not None:
            start_s = score.beat_to_seconds(score.ending_beat)
            audio = die_away(audio, SAMPLE_RATE, start_s=start_s, copy=False)
            stems = {k: die_away(v, SAMPLE_RATE, start_s=start_s, copy=False) for k, v in stems.items()}
        audio, measured = master(audio, SAMPLE_RATE)
    stem_gain_db = None
    if stems:
        stem_gain_db = float(measured.get("gain_db") or 0.0)
        peak = max(float(np.max(np.abs(v))) for v in stems.values()) * 10.0 ** (stem_gain_db / 20.0)
        if peak > STEM_PEAK:
            stem_gain_db -= 20.0 * math.log10(peak / STEM_PEAK)
        gain = np.float32(10.0 ** (stem_gain_db / 20.0))
        stems = {k: v * gain for k, v in stems.items()}
    render = RenderResult(
        sample_rate=SAMPLE_RATE, channels=audio.shape[1], duration_s=audio.shape[0] / SAMPLE_RATE,
        loudness_lufs=measured.get("loudness_lufs"), peak_dbfs=measured.get("peak_dbfs"), synth=synth,
        renderer=request.renderer, mix=style, stems=list(stems), stem_gain_db=stem_gain_db,
    )
    return audio, stems, render


STEM_PEAK = 0.98  # stems are scaled down together, never clipped
GROUPED_RENDER_S = 120.0  # longer pieces render their parts a stem at a time


def write_outputs(result: GenerationResult, out_path: Path, *, midi: bool = True, sidecar: bool = True,
                  plot: bool = False) -> None:
    """Write the audio (and its stems, when kept), the MIDI and the JSON sidecar beside it, all or nothing."""
    from vmb.render import write_audio, write_json, write_midi

    planned = output_files(out_path, midi=midi, sidecar=sidecar, plot=plot, stems=bool(result.stems))
    files = {kind: str(path) for kind, path in planned.items()
             if not kind.startswith("stem:") or kind.removeprefix("stem:") in result.stems}
    result.render.files = files
    written: list[str] = []
    try:
        write_audio(out_path, result.audio, result.render.sample_rate)
        written.append(str(out_path))
        for name, stem in result.stems.items():
            write_audio(files[f"stem:{name}"], stem, result.render.sample_rate)
            written.append(files[f"stem:{name}"])
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
