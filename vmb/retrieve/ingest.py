"""Ingest music files into a :class:`~vmb.retrieve.store.Library`: analyse, tag, embed, append.

- Files: MIDI, MusicXML/ABC/Humdrum (symbolic analysis) and WAV/FLAC/OGG/MP3 (audio analysis);
  folders are searched recursively, in sorted order.
- Idempotent and resumable: the sha256 of a file's bytes is its key; a file whose hash the
  library holds is skipped, so re-running an interrupted ingest adds exactly the rest.
- Parallel: files are analysed in a process pool (``workers``), one file per task; the main
  process embeds the descriptions (MiniLM) and appends to the library in batches. Each batch
  is one atomic LanceDB commit under the library's write lock: a SIGKILL loses at most the
  batch in flight (re-ingested next time), never what the library held; on SIGINT the batch
  in hand is written before the KeyboardInterrupt goes on.
- Broken files are reported by name with the reason and skipped; the rest go on.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sys
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from vmb import VmbError
from vmb.retrieve.analyze_audio import AUDIO_SUFFIXES
from vmb.retrieve.analyze_symbolic import MIDI_SUFFIXES, SCORE_SUFFIXES
from vmb.retrieve.autotag import RuleTagger, Tagger
from vmb.retrieve.store import Library
from vmb.types import LibraryEntry

SUPPORTED_SUFFIXES = MIDI_SUFFIXES + SCORE_SUFFIXES + AUDIO_SUFFIXES
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


@dataclass
class IngestReport:
    """What an ingest did. ``failed`` holds (path, one-line reason)."""

    added: list[str] = field(default_factory=list)  # entry ids
    added_files: int = 0
    skipped_existing: list[str] = field(default_factory=list)  # paths already in the library
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"added": self.added, "added_files": self.added_files,
                "skipped_existing": self.skipped_existing,
                "failed": [{"path": p, "reason": r} for p, r in self.failed], "seconds": round(self.seconds, 2)}


@dataclass
class FileResult:
    path: str
    content_hash: str
    entries: list[LibraryEntry] = field(default_factory=list)
    analyses: list[dict] = field(default_factory=list)
    error: str | None = None


def find_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[tuple[str, str]]]:
    """(supported files under ``paths`` in sorted order, [(path, reason)] for what is skipped).

    Folders are searched recursively; every file that is skipped is named with its reason
    (an unsupported type, a missing path), except hidden files such as ``.DS_Store``."""
    files: list[Path] = []
    failed: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if not p.is_file() or any(part.startswith(".") for part in p.relative_to(path).parts):
                    continue
                if p.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(p)
                else:
                    failed.append((str(p), f"unsupported file type {p.suffix or '(none)'}"))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                failed.append((str(path), f"unsupported file type {path.suffix or '(none)'}; "
                                          f"vmb reads {' '.join(SUPPORTED_SUFFIXES)}"))
        else:
            failed.append((str(path), "no such file or folder"))
    return list(dict.fromkeys(p.resolve() for p in files)), failed


def file_hash(path: str | os.PathLike) -> str:
    """sha256 of the file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def entry_id(path: Path, content_hash: str, index: int, count: int) -> str:
    """A readable, unique id: ``<file stem slug>-<hash prefix>`` (+ ``#i`` in a tune book)."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")[:40] or "file"
    base = f"{slug}-{content_hash[:10]}"
    return f"{base}#{index}" if count > 1 else base


def analyze_file(path: str | os.PathLike, content_hash: str | None = None, *,
                 tagger: Tagger | None = None, transcribe: bool = True) -> FileResult:
    """Analyse and tag one file into library entries (no embedding, nothing written).
    Errors are returned in ``FileResult.error`` (one line), never raised."""
    path = Path(path)
    tagger = tagger or build_library_tagger()
    try:
        content_hash = content_hash or file_hash(path)
        suffix = path.suffix.lower()
        if suffix in AUDIO_SUFFIXES:
            from vmb.retrieve.analyze_audio import analyze_audio, load_audio

            samples = load_audio(path)  # decoded once, for the analysis and the tagger
            pairs = analyze_audio(path, transcribe_notes=transcribe, audio=samples)
            audio = samples if getattr(tagger, "needs_audio", False) else None
        else:
            from vmb.retrieve.analyze_symbolic import analyze_symbolic

            pairs, audio = analyze_symbolic(path), None
        result = FileResult(str(path), content_hash)
        for i, (analysis, sheet) in enumerate(pairs):
            eid = entry_id(path, content_hash, i, len(pairs))
            tags = tagger.tag(analysis, sheet, entry_id=eid, audio=audio)
            result.entries.append(LibraryEntry(
                id=eid, title=analysis.title, source=sheet.source or str(path), content_hash=content_hash,
                duration_s=analysis.duration_s, genres=tags.genres, moods=tags.moods,
                instruments=tags.instruments, bpm=tags.bpm, tempo_class=tags.tempo_class,
                key=sheet.key, mode=sheet.mode, meter=sheet.meter, description=tags.description,
                lead_sheet=sheet))
            heard = {"energy": tags.energy, "heard": tags.heard} if tags.heard is not None else {}
            result.analyses.append({**analysis.to_dict(), "tagger": tagger.name, **heard})
        return result
    except VmbError as exc:
        return FileResult(str(path), content_hash or "", error=str(exc).replace(f"{path}: ", "", 1))
    except Exception as exc:  # noqa: BLE001 - a broken file must never stop the ingest
        return FileResult(str(path), content_hash or "", error=f"{type(exc).__name__}: {exc}"[:300])


def build_library_tagger(name: str = "musicnn", *, clap_model: str | None = None) -> Tagger:
    """The ingest tagger called ``name``: "musicnn" (default), "rules" or "clap" (needs
    ``clap_model``, a local CLAP checkpoint folder). VmbError for anything else."""
    if name == "musicnn":
        from vmb.retrieve.musicnn import MusicnnTagger

        return MusicnnTagger()
    if name == "rules":
        return RuleTagger()
    if name == "clap":
        if not clap_model:
            raise VmbError("the clap tagger needs a local CLAP checkpoint folder (--clap-model DIR)")
        if not (Path(clap_model) / "config.json").is_file():  # say so once, not once per file
            raise VmbError(f"CLAP checkpoint {clap_model}: no config.json there")
        from vmb.retrieve.clap import ClapTagger

        return ClapTagger(clap_model)
    raise VmbError(f"unknown tagger {name!r}; use musicnn, rules or clap")


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and writes its batch


def _embed(texts: list[str]) -> np.ndarray:
    from vmb.embed import encode_texts

    return encode_texts(texts)


def _progress_bar(enabled: bool, total: int):
    if not (enabled and sys.stderr.isatty() and total):
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("ingest"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   TextColumn("{task.description}"), console=Console(stderr=True), transient=True)
    bar.start()
    bar.add_task("", total=total)
    return bar


def ingest(library: Library, paths: Iterable[str | os.PathLike], *, workers: int = 2,
           progress: bool = True, tagger: Tagger | None = None, transcribe: bool = True,
           batch_size: int = 32) -> IngestReport:
    """Add the music files under ``paths`` to ``library`` (see the module docstring).

    ``workers`` processes analyse files (1 = in this process); ``tagger`` defaults to
    :class:`~vmb.retrieve.musicnn.MusicnnTagger` (musicnn auto-tagging of audio files, the rules
    for symbolic ones); ``transcribe=False`` skips basic-pitch for audio.
    """
    start = time.perf_counter()
    report = IngestReport()
    files, report.failed = find_files(paths)
    todo: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for path in files:
        try:
            digest = file_hash(path)
        except OSError as exc:
            report.failed.append((str(path), f"cannot read it ({exc.strerror or exc})"))
            continue
        if digest in seen:
            report.skipped_existing.append(str(path))  # same bytes as another file of this run
        else:
            seen.add(digest)
            todo.append((path, digest))
    with library.writing():  # under the lock: fails now, not after the analysis, on a read-only library
        have = library._existing("content_hash", [d for _, d in todo])
    report.skipped_existing += [str(p) for p, d in todo if d in have]
    todo = [(p, d) for p, d in todo if d not in have]

    pending: list[FileResult] = []

    def flush() -> None:
        if not pending:
            return
        entries = [e for r in pending for e in r.entries]
        analyses = [a for r in pending for a in r.analyses]
        added = library.add_entries(entries, _embed([e.description for e in entries]), analyses=analyses,
                                    skip_existing=True)
        report.added += added
        added_ids = set(added)
        for result in pending:
            if any(e.id in added_ids for e in result.entries):
                report.added_files += 1
            elif result.entries:  # a concurrent ingest added this file since we looked (seen under the lock)
                report.skipped_existing.append(result.path)
        pending.clear()

    def take(result: FileResult) -> None:
        if result.error:
            report.failed.append((result.path, result.error))
        else:
            pending.append(result)
            if sum(len(r.entries) for r in pending) >= batch_size:
                flush()

    bar = _progress_bar(progress, len(todo))
    try:
        if workers <= 1 or len(todo) <= 1 or not _can_spawn():
            for path, digest in todo:
                take(analyze_file(path, digest, tagger=tagger, transcribe=transcribe))
                if bar:
                    bar.update(0, advance=1, description=path.name)
        else:
            _run_pool(todo, workers, tagger, transcribe, take, report, bar)
        flush()
    except KeyboardInterrupt:
        flush()  # keep what was analysed; the rerun skips it
        raise
    finally:
        if bar:
            bar.stop()
    report.seconds = time.perf_counter() - start
    return report


def _can_spawn() -> bool:
    """Spawned workers re-import ``__main__`` from its file: impossible for code read from stdin."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.exists(main_file)


def _run_pool(todo, workers, tagger, transcribe, take, report, bar) -> None:
    saved = {k: os.environ.get(k) for k in _THREAD_ENV}
    os.environ.update({k: "1" for k in _THREAD_ENV})  # one core per worker: no oversubscription
    try:
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_worker_init,
                                   mp_context=multiprocessing.get_context("spawn"))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    futures = {pool.submit(analyze_file, p, d, tagger=tagger, transcribe=transcribe): p for p, d in todo}
    try:
        for future in as_completed(futures):
            path = futures[future]
            try:
                take(future.result())
            except BrokenExecutor:
                report.failed.append((str(path), "the analysis process crashed (on this or a "
                                                 "concurrent file); run the ingest again to retry"))
            if bar:
                bar.update(0, advance=1, description=path.name)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def reference_entry(path: str | os.PathLike, *, library: Library | None = None,
                    tagger: Tagger | None = None, transcribe: bool = True) -> tuple[LibraryEntry, np.ndarray]:
    """A user's reference file (``--reference my_song.mp3``) as (entry, (384,) embedding),
    analysed like an ingest but not stored; the stored entry if ``library`` already holds
    the file. Raises VmbError for an unreadable or unsupported file."""
    path = Path(path)
    if not path.is_file():
        raise VmbError(f"reference {path}: no such file")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise VmbError(f"reference {path}: unsupported file type; vmb reads {' '.join(SUPPORTED_SUFFIXES)}")
    digest = file_hash(path)
    if library is not None:
        stored = library.list({"content_hash": digest}, limit=1)
        if stored:
            return stored[0], library.embedding(stored[0].id)
    result = analyze_file(path, digest, tagger=tagger, transcribe=transcribe)
    if result.error:
        raise VmbError(f"reference {path}: {result.error}")
    entry = result.entries[0]
    return entry, _embed([entry.description])[0]
