"""Video in, scored video out: one decoding pass, a beat map on the cuts, the MP4 muxed."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from vmb import VmbError, theory, vocab
from vmb.pipeline.chain import StageTimer, compose_and_render, write_outputs
from vmb.pipeline.core import GenerationResult, Progress, VideoScoring, resolve_attributes
from vmb.pipeline.outputs import check_no_clobber, output_files
from vmb.pipeline.plan import VideoBeats
from vmb.pipeline.request import LONG_MAX_DURATION_S, GenerationRequest
from vmb.theory import quarter_notes_per_pulse
from vmb.types import Attributes, Score

VIDEO_DESCRIBE_FPS = 2.0  # frames per second sampled for the visual description
VIDEO_TEMPO_TOLERANCE = 0.04  # an explicit --tempo may bend this much to land cuts on beats
# Without an explicit tempo the beat map may bend each stretch between cuts up to 10% around its
# base tempo (film-score practice). Measured on six 60 s timelines of random cuts 0.8-4 s apart
# at a medium tempo (the planner alone): 6% lands 64% of cuts within 50 ms of a beat, 10% 80%.
# A cut that needs more is listed in the plan's sync.missed_s and the description's reasoning.
VIDEO_FREE_TEMPO_BEND = 0.10


def describe_video_file(path: str | os.PathLike, *, seed: int = 0, markers_s=(), progress: Progress | None = None,
                        describer=None, max_duration_s: float = LONG_MAX_DURATION_S):
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

    timing = analyze_timing(path, markers_s=list(markers_s), on_frame=keep, max_duration_s=max_duration_s)
    if not frames:
        raise VmbError(f"video {str(path)!r}: no frames could be decoded")
    features = analyze_video(frames, times, timing, seed=seed)
    if describer is not None:
        description = describer.describe_video(frames, times, timing, seed=seed)
    else:
        description = describe_video(frames, times, timing, seed=seed, features=features)
    return description, features, timing


def score_video(request: GenerationRequest, *, describer=None, progress: Progress | None = None) -> GenerationResult:
    """A checked video request -> music of its exact length whose beats land on its cuts. Nothing is written.

    ``loop``: the video's end falls on a bar line and the music leads back into its start, so
    a video played on repeat (a banner, a game menu, a social loop) has seamless music.
    ``allow_long``: videos up to an hour instead of 20 minutes.

    Tempo: a BPM counts the meter's pulse, as on the text path (``quarter_notes_per_pulse``: 92
    BPM in 6/8 is 92 dotted quarters, 138 quarter notes a minute). The beat map bends the tempo
    around its base to meet the cuts, so the result's ``attributes.tempo_bpm`` (printed, and in
    the sidecar) is the tempo the music has: its mean, 60 * pulses / the video's duration in
    seconds (``plan.sync.mean_bpm``; the tempo itself when the map is steady).
    """
    from vmb.describe import apply_user_attributes
    from vmb.video import plan_tempo_map, probe_video
    from vmb.video.sections import content_reason, content_sections

    video, user, seed, loop = request.video, request.attributes, request.seed, request.loop
    timer = StageTimer(progress)
    limit = request.max_duration_s
    # Refuse an over-long video from its header, before minutes of analysis.
    length = probe_video(video, max_duration_s=float("inf")).duration_s
    if length > limit:
        hint = "" if request.allow_long else f"; --allow-long lifts the limit to {LONG_MAX_DURATION_S / 60:g} min"
        raise VmbError(f"video {str(video)!r} is {length / 60:.1f} min long; vmb scores videos up to "
                       f"{limit / 60:g} min{hint}")
    with timer.stage("analyse + describe video"):
        description, features, timing = describe_video_file(video, seed=seed, markers_s=request.markers_s,
                                                             describer=describer, max_duration_s=limit)
        if user.set_fields():
            description = apply_user_attributes(description, user, seed=seed)
    duration_s = timing.duration_s
    if not (1.0 <= duration_s <= limit):
        raise VmbError(f"video {str(video)!r} is {duration_s:.2f} s long; vmb scores 1 s to {limit / 60:g} min")
    attrs = resolve_attributes(description.attributes, duration_s=duration_s)
    meter = attrs.meter or theory.meter_for(attrs.genres, None)
    attrs.meter = meter
    pulse = quarter_notes_per_pulse(meter)  # quarter notes per counted beat
    beats_per_bar = theory.meter(meter).pulses_per_bar
    if user.tempo_bpm is not None:  # the user named a BPM: only bend it slightly
        bpm_range = (user.tempo_bpm * (1 - VIDEO_TEMPO_TOLERANCE), user.tempo_bpm * (1 + VIDEO_TEMPO_TOLERANCE))
    else:
        low, high, _default = vocab.TEMPO_CLASSES[attrs.tempo_class]
        bpm_range = (low, high)
    with timer.stage("beat map"):
        bend = VIDEO_TEMPO_TOLERANCE if user.tempo_bpm is not None else VIDEO_FREE_TEMPO_BEND
        try:
            plan = plan_tempo_map(
                timing, bpm_range=bpm_range, preferred_bpm=attrs.tempo_bpm, beats_per_bar=beats_per_bar,
                max_deviation=bend, max_step=bend, end_on_bar=loop, quarters_per_beat=pulse,
            )
        except ValueError as exc:
            raise VmbError(f"--loop: {exc}; the video is too short for a loop of whole bars") from None
    attrs.tempo_bpm = plan.sync.mean_bpm  # what the music has, not what the description guessed
    reasoning = list(description.reasoning) + [_sync_reason(plan, bend)]
    # where the shots show different things (a speech, then the party), the sections follow them
    shots = [s.mood() for s in getattr(features, "shots", None) or []]
    clock = Score(tracks=[], tempo_map=plan.tempo_map)
    by_content = content_sections(timing, clock, plan.length_beats, beats_per_bar * pulse, shots)
    if by_content:
        plan = dataclasses.replace(plan, sections=by_content)
        reasoning.append(content_reason(by_content, clock, shots))
    description = dataclasses.replace(description, attributes=attrs, reasoning=reasoning)
    # every cut and marker the map put on a beat is struck there, so it is heard, not only planned
    events = [t for t in list(timing.cuts_s) + list(request.markers_s) if t not in plan.sync.missed_s]
    hits = hit_beats(plan, events)
    beats = VideoBeats(tempo_map=plan.tempo_map, length_beats=plan.length_beats, sections=plan.sections,
                       pulse_bpm=plan.sync.mean_bpm, hits=hits)
    # the user's attributes are in the description already: compose with none on top
    result = compose_and_render(description, dataclasses.replace(request, attributes=Attributes()),
                                duration_s=duration_s, beats=beats, progress=progress, timer=timer)
    result.video = VideoScoring(path=str(video), timing=timing, beat_plan=plan, keep_audio=request.keep_audio,
                                loop=loop)
    return result


def hit_beats(plan, times_s) -> tuple[float, ...]:
    """The counted beats (in quarter notes) nearest ``times_s``: where the music strikes each cut.

    A beat of the map lasts ``plan.quarters_per_beat`` quarter notes (1.5 in 6/8), so a cut on
    the second pulse of a 6/8 bar is struck at 1.5, not rounded to the quarter note 2."""
    pulse = plan.quarters_per_beat
    return tuple(sorted({round(plan.seconds_to_beat(t) / pulse) * pulse for t in times_s}))


def _sync_reason(plan, bend: float) -> str:
    """One line of explicit reasoning: the tempo the beat map chose and the cuts it reached."""
    sync = plan.sync
    events = sync.n_cuts + sync.n_markers
    what = "cuts and markers" if sync.n_markers else "cuts"
    line = (f"Beat map: {sync.mean_bpm:g} BPM on average (base {sync.base_bpm:g}, bent up to "
            f"{sync.max_tempo_deviation:.0%}); {events - len(sync.missed_s)} of {events} {what} within 50 ms "
            f"of a beat")
    if sync.missed_s:
        times = ", ".join(f"{t:.2f}" for t in sync.missed_s)
        line += f"; {times} s cannot be reached within a {bend:.0%} tempo bend"
    return line + "."


def write_video_outputs(result: GenerationResult, out_path: Path, *, midi: bool = True, plot: bool = False) -> None:
    """The finished MP4 (video stream copied, music as AAC) plus WAV, MIDI and a cue sheet."""
    from vmb.render import write_json
    from vmb.video import mux_audio, plot_timing

    info = result.video
    if out_path.suffix.lower() != ".mp4":
        write_outputs(result, out_path, midi=midi, plot=plot)
        return
    planned = output_files(out_path, video=True, midi=midi, plot=plot, stems=bool(result.stems))
    check_no_clobber(planned, [("video", info.path)])
    wav_path, cue_path = planned["wav"], planned["cues"]
    written: list[Path] = []
    try:
        write_outputs(result, wav_path, midi=midi, sidecar=False)
        written += [Path(p) for p in result.render.files.values()]
        mux_audio(info.path, result.audio, result.render.sample_rate, out_path, keep_audio=info.keep_audio)
        written.append(out_path)
        files = dict(result.render.files) | {"mp4": str(out_path), "cues": str(cue_path)}
        if plot:
            plot_path = planned["plot"]
            plot_timing(info.timing, info.beat_plan, plot_path)
            written.append(plot_path)
            files["plot"] = str(plot_path)
        result.render.files = files
        plan = info.beat_plan
        cues = result.sidecar() | {
            "video": info.path,
            "video_timing": info.timing.to_dict(),
            "beats_s": [round(b, 4) for b in plan.beats_s],
            "downbeats_s": [round(b, 4) for b in plan.downbeats_s],
            "cuts_s": info.timing.cuts_s,
            "sync": plan.sync.to_dict(),  # how the beats meet the cuts; end_on_downbeat for loops
            "loop": info.loop,
        }
        write_json(cue_path, cues)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
