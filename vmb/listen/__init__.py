"""vmb.listen: hear audio with musicnn (MTT_musicnn, MSD_musicnn), ported to PyTorch.

A CPU-only port of musicnn 0.1.0 (Pons & Serra, ISC licence): the same log-mel front end
(``frontend``), the same graph (``model``) and the converted weights shipped in
``vmb/data/musicnn/`` (see ``vmb/data/README.md``); no TensorFlow at run time. Nothing here is
imported by ``import vmb`` or by the generation pipeline: the weights load on the first
``load_tagger`` call.

    from vmb.listen import load_tagger
    result = load_tagger("MSD_musicnn").tag(audio, sample_rate)
    result.top(5), result.tags, result.penultimate, result.max_pool
"""

from vmb.listen.frontend import SAMPLE_RATE, log_mel, to_mono_16k
from vmb.listen.model import Musicnn, MusicnnConfig, MusicnnOutput
from vmb.listen.tagger import (
    MODEL_NAMES,
    Tagger,
    TagResult,
    build_tagger,
    load_tagger,
    load_tagger_file,
    save_tagger_file,
    tag_all,
    weights_path,
)

__all__ = [
    "MODEL_NAMES",
    "SAMPLE_RATE",
    "Musicnn",
    "MusicnnConfig",
    "MusicnnOutput",
    "TagResult",
    "Tagger",
    "build_tagger",
    "load_tagger",
    "load_tagger_file",
    "log_mel",
    "save_tagger_file",
    "tag_all",
    "to_mono_16k",
    "weights_path",
]
