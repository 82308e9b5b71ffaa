"""Build vmb/data/tunes.jsonl.gz (+ tunes_embeddings.npy) from the music21 corpus.

    python scripts/build_tunes.py                # full build (2 processes, cached per file)
    python scripts/build_tunes.py --limit 40     # a quick sample, e.g. for tests
    python scripts/build_tunes.py --embed-only   # recompute the embeddings of the shipped file

Each corpus file's parsed lead sheets are cached under the user cache folder (keyed by
BUILD_VERSION), and description embeddings by their text, so a rerun after an interruption only
parses what is missing, and a change of tagging rebuilds in seconds. Needs music21 (`pip install vmb[corpus]`).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from pathlib import Path

from vmb.retrieve.tunes import EMBEDDINGS_PATH, TUNES_PATH, entry_from_dict, entry_to_dict, save_embeddings, save_tunes

BUILD_VERSION = 5  # bump when extraction changes, to invalidate the parse cache (tags are not cached)
ABC_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")


def corpus_files() -> list[tuple[str, str]]:
    """(collection, path relative to the music21 corpus) of every file used, in a fixed order."""
    from vmb.retrieve.corpus import corpus_root

    root = corpus_root()
    files = []
    for collection in ABC_COLLECTIONS + ("bach",):
        folder = os.path.join(root, collection)
        for name in sorted(os.listdir(folder)):
            if collection == "bach" and not name.endswith((".mxl", ".xml", ".krn")):
                continue
            if name.endswith(".krn") and os.path.exists(os.path.join(folder, name[:-4] + ".mxl")):
                continue  # the same chorale in two encodings: keep the MusicXML one
            if collection != "bach" and not name.endswith(".abc"):
                continue
            files.append((collection, f"{collection}/{name}"))
    return files


def _cache_file(cache_dir: Path, rel_path: str, limit: int | None) -> Path:
    suffix = f".limit{limit}" if limit else ""
    return cache_dir / f"v{BUILD_VERSION}" / (rel_path.replace("/", "__") + suffix + ".jsonl")


def process_file(job: tuple[str, str, str, int | None]) -> list[dict]:
    """Parsed tunes of one corpus file as {"id", "info", "sheet"} dicts, from the cache or
    parsed now (runs in a worker). Tags are not cached: they are derived at merge time."""
    collection, rel_path, cache_dir, limit = job
    cache = _cache_file(Path(cache_dir), rel_path, limit)
    if cache.exists():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines() if line]
    from dataclasses import asdict

    from vmb.retrieve.corpus import sheet_from_chorale, sheets_from_abc
    from vmb.types import LibraryEntry

    if collection == "bach":
        try:
            parsed = sheet_from_chorale(rel_path)
        except Exception:  # noqa: BLE001 - a malformed score is skipped, not fatal
            parsed = None
        tunes = [parsed] if parsed is not None else []
    else:
        tunes = sheets_from_abc(rel_path, limit=limit)
    rows = [{"id": entry_id, "info": asdict(info),
             "sheet": entry_to_dict(LibraryEntry(id=entry_id, lead_sheet=sheet))["lead_sheet"]}
            for entry_id, sheet, info in tunes]
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, cache)
    return rows


def tag_rows(rows: list[dict]) -> list:
    """Library entries from cached rows: tagged now, sorted by id, one per id and per melody."""
    from vmb.retrieve.corpus import make_entry, melody_hash
    from vmb.retrieve.tagging import TuneInfo

    seen, entries = set(), []
    for row in sorted(rows, key=lambda r: r["id"]):
        sheet = entry_from_dict({"id": row["id"], "lead_sheet": row["sheet"]}).lead_sheet
        digest = melody_hash(sheet)
        if digest in seen or row["id"] in seen:
            continue  # the same tune in two tune books (O'Neill's overlapping files)
        seen.update((digest, row["id"]))
        entries.append(make_entry(sheet, TuneInfo(**row["info"]), row["id"]))
    return entries


def build(limit: int | None, workers: int, cache_dir: Path, out: Path, embed: bool) -> dict:
    """Parse, deduplicate (same melody in two tune books), sort by id, write; returns stats."""
    t0 = time.perf_counter()
    files = corpus_files()
    if limit:  # a few files per collection, a few tunes per file
        per_collection = max(1, math.ceil(limit / 6))
        by_col: dict[str, list] = {}
        for col, rel in files:
            by_col.setdefault(col, []).append(rel)
        files = [(col, rel) for col, rels in by_col.items()
                 for rel in (rels[:per_collection] if col in ("bach", "ryansMammoth")
                             else rels[len(rels) // 3 :: max(1, len(rels) // 2)][:2])]
    per_file_limit = max(1, math.ceil(limit / 6)) if limit else None
    jobs = [(col, rel, str(cache_dir), None if col in ("bach", "ryansMammoth") else per_file_limit)
            for col, rel in files]
    rows: list[dict] = []
    show = sys.stderr.isatty()
    pool = mp.get_context("spawn").Pool(workers) if workers > 1 else None
    try:
        results = pool.imap(process_file, jobs, chunksize=4) if pool else map(process_file, jobs)
        for i, result in enumerate(results):
            rows.extend(result)
            if show and (i % 25 == 0 or i == len(jobs) - 1):
                print(f"\r{i + 1}/{len(jobs)} files, {len(rows)} tunes", end="", file=sys.stderr)
    finally:
        if pool:
            pool.close()
            pool.join()
    if show:
        print(file=sys.stderr)
    entries = tag_rows(rows)
    duplicates = len(rows) - len(entries)
    if limit:
        entries = entries[:limit] if len(entries) > limit else entries
    parse_s = time.perf_counter() - t0
    save_tunes(entries, out)
    if embed:
        write_embeddings(entries, out.with_name(out.name.replace(".jsonl.gz", "_embeddings.npy")), workers,
                         cache_dir)
    return {
        "tunes": len(entries), "duplicates_dropped": duplicates, "files": len(files),
        "parse_s": round(parse_s, 1), "total_s": round(time.perf_counter() - t0, 1),
        "size_mb": round(out.stat().st_size / 1e6, 2),
        "by_collection": dict(Counter(e.id.split("/")[0] for e in entries)),
        "by_meter": dict(Counter(e.meter for e in entries)),
        "by_mode": dict(Counter(e.mode for e in entries)),
    }


def _encode_chunk(texts: list[str]):
    from vmb.embed import encode_texts

    return encode_texts(texts)


def write_embeddings(entries, path: Path, workers: int = 2, cache_dir: Path | None = None) -> None:
    """MiniLM embeddings of the descriptions (each distinct text encoded once, cached), float16."""
    import numpy as np

    cache = cache_dir / "description_embeddings.npz" if cache_dir else None
    known: dict[str, np.ndarray] = {}
    if cache and cache.exists():
        with np.load(cache) as data:
            known = dict(zip(data["texts"].tolist(), data["vectors"]))
    texts = sorted({e.description for e in entries} - set(known))
    chunks = [texts[i : i + 128] for i in range(0, len(texts), 128)]
    if chunks and workers > 1:
        with mp.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_encode_chunk, chunks, chunksize=1)
    else:
        parts = [_encode_chunk(c) for c in chunks]
    if chunks:
        known.update(zip(texts, np.concatenate(parts)))
        if cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f"tmp{os.getpid()}.npz")
            names = sorted(known)
            np.savez(tmp, texts=np.array(names), vectors=np.stack([known[t] for t in names]))
            os.replace(tmp, cache)
    save_embeddings(np.stack([known[e.description] for e in entries]) if entries else np.zeros((0, 384)), path)


def main(argv: list[str] | None = None) -> int:
    from platformdirs import user_cache_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="build only about N tunes (quick sample)")
    ap.add_argument("--workers", type=int, default=2, help="parallel parsing processes")
    ap.add_argument("--out", type=Path, default=TUNES_PATH, help="output .jsonl.gz")
    ap.add_argument("--cache-dir", type=Path, default=Path(user_cache_dir("vmb")) / "tunes_build")
    ap.add_argument("--no-embed", action="store_true", help="skip the description embeddings")
    ap.add_argument("--embed-only", action="store_true", help="only (re)compute the embeddings of --out")
    args = ap.parse_args(argv)
    # One BLAS thread per worker process: with more, OpenBLAS threads fight over 2 cores.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if args.embed_only:
        from vmb.retrieve.tunes import load_tunes

        t0 = time.perf_counter()
        entries = load_tunes(args.out)
        path = args.out.with_name(args.out.name.replace(".jsonl.gz", "_embeddings.npy"))
        write_embeddings(entries, path, args.workers, args.cache_dir)
        print(json.dumps({"embedded": len(entries), "seconds": round(time.perf_counter() - t0, 1)}))
        return 0
    stats = build(args.limit, args.workers, args.cache_dir, args.out, embed=not args.no_embed)
    print(json.dumps(stats, indent=1))
    return 0


if __name__ == "__main__":
    assert EMBEDDINGS_PATH.name == TUNES_PATH.name.replace(".jsonl.gz", "_embeddings.npy")
    sys.exit(main())
