"""Retrieval quality on the default library: precision@5 per attribute, broad vs targeted.

Run: python benchmarks/library_quality.py [--library DIR] [--out results.json]
(default: builds the default library from the shipped tunes in a temp dir, a few seconds).

Queries are attribute sentences like "slow, sad piece in D minor for strings", each with the
attributes a user (or the describe stage) would pass: key + mode, tempo class, a mood and an
instrument, sometimes a meter. 36 queries cover 3 tempo classes x 2 modes x 3 keys x 2
phrasings; the keys are the three most common of each mode in the library. Each query's
sentence is embedded with MiniLM (the text bridge) and sent to

- broad: ``search.broad(library, embedding, 5)`` (embedding similarity only);
- targeted: ``search.targeted(library, embedding, attributes, 5)`` (partition + similarity);
- targeted_transposed: the same with ``transpose_key=True`` (what ``vmb generate`` uses: the
  composer transposes the reference, so only the mode must match, not the tonic).

precision@5 of an attribute = the share of the 5 results that have the asked value (list
attributes: the entry's list contains it). "key+mode+tempo" needs all three. ``available``
counts the library entries with the asked key, mode and tempo class: below 5 no search can
reach 1.0, so those queries are reported apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from vmb.embed import encode_texts
from vmb.retrieve.search import broad, targeted
from vmb.retrieve.store import Library, build_default_library
from vmb.types import Attributes, LibraryEntry

MOODS = {("slow", "minor"): ["sad", "melancholic"], ("slow", "major"): ["calm", "peaceful"],
         ("medium", "minor"): ["nostalgic", "mysterious"], ("medium", "major"): ["hopeful", "uplifting"],
         ("fast", "minor"): ["dramatic", "energetic"], ("fast", "major"): ["happy", "playful"]}
INSTRUMENTS = ["strings", "violin", "flute", "harp", "accordion", "acoustic guitar", "choir", "clarinet"]
TEMPO_WORDS = {"slow": ["slow", "gentle"], "medium": ["moderate", "flowing"], "fast": ["fast", "lively"]}
PHRASINGS = ["{tempo}, {mood} piece in {key} {mode} for {instrument}",
             "a {mood} {tempo} tune in {key} {mode}, {meter} time, played on the {instrument}"]


def queries(library: Library) -> list[tuple[str, Attributes]]:
    """36 (sentence, attributes) pairs over the library's most common keys."""
    keys = Counter((e["key"], e["mode"]) for e in library.table.search().select(["key", "mode"])
                   .limit(None).to_arrow().to_pylist())
    out = []
    i = 0
    for mode in ("minor", "major"):
        top = [k for (k, m), _ in keys.most_common() if m == mode][:3]
        for tempo in ("slow", "medium", "fast"):
            for key in top:
                for p, phrasing in enumerate(PHRASINGS):
                    mood = MOODS[(tempo, mode)][p]
                    instrument = INSTRUMENTS[i % len(INSTRUMENTS)]
                    meter = ["3/4", "6/8", "4/4", "2/4"][i % 4] if p == 1 else None
                    i += 1
                    text = phrasing.format(tempo=TEMPO_WORDS[tempo][p], mood=mood, key=key, mode=mode,
                                           instrument=instrument, meter=meter)
                    out.append((text[0].upper() + text[1:], Attributes(
                        key=f"{key} {mode}", tempo_class=tempo, moods=[mood], instruments=[instrument],
                        meter=meter)))
    return out


def hits(entry: LibraryEntry, a: Attributes) -> dict[str, bool]:
    key, mode = a.key.split()
    out = {"key": entry.key == key, "mode": entry.mode == mode, "tempo_class": entry.tempo_class == a.tempo_class,
           "moods": a.moods[0] in entry.moods, "instruments": a.instruments[0] in entry.instruments}
    if a.meter:
        out["meter"] = entry.meter == a.meter
    out["key+mode+tempo"] = out["key"] and out["mode"] and out["tempo_class"]
    return out


def evaluate(library: Library) -> dict:
    qs = queries(library)
    vectors = encode_texts([text for text, _ in qs])
    tracks = {"broad": lambda vec, a: broad(library, vec, 5),
              "targeted": lambda vec, a: targeted(library, vec, a, 5),
              "targeted_transposed": lambda vec, a: targeted(library, vec, a, 5, transpose_key=True)}
    per_track: dict[str, dict[str, list[float]]] = {t: {} for t in tracks}
    latency: dict[str, list[float]] = {t: [] for t in tracks}
    rows = []
    for (text, a), vec in zip(qs, vectors):
        key, mode = a.key.split()
        available = library.count({"key": key, "mode": mode, "tempo_class": a.tempo_class})
        row = {"query": text, "available": available}
        for track, search in tracks.items():
            t0 = time.perf_counter()
            refs = search(vec, a)
            latency[track].append((time.perf_counter() - t0) * 1000)
            table = [hits(r.entry, a) for r in refs]
            precision = {name: float(np.mean([h[name] for h in table])) for name in table[0]}
            row[track] = precision
            if available >= 5:
                for name, value in precision.items():
                    per_track[track].setdefault(name, []).append(value)
        rows.append(row)
    summary = {track: {name: round(float(np.mean(v)), 3) for name, v in table.items()}
               for track, table in per_track.items()}
    return {"entries": library.count(), "queries": len(qs),
            "queries_with_5_available": sum(r["available"] >= 5 for r in rows),
            "precision_at_5": summary,
            "latency_ms_p50": {t: round(statistics.median(v), 1) for t, v in latency.items()},
            "latency_ms_p95": {t: round(float(np.percentile(v, 95)), 1) for t, v in latency.items()},
            "per_query": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", default=None, help="an existing library (default: build the default one)")
    ap.add_argument("--tunes", default=None, help="tunes.jsonl.gz to build from (default: the shipped one)")
    ap.add_argument("--embeddings", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        if args.library:
            library = Library.open(args.library, create=False)
        else:
            t0 = time.perf_counter()
            library = build_default_library(Path(tmp) / "lib", tunes_path=args.tunes,
                                            embeddings_path=args.embeddings)
            print(f"built the default library: {library.count()} entries in {time.perf_counter() - t0:.1f} s")
        result = evaluate(library)
    print(f"{result['queries']} queries, {result['queries_with_5_available']} with >= 5 entries of the asked "
          f"key, mode and tempo class (precision over those)")
    names = list(result["precision_at_5"]["targeted"])
    print(f"{'precision@5':16s}" + "".join(f"{n:>16s}" for n in names))
    for track in result["precision_at_5"]:
        print(f"{track[:16]:16s}" + "".join(f"{result['precision_at_5'][track].get(n, float('nan')):16.3f}" for n in names))
    print(f"latency p50/p95 ms: broad {result['latency_ms_p50']['broad']}/{result['latency_ms_p95']['broad']}, "
          f"targeted {result['latency_ms_p50']['targeted']}/{result['latency_ms_p95']['targeted']}")
    short = [r for r in result["per_query"] if r["available"] < 5]
    for r in short:
        print(f"  under-supplied ({r['available']} available): {r['query']}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
