"""Quality and speed of vmb.describe.describe_text on the labelled prompts.

    python benchmarks/describe_text.py            # accuracy per split
    python benchmarks/describe_text.py -v         # ... and every miss
    python benchmarks/describe_text.py --speed    # cold (with / without the prototype cache), warm, 1 MB

Metrics (over prompts that label the field):
- mood@1: the first mood is one of the acceptable moods; mood-all: every predicted mood is;
- tempo: the tempo class is the labelled one (or one of a labelled list);
- mode: major/minor as labelled;
- genre: no genre predicted when none is expected, else every predicted genre acceptable;
- instruments / excluded: every labelled instrument found (recall);
- moods/prompt: how many moods are output on average (1-3).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data" / "text_prompts.json"


def load_prompts(split: str | None = None) -> list[dict]:
    prompts = json.loads(DATA.read_text())["prompts"]
    return [p for p in prompts if split is None or p["split"] == split]


def score(prompts: list[dict], verbose: bool = False) -> dict[str, float]:
    from vmb.describe.text import describe_text

    hits: dict[str, list[bool]] = {k: [] for k in ("mood@1", "mood-all", "tempo", "mode", "genre", "instruments", "excluded")}
    counts = []
    for p in prompts:
        a = describe_text(p["text"]).attributes
        counts.append(len(a.moods))
        checks = {"mood@1": a.moods[0] in p["moods"], "mood-all": all(m in p["moods"] for m in a.moods)}
        if p.get("tempo"):
            want = p["tempo"] if isinstance(p["tempo"], list) else [p["tempo"]]
            checks["tempo"] = a.tempo_class in want
        if p.get("mode"):
            checks["mode"] = a.mode == p["mode"]
        if p.get("genres") is not None:
            checks["genre"] = all(g in p["genres"] for g in a.genres) if p["genres"] else not a.genres
        if p.get("instruments"):
            checks["instruments"] = all(i in a.instruments for i in p["instruments"])
        if p.get("excluded"):
            checks["excluded"] = all(i in a.excluded_instruments for i in p["excluded"])
        for k, ok in checks.items():
            hits[k].append(ok)
        misses = [k for k, ok in checks.items() if not ok]
        if verbose and misses:
            print(f"  MISS {misses}: {p['text']!r} -> moods={a.moods} tempo={a.tempo_class} "
                  f"mode={a.mode} genres={a.genres} v={a.valence} a={a.arousal}")
    out = {k: (sum(v) / len(v), len(v)) for k, v in hits.items() if v}
    out["moods/prompt"] = (sum(counts) / len(counts), len(counts))
    return out


def _cold(cache_dir: str) -> float:
    code = ("import time; t=time.perf_counter(); from vmb.describe.text import describe_text; "
            "describe_text('calm piano for a rainy night'); print(time.perf_counter()-t)")
    env = dict(os.environ, VMB_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def speed() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"cold, no prototype cache file : {_cold(tmp):.2f} s")
        print(f"cold, prototype cache file    : {_cold(tmp):.2f} s")
    from vmb.describe.text import describe_text

    describe_text("warm up")
    texts = [p["text"] for p in load_prompts()]
    t = time.perf_counter()
    for text in texts:
        describe_text(text)
    print(f"warm, per prompt              : {(time.perf_counter() - t) / len(texts) * 1000:.0f} ms")
    huge = ("The night was long and the rain kept falling on the empty streets. " * 16000)[:1_000_000]
    t = time.perf_counter()
    describe_text(huge)
    print(f"1 MB text                     : {time.perf_counter() - t:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--split", choices=["dev", "heldout"], default=None)
    args = parser.parse_args()
    if args.speed:
        speed()
        return
    for split in [args.split] if args.split else ["dev", "heldout"]:
        prompts = load_prompts(split)
        print(f"{split} ({len(prompts)} prompts)")
        for k, (acc, n) in score(prompts, args.verbose).items():
            print(f"  {k:12s} {acc:6.1%}  (n={n})" if k != "moods/prompt" else f"  {k:12s} {acc:6.2f}")


if __name__ == "__main__":
    main()
