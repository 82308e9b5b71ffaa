"""Dual-track search over a :class:`~vmb.retrieve.store.Library` (the paper's music bridge).

- **broad**: the entries whose description embedding is closest (cosine) to the text bridge's
  embedding, over the whole library;
- **targeted**: the same ranking inside the *partition* the user's attributes pick, an SQL
  prefilter on mode, key, tempo class, meter and genre/mood/instrument membership. When the
  partition holds fewer than ``k`` entries the least important filters are dropped one at a
  time (:data:`RELAX_ORDER`) and the next entries come from the wider partition, so the list
  is filled but every entry of a stricter partition ranks first (inside a widened partition,
  entries matching more of the asked attributes rank first, then by similarity).

Every :class:`~vmb.types.Reference` carries ``score`` (cosine similarity to the query, -1..1),
``scores`` ({"similarity", "match": fraction of the asked attributes the entry has}) and
``matched`` (the names of the asked attributes it has). Query embeddings are (384,) unit
MiniLM vectors of the text bridge sentence (:func:`vmb.embed.encode_texts`).
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np

from vmb.retrieve.rows import where_clause
from vmb.retrieve.store import Library
from vmb.types import Attributes, LibraryEntry, Reference, Retrieval
from vmb.vocab import (
    KEY_NAMES,
    PITCH_CLASS,
    normalize_genre,
    normalize_instrument,
    normalize_mode,
    normalize_mood,
    parse_key,
    tempo_class_of,
)

# Filters dropped first when the partition is too small: the reference's instrumentation and
# tags matter least (the generator takes those from the attributes), its mode matters most.
RELAX_ORDER = ("exclude_instruments", "instruments", "moods", "genres", "meter", "key",
               "tempo_class", "mode")
# The name each filter reports in Reference.matched (as Attributes fields are named).
MATCH_NAMES = {"exclude_instruments": "excluded_instruments"}


def _spellings(tonic: str) -> list[str]:
    """Every spelling of the tonic's pitch class the library may hold ("Db" -> ["Db", "C#"])."""
    pc = PITCH_CLASS[tonic.upper()]
    names = {KEY_NAMES[pc]} | {n[0] + n[1:].lower() for n, p in PITCH_CLASS.items() if p == pc}
    return sorted(names)


def attribute_filters(attributes: Attributes, *, transpose_key: bool = False) -> dict[str, Any]:
    """The partition filters :func:`targeted` applies for ``attributes`` (vocab-normalised).

    ``key`` filters on the tonic (any spelling) unless ``transpose_key`` (the generator will
    transpose the reference, so only the mode matters). A key given with a mode ("D minor")
    sets the mode when ``attributes.mode`` is unset.
    """
    a = attributes
    filters: dict[str, Any] = {}
    mode = normalize_mode(a.mode) if a.mode else None
    if a.key:
        tonic, key_mode = parse_key(a.key)
        mode = mode or key_mode
        if not transpose_key:
            filters["key"] = _spellings(tonic)
    if mode:
        filters["mode"] = mode
    tempo_class = a.tempo_class or (tempo_class_of(a.tempo_bpm) if a.tempo_bpm else None)
    if tempo_class:
        filters["tempo_class"] = tempo_class
    if a.meter:
        filters["meter"] = a.meter
    if a.genres:
        filters["genres"] = sorted({normalize_genre(g) for g in a.genres})
    if a.moods:
        filters["moods"] = sorted({normalize_mood(m) for m in a.moods})
    if a.instruments:
        filters["instruments"] = sorted({normalize_instrument(i) for i in a.instruments})
    excluded = sorted({normalize_instrument(i) for i in a.excluded_instruments} - set(filters.get("instruments", [])))
    if excluded:
        filters["exclude_instruments"] = excluded
    return filters


def matched_attributes(entry: LibraryEntry, filters: dict[str, Any]) -> list[str]:
    """Names of the filters (from :func:`attribute_filters`) that ``entry`` satisfies."""
    out = []
    for name, want in filters.items():
        if name in ("genres", "moods", "instruments"):
            ok = bool(set(want) & set(getattr(entry, name)))
        elif name == "exclude_instruments":
            ok = not set(want) & set(entry.instruments)
        elif name == "key":
            ok = entry.key in want
        else:
            ok = getattr(entry, name) == want
        if ok:
            out.append(MATCH_NAMES.get(name, name))
    return out


def _reference(entry: LibraryEntry, similarity: float, track: str, filters: dict[str, Any]) -> Reference:
    matched = matched_attributes(entry, filters)
    fit = len(matched) / len(filters) if filters else 1.0
    return Reference(entry=entry, track=track, score=round(similarity, 4), matched=matched,
                     scores={"similarity": round(similarity, 4), "match": round(fit, 4)})


def _query(query_embedding: np.ndarray | None) -> np.ndarray | None:
    if query_embedding is None:
        return None
    q = np.asarray(query_embedding, dtype=np.float32).reshape(-1)
    return q / max(float(np.linalg.norm(q)), 1e-8)


def _ranked(library: Library, query: np.ndarray | None, k: int, filters: dict[str, Any],
            exclude: Iterable[str]) -> list[tuple[LibraryEntry, float]]:
    where = where_clause({**filters, "exclude_ids": sorted(set(exclude))})
    if query is None:  # nothing to rank by: the partition in library order
        return [(e, 0.0) for e in library.list(limit=k, where=where)]
    return library.vector_search(query, k, where)


def broad(library: Library, query_embedding: np.ndarray, k: int = 5, exclude: Iterable[str] = (),
          *, attributes: Attributes | None = None) -> list[Reference]:
    """The ``k`` entries closest to ``query_embedding`` (384,), best first; ``attributes`` only
    decide what each reference reports as ``matched``."""
    if k <= 0:
        return []
    filters = attribute_filters(attributes) if attributes is not None else {}
    hits = _ranked(library, _query(query_embedding), k, {}, exclude)
    return [_reference(e, s, "broad", filters) for e, s in hits]


def targeted(library: Library, query_embedding: np.ndarray | None, attributes: Attributes, k: int = 5,
             exclude: Iterable[str] = (), *, transpose_key: bool = False) -> list[Reference]:
    """Up to ``k`` entries inside the partition ``attributes`` pick, ranked by similarity to
    ``query_embedding``; the partition is widened by :data:`RELAX_ORDER` while it has fewer
    than ``k`` entries (see the module docstring)."""
    if k <= 0:
        return []
    filters = attribute_filters(attributes, transpose_key=transpose_key)
    query = _query(query_embedding)
    taken = set(exclude)
    out: list[Reference] = []
    active = dict(filters)
    relax = [name for name in RELAX_ORDER if name in active]
    while True:
        need = k - len(out)
        # In a widened partition, entries that still have the dropped attributes come first:
        # rank a few times more candidates by (attributes matched, similarity).
        pool = [_reference(e, s, "targeted", filters)
                for e, s in _ranked(library, query, need if active == filters else 4 * need, active, taken)]
        pool.sort(key=lambda r: -len(r.matched))  # stable: similarity order within a count
        for ref in pool[:need]:
            out.append(ref)
            taken.add(ref.entry.id)
        if len(out) >= k or not relax:
            return out
        del active[relax.pop(0)]


def dual_track(library: Library, query_embedding: np.ndarray | None, attributes: Attributes, k: int = 5,
               exclude: Iterable[str] = (), pinned: Sequence[LibraryEntry] | None = None,
               use_broad: bool = True, use_targeted: bool = True, *,
               transpose_key: bool = False) -> Retrieval:
    """Both tracks for the pipeline, ``k`` references each.

    ``pinned`` entries (the user's ``--reference``, analysed by the same ingest) lead the broad
    list with track "pinned" and are kept even with ``use_broad=False``. The targeted track is
    searched first and the broad track skips its picks, so the generator gets distinct
    references. ``use_broad``/``use_targeted`` switch a track off (the paper's BR/TR ablation).
    """
    exclude = set(exclude)
    filters = attribute_filters(attributes, transpose_key=transpose_key)
    pins = [_reference(e, 1.0, "pinned", filters) for e in (pinned or [])]
    taken = exclude | {p.entry.id for p in pins}
    targeted_refs = (targeted(library, query_embedding, attributes, k, taken, transpose_key=transpose_key)
                     if use_targeted else [])
    taken |= {r.entry.id for r in targeted_refs}
    broad_refs = []
    if use_broad and query_embedding is not None:
        broad_refs = broad(library, query_embedding, max(0, k - len(pins)), taken, attributes=attributes)
    return Retrieval(broad=pins + broad_refs, targeted=targeted_refs)
