"""The persistent music library: a folder holding a LanceDB table of library entries.

Layout of a library folder::

    library.json       manifest {"format": "vmb-library", "version": 1,
                                 "embedding": "all-MiniLM-L6-v2", "dim": 384}
    entries.lance/     the LanceDB table "entries" (one row per LibraryEntry)
    .lock              taken (flock) by writers, so two ingests never add the same file twice

Each row holds the entry's attributes as filterable columns (lists for genres, moods and
instruments), its lead sheet as a compact JSON string, an ``analysis`` JSON string (what the
ingest measured) and ``vector``: the (384,) float32 unit MiniLM embedding of its description.
Cosine similarity = 1 - LanceDB's cosine distance. Appends are LanceDB versions: a writer
killed mid-append leaves the table at its previous version, never half a batch.

Vector search is exact below :data:`ANN_MIN_ROWS` rows; above it an IVF-PQ index (plus scalar
indexes on the attribute columns) is built, and queries re-rank with exact vectors.

A library whose files cannot be read (a data file missing or cut short, the manifest or the
table's versions gone) raises :class:`LibraryDamaged`, one line; ``vmb.retrieve.repair`` (what
``vmb library check [--repair]`` runs) says what is wrong and falls back to the newest readable
table version.
Only a library vmb created and never wrote to is filled with the bundled corpus unasked.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import math
import os
import re
import shlex
import tempfile
import warnings
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from vmb import VmbError
from vmb.embed import EMBEDDING_DIM
from vmb.render.writers import new_temp_file
from vmb.retrieve.rows import LIST_COLUMNS, entries_to_arrow, row_to_entry, schema, where_clause
from vmb.types import LibraryEntry

FORMAT = "vmb-library"
FORMAT_VERSION = 1
EMBEDDING_NAME = "all-MiniLM-L6-v2"
MANIFEST = "library.json"
TABLE = "entries"
TABLE_DIR = f"{TABLE}.lance"
LOCK = ".lock"
ANN_MIN_ROWS = 50_000  # exact search is fast enough below this (about 10 ms at 50k rows)
# search tuning for the IVF-PQ index (measured by benchmarks/library_scale.py)
# PQ codes alone rank near neighbours poorly, so the best 10 x 20 candidates are re-ranked with
# their exact vectors. With 48 sub-vectors (8 dims each) that reached recall@10 0.86 at 1M rows
# (clusters of 5,000 near-equidistant vectors); 96 sub-vectors (4 dims) give 1.0 on the same
# cluster size, at twice the index build time and 96 bytes of codes per entry.
NPROBES, REFINE_FACTOR, PQ_SUB_VECTORS = 20, 20, 96


def import_lancedb():
    try:
        import lancedb
    except ImportError as exc:
        raise VmbError("the music library needs LanceDB: pip install 'vmb[library]'") from exc
    return lancedb


def default_library_path() -> Path:
    """``$VMB_LIBRARY`` if set, else ``<user data dir>/vmb/library`` (platformdirs)."""
    if os.environ.get("VMB_LIBRARY"):
        return Path(os.environ["VMB_LIBRARY"]).expanduser()
    import platformdirs

    return platformdirs.user_data_path("vmb") / "library"


def atomic_write_text(path: Path, text: str) -> None:
    tmp = new_temp_file(path, ".tmp")  # 0666 less the umask: mkstemp's 0600 stayed on library.json
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LibraryDamaged(VmbError):
    """The library's files cannot be read: one line saying what, and the command that repairs it."""

    def __init__(self, path: Path, what: str):
        command = "vmb library check --repair"
        if Path(path) != default_library_path():
            command += f" --library {shlex.quote(str(path))}"
        super().__init__(f"library {path} is damaged: {what}; run '{command}'")
        self.path, self.what = Path(path), what


def new_manifest() -> dict:
    return {"format": FORMAT, "version": FORMAT_VERSION, "embedding": EMBEDDING_NAME, "dim": EMBEDDING_DIM}


def write_manifest(path: Path) -> dict:
    manifest = new_manifest()
    atomic_write_text(path / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def check_manifest(path: Path) -> dict:
    """The manifest of library ``path``; LibraryDamaged if it is missing or garbled, VmbError if
    this vmb cannot read its format."""
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise LibraryDamaged(path, f"{MANIFEST} is missing") from None
    except OSError as exc:
        raise VmbError(f"library {path}: cannot read {MANIFEST} ({exc.strerror or exc})") from None
    except ValueError as exc:  # bad JSON or bad UTF-8: a cut or overwritten file
        raise LibraryDamaged(path, f"{MANIFEST} cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LibraryDamaged(path, f"{MANIFEST} is not a vmb library manifest")
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        raise VmbError(f"library {path} has unknown format version {version!r}; "
                       f"rebuild it with `vmb library build`")
    if version > FORMAT_VERSION:
        raise VmbError(f"library {path} was written by a newer vmb (format version {version}); "
                       f"this vmb reads version {FORMAT_VERSION}: upgrade vmb")
    if manifest.get("embedding") != EMBEDDING_NAME or manifest.get("dim") != EMBEDDING_DIM:
        raise VmbError(f"library {path} holds {manifest.get('embedding')} embeddings of dim "
                       f"{manifest.get('dim')}; this vmb uses {EMBEDDING_NAME} ({EMBEDDING_DIM})")
    return manifest


# ---------------------------------------------------------------------- what Lance says is wrong


def _is_lance_error(exc: BaseException) -> bool:
    """Lance reports unreadable files as OSError, RuntimeError("lance error: ...") or, for some
    garbled bytes, a RustPanic."""
    return isinstance(exc, OSError) or "lance error" in str(exc).lower() or type(exc).__name__ == "RustPanic"


def lance_text(exc: BaseException) -> str:
    """Lance's message without its prefix and the Rust source locations it appends."""
    text = re.sub(r"^lance error:\s*", "", str(exc).strip(), flags=re.I)
    text = re.sub(r",?\s*/\S+\.rs:\d+:\d+", "", text)
    return " ".join(text.split())[:200]


def cut_lance_files(path: Path) -> list[str]:
    """Version manifests, data and index files of library ``path`` without the b"LANC" footer
    every Lance file ends with (cut short), as paths relative to the library."""
    table = path / TABLE_DIR
    cut = []
    for file in (sorted(table.glob("_versions/*.manifest")) + sorted(table.glob("data/*.lance"))
                 + sorted(f for f in table.glob("_indices/*/*") if f.is_file())):
        with contextlib.suppress(OSError):
            with open(file, "rb") as f:
                f.seek(max(0, file.stat().st_size - 4))
                if f.read(4) != b"LANC":
                    cut.append(str(file.relative_to(path)))
    return cut


def describe_damage(path: Path, exc: BaseException) -> str:
    """What a Lance read error means, naming the file where Lance or the footers tell."""
    text = lance_text(exc)
    missing = re.search(rf"Not found: \S*?({re.escape(TABLE_DIR)}/[^,\s]+)", text)
    if missing:
        return f"{missing.group(1)} is missing"
    cut = cut_lance_files(path)
    if cut:
        return f"{cut[0]} is cut short" + (f" (and {len(cut) - 1} more files)" if len(cut) > 1 else "")
    return f"its table cannot be read ({text})"


def version_hint(path: Path) -> int | None:
    """The newest version Lance committed, from the pointer it rewrites after each commit
    (``_versions/latest_version_hint.json``); None when absent or unreadable."""
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        return int(json.loads((path / TABLE_DIR / "_versions" / "latest_version_hint.json").read_text())["version"])
    return None


def cut_versions(path: Path) -> list[str]:
    return [f for f in cut_lance_files(path) if f.startswith(f"{TABLE_DIR}/_versions/")]


def unopenable(path: Path, exc: BaseException | None = None) -> str | None:
    """Why Lance cannot (or, when ``exc`` is None, would not) open the table."""
    if not any((path / TABLE_DIR / "_versions").glob("*.manifest")):
        return f"{TABLE_DIR}/_versions holds no version of the table"
    # Lance reads the manifests it lists: one cut short fails the open, some with a Rust panic
    # that prints its own backtrace, so they are looked at first
    cut = cut_versions(path)
    if cut:
        return f"{cut[0]} is cut short" + (f" (and {len(cut) - 1} more)" if len(cut) > 1 else "")
    return None if exc is None else f"{TABLE_DIR} cannot be opened ({lance_text(exc)})"


def _is_fresh(table) -> bool:
    # create_table commits version 1, empty; every write after it is a new version
    return table.version == 1 and table.count_rows() == 0


def _open_table(path: Path):
    """The LanceDB table of library ``path`` at its newest version; LibraryDamaged if it cannot be
    opened or a committed version is gone."""
    problem = unopenable(path)
    if problem:
        raise LibraryDamaged(path, problem)
    try:
        table = import_lancedb().connect(str(path)).open_table(TABLE)
    except Exception as exc:  # noqa: BLE001 - whatever Lance raises, the table cannot be opened
        raise LibraryDamaged(path, unopenable(path, exc)) from None
    missing = set(schema().names) - set(table.schema.names)
    if missing:
        raise VmbError(f"library {path} is damaged or of another format: its table lacks "
                       f"columns {sorted(missing)}")
    hint = version_hint(path)
    if hint is not None and hint > table.version:
        table.checkout_latest()  # a writer may have committed between our listing and its hint
        if (version_hint(path) or 0) > table.version:
            raise LibraryDamaged(path, f"version {hint} of its table is missing (the newest left is "
                                       f"{table.version})")
    return table


def _reads(method):
    """Lance finds a missing or cut-short data file only when a query reaches it, and raises it
    with a Rust traceback: say instead, in one line, that the library is damaged."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if isinstance(exc, VmbError) or not _is_lance_error(exc):
                raise
            raise LibraryDamaged(self.path, describe_damage(self.path, exc)) from None

    return guarded


@contextlib.contextmanager
def write_lock(path: Path):
    """The library's write lock (flock on ``.lock``): one writer at a time, across processes."""
    try:
        f = open(path / LOCK, "a")
    except OSError as exc:
        raise VmbError(f"library {path}: cannot write {LOCK} ({exc.strerror or exc})") from None
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_failure(path: Path, exc: BaseException) -> VmbError:
    """A failed Lance write: a folder we may not write (named, with the reason), else damage."""
    folders = [path / TABLE_DIR] + [d for d in sorted((path / TABLE_DIR).glob("*")) if d.is_dir()]
    for folder in folders:
        try:
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as probe:
            return VmbError(f"library {path}: cannot write {folder.relative_to(path)} "
                            f"({probe.strerror or probe})")
    return LibraryDamaged(path, describe_damage(path, exc))


class Library:
    """A music library folder (see the module docstring). Open it with :meth:`open`."""

    def __init__(self, path: Path, table, manifest: dict):
        self.path, self.table, self.manifest = path, table, manifest

    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, create: bool = True) -> "Library":
        """Open the library at ``path`` (default :func:`default_library_path`), creating an empty
        one if ``create``. Raises LibraryDamaged for a library whose files cannot be read, and
        VmbError for a folder that is not a vmb library or cannot be opened."""
        path = Path(path) if path is not None else default_library_path()
        try:
            return cls._open(path, create)
        except OSError as exc:
            where = exc.filename or path
            raise VmbError(f"library {path}: cannot open {where} ({exc.strerror or exc})") from None

    @classmethod
    def _open(cls, path: Path, create: bool) -> "Library":
        if path.exists() and not path.is_dir():
            raise VmbError(f"library {path} is not a folder")
        has_manifest, has_table = (path / MANIFEST).exists(), (path / TABLE_DIR).exists()
        if not has_manifest and not has_table:
            if path.exists() and any(path.iterdir()):
                raise VmbError(f"{path} is not a vmb library (no {MANIFEST}); choose an empty or new folder")
            if not create:
                raise VmbError(f"no library at {path}; build one with `vmb library build`")
            try:
                path.mkdir(parents=True, exist_ok=True)
                tempfile.TemporaryFile(dir=path).close()  # Lance would say "read-only" in a traceback
            except OSError as exc:
                raise VmbError(f"library {path}: cannot create it ({exc.strerror or exc})") from None
            # the table first, the manifest last: a library folder with a manifest has a table
            table = import_lancedb().connect(str(path)).create_table(TABLE, schema=schema(), exist_ok=True)
            return cls(path, table, write_manifest(path))
        manifest = check_manifest(path) if has_manifest else None
        if not has_table:
            raise LibraryDamaged(path, f"its table {TABLE_DIR} is missing")
        table = _open_table(path)
        if manifest is None:
            if not _is_fresh(table):
                raise LibraryDamaged(path, f"{MANIFEST} is missing")
            if not create:  # vmb stopped between creating the table and writing the manifest
                raise VmbError(f"no library at {path}; build one with `vmb library build`")
            manifest = write_manifest(path)
        return cls(path, table, manifest)

    def is_fresh(self) -> bool:
        """True for a library vmb created and never wrote to: the only kind ``vmb generate``
        fills with the bundled corpus without being asked."""
        return _is_fresh(self.table)

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def writing(self):
        """Hold the library's write lock (one writer at a time, across processes). A write Lance
        cannot do becomes one line: the folder it may not write, or the damage it found."""
        with write_lock(self.path):
            try:
                self.table.checkout_latest()  # see what other writers committed
                yield self
            except Exception as exc:
                if isinstance(exc, VmbError) or not _is_lance_error(exc):
                    raise
                raise _write_failure(self.path, exc) from None

    def add_entries(self, entries: Sequence[LibraryEntry], embeddings: np.ndarray, *,
                    analyses: Sequence[dict] | None = None, skip_existing: bool = False,
                    update_index: bool = True) -> list[str]:
        """Append ``entries`` with their (n, 384) description embeddings in one atomic commit.

        An id already in the library is an error, or, with ``skip_existing``, skipped together
        with every entry whose non-empty content hash the library already holds (a file ingested
        before). Returns the ids added.
        """
        entries = list(entries)
        emb = np.asarray(embeddings, dtype=np.float32).reshape(len(entries), -1) if entries else None
        if not entries:
            return []
        if len({e.id for e in entries}) != len(entries):
            raise VmbError("add_entries: duplicate ids in one batch")
        with self.writing():
            have_ids = self._existing("id", [e.id for e in entries])
            hashes = [e.content_hash for e in entries if e.content_hash]
            have_hashes = self._existing("content_hash", hashes) if skip_existing else set()
            if have_ids and not skip_existing:
                raise VmbError(f"library {self.path} already holds {sorted(have_ids)[:3]}")
            keep = [i for i, e in enumerate(entries)
                    if e.id not in have_ids and e.content_hash not in have_hashes]
            if not keep:
                return []
            rows = entries_to_arrow([entries[i] for i in keep], emb[keep],
                                    [analyses[i] for i in keep] if analyses else None)
            self.table.add(rows)
            if update_index:
                self.ensure_index()
        return [entries[i].id for i in keep]

    def remove(self, ids: Iterable[str]) -> list[str]:
        """Delete the entries with these ids; returns the ids removed (the others were not there)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        with self.writing():
            present = self._existing("id", ids)  # under the lock: what this removal will find
            found = [i for i in ids if i in present]
            for start in range(0, len(found), 500):
                self.table.delete(where_clause({"id": found[start:start + 500]}))
            return found

    def ensure_index(self, *, force: bool = False) -> bool:
        """Build the ANN + scalar indexes once the table has ``ANN_MIN_ROWS`` rows (or ``force``);
        fold new rows into them when over 10% are unindexed. Returns True if it changed anything."""
        n = self.table.count_rows()
        if n < (256 if force else ANN_MIN_ROWS):
            return False
        if not self.has_ann_index():
            from lancedb.index import Bitmap, BTree, IvfPq, LabelList

            ivf = IvfPq(distance_type="cosine", num_partitions=max(1, min(int(math.sqrt(n)), n // 256)),
                        num_sub_vectors=PQ_SUB_VECTORS)
            self.table.create_index("vector", config=ivf)  # (lancedb's new API: column first)
            for names, config in ((("id", "content_hash"), BTree()), (("mode", "key", "tempo_class", "meter"),
                                  Bitmap()), (LIST_COLUMNS, LabelList())):
                for name in names:
                    self.table.create_index(name, config=config)
            return True
        stats = self.table.index_stats("vector_idx")
        if force or (stats is not None and stats.num_unindexed_rows > 0.1 * n):
            self.table.optimize()
            return True
        return False

    @_reads
    def has_ann_index(self) -> bool:
        return any(i.index_type.upper().startswith("IVF") for i in self.table.list_indices())

    def compact(self) -> None:
        """Merge small fragments and drop superseded versions (saves disk after many appends)."""
        with self.writing(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "removes every version": what we want here
            self.table.optimize(cleanup_older_than=timedelta(seconds=0))

    # ------------------------------------------------------------------ reading

    @_reads
    def _existing(self, column: str, values: Sequence[str]) -> set[str]:
        found: set[str] = set()
        values = list(dict.fromkeys(values))
        for start in range(0, len(values), 500):
            where = where_clause({column: values[start:start + 500]})
            rows = self.table.search().where(where).select([column]).limit(None).to_arrow()
            found.update(rows[column].to_pylist())
        return found

    @_reads
    def count(self, filters: dict[str, Any] | None = None) -> int:
        return self.table.count_rows(where_clause(filters))

    def has_hash(self, content_hash: str) -> bool:
        return bool(self._existing("content_hash", [content_hash]))

    @_reads
    def get(self, entry_id: str) -> LibraryEntry:
        """The entry with id ``entry_id`` (VmbError if there is none)."""
        rows = self.table.search().where(where_clause({"id": entry_id})).limit(1).to_arrow().to_pylist()
        if not rows:
            raise VmbError(f"library {self.path} has no entry {entry_id!r}")
        return row_to_entry(rows[0])

    @_reads
    def get_analysis(self, entry_id: str) -> dict:
        """What the ingest measured for ``entry_id`` ({} for entries built from the corpus)."""
        rows = (self.table.search().where(where_clause({"id": entry_id})).select(["analysis"])
                .limit(1).to_arrow().to_pylist())
        if not rows:
            raise VmbError(f"library {self.path} has no entry {entry_id!r}")
        return json.loads(rows[0]["analysis"] or "{}")

    @_reads
    def embedding(self, entry_id: str) -> np.ndarray:
        """The (384,) float32 description embedding of ``entry_id``."""
        rows = (self.table.search().where(where_clause({"id": entry_id})).select(["vector"])
                .limit(1).to_arrow())
        if not rows.num_rows:
            raise VmbError(f"library {self.path} has no entry {entry_id!r}")
        return np.asarray(rows["vector"][0].as_py(), dtype=np.float32)

    @_reads
    def list(self, filters: dict[str, Any] | None = None, limit: int | None = 50,
             offset: int = 0, *, where: str | None = None) -> list[LibraryEntry]:
        """Entries matching ``filters`` (see :func:`where_clause`) and the SQL ``where``,
        in insertion order."""
        clauses = [c for c in (where_clause(filters), where) if c]
        query = self.table.search()
        if clauses:
            query = query.where(" AND ".join(f"({c})" for c in clauses))
        query = query.limit(None if limit is None else limit + offset)
        return [row_to_entry(r) for r in query.to_arrow().to_pylist()[offset:]]

    @_reads
    def vector_search(self, vector: np.ndarray, k: int, where: str | None = None,
                      exact: bool | None = None) -> list[tuple[LibraryEntry, float]]:
        """The ``k`` entries closest to the unit ``vector`` (384,) among rows matching ``where``,
        as (entry, cosine similarity), best first. ``exact=None`` uses the ANN index when one
        exists and the filter keeps more than a few thousand rows."""
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if exact is None:
            exact = not self.has_ann_index() or (where is not None and self.table.count_rows(where) <= 5000)
        query = self.table.search(vector, vector_column_name="vector").distance_type("cosine")
        if where:
            query = query.where(where, prefilter=True)
        query = query.bypass_vector_index() if exact else query.nprobes(NPROBES).refine_factor(REFINE_FACTOR)
        rows = query.limit(k).to_arrow().to_pylist()
        return [(row_to_entry(r), 1.0 - float(r["_distance"])) for r in rows]

    @_reads
    def stats(self) -> dict:
        """Counts by attribute, disk use and index state (JSON-able)."""
        n = self.table.count_rows()
        cols = ["mode", "tempo_class", "meter", "source", *LIST_COLUMNS]
        data = self.table.search().select(cols).limit(None).to_arrow().to_pydict() if n else {c: [] for c in cols}
        counts = {name: dict(Counter(v or "unknown" for v in data[name]).most_common())
                  for name in ("mode", "tempo_class", "meter")}
        for name in LIST_COLUMNS:
            counts[name] = dict(Counter(t for tags in data[name] for t in tags).most_common(15))
        origins = Counter((s.split(":", 1)[0] if s.startswith("music21:") else
                           Path(s).suffix.lower().lstrip(".") or "other") for s in data["source"])
        disk = 0
        for f in self.path.rglob("*"):
            with contextlib.suppress(FileNotFoundError):  # a concurrent compaction drops old files
                disk += f.stat().st_size if f.is_file() else 0
        return {"path": str(self.path), "format_version": self.manifest["version"],
                "embedding": self.manifest["embedding"], "entries": n, "version": self.table.version,
                "ann_index": self.has_ann_index(), "disk_bytes": disk,
                "bytes_per_entry": round(disk / n, 1) if n else None,
                "sources": dict(origins.most_common()), **counts}


def build_default_library(path: str | os.PathLike | None = None, *, tunes_path: str | None = None,
                          embeddings_path: str | None = None, batch_size: int = 2000) -> Library:
    """The default library at ``path``: the shipped tune corpus with its shipped embeddings
    (no re-embedding, a few seconds). Entries already present are kept, so re-running it, or
    running it after an interrupted build, completes the library without duplicates."""
    from vmb.retrieve.tunes import load_tune_embeddings, load_tunes

    library = Library.open(path)
    with library.writing():  # a folder we cannot write fails now, not after reading the corpus
        pass
    entries = load_tunes(tunes_path)
    embeddings = load_tune_embeddings(embeddings_path)
    if len(entries) != len(embeddings):
        raise VmbError(f"shipped tunes ({len(entries)}) and embeddings ({len(embeddings)}) differ in "
                       f"length; rebuild them with `python scripts/build_tunes.py`")
    # one entry per id: a corpus piece shipped in two formats (bwv277.krn and .mxl) gets one id
    first = {e.id: i for i, e in reversed(list(enumerate(entries)))}
    keep = sorted(first.values())
    entries, embeddings = [entries[i] for i in keep], embeddings[keep]
    for start in range(0, len(entries), batch_size):
        stop = start + batch_size
        library.add_entries(entries[start:stop], embeddings[start:stop], skip_existing=True)
    return library


def open_default_library(path: str | os.PathLike | None = None, *,
                         progress: Callable[[str], None] | None = None) -> Library:
    """The library at ``path`` (default :func:`default_library_path`), built from the shipped
    tunes first if vmb has just created it (:meth:`Library.is_fresh`): what ``vmb generate``
    uses on a fresh machine. A library emptied by its user is an error, never refilled."""
    library = Library.open(path)
    if library.is_fresh():
        if progress:
            progress("building the default music library (first run only)")
        return build_default_library(library.path)
    if library.count() == 0:
        raise VmbError(f"library {library.path} is empty; fill it with `vmb library add` or "
                       f"`vmb library build`")
    return library
