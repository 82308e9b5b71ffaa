"""Build vmb/data/tunes.jsonl.gz (+ tunes_embeddings.npy) from the music21 corpus.

    python scripts/build_tunes.py                # full build (2 processes, cached per file)
    python scripts/build_tunes.py --limit 40     # a quick sample, e.g. for tests
    python scripts/build_tunes.py --embed-only   # recompute the embeddings of the shipped file

Each corpus file's entries are cached under the user cache folder (keyed by BUILD_VERSION), so
a rerun after an interruption only parses what is missing. Needs music21 (`pip install vmb[corpus]`).
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

BUILD_VERSION = 4  # bump when extraction or tagging changes, to invalidate the cache
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
    """Entries of one corpus file as dicts, from the cache or parsed now (runs in a worker)."""
    collection, rel_path, cache_dir, limit = job
    cache = _cache_file(Path(cache_dir), rel_path, limit)
    if cache.exists():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines() if line]
    from vmb.retrieve.corpus import entries_from_abc, entry_from_chorale

    if collection == "bach":
        try:
            entry = entry_from_chorale(rel_path)
        except Exception:  # noqa: BLE001 - a malformed score is skipped, not fatal
            entry = None
        entries = [entry] if entry is not None else []
    else:
        entries = entries_from_abc(rel_path, limit=limit)
    rows = [entry_to_dict(e) for e in entries]
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, cache)
    return rows


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
    with mp.get_context("spawn").Pool(workers) as pool:
        for i, result in enumerate(pool.imap(process_file, jobs, chunksize=4)):
            rows.extend(result)
            if show and (i % 25 == 0 or i == len(jobs) - 1):
                print(f"\r{i + 1}/{len(jobs)} files, {len(rows)} tunes", end="", file=sys.stderr)
    if show:
        print(file=sys.stderr)
    seen, entries = set(), []
    for row in sorted(rows, key=lambda r: r["id"]):
        if row["content_hash"] in seen or row["id"] in seen:
            continue
        seen.update((row["content_hash"], row["id"]))
        entries.append(entry_from_dict(row))
    if limit:
        entries = entries[:limit] if len(entries) > limit else entries
    parse_s = time.perf_counter() - t0
    save_tunes(entries, out)
    if embed:
        write_embeddings(entries, out.with_name(out.name.replace(".jsonl.gz", "_embeddings.npy")), workers,
                         cache_dir / f"v{BUILD_VERSION}")
    return {
        "tunes": len(entries), "duplicates_dropped": len(rows) - len(entries), "files": len(files),
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
    if chunks:
        with mp.get_context("spawn").Pool(workers) as pool:
            parts = pool.map(_encode_chunk, chunks, chunksize=1)
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
        write_embeddings(entries, path, args.workers, args.cache_dir / f"v{BUILD_VERSION}")
        print(json.dumps({"embedded": len(entries), "seconds": round(time.perf_counter() - t0, 1)}))
        return 0
    stats = build(args.limit, args.workers, args.cache_dir, args.out, embed=not args.no_embed)
    print(json.dumps(stats, indent=1))
    return 0


if __name__ == "__main__":
    assert EMBEDDINGS_PATH.name == TUNES_PATH.name.replace(".jsonl.gz", "_embeddings.npy")
    sys.exit(main())
