"""The public Python API: the ``vmb generate`` and ``vmb describe`` commands as functions.

::

    import vmb

    result = vmb.generate_music(text="calm piano for a rainy night", duration=12, genre=["jazz"], seed=3)
    result.description.sentence        # the text bridge
    result.audio                       # (n, 2) float32 at result.sample_rate
    result.write("rain.wav")           # + rain.mid and rain.json beside it

Options take the command line's names (``--genre jazz`` is ``genre=["jazz"]``, ``--no-broad`` is
``no_broad=True``) and go through the CLI's own parsing and checks, so a bad value fails with the
one-line :class:`vmb.VmbError` the CLI prints. The CLI and the web server are shells over the
same request (:func:`generation_request`) and :func:`vmb.pipeline.generate`.

(``vmb.generate`` and ``vmb.describe`` are the stage packages, hence ``generate_music`` and
``describe_music``.)
"""

from __future__ import annotations

import argparse
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from vmb import VmbError
from vmb.pipeline import GenerationRequest, GenerationResult
from vmb.types import MusicDescription, Score
from vmb.vocab import VocabError

# generate options that say where to write or how to print: Result.write takes their place
NOT_API_OPTIONS = frozenset({"output", "json", "plot", "no_midi", "text_file", "func", "command"})


@functools.cache
def _generate_actions() -> dict[str, argparse.Action]:
    """The ``vmb generate`` parser's options by name (``no_broad``), read from the CLI itself."""
    from vmb.cli import generate as generate_command
    from vmb.cli.options import VmbArgumentParser

    sub = VmbArgumentParser(prog="vmb").add_subparsers()
    generate_command.add_parser(sub)
    parser = sub.choices["generate"]
    return {a.dest: a for a in parser._actions if a.dest not in NOT_API_OPTIONS and a.dest != "help"}


def generate_options() -> tuple[str, ...]:
    """The option names :func:`generate_music` takes (the CLI's, with ``_`` for ``-``)."""
    return tuple(_generate_actions())


def _flag(action: argparse.Action) -> str:
    return action.option_strings[-1] if action.option_strings else action.dest


def _one_value(action: argparse.Action, value: Any) -> Any:
    """One value as the CLI would parse it from its text, with the CLI's type and choices."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, tuple, dict)):
        raise VmbError(f"{_flag(action)}: {value!r} is not a single value")
    text = str(value)
    try:
        parsed = action.type(text) if action.type is not None else text
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise VmbError(f"{_flag(action)}: {exc}") from None
    if action.choices is not None and parsed not in action.choices:
        raise VmbError(f"{_flag(action)}: {text!r} is not one of {', '.join(map(str, action.choices))}")
    return parsed


TRUE_TEXTS = {"true": True, "1": True, "on": True, "yes": True, "false": False, "0": False, "off": False,
              "no": False, "": False}


def _option_value(action: argparse.Action, value: Any) -> Any:
    if isinstance(action, argparse._StoreTrueAction):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_TEXTS:
            return TRUE_TEXTS[value.strip().lower()]
        raise VmbError(f"{_flag(action)}: {value!r} is not true or false")
    if isinstance(action, argparse._AppendAction):
        values = [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value
        if not isinstance(values, (list, tuple)):
            raise VmbError(f"{_flag(action)}: {value!r} is not a list")
        return [_one_value(action, v) for v in values] or None
    return None if value is None else _one_value(action, value)


def cli_arguments(**options) -> argparse.Namespace:
    """The ``vmb generate`` arguments ``options`` name: the CLI's defaults, then each option
    parsed and checked by the CLI's own type and choices (one-line VmbError naming the option)."""
    actions = _generate_actions()
    args = argparse.Namespace(**{dest: a.default for dest, a in actions.items()}, text_file=None)
    for name, value in options.items():
        action = actions.get(name.replace("-", "_"))
        if action is None:
            raise VmbError(f"unknown option {name!r}; use one of {', '.join(sorted(actions))}")
        setattr(args, action.dest, _option_value(action, value))
    return args


def generation_request(text: str | None = None, **options) -> GenerationRequest:
    """The checked :class:`GenerationRequest` for ``text`` (or ``image=``, ``video=``) and the options."""
    return _checked_request(cli_arguments(text=text, **options))


def _checked_request(args: argparse.Namespace) -> GenerationRequest:
    from vmb.cli.generate import generation_request as request_from_arguments

    try:
        return request_from_arguments(args)
    except VocabError as exc:
        raise VmbError(str(exc)) from None


@dataclass
class Result:
    """One generation: the text bridge, the music bridge, the score, the audio and its stems.

    Nothing is on disk until :meth:`write`.
    """

    generation: GenerationResult  # everything the pipeline returned (vmb.pipeline.GenerationResult)
    request: GenerationRequest
    files: dict[str, str] = field(default_factory=dict)  # kind -> path, after write()

    @property
    def audio(self) -> np.ndarray:
        """The mastered music, (n, 2) float32 at :attr:`sample_rate`."""
        return self.generation.audio

    @property
    def sample_rate(self) -> int:
        return self.generation.render.sample_rate

    @property
    def duration_s(self) -> float:
        return self.generation.render.duration_s

    @property
    def score(self) -> Score:
        return self.generation.score

    @property
    def description(self) -> MusicDescription:
        """The text bridge: the sentence, the attributes and the reasoning."""
        return self.generation.description

    @property
    def references(self) -> list[dict]:
        """The music bridge: pinned, targeted and broad references with their scores."""
        return self.sidecar()["references"]

    @property
    def stems(self) -> dict[str, np.ndarray]:
        """Stem name -> (n, 2) float32, when asked for with ``stems=True``."""
        return self.generation.stems

    def sidecar(self) -> dict:
        """The JSON that :meth:`write` puts beside the audio."""
        return self.generation.sidecar()

    def write(self, path: str | os.PathLike, *, midi: bool = True, plot: bool = False) -> dict[str, str]:
        """Write the audio (``.wav``/``.flac``; ``.mp4`` for a video: the scored video) and the files
        beside it, all or nothing; never over an input. Returns kind -> path of what was written."""
        from vmb import pipeline
        from vmb.retrieve.store import default_library_path

        video = self.request.video is not None
        out = pipeline.check_output_path(path, ((".mp4",) if video else ()) + pipeline.AUDIO_SUFFIXES)
        outputs = pipeline.output_files(out, video=video, midi=midi, plot=plot, stems=bool(self.stems))
        library = self.request.retrieval.library or default_library_path()
        pipeline.check_no_clobber(outputs, self._inputs(), library=library)
        if video:
            pipeline.write_video_outputs(self.generation, out, midi=midi, plot=plot)
        else:
            pipeline.write_outputs(self.generation, out, midi=midi, plot=plot)
        self.files = dict(self.generation.render.files)
        return self.files

    def plot(self, path: str | os.PathLike) -> Path:
        """The score's piano roll as a PNG."""
        from vmb.pipeline.outputs import check_no_clobber, check_output_path
        from vmb.render import plot_score

        out = check_output_path(path, (".png",))
        check_no_clobber([out], self._inputs())
        return plot_score(self.score, out)

    def _inputs(self) -> list[tuple[str, str]]:
        r = self.request
        named = [("image", r.image), ("video", r.video), ("checkpoint", r.checkpoint), ("SoundFont", r.soundfont)]
        named += [("reference", ref) for ref in r.retrieval.references]
        return [(what, str(path)) for what, path in named if path is not None]


def generate_music(text: str | None = None, *, image: str | os.PathLike | None = None,
                   video: str | os.PathLike | None = None, progress: Callable[[str], None] | None = None,
                   **options) -> Result:
    """Music for a text, an image or a video (exactly one), steered by ``vmb generate``'s options:
    duration, seed, genre, mood, instrument, without, tempo, key, meter, loop, generator, stems,
    renderer, library, reference, describer ... (see :func:`generate_options`).

    ``progress`` is called with each stage's name. Nothing is written: see :meth:`Result.write`.
    """
    from vmb.cli.options import load_describer_from_args

    paths = {k: (None if v is None else str(v)) for k, v in (("image", image), ("video", video))}
    args = cli_arguments(text=text, **paths, **options)
    request = _checked_request(args)
    return generate_request(request, describer=load_describer_from_args(args), progress=progress)


def generate_request(request: GenerationRequest, *, describer=None,
                     progress: Callable[[str], None] | None = None) -> Result:
    """Music for a request built by :func:`generation_request` (what the server queues)."""
    from vmb import pipeline

    return Result(generation=pipeline.generate(request, describer=describer, progress=progress), request=request)


def describe_music(text: str | None = None, *, image: str | os.PathLike | None = None,
                   video: str | os.PathLike | None = None, seed: int = 0, describer: str = "analysis",
                   vlm_model: str | os.PathLike | None = None) -> MusicDescription:
    """Only the text bridge for a text, an image or a video: sentence, attributes and reasoning."""
    import vmb.describe as describe
    from vmb import pipeline
    from vmb.pipeline.request import check_seed

    inputs = [x for x in (text, image, video) if x is not None]
    if len(inputs) != 1:
        raise VmbError("give exactly one of a text, an image or a video")
    check_seed(seed)
    for what, path in (("image", image), ("video", video)):
        if path is not None and not Path(path).is_file():
            raise VmbError(f"{what} {str(path)!r}: no such file")
    if text is not None:
        if describer != "analysis":
            raise VmbError("the vlm describer reads images and videos; describe a text without it")
        return describe.describe_text(text, seed=seed)
    loaded = pipeline.load_describer(describer, vlm_model=vlm_model)
    if image is not None:
        return (loaded or describe).describe_image(image, seed=seed)
    return pipeline.describe_video_file(video, seed=seed, describer=loaded)[0]


class Library:
    """The music library behind the music bridge (the default one: ``$VMB_LIBRARY`` or your data
    folder, built from the bundled corpus on first use)."""

    def __init__(self, path: str | os.PathLike | None = None):
        from vmb.retrieve.store import open_default_library

        self.store = open_default_library(path)  # vmb.retrieve.store.Library
        self.path = self.store.path

    def __len__(self) -> int:
        return self.store.count()

    def search(self, text: str, *, k: int = 5, genre: Iterable[str] = (), mood: Iterable[str] = (),
               instrument: Iterable[str] = (), tempo: str | float | None = None, key: str | None = None,
               meter: str | None = None) -> dict[str, list[dict]]:
        """The dual-track search ``vmb generate`` runs: ``{"targeted": [...], "broad": [...]}``,
        each reference with its id, title, score and the attributes it matched."""
        from vmb.cli.options import user_attributes
        from vmb.embed import encode_texts
        from vmb.retrieve.search import dual_track

        if not isinstance(text, str) or not text.strip():
            raise VmbError("empty search text")
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
            raise VmbError(f"k {k!r} must be a whole number from 1 to 100")
        as_list = lambda v: [v] if isinstance(v, str) else list(v)  # noqa: E731
        args = argparse.Namespace(genre=as_list(genre), mood=as_list(mood), instrument=as_list(instrument),
                                  without=[], tempo=None if tempo is None else str(tempo), key=key, meter=meter)
        try:
            attrs = user_attributes(args)
        except VocabError as exc:
            raise VmbError(str(exc)) from None
        retrieval = dual_track(self.store, encode_texts([text])[0], attrs, k=k, transpose_key=True)
        return {track: [{"id": r.entry.id, "title": r.entry.title, "source": r.entry.source,
                         "score": round(float(r.score), 4), "matched": r.matched,
                         "key": f"{r.entry.key} {r.entry.mode}", "meter": r.entry.meter,
                         "tempo_class": r.entry.tempo_class, "description": r.entry.description}
                        for r in refs]
                for track, refs in (("targeted", retrieval.targeted), ("broad", retrieval.broad))}

    def stats(self) -> dict:
        return self.store.stats()


def vocabulary() -> dict:
    """What the steering options accept: the ``vmb vocab`` table plus the generators, renderers,
    tonics and the length and seed limits."""
    from vmb import MAX_SEED
    from vmb.pipeline import COMPOSERS, DEFAULT_DURATION_S, DEFAULT_GENERATOR, MAX_DURATION_S, MIN_DURATION_S
    from vmb.pipeline.request import RENDERERS
    from vmb.vocab import GENRES, INSTRUMENTS, METERS, MOODS, TEMPO_CLASSES

    return {
        "genres": sorted(GENRES),
        "moods": sorted(MOODS),
        "instruments": {name: spec.program for name, spec in sorted(INSTRUMENTS.items())},
        "tempo_classes": {k: [v[0], v[1]] for k, v in TEMPO_CLASSES.items()},
        "meters": list(METERS),
        "tonics": ["C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B"],
        "modes": ["major", "minor"],
        "generators": {name: c.description for name, c in COMPOSERS.items()},
        "default_generator": DEFAULT_GENERATOR,
        "renderers": list(RENDERERS),
        "duration_s": {"min": MIN_DURATION_S, "max": MAX_DURATION_S, "default": DEFAULT_DURATION_S},
        "max_seed": MAX_SEED,
    }
