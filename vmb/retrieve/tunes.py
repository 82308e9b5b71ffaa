"""The shipped tune corpus: ``vmb/data/tunes.jsonl.gz`` and its description embeddings.

The file holds one :class:`vmb.types.LibraryEntry` JSON object per line (with its lead sheet),
built from the music21 corpus by ``scripts/build_tunes.py``. Loading needs no music21.
Fields at their default values (note velocity 90, no slash bass) are left out of the file;
:func:`entry_from_dict` restores them. ``tunes_embeddings.npy`` is (n, 384) float16 in file
order: the MiniLM embedding of each entry's ``description``.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.types import SCHEMA_VERSION, LibraryEntry

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TUNES_PATH = DATA_DIR / "tunes.jsonl.gz"
EMBEDDINGS_PATH = DATA_DIR / "tunes_embeddings.npy"


def entry_to_dict(entry: LibraryEntry) -> dict:
    """A compact JSON-able dict of ``entry`` (defaults dropped, times as short floats)."""
    data = entry.to_dict()
    sheet = data.get("lead_sheet")
    if sheet:
        for n in sheet["melody"]:
            if n.get("velocity") == 90:
                del n["velocity"]
        for c in sheet["chords"]:
            if c.get("bass") is None:
                c.pop("bass", None)
    return data


# One fast row reader for every stage lives with the type (generate reads corpus rows too).
entry_from_dict = LibraryEntry.from_row


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; shipped data must be world-readable
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_tunes(entries: list[LibraryEntry], path: Path | str = TUNES_PATH) -> None:
    """Write ``entries`` as gzipped JSON lines (reproducible bytes, written atomically).

    The first line is a header ``{"schema_version": .., "count": ..}``.
    """
    header = json.dumps({"schema_version": SCHEMA_VERSION, "count": len(entries)})
    lines = [header] + [json.dumps(entry_to_dict(e), separators=(",", ":"), ensure_ascii=False)
                        for e in entries]
    payload = ("\n".join(lines) + "\n").encode("utf-8")

    def write(f):
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
            gz.write(payload)

    _atomic_write(Path(path), write)


def save_embeddings(embeddings: np.ndarray, path: Path | str = EMBEDDINGS_PATH) -> None:
    """Write (n, D) embeddings as float16 .npy, atomically."""
    _atomic_write(Path(path), lambda f: np.save(f, np.asarray(embeddings, dtype=np.float16)))


_SHEET_KEY = ',"lead_sheet":'  # written last (dataclass field order), so it splits each line


@functools.lru_cache(maxsize=4)
def _read(path: str) -> tuple[tuple[dict, ...], tuple[str, ...]]:
    """(metadata dicts, raw lead-sheet JSON strings), one per entry in file order.

    Only the small metadata part of each line is parsed here; a lead sheet is parsed when
    asked for. Inside a JSON string every quote is escaped, so the first unescaped
    ``,"lead_sheet":`` is the top-level key.
    """
    if not os.path.exists(path):
        raise VmbError(f"tune corpus {path} is missing; rebuild it with `python scripts/build_tunes.py`")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = json.loads(lines[0]) if lines else {}
    if header.get("schema_version") != SCHEMA_VERSION:
        raise VmbError(
            f"tune corpus {path} has schema version {header.get('schema_version')}, "
            f"this vmb reads {SCHEMA_VERSION}; rebuild it with `python scripts/build_tunes.py`"
        )
    metas, sheets = [], []
    for line in lines[1:]:
        if not line:
            continue
        cut = line.find(_SHEET_KEY)
        if cut < 0:
            data = json.loads(line)
            sheet = data.pop("lead_sheet", None)
            metas.append(data)
            sheets.append(json.dumps(sheet))
        else:
            metas.append(json.loads(line[:cut] + "}"))
            sheets.append(line[cut + len(_SHEET_KEY) : -1])
    return tuple(metas), tuple(sheets)


@functools.lru_cache(maxsize=4)
def _metadata(path: str) -> tuple[LibraryEntry, ...]:
    return tuple(entry_from_dict(m) for m in _read(path)[0])


def load_tune_metadata(path: Path | str | None = None) -> list[LibraryEntry]:
    """Every entry with its tags but ``lead_sheet=None`` (fast: the lead sheets stay unparsed).

    Entry i here is entry i of :func:`load_tunes`; get one full entry with :func:`load_tune`.
    """
    return list(_metadata(str(path or TUNES_PATH)))


@functools.lru_cache(maxsize=512)
def _full(path: str, index: int) -> LibraryEntry:
    metas, sheets = _read(path)
    return entry_from_dict({**metas[index], "lead_sheet": json.loads(sheets[index])})


def load_tune(index: int, path: Path | str | None = None) -> LibraryEntry:
    """Entry ``index`` (file order) with its lead sheet (cached; treat it as read-only)."""
    return _full(str(path or TUNES_PATH), int(index))


@functools.lru_cache(maxsize=4)
def _load_all(path: str) -> tuple[LibraryEntry, ...]:
    return tuple(_full.__wrapped__(path, i) for i in range(len(_read(path)[0])))


def load_tunes(path: Path | str | None = None) -> list[LibraryEntry]:
    """The whole tune corpus as library entries, each with its lead sheet.

    Parsed once per process and path (a few seconds: ~760k notes); the entries are shared,
    so treat them as read-only. Selection needs only :func:`load_tune_metadata`.
    """
    return list(_load_all(str(path or TUNES_PATH)))


@functools.lru_cache(maxsize=4)
def _load_embeddings(path: str) -> np.ndarray:
    if not os.path.exists(path):
        raise VmbError(f"tune embeddings {path} are missing; "
                       "rebuild them with `python scripts/build_tunes.py --embed-only`")
    emb = np.load(path).astype(np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-8)  # undo float16 rounding
    emb.setflags(write=False)
    return emb


def load_tune_embeddings(path: Path | str | None = None) -> np.ndarray:
    """(n, 384) float32 unit vectors, row i for entry i of :func:`load_tunes` (read-only)."""
    return _load_embeddings(str(path or EMBEDDINGS_PATH))
