"""The Python API: one request in, one result out.

``generate(GenerationRequest(...))`` is the entry point the CLI and the server call; the
``generate_from_text|image|video`` helpers build the request from keyword options.
"""

from __future__ import annotations

import os

from vmb.pipeline.chain import StageTimer, compose_and_render
from vmb.pipeline.composers import DEFAULT_GENERATOR
from vmb.pipeline.core import GenerationResult, Progress
from vmb.pipeline.request import DEFAULT_DURATION_S, GenerationRequest, RetrievalOptions, check_duration
from vmb.pipeline.video import score_video
from vmb.types import Attributes


def generate(request: GenerationRequest, *, describer=None, progress: Progress | None = None) -> GenerationResult:
    """The one entry point: a checked request -> music (nothing is written to disk).

    Text, image and video differ only in how they are described (and a video brings its beat
    map). ``describer``: None for the offline analysis, or one from :func:`load_describer`.
    """
    request.check()
    if request.kind == "video":
        return score_video(request, describer=describer, progress=progress)
    import vmb.describe

    timer = StageTimer(progress)
    with timer.stage("describe"):
        if request.kind == "text":
            description = vmb.describe.describe_text(request.text, seed=request.seed)
        else:  # only an image request loads the visual analysis (OpenCV)
            describe = describer.describe_image if describer is not None else vmb.describe.describe_image
            description = describe(request.image, seed=request.seed)
    # Precedence: the explicit length, then one the description read ("a 2 minute intro"), then 30 s.
    duration = request.duration_s or request.attributes.duration_s or description.attributes.duration_s
    duration_s = check_duration(duration or DEFAULT_DURATION_S, allow_long=request.allow_long)
    return compose_and_render(description, request, duration_s=duration_s, progress=progress, timer=timer)


def request_from_options(*, user: Attributes | None = None, duration_s: float | None = None, seed: int = 0,
                         soundfont=None, options: RetrievalOptions | None = None, generator: str = DEFAULT_GENERATOR,
                         checkpoint=None, loop: bool = False, allow_long: bool = False, **inputs) -> GenerationRequest:
    """A :class:`GenerationRequest` from the keyword options of the ``generate_from_*`` helpers."""
    return GenerationRequest(
        attributes=user or Attributes(), duration_s=duration_s, seed=seed, soundfont=soundfont,
        retrieval=options or RetrievalOptions(), generator=generator, checkpoint=checkpoint, loop=loop,
        allow_long=allow_long, **inputs,
    )


def generate_from_text(text: str, *, progress: Progress | None = None, **options) -> GenerationResult:
    """Text prompt (+ explicit user attributes) -> music. Nothing is written to disk.

    ``options``: user, duration_s, seed, soundfont, options (RetrievalOptions), generator,
    checkpoint, loop, allow_long (see :class:`GenerationRequest`).
    """
    return generate(request_from_options(text=text, **options), progress=progress)


def generate_from_image(image: str | os.PathLike, *, progress: Progress | None = None, describer=None,
                        **options) -> GenerationResult:
    """An image (+ explicit user attributes) -> music. Nothing is written to disk.

    ``describer``: None for the offline analysis, or one from :func:`load_describer`;
    ``options`` as for :func:`generate_from_text`.
    """
    return generate(request_from_options(image=image, **options), describer=describer, progress=progress)


def generate_from_video(video: str | os.PathLike, *, progress: Progress | None = None, describer=None,
                        markers_s=(), keep_audio: bool = False, **options) -> GenerationResult:
    """A video -> music of its exact length whose beats land on its cuts. Nothing is written.

    ``options`` as for :func:`vmb.pipeline.generate_from_text` (user, seed, soundfont, options,
    generator, checkpoint, loop, allow_long); see :func:`score_video`.
    """
    request = request_from_options(video=video, markers_s=tuple(markers_s), keep_audio=keep_audio, **options)
    return generate(request, describer=describer, progress=progress)
