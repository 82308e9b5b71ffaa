"""One generation request: every user input in one dataclass, validated once by :meth:`check`.

The CLI, the Python API and the server build a :class:`GenerationRequest` and hand it to
:func:`vmb.pipeline.generate`; no stage re-validates or re-defaults what it says.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path

from vmb import MAX_SEED, VmbError
from vmb.pipeline.composers import COMPOSERS, DEFAULT_GENERATOR
from vmb.types import Attributes
from vmb.vocab import METERS

MIN_DURATION_S = 3.0
MAX_DURATION_S = 20 * 60.0  # the default limit for music and videos
LONG_MAX_DURATION_S = 60 * 60.0  # with allow_long (about 1.4 GB of memory per 10 minutes)
DEFAULT_DURATION_S = 30.0


@dataclass
class RetrievalOptions:
    """How to search the library: which one, what to pin or exclude, which tracks to use."""

    library: str | None = None  # folder; None = $VMB_LIBRARY or the user data dir (built on first use)
    references: tuple[str, ...] = ()  # the user's own reference files, pinned
    exclude: tuple[str, ...] = ()  # entry ids never to use
    use_broad: bool = True  # False/False-ablations of the paper's Table 6
    use_targeted: bool = True
    k: int = 5


# studio: every part rendered on its own (FluidSynth where installed) and mixed per genre
# (vmb.render.mix); plain: the renderer before that, one tinysoundfont pass and a light room
RENDERERS = ("studio", "plain")


@dataclass
class GenerationRequest:
    """What to make music for, how to steer it and how to make it. Exactly one input."""

    text: str | None = None
    image: str | os.PathLike | None = None
    video: str | os.PathLike | None = None
    attributes: Attributes = field(default_factory=Attributes)  # the user's explicit steering
    duration_s: float | None = None  # None: what the description read, else 30 s; a video's own length
    seed: int = 0
    loop: bool = False  # a seamless loop instead of a piece with an ending
    allow_long: bool = False  # lengths up to an hour instead of 20 minutes
    generator: str = DEFAULT_GENERATOR
    checkpoint: str | os.PathLike | None = None  # ECMG weights; None = the shipped ones
    soundfont: str | os.PathLike | None = None
    retrieval: RetrievalOptions = field(default_factory=RetrievalOptions)
    markers_s: tuple[float, ...] = ()  # video: moments the music must hit
    keep_audio: bool = False  # video: keep its sound and duck the music under it
    renderer: str = "studio"  # one of RENDERERS
    stems: bool = False  # also keep one audio track per stem (drums, bass, harmony, pads, lead)

    @property
    def kind(self) -> str:
        return "text" if self.text is not None else "image" if self.image is not None else "video"

    @property
    def max_duration_s(self) -> float:
        return LONG_MAX_DURATION_S if self.allow_long else MAX_DURATION_S

    def check(self) -> "GenerationRequest":
        """Raise one VmbError for the first thing wrong; return ``self`` (with tuples normalised)."""
        inputs = [x for x in (self.text, self.image, self.video) if x is not None]
        if len(inputs) != 1:
            raise VmbError("give exactly one of a text, an image or a video")
        check_seed(self.seed)
        duration = self.duration_s if self.duration_s is not None else self.attributes.duration_s
        if duration is not None:
            if self.video is not None:
                raise VmbError("a duration does not apply to a video: the music takes the video's own length")
            check_duration(duration, allow_long=self.allow_long)
        if self.renderer not in RENDERERS:
            raise VmbError(f"unknown renderer {self.renderer!r}; use one of {', '.join(RENDERERS)}")
        if self.stems and self.renderer != "studio":
            raise VmbError("stems come from the studio renderer; drop --renderer plain or --stems")
        if self.generator not in COMPOSERS:
            raise VmbError(f"unknown generator {self.generator!r}; use one of {', '.join(COMPOSERS)}")
        meter = self.attributes.meter
        if meter is not None and meter not in METERS:
            raise VmbError(f"meter {meter!r} is not supported; use one of {', '.join(METERS)}")
        for what, path in (("checkpoint", self.checkpoint), ("SoundFont", self.soundfont),
                           ("image", self.image), ("video", self.video)):
            if path is not None and not Path(path).is_file():
                raise VmbError(f"{what} {str(path)!r}: no such file")
        for ref in self.retrieval.references:
            if not Path(ref).is_file():
                raise VmbError(f"reference {str(ref)!r}: no such file")
        for t in self.markers_s:
            if not (math.isfinite(t) and t >= 0):
                raise VmbError(f"marker {t!r} s must be a finite, non-negative time")
        self.retrieval = dataclasses.replace(self.retrieval, references=tuple(self.retrieval.references),
                                             exclude=tuple(self.retrieval.exclude))
        self.markers_s = tuple(self.markers_s)
        return self


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_SEED:
        raise VmbError(f"seed {seed!r} is out of range; use a whole number from 0 to {MAX_SEED}")
    return int(seed)


def check_duration(duration_s: float, *, allow_long: bool = False) -> float:
    limit = LONG_MAX_DURATION_S if allow_long else MAX_DURATION_S
    if not math.isfinite(duration_s):
        raise VmbError(f"duration {duration_s} is not a length: give a finite number of seconds")
    if not (MIN_DURATION_S <= duration_s <= limit):
        hint = "" if allow_long or duration_s < MIN_DURATION_S else f" (--allow-long: up to {LONG_MAX_DURATION_S / 60:g} min)"
        raise VmbError(
            f"duration {duration_s:g} s is out of range; use {MIN_DURATION_S:g} s to {limit / 60:g} min{hint}"
        )
    return float(duration_s)
