"""The VMB chain: input -> text bridge -> music bridge -> plan -> music -> files.

``generate(GenerationRequest(...))`` is the one entry point (``generate_from_text``,
``generate_from_image`` and ``generate_from_video`` build the request from keyword options);
it returns a :class:`GenerationResult`. This package (with the CLI) is the only code that
combines stages; the stages themselves know nothing of each other.

- ``request``: every user input, validated once (:class:`GenerationRequest`);
- ``plan``: meter, tempo map, length, form and loop, resolved once (:func:`plan_music`);
- ``composers``: the generator registry (baseline, ecmg);
- ``core``: the result, attribute resolution, the dual-track retrieval;
- ``chain``: retrieve -> plan -> compose -> arrange -> render for one request, and writing;
- ``video``: one decoding pass, the beat map on the cuts, the muxed MP4 and cue sheet;
- ``loop``: seamless loops; ``outputs``: which files a request writes, and that none is an input;
- ``api``: :func:`generate` and the ``generate_from_*`` helpers.
"""

from vmb.pipeline.api import generate, generate_from_image, generate_from_text, generate_from_video
from vmb.pipeline.chain import DESCRIBERS, StageTimer, compose_and_render, load_describer, write_outputs
from vmb.pipeline.composers import COMPOSERS, DEFAULT_GENERATOR, Composer, get_composer
from vmb.pipeline.core import GENERATORS, GenerationResult, pick_reference, resolve_attributes, retrieve_references
from vmb.pipeline.outputs import AUDIO_SUFFIXES, check_no_clobber, check_output_path, output_files
from vmb.pipeline.plan import VideoBeats, plan_music
from vmb.pipeline.request import (
    DEFAULT_DURATION_S,
    LONG_MAX_DURATION_S,
    MAX_DURATION_S,
    MIN_DURATION_S,
    GenerationRequest,
    RetrievalOptions,
    check_duration,
    check_seed,
)
from vmb.pipeline.video import describe_video_file, score_video, write_video_outputs
from vmb.theory import quarter_notes_per_pulse

__all__ = [
    "AUDIO_SUFFIXES", "COMPOSERS", "DEFAULT_DURATION_S", "DEFAULT_GENERATOR", "DESCRIBERS", "GENERATORS",
    "LONG_MAX_DURATION_S", "MAX_DURATION_S", "MIN_DURATION_S", "VideoBeats", "Composer", "GenerationRequest",
    "GenerationResult", "RetrievalOptions", "StageTimer", "check_duration", "check_no_clobber", "check_output_path",
    "check_seed", "compose_and_render", "describe_video_file", "generate", "generate_from_image",
    "generate_from_text", "generate_from_video", "get_composer", "load_describer", "output_files",
    "pick_reference", "plan_music", "quarter_notes_per_pulse", "resolve_attributes", "retrieve_references",
    "score_video", "write_outputs", "write_video_outputs",
]
