"""Check and repair a music library folder: what ``vmb library check [--repair]`` runs.

:func:`check_library` reads everything a library holds, writing nothing: the manifest, every
version of its LanceDB table (the current one in full, vectors included), the index, and the
versions committed but gone; its :class:`LibraryCheck` lists the problems that make the library
unusable and the notes that are harmless. :func:`repair_library` falls back to the newest
readable table version, rewrites a missing manifest, rebuilds a broken index, and moves what keeps
Lance from opening the table into a ``damaged-<time>`` folder of the library (nothing deleted);
its :class:`LibraryRepair` says what it did and what was lost. Opening, reading, writing and the
damage detection every read needs live in :mod:`vmb.retrieve.store`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.embed import EMBEDDING_DIM
from vmb.retrieve.rows import schema, where_clause
from vmb.retrieve.store import (
    MANIFEST,
    NPROBES,
    TABLE,
    TABLE_DIR,
    Library,
    LibraryDamaged,
    atomic_write_text,
    check_manifest,
    cut_lance_files,
    cut_versions,
    default_library_path,
    describe_damage,
    import_lancedb,
    lance_text,
    new_manifest,
    unopenable,
    version_hint,
    write_lock,
    write_manifest,
)


@dataclass
class VersionCheck:
    """One table version as :func:`check_library` read it: its entry count (as its manifest
    says) and why it cannot be read (None: every data file it uses was read)."""

    version: int
    entries: int | None
    error: str | None = None


@dataclass
class LibraryCheck:
    """What :func:`check_library` found; ``problems`` make the library unusable as it is."""

    path: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, harmless
    versions: list[VersionCheck] = field(default_factory=list)  # newest first
    manifest_ok: bool = False
    index: str = "none"  # "none", "ok", or why the index cannot be used

    @property
    def healthy(self) -> bool:
        return not self.problems

    @property
    def current(self) -> VersionCheck | None:
        return self.versions[0] if self.versions else None

    def newest_readable(self) -> VersionCheck | None:
        return next((v for v in self.versions if v.error is None), None)

    def to_dict(self) -> dict:
        return {**asdict(self), "healthy": self.healthy}


@dataclass
class LibraryRepair:
    """What :func:`repair_library` found (``before``), did, could not bring back, and left."""

    before: LibraryCheck
    after: LibraryCheck
    repaired: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"before": self.before.to_dict(), "repaired": self.repaired, "lost": self.lost,
                "after": self.after.to_dict()}


def _library_folder(path: str | os.PathLike | None) -> Path:
    path = Path(path) if path is not None else default_library_path()
    if path.exists() and not path.is_dir():
        raise VmbError(f"library {path} is not a folder")
    if not (path / MANIFEST).exists() and not (path / TABLE_DIR).exists():
        raise VmbError(f"no library at {path}; build one with `vmb library build`")
    return path


def _bad_vectors(column) -> int:
    """How many of a batch's vectors are null, not finite or not of unit length (they are
    normalised when written)."""
    values = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, EMBEDDING_DIM)
    with np.errstate(invalid="ignore"):
        off = ~(np.abs(np.linalg.norm(values, axis=1) - 1.0) < 1e-3)
    return int(column.null_count + off.sum())


def _read_version(path: Path, table, version: int, expected: int | None, *, full: bool) -> str | None:
    """Why ``version`` of the table cannot be read, or None. ``full`` reads every column and
    checks the vectors; otherwise only the ids are read (every data file is still opened)."""
    try:
        table.checkout(version)
        query = table.search().limit(None)
        if not full:
            query = query.select(["id"])
        rows = bad = 0
        for batch in query.to_batches(8192):
            rows += batch.num_rows
            if full:
                bad += _bad_vectors(batch.column("vector"))
    except Exception as exc:  # noqa: BLE001 - any failure to read it is the answer
        return describe_damage(path, exc)
    if expected is not None and rows != expected:
        return f"it holds {rows} rows, its manifest says {expected}"
    if bad:
        return f"{bad} of its vectors are not finite unit vectors"
    return None


def _check_index(table) -> str:
    """"none", "ok", or why a query through the indexes fails."""
    if not table.list_indices():
        return "none"
    try:
        row = table.search().select(["id", "vector"]).limit(1).to_arrow().to_pylist()[0]
        table.search(np.asarray(row["vector"], np.float32), vector_column_name="vector").distance_type(
            "cosine").nprobes(NPROBES).limit(1).to_arrow()
        table.search().where(where_clause({"id": row["id"]})).limit(1).to_arrow()
    except Exception as exc:  # noqa: BLE001 - any failure to query it is the answer
        return f"its index cannot be read ({lance_text(exc)})"
    return "ok"


def check_library(path: str | os.PathLike | None = None) -> LibraryCheck:
    """Read library ``path`` the way :func:`repair_library` would need it, writing nothing: the
    manifest; every table version (the current one in full, vectors included; older ones by
    their ids, which opens every data file they use) with its row count against its manifest;
    the index; versions committed but gone."""
    path = _library_folder(path)
    report = LibraryCheck(str(path))
    try:
        check_manifest(path)
        report.manifest_ok = True
    except LibraryDamaged as exc:
        report.problems.append(exc.what)
    if not (path / TABLE_DIR).exists():
        report.problems.append(f"its table {TABLE_DIR} is missing")
        return report
    problem = unopenable(path)
    if problem:
        report.problems.append(problem)
        return report
    try:
        table = import_lancedb().connect(str(path)).open_table(TABLE)
        versions = sorted(table.list_versions(), key=lambda v: v["version"], reverse=True)
    except Exception as exc:  # noqa: BLE001 - whatever Lance raises, the table cannot be opened
        report.problems.append(unopenable(path, exc))
        return report
    missing = set(schema().names) - set(table.schema.names)
    if missing:
        raise VmbError(f"library {path} is of another format: its table lacks columns {sorted(missing)}")
    for i, info in enumerate(versions):
        rows = (info.get("metadata") or {}).get("total_rows")
        expected = int(rows) if rows is not None else None
        report.versions.append(VersionCheck(info["version"], expected,
                                            _read_version(path, table, info["version"], expected, full=i == 0)))
    current = report.current
    if current.error:
        report.problems.append(f"version {current.version}, the current one ({current.entries} entries), "
                               f"cannot be read: {current.error}")
    older = [v for v in report.versions[1:] if v.error]
    if older:
        versions = ", ".join(str(v.version) for v in older)
        report.notes.append(f"{len(older)} older version(s) cannot be read ({versions}; "
                            f"version {older[0].version}: {older[0].error})")
    hint = version_hint(path)
    if hint is not None and hint > current.version:
        report.problems.append(f"version {hint} of its table is missing (the newest left is {current.version})")
    if current.error is None:
        table.checkout(current.version)
        report.index = _check_index(table)
        if report.index not in ("none", "ok"):
            report.problems.append(report.index)
    cut = cut_lance_files(path)
    if cut and not any(v.error for v in report.versions) and report.index in ("none", "ok"):
        report.notes.append(f"{len(cut)} file(s) cut short but used by no version (left by an "
                            f"interrupted write): {', '.join(cut[:3])}")
    return report


def _move_aside(path: Path, names: list[str]) -> Path:
    """Move ``names`` (relative to library ``path``) into a new folder ``damaged-<time>`` of the
    library, under the same relative paths: out of Lance's sight, and nothing deleted."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside, n = path / f"damaged-{stamp}", 1
    while aside.exists():
        aside, n = path / f"damaged-{stamp}-{n}", n + 1
    for name in names:
        (aside / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(path / name, aside / name)
    return aside


def _replace_table(path: Path, found: LibraryCheck, repair: LibraryRepair) -> None:
    """A table no version of which can be read: move it aside (not deleted) for an empty one."""
    if (path / TABLE_DIR).exists():
        aside = _move_aside(path, [TABLE_DIR])
        repair.repaired.append(f"moved the unreadable table aside to {aside.name}/{TABLE_DIR} (nothing deleted)")
    table = import_lancedb().connect(str(path)).create_table(TABLE, schema=schema())
    # a second, empty version: this library is not "fresh", so `vmb generate` will not fill it
    # with the bundled corpus unasked
    table.add(schema().empty_table())
    repair.repaired.append(f"created an empty table {TABLE_DIR}")
    repair.lost.append(f"every entry ({found.problems[-1]}; how many it held is unknown)")


def _repair_table(path: Path, found: LibraryCheck, repair: LibraryRepair):
    """Fall back to the newest readable version; returns the repaired table (None if nothing to repair)."""
    readable, current = found.newest_readable(), found.current
    if readable is None:
        if not found.manifest_ok:  # nothing says this folder is a vmb library: touch nothing
            repair.lost.append(f"everything: neither {MANIFEST} nor {TABLE_DIR} can be read; move {path} "
                               f"aside and build a new library")
            return None
        _replace_table(path, found, repair)
        return import_lancedb().connect(str(path)).open_table(TABLE)
    table = import_lancedb().connect(str(path)).open_table(TABLE)
    if current.error:
        table.checkout(readable.version)
        table.restore()  # a new version equal to the readable one; the damaged versions stay
        repair.repaired.append(f"restored version {readable.version} ({readable.entries} entries) "
                               f"as version {table.version}")
        repair.lost.append(f"{(current.entries or 0) - (readable.entries or 0)} entries: version "
                           f"{current.version} held {current.entries}, version {readable.version} (restored) "
                           f"{readable.entries}; the unreadable files are left in place")
    hint = version_hint(path)
    if hint is not None and hint > table.version:
        # the newest commit's manifest is gone: point Lance's hint at the newest version left
        atomic_write_text(path / TABLE_DIR / "_versions" / "latest_version_hint.json",
                           json.dumps({"version": table.version}, separators=(",", ":")))
        repair.repaired.append(f"pointed the table at version {table.version}, the newest left")
        repair.lost.append(f"what version {hint} added or removed (its manifest is lost, so how "
                           f"many entries is unknown)")
    return table


def repair_library(path: str | os.PathLike | None = None) -> LibraryRepair:
    """Make a damaged library usable again, losing nothing that can still be read: fall back to
    the newest readable table version (as a new version: the damaged ones and their files
    stay), rewrite a missing or garbled manifest when the table is intact, rebuild the index.
    What keeps Lance from opening the table (cut version manifests; a table no version of which
    can be read) is moved into a ``damaged-<time>`` folder of the library, never deleted."""
    path = _library_folder(path)
    with write_lock(path):
        before = found = check_library(path)
        repair = LibraryRepair(before, before)
        if before.healthy:
            return repair
        cut = cut_versions(path)
        if not before.versions and cut:  # cut manifests keep the table shut: set them aside, look again
            aside = _move_aside(path, cut)
            repair.repaired.append(f"moved {len(cut)} cut-short version manifest(s) aside to {aside.name}/ "
                                   f"(nothing deleted)")
            found = check_library(path)
        table = _repair_table(path, found, repair)
        if table is not None:
            library = Library(path, table, new_manifest())
            if not found.manifest_ok and table.schema.field("vector").type.list_size == EMBEDDING_DIM:
                write_manifest(path)
                repair.repaired.append(f"rewrote {MANIFEST}")
            if found.index not in ("none", "ok"):
                for index in table.list_indices():
                    table.drop_index(index.name)
                library.ensure_index(force=True)
                repair.repaired.append("rebuilt the index")
            elif library.ensure_index():
                repair.repaired.append("updated the index")
        repair.after = check_library(path)
    return repair
