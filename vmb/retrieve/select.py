"""Dual-track selection over the shipped tune corpus (the music bridge).

- targeted: tunes inside the partition the attributes pick (mode and meter are hard filters
  when given), ranked by a soft fit to the requested character: moods, valence/arousal,
  tempo (BPM or class), energy, genres, instruments, and the query sentence when given;
- broad: tunes whose description embedding is closest (cosine) to the query embedding.

Scores lie in [0, 1] (targeted: weighted mean of the active fit terms; broad: cosine).
The seed picks among near-equal targeted candidates, so different seeds vary the reference
while every pick stays a good fit.
"""

from __future__ import annotations

import functools

import numpy as np

from vmb.retrieve.tunes import load_tune, load_tune_embeddings, load_tune_metadata
from vmb.types import Attributes, LibraryEntry, Reference, Retrieval
from vmb.vocab import (GENRES, INSTRUMENTS, MOODS, TEMPO_CLASSES, normalize_genre,
                       normalize_instrument, normalize_mood, tempo_class_of)

_MOOD_NAMES = list(MOODS)
_MOOD_VA = np.array([MOODS[m] for m in _MOOD_NAMES])  # (M, 2) valence, arousal
_TEMPO_NAMES = list(TEMPO_CLASSES)
# Similarity of two moods: 1 when equal, up to 0.7 for neighbours on the circumplex.
_MOOD_SIM = np.clip(1.0 - np.linalg.norm(_MOOD_VA[:, None] - _MOOD_VA[None], axis=-1) / 1.2, 0, 1) * 0.7
np.fill_diagonal(_MOOD_SIM, 1.0)

WEIGHTS = {"moods": 2.0, "valence_arousal": 1.0, "tempo": 1.5, "energy": 1.0, "genres": 1.0,
           "instruments": 0.5, "query": 1.0}


def tune_energy(entry: LibraryEntry) -> float:
    """0..1 intensity of a tune from its moods' arousal and its tempo."""
    arousal = np.mean([MOODS[m][1] for m in entry.moods if m in MOODS] or [0.0])
    bpm = entry.bpm or 100.0
    return float(np.clip(0.5 + 0.3 * arousal + (bpm - 110.0) / 180.0, 0.0, 1.0))


class _Index:
    """Per-process arrays over the corpus for vectorised scoring."""

    def __init__(self, entries: list[LibraryEntry], embeddings: np.ndarray | None, path: str | None):
        self.entries = entries  # metadata only; full entries come from load_tune(i)
        self.path = path
        self.ids = np.array([e.id for e in entries])
        self.rank = np.argsort(np.argsort(self.ids, kind="stable"))  # id order, for tie-breaks
        self.mode = np.array([e.mode or "" for e in entries])
        self.meter = np.array([e.meter or "" for e in entries])
        self.bpm = np.array([e.bpm or 100.0 for e in entries], dtype=float)
        self.tempo = np.array([_TEMPO_NAMES.index(e.tempo_class or tempo_class_of(e.bpm or 100.0))
                               for e in entries])
        self.energy = np.array([tune_energy(e) for e in entries])
        self.moods = self._hot(entries, "moods", _MOOD_NAMES)
        self.genres = self._hot(entries, "genres", list(GENRES))
        self.instruments = self._hot(entries, "instruments", list(INSTRUMENTS))
        counts = np.maximum(self.moods.sum(1, keepdims=True), 1)
        self.va = (self.moods @ _MOOD_VA) / counts  # (N, 2) mean valence/arousal of the tags
        self.embeddings = embeddings

    @staticmethod
    def _hot(entries, attr: str, names: list[str]) -> np.ndarray:
        pos = {n: i for i, n in enumerate(names)}
        out = np.zeros((len(entries), len(names)), dtype=np.float32)
        for r, e in enumerate(entries):
            for name in getattr(e, attr):
                if name in pos:
                    out[r, pos[name]] = 1.0
        return out


@functools.lru_cache(maxsize=2)
def _index(tunes_path: str | None, embeddings_path: str | None) -> _Index:
    entries = load_tune_metadata(tunes_path)
    try:
        emb = load_tune_embeddings(embeddings_path)
    except Exception:  # noqa: BLE001 - without embeddings only the broad track is unavailable
        emb = None
    if emb is not None and len(emb) != len(entries):
        emb = None
    return _Index(entries, emb, tunes_path)


def _fit_terms(idx: _Index, a: Attributes, query: np.ndarray | None) -> dict[str, np.ndarray]:
    """Each active soft term as an (N,) array in [0, 1]."""
    terms: dict[str, np.ndarray] = {}
    moods = [normalize_mood(m) for m in a.moods]
    if moods:
        cols = [_MOOD_NAMES.index(m) for m in moods]
        per = [(idx.moods * _MOOD_SIM[c]).max(axis=1) for c in cols]
        terms["moods"] = np.mean(per, axis=0)
    if a.valence is not None or a.arousal is not None:
        target = np.array([a.valence if a.valence is not None else 0.0, a.arousal if a.arousal is not None else 0.0])
        use = np.array([a.valence is not None, a.arousal is not None], dtype=float)
        dist = np.sqrt((((idx.va - target) ** 2) * use).sum(1))
        terms["valence_arousal"] = np.clip(1.0 - dist / 1.5, 0.0, 1.0)
    if a.tempo_bpm:
        terms["tempo"] = np.exp(-np.abs(np.log(idx.bpm / float(a.tempo_bpm))) / 0.25)
    elif a.tempo_class:
        want = _TEMPO_NAMES.index(a.tempo_class)
        terms["tempo"] = np.where(idx.tempo == want, 1.0, np.where(np.abs(idx.tempo - want) == 1, 0.35, 0.0))
    if a.energy is not None:
        terms["energy"] = 1.0 - np.abs(idx.energy - float(a.energy))
    genres = [normalize_genre(g) for g in a.genres]
    if genres:
        terms["genres"] = idx.genres[:, [list(GENRES).index(g) for g in genres]].max(axis=1)
    instruments = [normalize_instrument(i) for i in a.instruments]
    if instruments:
        cols = [list(INSTRUMENTS).index(i) for i in instruments]
        terms["instruments"] = idx.instruments[:, cols].mean(axis=1)
    if query is not None and idx.embeddings is not None:
        terms["query"] = np.clip((idx.embeddings @ query + 0.1) / 0.8, 0.0, 1.0)
    return terms


def _matched(entry: LibraryEntry, a: Attributes, energy: float) -> list[str]:
    """Names of the requested attributes this entry satisfies."""
    out = []
    if a.mode and entry.mode == a.mode:
        out.append("mode")
    if a.meter and entry.meter == a.meter:
        out.append("meter")
    if set(normalize_mood(m) for m in a.moods) & set(entry.moods):
        out.append("moods")
    want_class = a.tempo_class or (tempo_class_of(a.tempo_bpm) if a.tempo_bpm else None)
    if want_class and entry.tempo_class == want_class:
        out.append("tempo_class")
    if a.energy is not None and abs(energy - a.energy) <= 0.2:
        out.append("energy")
    if set(normalize_genre(g) for g in a.genres) & set(entry.genres):
        out.append("genres")
    if set(normalize_instrument(i) for i in a.instruments) & set(entry.instruments):
        out.append("instruments")
    return out


def select_tunes(
    attributes: Attributes,
    *,
    query_embedding: np.ndarray | None = None,
    k: int = 5,
    exclude: set[str] = frozenset(),
    seed: int = 0,
    tunes_path: str | None = None,
    embeddings_path: str | None = None,
) -> Retrieval:
    """Up to ``k`` targeted and ``k`` broad references for ``attributes``.

    ``query_embedding`` is the (384,) unit MiniLM embedding of the text bridge sentence; without
    it the broad track is empty. ``exclude`` holds entry ids never to return. Deterministic for
    a given seed; the seed chooses among targeted candidates within a small margin of the best.
    """
    idx = _index(tunes_path, embeddings_path)
    query = None if query_embedding is None else np.asarray(query_embedding, dtype=np.float32).reshape(-1)
    keep = ~np.isin(idx.ids, list(exclude)) if exclude else np.ones(len(idx.ids), dtype=bool)
    targeted_ok = keep.copy()
    if attributes.mode:
        targeted_ok &= idx.mode == attributes.mode
    if attributes.meter:
        targeted_ok &= idx.meter == attributes.meter

    terms = _fit_terms(idx, attributes, query)
    total_w = sum(WEIGHTS[name] for name in terms)
    score = sum(WEIGHTS[name] * t for name, t in terms.items()) / total_w if terms else np.full(len(idx.ids), 0.5)

    targeted: list[Reference] = []
    cand = np.flatnonzero(targeted_ok)
    if len(cand) and k > 0:
        order = cand[np.lexsort((idx.rank[cand], -score[cand]))]
        pool = order[: max(4 * k, 12)]
        pool = pool[score[pool] >= score[pool[0]] - 0.06] if len(pool) > k else pool
        rng = np.random.default_rng(seed)
        # Gumbel top-k: a seeded draw without replacement, tilted towards higher scores.
        keys = score[pool] / 0.02 + rng.gumbel(size=len(pool))
        for i in pool[np.argsort(-keys, kind="stable")][:k]:
            e = load_tune(int(i), idx.path)
            targeted.append(Reference(entry=e, track="targeted", score=round(float(score[i]), 4),
                                      matched=_matched(e, attributes, float(idx.energy[i]))))

    broad: list[Reference] = []
    if query is not None and idx.embeddings is not None and k > 0:
        sims = idx.embeddings @ query
        taken = {r.entry.id for r in targeted}
        ok = keep & ~np.isin(idx.ids, list(taken))
        cand = np.flatnonzero(ok)
        for i in cand[np.lexsort((idx.rank[cand], -sims[cand]))][:k]:
            e = load_tune(int(i), idx.path)
            broad.append(Reference(entry=e, track="broad", score=round(float(sims[i]), 4),
                                   matched=_matched(e, attributes, float(idx.energy[i]))))
    return Retrieval(broad=broad, targeted=targeted)
