"""ImageNet classes -> music-relevant concepts -> what the music could be, through MiniLM.

Data (``vmb/data``): ``imagenet_classes.csv`` names each of the 1,000 ImageNet-1k classes
(``index, synset, name, lemmas, concept``) and ``vision_concepts.toml`` describes each concept
(``phrase`` for the reasoning, ``group`` -> the use of the music, ``scene``, an optional
``instrument`` the object is, ``salience`` 0..1: how much the concept says about the music).

A classifier's probabilities are summed per concept (:func:`concepts_of`). Each concept's
``scene`` sentence is embedded with the shared MiniLM encoder and scored against the text
path's mood, genre and instrument prototypes (:func:`vmb.describe.text.label_scores`): the same
space a typed prompt goes through, so "a ladybug on a leaf in a sunny garden" moves the music
the way those words would. The scores are computed once per process and cached on disk, keyed
by a hash of the concept table and the prototypes.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vmb import VmbError, vocab

DATA = Path(__file__).resolve().parent.parent / "data"
CLASSES_CSV = DATA / "imagenet_classes.csv"
CONCEPTS_TOML = DATA / "vision_concepts.toml"
# each concept's text-path scores for the table as released (rebuilt into the cache when the
# table or the prototypes change): python -c "from vmb.describe.concepts import save_shipped_scores as s; s()"
SHIPPED_SCORES = DATA / "vision_concepts_scores.npz"
N_CLASSES = 1000
MOOD_TEMPERATURE = 0.03  # softmax over a concept's mood scores -> its circumplex position


@dataclass(frozen=True)
class Concept:
    """One record of ``vision_concepts.toml``."""

    name: str
    phrase: str  # how the reasoning names it: "a ladybug"
    group: str
    use: str  # what the music is for (from the group): "a nature film about small creatures"
    scene: str  # the sentence embedded with MiniLM
    instrument: str | None = None  # a vocab instrument the object itself is (a cello -> cello)
    salience: float = 1.0


@dataclass(frozen=True)
class ConceptMusic:
    """What a concept's scene says about the music, read in the text path's MiniLM space."""

    valence: float  # -1..1, the softmax-weighted circumplex position of the moods
    arousal: float
    moods: tuple[str, ...]  # best first
    genres: tuple[str, ...]  # best first
    instruments: tuple[str, ...]  # best first


@dataclass(frozen=True)
class ConceptTable:
    class_names: tuple[str, ...]  # (1000,) first lemma of each class
    class_concept: tuple[str, ...]  # (1000,) concept name of each class
    concepts: dict[str, Concept]


@functools.lru_cache(maxsize=1)
def load_table() -> ConceptTable:
    """Read and check both data files; a broken file is a VmbError naming it."""
    try:
        with open(CLASSES_CSV, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        raw = tomllib.loads(CONCEPTS_TOML.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, csv.Error) as exc:
        raise VmbError(f"vision concept data: cannot read it: {exc}") from None
    if [int(r["index"]) for r in rows] != list(range(N_CLASSES)):
        raise VmbError(f"{CLASSES_CSV}: expected rows for class indices 0..{N_CLASSES - 1} in order")
    groups = raw.get("groups", {})
    concepts = {}
    for name, rec in raw.get("concepts", {}).items():
        if rec.get("group") not in groups:
            raise VmbError(f"{CONCEPTS_TOML}: concept {name!r} names unknown group {rec.get('group')!r}")
        if rec.get("instrument") is not None and rec["instrument"] not in vocab.INSTRUMENTS:
            raise VmbError(f"{CONCEPTS_TOML}: concept {name!r} names unknown instrument {rec['instrument']!r}")
        concepts[name] = Concept(name=name, phrase=rec["phrase"], group=rec["group"], use=groups[rec["group"]]["use"],
                                 scene=rec["scene"], instrument=rec.get("instrument"),
                                 salience=float(rec.get("salience", 1.0)))
    unknown = sorted({r["concept"] for r in rows} - set(concepts))
    if unknown:
        raise VmbError(f"{CLASSES_CSV}: classes name concepts missing from {CONCEPTS_TOML.name}: {unknown[:5]}")
    return ConceptTable(class_names=tuple(r["name"] for r in rows), class_concept=tuple(r["concept"] for r in rows),
                        concepts=concepts)


def concepts_of(probs: np.ndarray, *, top: int = 3) -> list[tuple[str, float, str]]:
    """Class probabilities (1000,) -> up to ``top`` (concept, summed probability, best class name)."""
    table = load_table()
    probs = np.asarray(probs, dtype=np.float64).ravel()
    if probs.shape != (N_CLASSES,):
        raise ValueError(f"expected {N_CLASSES} class probabilities, got {probs.shape}")
    mass: dict[str, float] = {}
    best: dict[str, int] = {}
    for i in np.argsort(-probs)[:50]:  # the tail adds nothing a reader would see
        name = table.class_concept[int(i)]
        mass[name] = mass.get(name, 0.0) + float(probs[i])
        best.setdefault(name, int(i))
    ranked = sorted(mass, key=lambda k: (-mass[k], k))[:top]
    return [(name, round(mass[name], 4), table.class_names[best[name]]) for name in ranked]


def _cache_path(digest: str) -> Path:
    import platformdirs

    root = os.environ.get("VMB_CACHE_DIR") or platformdirs.user_cache_dir("vmb")
    return Path(root) / f"vision-concepts-{digest}.npz"


@functools.lru_cache(maxsize=1)
def concept_scores() -> tuple[list[str], dict[str, np.ndarray]]:
    """(concept names, kind -> (concepts, labels) text-path scores) for mood, genre and instrument."""
    from vmb.describe import text

    table = load_table()
    names = list(table.concepts)
    scenes = [table.concepts[n].scene for n in names]
    kinds = ("mood", "genre", "instrument")
    labels = {k: text.prototypes()[k][0] for k in kinds}
    digest = hashlib.sha256(json.dumps([scenes, labels, text.prototype_digest()]).encode()).hexdigest()[:16]
    path = _cache_path(digest)
    for candidate in (SHIPPED_SCORES, path):  # the shipped file holds them for the table as released
        try:
            with np.load(candidate) as saved:
                scores = {k: saved[k] for k in kinds}
                same = str(saved["digest"]) == digest
            if same and all(scores[k].shape == (len(names), len(labels[k])) for k in kinds):
                return names, scores
        except (OSError, ValueError, KeyError):
            pass
    from vmb.embed import encode_texts

    vecs = encode_texts(scenes)
    scores = {k: text.label_scores(vecs, k).astype(np.float32) for k in kinds}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + f".tmp{os.getpid()}.npz")
        np.savez(tmp, digest=np.array(digest), **scores)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs the time
    return names, scores


def save_shipped_scores() -> Path:
    """Write :data:`SHIPPED_SCORES` from the current table and prototypes (run after editing either)."""
    import shutil

    concept_scores.cache_clear()
    names, _scores = concept_scores()
    cached = sorted(_cache_path("x").parent.glob("vision-concepts-*.npz"), key=os.path.getmtime)[-1]
    shutil.copyfile(cached, SHIPPED_SCORES)
    return SHIPPED_SCORES


@functools.lru_cache(maxsize=None)
def concept_music(name: str) -> ConceptMusic:
    """The moods, circumplex point, genres and instruments a concept's scene reads as."""
    from vmb.describe import text

    concept = load_table().concepts[name]
    names, scores = concept_scores()
    row = names.index(name)
    mood_names = text.prototypes()["mood"][0]
    mood = scores["mood"][row]
    weights = np.exp((mood - mood.max()) / MOOD_TEMPERATURE)
    weights /= weights.sum()
    valence, arousal = (weights @ np.array([vocab.MOODS[m] for m in mood_names])).tolist()
    genre_names = [g for g in text.prototypes()["genre"][0]]
    genre = scores["genre"][row]
    instrument_names = text.prototypes()["instrument"][0]
    inst = scores["instrument"][row]
    instruments = [instrument_names[int(j)] for j in np.argsort(-inst)[:3]]
    if concept.instrument:  # a cello in the picture plays
        instruments = [concept.instrument] + [i for i in instruments if i != concept.instrument][:2]
    return ConceptMusic(
        valence=round(float(valence), 4), arousal=round(float(arousal), 4),
        moods=tuple(mood_names[int(j)] for j in np.argsort(-mood)[:3]),
        genres=tuple(genre_names[int(j)] for j in np.argsort(-genre)[:2]),
        instruments=tuple(instruments),
    )
