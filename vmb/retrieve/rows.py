"""The rows of a library table: its pyarrow schema, entries <-> rows, and SQL filters.

Format version 1 of the "entries" table (see :mod:`vmb.retrieve.store`): attribute columns
(strings; lists of strings for genres, moods and instruments), ``duration_s`` and ``bpm``
(float32), ``lead_sheet`` and ``analysis`` as compact JSON strings, and ``vector``: the
(384,) float32 unit MiniLM embedding of the description.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import numpy as np

from vmb import VmbError
from vmb.embed import EMBEDDING_DIM
from vmb.retrieve.tunes import entry_from_dict, entry_to_dict
from vmb.types import LibraryEntry

LIST_COLUMNS = ("genres", "moods", "instruments")
TEXT_COLUMNS = ("id", "source", "content_hash", "title", "tempo_class", "key", "mode", "meter",
                "description", "lead_sheet", "analysis")


def schema():
    """The pyarrow schema of the "entries" table (format version 1)."""
    import pyarrow as pa

    fields = [pa.field(name, pa.string()) for name in TEXT_COLUMNS[:8]]
    fields += [pa.field("duration_s", pa.float32()), pa.field("bpm", pa.float32())]
    fields += [pa.field(name, pa.list_(pa.string())) for name in LIST_COLUMNS]
    fields += [pa.field(name, pa.string()) for name in TEXT_COLUMNS[8:]]
    fields.append(pa.field("vector", pa.list_(pa.float32(), EMBEDDING_DIM)))
    return pa.schema(fields)


def sql_str(value: str) -> str:
    """``value`` as an SQL string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(sql_str(v) for v in values) + "]"


def where_clause(filters: dict[str, Any] | None) -> str | None:
    """An SQL filter from ``filters``; None when there is nothing to filter.

    Keys: ``mode``, ``key``, ``tempo_class``, ``meter``, ``content_hash``, ``id`` (equality;
    a list means any of), ``genres``/``moods``/``instruments`` (the entry has any of them),
    ``exclude_instruments`` (has none of them), ``exclude_ids``, ``bpm_min``/``bpm_max``,
    ``source_prefix``.
    """
    parts: list[str] = []
    for name, value in (filters or {}).items():
        if value is None or (isinstance(value, (list, tuple, set)) and not value):
            continue
        if name in ("mode", "key", "tempo_class", "meter", "content_hash", "id", "title"):
            values = [value] if isinstance(value, str) else list(value)
            parts.append(f"{name} = {sql_str(values[0])}" if len(values) == 1
                         else f"{name} IN ({', '.join(sql_str(v) for v in values)})")
        elif name in LIST_COLUMNS:
            values = [value] if isinstance(value, str) else list(value)
            parts.append(f"array_has_any({name}, {sql_list(values)})")
        elif name == "exclude_instruments":
            parts.append(f"NOT array_has_any(instruments, {sql_list(value)})")
        elif name == "exclude_ids":
            parts.append(f"id NOT IN ({', '.join(sql_str(v) for v in value)})")
        elif name in ("bpm_min", "bpm_max"):
            parts.append(f"bpm {'>=' if name == 'bpm_min' else '<'} {float(value)!r}")
        elif name == "source_prefix":
            parts.append(f"starts_with(source, {sql_str(value)})")
        else:
            raise VmbError(f"unknown library filter {name!r}")
    return " AND ".join(parts) or None


def entries_to_arrow(entries: Sequence[LibraryEntry], embeddings: np.ndarray,
                     analyses: Sequence[dict] | None = None):
    """A pyarrow table of ``entries`` with their (n, 384) ``embeddings`` (rows in order)."""
    import pyarrow as pa

    emb = np.asarray(embeddings, dtype=np.float32).reshape(len(entries), -1)
    if emb.shape[1] != EMBEDDING_DIM:
        raise VmbError(f"embeddings have dim {emb.shape[1]}, the library stores {EMBEDDING_DIM}")
    if not np.isfinite(emb).all():
        raise VmbError("embeddings contain NaN or infinite values")
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-8)
    cols: dict[str, list] = {name: [] for name in schema().names if name != "vector"}
    for i, e in enumerate(entries):
        for name in ("id", "source", "content_hash", "title"):
            cols[name].append(getattr(e, name))
        for name in ("tempo_class", "key", "mode", "meter"):
            cols[name].append(getattr(e, name) or None)  # "" and None both mean unknown
        cols["duration_s"].append(float(e.duration_s or 0.0))
        cols["bpm"].append(None if e.bpm is None else float(e.bpm))
        for name in LIST_COLUMNS:
            cols[name].append(list(getattr(e, name)))
        cols["description"].append(e.description)
        sheet = entry_to_dict(e).get("lead_sheet") if e.lead_sheet is not None else None
        cols["lead_sheet"].append(json.dumps(sheet, separators=(",", ":")) if sheet else None)
        cols["analysis"].append(json.dumps(analyses[i], separators=(",", ":")) if analyses else None)
    arrays = {name: pa.array(values, type=schema().field(name).type) for name, values in cols.items()}
    arrays["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(emb.ravel()), EMBEDDING_DIM)
    return pa.table(arrays, schema=schema())


def row_to_entry(row: dict) -> LibraryEntry:
    """A LibraryEntry from one table row (a dict from ``to_pylist``)."""
    data = {name: row.get(name) for name in ("id", "title", "source", "content_hash", "duration_s",
                                             "genres", "moods", "instruments", "bpm", "tempo_class",
                                             "key", "mode", "meter", "description")}
    data = {k: v for k, v in data.items() if v is not None}
    for name in ("duration_s", "bpm"):
        if name in data:
            data[name] = round(float(data[name]), 3)
    sheet = row.get("lead_sheet")
    data["lead_sheet"] = json.loads(sheet) if sheet else None
    return entry_from_dict(data)
