"""What the taggers hear, in vmb's vocabulary: genres, moods, instruments and an energy estimate.

The library's auto-tagging (:class:`vmb.retrieve.musicnn.MusicnnTagger`) reads a clip with both
musicnn models and turns the tags into attribute values through the one table,
:mod:`vmb.listen.tagmap`. Definitions (N = reference clips, P = patches of a clip):

- *Patches*: :func:`hear` tags at most ``max_patches`` 3 s patches of a clip (10 = 30 s of
  audio, about 1 s of one core for both models), spread evenly over it (all of them when the
  clip has no more), so a long file is heard from its intro to its end at a fixed cost.
- *Clip probability* of a tag: the mean of its per-patch probabilities (musicnn's own pooling,
  :attr:`vmb.listen.TagResult.tags`).
- *Reference*: the mean and standard deviation (ddof 0) of every tag's clip probability over a fixed
  set of instrumental music, shipped as ``vmb/data/musicnn/reference.json`` and written by
  ``scripts/musicnn_reference.py`` (which says what the set is). A file's tags are judged
  against it, never against the other files of the library, so a file gets the same tags
  whatever else was ingested.
- *z-score* of a tag: ``(clip probability - reference mean) / max(reference std, STD_FLOOR)``.
  Raw probabilities mislead here: MSD's mood tags are near zero on all instrumental music
  (issue #12), so "happy 0.06" may be happier than any clip of the reference; its z-score says
  so. The floor (2 points of probability) is the smallest difference taken to mean anything: a
  tag the reference never hears (metal at 0.001) does not turn 0.007 into a large z, which
  z-scores of logits did (a synthetic string tone came out "angry", from MSD metal and punk).
- *Score* of a value: the mean z of its tags. Values with no tag are never chosen; values with
  the same tags are one candidate, named by the first value of the table that is not a proxy.
- *Chosen values*: of the ``TOP`` best-scoring candidates, those scoring above ``Z_MIN`` (half a
  reference std above the reference's average); when none does, the single best one, so every
  clip gets a genre, a mood and an instrument (a guess, which its score in
  :attr:`HeardAttributes.scores` shows).
- *Energy*: ``sigmoid(mean z of ENERGY_TAGS["high"] - mean z of ENERGY_TAGS["low"])`` in (0, 1);
  0.5 is the reference's typical balance of fast, loud, beat tags against slow, quiet, soft ones.

Units: probabilities 0..1, z in reference standard deviations (floored), energy 0..1.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from vmb import VmbError
from vmb.listen import frontend
from vmb.listen.tagger import MODEL_NAMES, WEIGHTS_DIR, Tagger, TagResult, load_tagger, side_by_side
from vmb.listen.tagmap import ATTRIBUTES, ENERGY_TAGS, MODEL_PREFIX, PROXIES, TAG_MAP

__all__ = ["HeardAttributes", "MAX_PATCHES", "Reference", "STD_FLOOR", "TOP", "energy", "hear", "load_reference",
           "read_attributes", "reference_path", "value_scores", "Z_MIN", "zscores"]

MAX_PATCHES = 10  # 30 s of audio
STD_FLOOR = 0.02  # probability: below it a tag's spread over the reference is taken as this
TOP = {"genre": 2, "mood": 3, "instrument": 3}
Z_MIN = 0.5
REFERENCE_FORMAT = "vmb-musicnn-reference"
REFERENCE_VERSION = 1


@dataclass(frozen=True)
class Reference:
    """Per model, per tag: mean and std of the clip probability over ``clips`` reference clips."""

    name: str
    clips: int
    mean: Mapping[str, Mapping[str, float]]  # model -> tag -> probability
    std: Mapping[str, Mapping[str, float]]

    def to_dict(self) -> dict:
        return {"format": REFERENCE_FORMAT, "version": REFERENCE_VERSION, "name": self.name, "clips": self.clips,
                "mean": {m: dict(v) for m, v in self.mean.items()}, "std": {m: dict(v) for m, v in self.std.items()}}

    @classmethod
    def from_clip_tags(cls, name: str, tags: Mapping[str, np.ndarray],
                       tag_names: Mapping[str, tuple[str, ...]]) -> "Reference":
        """From each model's (N, K) clip probabilities over the N reference clips."""
        mean, std, n = {}, {}, None
        for model, x in tags.items():
            x = np.asarray(x, np.float64)
            n = x.shape[0] if n is None else n
            if x.ndim != 2 or x.shape != (n, len(tag_names[model])) or n < 2:
                raise ValueError(f"{model}: expected ({n}, {len(tag_names[model])}) clip probabilities, got {x.shape}")
            mean[model] = {t: round(float(v), 6) for t, v in zip(tag_names[model], x.mean(axis=0))}
            std[model] = {t: round(float(v), 6) for t, v in zip(tag_names[model], x.std(axis=0))}
        return cls(name, int(n or 0), mean, std)


def reference_path() -> Path:
    return WEIGHTS_DIR / "reference.json"


@functools.cache
def load_reference(path: str | Path | None = None) -> Reference:
    """The shipped reference distribution (or the one at ``path``); VmbError naming a bad file."""
    fname = Path(path) if path is not None else reference_path()
    try:
        data = json.loads(fname.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VmbError(f"musicnn reference {fname} cannot be read: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != REFERENCE_FORMAT:
        raise VmbError(f"musicnn reference {fname} is not a {REFERENCE_FORMAT} file")
    if data.get("version") != REFERENCE_VERSION:
        raise VmbError(f"musicnn reference {fname} has version {data.get('version')!r}; "
                       f"this vmb reads version {REFERENCE_VERSION}")
    try:
        return Reference(str(data["name"]), int(data["clips"]), data["mean"], data["std"])
    except (KeyError, TypeError, ValueError) as exc:
        raise VmbError(f"musicnn reference {fname} is missing {exc}") from None


def spread(n: int, k: int) -> np.ndarray:
    """``min(n, k)`` indices of ``range(n)`` spread evenly, first and last included."""
    if n <= k:
        return np.arange(n)
    return np.round(np.linspace(0, n - 1, k)).astype(np.int64)


def hear(audio: np.ndarray, sample_rate: int, *, taggers: tuple[Tagger, ...] | None = None,
         max_patches: int = MAX_PATCHES) -> dict[str, TagResult]:
    """Both shipped models (or ``taggers``) on one clip: ``{model name: TagResult}``, the front
    end computed once, at most ``max_patches`` patches spread over the clip (see above)."""
    taggers = taggers or tuple(load_tagger(name) for name in MODEL_NAMES)
    spec = frontend.log_mel(frontend.to_mono_16k(audio, sample_rate))
    x, starts, padded = frontend.patches(spec)
    keep = spread(len(x), max_patches)
    x, starts = x[keep], starts[keep]
    runs = side_by_side([functools.partial(t.run_patches, x) for t in taggers])
    return {t.name: TagResult(model=t.name, tag_names=t.tag_names, patch_tags=r["tags"], logits=r["logits"],
                              penultimate=r["penultimate"], max_pool=r["max_pool"],
                              patch_starts=starts * frontend.HOP / frontend.SAMPLE_RATE, padded=padded)
            for t, r in zip(taggers, runs)}


def zscores(results: Mapping[str, TagResult], reference: Reference) -> dict[str, float]:
    """``{"MTT:tag": z}`` for every tag of every model in ``results`` that the reference knows."""
    z = {}
    prefix = {model: p for p, model in MODEL_PREFIX.items()}
    for model, res in results.items():
        if model not in reference.mean:
            continue
        clip = np.asarray(res.patch_tags, np.float64).mean(axis=0)
        mean, std = reference.mean[model], reference.std[model]
        for name, value in zip(res.tag_names, clip):
            if name in mean:
                z[f"{prefix.get(model, model)}:{name}"] = (value - mean[name]) / max(std[name], STD_FLOOR)
    return z


def value_scores(z: Mapping[str, float], attribute: str) -> dict[str, float]:
    """Every candidate value of ``attribute`` -> its score (mean z of its tags), best first.

    Values whose tags are all missing from ``z`` are left out; of values with the same tags,
    only the first that is not a proxy (else the first) is kept."""
    table, proxies = TAG_MAP[attribute], PROXIES[attribute]
    named: dict[tuple[str, ...], str] = {}
    for value, tags in table.items():
        tags = tuple(sorted(t for t in tags if t in z))
        if tags and (tags not in named or (named[tags] in proxies and value not in proxies)):
            named[tags] = value
    scores = {value: float(np.mean([z[t] for t in tags])) for tags, value in named.items()}
    return dict(sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])))


def energy(z: Mapping[str, float]) -> float | None:
    """The energy estimate in (0, 1) (see the module docstring); None without the tags."""
    high = [z[t] for t in ENERGY_TAGS["high"] if t in z]
    low = [z[t] for t in ENERGY_TAGS["low"] if t in z]
    if not high or not low:
        return None
    return float(1.0 / (1.0 + np.exp(-(np.mean(high) - np.mean(low)))))


@dataclass
class HeardAttributes:
    """What the taggers heard: chosen values per attribute, their scores, energy, top raw tags."""

    genres: list[str]
    moods: list[str]
    instruments: list[str]
    energy: float | None
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # attribute -> {value: score}, best first
    top_tags: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # model -> [(tag, prob)]
    reference: str = ""

    def to_dict(self, *, keep: int = 6) -> dict:
        """JSON-ready, rounded; ``keep`` best scores per attribute."""
        return {
            "genres": self.genres, "moods": self.moods, "instruments": self.instruments,
            "energy": None if self.energy is None else round(self.energy, 3),
            "scores": {a: {v: round(s, 2) for v, s in list(table.items())[:keep]} for a, table in self.scores.items()},
            "top_tags": {m: [[t, round(p, 3)] for t, p in tags] for m, tags in self.top_tags.items()},
            "reference": self.reference,
        }


def read_attributes(results: Mapping[str, TagResult], reference: Reference | None = None, *,
                    top: Mapping[str, int] | None = None) -> HeardAttributes:
    """Tag results (from :func:`hear`) -> :class:`HeardAttributes` (see the module docstring)."""
    reference = reference or load_reference()
    top = {**TOP, **(top or {})}
    z = zscores(results, reference)
    chosen, scores = {}, {}
    for attribute in ATTRIBUTES:
        table = value_scores(z, attribute)
        ranked = list(table)
        above = [v for v in ranked[: top[attribute]] if table[v] > Z_MIN]
        chosen[attribute] = above or ranked[:1]
        scores[attribute] = table
    tops = {model: res.top(5) for model, res in results.items()}
    return HeardAttributes(chosen["genre"], chosen["mood"], chosen["instrument"], energy(z), scores, tops,
                           reference.name)

