"""Quality and speed of the offline visual describer (images and videos -> music attributes).

Quality, on the labelled set of benchmarks/visual_set.py (labels written before running vmb):
- valence / arousal sign accuracy and quadrant accuracy (both signs right);
- tempo-class accuracy (slow / medium / fast, vmb.vocab.TEMPO_CLASSES);
- for the transformed variants: how far valence moved from the original picture.
Speed:
- analyse_image on a 12-megapixel JPEG (load with draft decoding + features), median of runs;
- per-frame cost of analyze_video on 160x120 frames, and a 60 s video at 2 fps in total;
- optionally (--huge) a 20000 x 20000 JPEG: time and that it works without decoding it whole.

Run: python benchmarks/describe_visual.py [--variants 2] [--huge] [--verbose]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from visual_set import image_items, photo, video_items  # noqa: E402

from vmb.describe.affect import read_features  # noqa: E402
from vmb.describe.image import analyze_image  # noqa: E402
from vmb.describe.video import analyze_video  # noqa: E402
from vmb.types import VideoTiming  # noqa: E402


def sign(x: float) -> str:
    return "+" if x >= 0 else "-"


def score(items, readings, verbose: bool) -> dict[str, float]:
    rows = []
    for item, r in zip(items, readings):
        a = r.attributes
        ok_v, ok_a = sign(a.valence) == item.valence, sign(a.arousal) == item.arousal
        ok_t = a.tempo_class == item.tempo
        rows.append((ok_v, ok_a, ok_v and ok_a, ok_t))
        if verbose:
            mark = "".join("." if ok else "x" for ok in (ok_v, ok_a, ok_t))
            print(f"  {mark} {item.name:34s} label {item.valence}{item.arousal} {item.tempo:6s} -> "
                  f"v {a.valence:+.2f} a {a.arousal:+.2f} {a.tempo_bpm:3.0f} BPM {a.tempo_class:6s} "
                  f"{r.profile:12s} {', '.join(a.moods)}")
    n = len(rows)
    return {name: sum(r[i] for r in rows) / n for i, name in enumerate(["valence", "arousal", "quadrant", "tempo"])}


def jpeg_12mp(folder: Path) -> Path:
    """A 4000x3000 photo-like JPEG: the astronaut upscaled, with grain so it does not compress away."""
    rng = np.random.default_rng(0)
    big = np.asarray(Image.fromarray(photo("astronaut")).resize((4000, 3000), Image.Resampling.BICUBIC))
    big = np.clip(big + rng.normal(0, 6, big.shape), 0, 255).astype(np.uint8)
    path = folder / "12mp.jpg"
    Image.fromarray(big).save(path, quality=90)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", type=int, default=2, help="random variants per synthetic scene")
    ap.add_argument("--huge", action="store_true", help="also time a 20000x20000 JPEG (needs ~0.5 GB to build)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    items = image_items(args.variants)
    print(f"labelled images: {len(items)}")
    groups = sorted({i.group for i in items})
    readings, times = [], []
    for item in items:
        t0 = time.perf_counter()
        features = analyze_image(item.image)
        times.append(time.perf_counter() - t0)
        readings.append(read_features(features))
    for group in groups + ["all"]:
        pick = [k for k, i in enumerate(items) if group in ("all", i.group)]
        if args.verbose and group != "all":
            print(f"[{group}]")
        s = score([items[k] for k in pick], [readings[k] for k in pick], args.verbose and group != "all")
        print(f"images {group:12s} n={len(pick):3d}  valence {s['valence']:.2f}  arousal {s['arousal']:.2f}  "
              f"quadrant {s['quadrant']:.2f}  tempo class {s['tempo']:.2f}")
    originals = {"astronaut darkened": "astronaut", "coffee desaturated+dark": "coffee",
                 "chelsea blue-shifted+dark": "chelsea"}
    by_name = {i.name: r for i, r in zip(items, readings)}
    shifts = [by_name[t].affect.valence - by_name[o].affect.valence for t, o in originals.items()]
    print(f"transformed photos: valence change {', '.join(f'{s:+.2f}' for s in shifts)} (should be < 0)")
    print(f"analysis time per image (~480x360 arrays): median {statistics.median(times) * 1000:.0f} ms")

    videos = video_items()
    vreadings, vtimes, nframes = [], [], 0
    for v in videos:
        timing = VideoTiming(duration_s=v.duration_s, fps=2.0, width=480, height=360, cuts_s=v.cuts_s)
        t0 = time.perf_counter()
        vf = analyze_video(v.frames, v.times_s, timing)
        vtimes.append(time.perf_counter() - t0)
        nframes += len(v.frames)
        vreadings.append(read_features(vf.summary, vf.pacing()))
    s = score(videos, vreadings, args.verbose)
    print(f"videos n={len(videos)}  valence {s['valence']:.2f}  arousal {s['arousal']:.2f}  "
          f"quadrant {s['quadrant']:.2f}  tempo class {s['tempo']:.2f}")
    bpm = {v.name: r.attributes.tempo_bpm for v, r in zip(videos, vreadings)}
    print("video tempo: " + ", ".join(f"{k} {b:.0f}" for k, b in bpm.items()))
    print(f"video analysis: {sum(vtimes) / nframes * 1000:.1f} ms per 160x120 frame, "
          f"{statistics.median(vtimes):.2f} s per 60 s video at 2 fps (120 frames)")

    with tempfile.TemporaryDirectory() as tmp:
        path = jpeg_12mp(Path(tmp))
        analyze_image(path)  # warm up (cascade load)
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            analyze_image(path)
            runs.append(time.perf_counter() - t0)
        print(f"12-megapixel JPEG ({path.stat().st_size / 1e6:.1f} MB): analyze_image median "
              f"{statistics.median(runs) * 1000:.0f} ms (min {min(runs) * 1000:.0f} ms)")
        if args.huge:
            huge = Path(tmp) / "huge.jpg"
            grey = np.zeros((20000, 20000), np.uint8)
            grey[::7] = 200
            Image.fromarray(grey).save(huge, quality=50)
            del grey
            t0 = time.perf_counter()
            f = analyze_image(huge)
            print(f"20000x20000 JPEG ({huge.stat().st_size / 1e6:.1f} MB): analyze_image "
                  f"{time.perf_counter() - t0:.2f} s, reported size {f.width}x{f.height}")


if __name__ == "__main__":
    main()
