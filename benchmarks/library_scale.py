"""Scale of the music library: synthetic libraries of N entries, and ingest of real files.

Run: nice python benchmarks/library_scale.py --rows 100000 [--rows 1000000] [--ingest 40]
Libraries are written under /tmp (``--dir``) and deleted afterwards (``--keep`` keeps them).

Synthetic entries: attributes drawn from the vocabularies (mode, key, tempo class, meter, 1-2
genres, 2-3 moods, 2-3 instruments) and lead sheets copied from real ones (the shipped tunes
when present, else a fixed 64-note sheet); embeddings are MiniLM embeddings of 400 real
template descriptions plus Gaussian noise (cosine ~0.85 to their centre), so neighbourhoods
are clustered like real description embeddings rather than uniformly random.

Measures, per N: write time, index build time, disk bytes per entry; search latency p50/p95
(broad; targeted with a mode+key+tempo filter; targeted with a 5-attribute filter); recall@10
of the IVF-PQ index against exact search, unfiltered and filtered. Ingest: files per second
per core for real MusicXML/Humdrum files and MIDI renderings of them (music21 corpus).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from vmb.retrieve.rows import entries_to_arrow, schema, where_clause
from vmb.retrieve.search import attribute_filters
from vmb.retrieve.store import Library
from vmb.types import Attributes
from vmb.vocab import GENRES, INSTRUMENTS, KEY_NAMES, METERS, MOODS, TEMPO_CLASSES


def lead_sheet_pool(n: int = 200) -> list[str]:
    """Serialised real lead sheets to copy into synthetic rows."""
    try:
        from vmb.retrieve.tunes import load_tunes

        tunes = [t for t in load_tunes() if t.lead_sheet is not None][:n]
    except Exception:  # noqa: BLE001 - the shipped tunes may be absent
        tunes = []
    if not tunes:
        from vmb.types import Chord, LeadSheet, LibraryEntry, Note

        sheet = LeadSheet(melody=[Note(60 + (i * 7) % 12, i * 0.5, 0.5) for i in range(64)],
                          chords=[Chord(i * 2.0, 2.0, (i * 5) % 12, "maj") for i in range(16)], length_beats=32.0)
        tunes = [LibraryEntry(id="x", lead_sheet=sheet)]
    dummy = np.zeros((len(tunes), 384), np.float32)
    dummy[:, 0] = 1
    return entries_to_arrow(tunes, dummy)["lead_sheet"].to_pylist()


def centres(n: int = 400, seed: int = 0) -> tuple[np.ndarray, list[dict]]:
    """MiniLM embeddings of ``n`` template descriptions and the attributes they state."""
    from vmb.embed import encode_texts

    rng = np.random.default_rng(seed)
    attrs, texts = [], []
    for _ in range(n):
        a = dict(mode=str(rng.choice(["major", "minor"])), key=str(rng.choice(KEY_NAMES)),
                 tempo_class=str(rng.choice(list(TEMPO_CLASSES))), meter=str(rng.choice(METERS)),
                 genres=[str(g) for g in rng.choice(list(GENRES), 2, replace=False)][: rng.integers(1, 3)],
                 moods=[str(m) for m in rng.choice(list(MOODS), 3, replace=False)][: rng.integers(2, 4)],
                 instruments=[str(i) for i in rng.choice(list(INSTRUMENTS), 3, replace=False)][: rng.integers(2, 4)])
        attrs.append(a)
        texts.append(f"A {a['tempo_class']} {a['moods'][0]} and {a['moods'][1]} {a['genres'][0]} piece in "
                     f"{a['key']} {a['mode']}, {a['meter']} time, for {' and '.join(a['instruments'])}.")
    return encode_texts(texts), attrs


def synthetic_batch(start: int, n: int, cent: np.ndarray, attrs: list[dict], sheets: list[str], seed: int):
    """A pyarrow table of ``n`` synthetic rows (ids ``syn-<start+i>``)."""
    import pyarrow as pa


    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(cent), n)
    vec = cent[which] + rng.normal(scale=0.03, size=(n, cent.shape[1])).astype(np.float32)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    # attributes: mostly the centre's (so filters and vectors agree), 30% re-drawn
    cols: dict[str, list] = {name: [] for name in schema().names if name != "vector"}
    for i, c in enumerate(which):
        a = dict(attrs[c])
        if rng.random() < 0.3:
            a = dict(attrs[rng.integers(0, len(attrs))], genres=a["genres"])
        cols["id"].append(f"syn-{start + i:07d}")
        cols["source"].append(f"/music/synthetic/{start + i:07d}.mid")
        cols["content_hash"].append(f"{rng.integers(0, 2**63):016x}{start + i:07d}")
        cols["title"].append(f"Synthetic {start + i}")
        for name in ("tempo_class", "key", "mode", "meter", "genres", "moods", "instruments"):
            cols[name].append(a[name])
        lo, hi, _ = TEMPO_CLASSES[a["tempo_class"]]
        cols["bpm"].append(float(rng.uniform(lo, hi)))
        cols["duration_s"].append(float(rng.uniform(20, 240)))
        cols["description"].append(f"A {a['tempo_class']} {a['moods'][0]} piece in {a['key']} {a['mode']}.")
        cols["lead_sheet"].append(sheets[int(rng.integers(0, len(sheets)))])
        cols["analysis"].append(None)
    arrays = {name: pa.array(values, type=schema().field(name).type) for name, values in cols.items()}
    arrays["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(vec.ravel()), 384)
    return pa.table(arrays, schema=schema()), vec


def disk_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def timed(fn, repeat: int) -> tuple[list[float], list]:
    times, out = [], []
    for i in range(repeat):
        t0 = time.perf_counter()
        out.append(fn(i))
        times.append((time.perf_counter() - t0) * 1000)
    return times, out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def scale_run(rows: int, root: Path, queries: int, batch: int = 50_000) -> dict:
    path = root / f"lib{rows}"
    shutil.rmtree(path, ignore_errors=True)
    library = Library.open(path)
    cent, attrs = centres()
    sheets = lead_sheet_pool()
    t0 = time.perf_counter()
    for start in range(0, rows, batch):
        table, _vec = synthetic_batch(start, min(batch, rows - start), cent, attrs, sheets, seed=start + 1)
        library.table.add(table)
    write_s = time.perf_counter() - t0
    library.compact()
    data_bytes = disk_bytes(path)
    t0 = time.perf_counter()
    library.ensure_index(force=True)
    index_s = time.perf_counter() - t0
    total_bytes = disk_bytes(path)

    rng = np.random.default_rng(7)
    qvec = cent[rng.integers(0, len(cent), queries)] + rng.normal(scale=0.03, size=(queries, 384)).astype(np.float32)
    qvec /= np.linalg.norm(qvec, axis=1, keepdims=True)
    asks = [attrs[i] for i in rng.integers(0, len(attrs), queries)]
    filters3 = [where_clause(attribute_filters(Attributes(mode=a["mode"], key=a["key"], tempo_class=a["tempo_class"])))
                for a in asks]
    filters5 = [where_clause(attribute_filters(Attributes(mode=a["mode"], key=a["key"], tempo_class=a["tempo_class"],
                                                          meter=a["meter"], moods=a["moods"][:1]))) for a in asks]
    result = {"rows": rows, "write_s": round(write_s, 1), "index_s": round(index_s, 1),
              "bytes_per_entry_data": round(data_bytes / rows, 1), "bytes_per_entry_total": round(total_bytes / rows, 1),
              "partition_rows_3": int(np.median([library.table.count_rows(f) for f in filters3[:20]])),
              "partition_rows_5": int(np.median([library.table.count_rows(f) for f in filters5[:20]]))}
    library.vector_search(qvec[0], 10)  # warm the index cache
    for name, where in (("broad", [None] * queries), ("targeted_3", filters3), ("targeted_5", filters5)):
        ann_t, ann = timed(lambda i: [e.id for e, _ in library.vector_search(qvec[i], 10, where[i])], queries)
        exact_t, exact = timed(lambda i: [e.id for e, _ in library.vector_search(qvec[i], 10, where[i], exact=True)],
                               queries)
        recall = [len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(ann, exact)]
        result[name] = {"p50_ms": round(pct(ann_t, 50), 1), "p95_ms": round(pct(ann_t, 95), 1),
                        "exact_p50_ms": round(pct(exact_t, 50), 1), "exact_p95_ms": round(pct(exact_t, 95), 1),
                        "recall_at_10": round(float(np.mean(recall)), 4)}
    return result


def ingest_run(n_files: int, root: Path) -> dict:
    """Files per second per core for real corpus files (MusicXML/Humdrum) and MIDI renderings."""
    from music21 import converter, corpus

    from vmb.retrieve.ingest import ingest

    paths = sorted(str(p) for p in corpus.getPaths() if str(p).endswith((".mxl", ".krn")))
    rng = np.random.default_rng(3)
    picked = [paths[i] for i in sorted(rng.choice(len(paths), n_files, replace=False))]
    scores = root / "scores"
    midis = root / "midis"
    scores.mkdir(exist_ok=True)
    midis.mkdir(exist_ok=True)
    for i, p in enumerate(picked):
        shutil.copy(p, scores / f"{i:03d}_{Path(p).name}")
        try:
            converter.parse(p).write("midi", fp=str(midis / f"{i:03d}.mid"))
        except Exception:  # noqa: BLE001 - music21 cannot render some repeat structures to MIDI
            pass
    out = {}
    for kind, folder in (("score", scores), ("midi", midis)):
        for workers in (1, 2):
            lib_path = root / f"ingest_{kind}_{workers}"
            shutil.rmtree(lib_path, ignore_errors=True)
            report = ingest(Library.open(lib_path), [folder], workers=workers, progress=False)
            out[f"{kind}_workers{workers}"] = {
                "files": report.added_files, "failed": len(report.failed), "seconds": round(report.seconds, 1),
                "files_per_s": round(report.added_files / report.seconds, 2),
                "files_per_s_per_core": round(report.added_files / report.seconds / workers, 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, action="append", help="library sizes (default 100000)")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--ingest", type=int, default=0, help="real files to ingest (0 = skip)")
    ap.add_argument("--dir", default=None, help="where to build (default a temp dir under /tmp)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--out", default=None, help="also write the results here as JSON")
    args = ap.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="vmb_scale_", dir="/tmp"))
    root.mkdir(parents=True, exist_ok=True)
    results = {}
    try:
        for rows in [r for r in args.rows or [100_000] if r > 0]:  # --rows 0: ingest only
            results[f"scale_{rows}"] = r = scale_run(rows, root, args.queries)
            print(json.dumps(r, indent=1), flush=True)
        if args.ingest:
            results["ingest"] = r = ingest_run(args.ingest, root)
            print(json.dumps(r, indent=1), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
