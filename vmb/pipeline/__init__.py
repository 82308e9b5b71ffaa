"""The VMB chain: input -> text bridge -> music bridge -> music -> files.

One function per task (``generate_from_text``, ``generate_from_image``, ``generate_from_video``);
each returns a :class:`GenerationResult`. This package (with the CLI) is the only code that
combines stages; the stages themselves know nothing of each other.

- ``core``: the result, input checks, attribute resolution, the dual-track retrieval, loops;
- ``chain``: describe -> retrieve -> compose -> arrange -> render for one request, and writing;
- ``video``: one decoding pass, the beat map on the cuts, the muxed MP4 and cue sheet.
"""

from vmb.pipeline.chain import (
    DESCRIBERS,
    compose_and_render,
    generate_from_image,
    generate_from_text,
    load_describer,
    write_outputs,
)
from vmb.pipeline.core import (
    AUDIO_SUFFIXES,
    DEFAULT_DURATION_S,
    DEFAULT_GENERATOR,
    GENERATORS,
    LONG_MAX_DURATION_S,
    MAX_DURATION_S,
    MIN_DURATION_S,
    GenerationResult,
    RetrievalOptions,
    check_duration,
    check_output_path,
    pick_reference,
    resolve_attributes,
    retrieve_references,
)
from vmb.pipeline.outputs import check_no_clobber, output_files
from vmb.pipeline.video import describe_video_file, generate_from_video, write_video_outputs
from vmb.theory import quarter_notes_per_pulse

__all__ = [
    "AUDIO_SUFFIXES", "DEFAULT_DURATION_S", "DEFAULT_GENERATOR", "DESCRIBERS", "GENERATORS", "LONG_MAX_DURATION_S", "MAX_DURATION_S", "MIN_DURATION_S",
    "GenerationResult", "RetrievalOptions", "check_duration", "check_no_clobber", "check_output_path", "output_files", "compose_and_render",
    "describe_video_file", "generate_from_image", "generate_from_text", "generate_from_video",
    "load_describer", "pick_reference", "quarter_notes_per_pulse", "resolve_attributes",
    "retrieve_references", "write_outputs", "write_video_outputs",
]
