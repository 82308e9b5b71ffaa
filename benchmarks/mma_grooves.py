"""Do MMA's drum grooves help a genre be heard? Before/after on the controls_heard genre block (issue #13).

Debian's ``mma`` package (GPL-2+, ``apt-get install mma``) installs about 2,000 grooves under
``/usr/share/mma/lib``; :mod:`vmb.render.arrange.mma` reads their drum tracks at run time (none
of it is in this repository). This benchmark renders the controls_heard genre block (the
neutral text "background music for a video", ``--genre G``, 20 s, 4 seeds, ecmg, every genre of
the vocabulary) once with vmb's grooves, then, for each candidate MMA groove of a genre, that
genre's 4 clips again with the MMA groove's drums in place of the style's drum part (its
hand-percussion part, if any, falls silent: the MMA groove brings its own). Every clip is
tagged by both musicnn models and scored as controls_heard does
(:func:`vmb.evaluate.heard.evaluate_attribute`): a genre's AUC is against the other genres'
clips, which stay the same clips, so only the evaluated genre's drums change. ``others`` is the
mean AUC change of the other scored genres (the swapped clips are their negatives).

The swap is a monkeypatch in the workers, not a vmb option: ``grooves.groove_hits`` returns
:meth:`MmaGroove.vmb_hits` for the style's drum groove (vmb keeps its fills, crashes, the
style's swing on exact off-beats, humanising and the mix). In both runs the drum parts are
humanised from their own random stream, so the swap leaves every other part's notes alone
(the arranger shares one generator across parts). Latin and reggae have no musicnn tag, so
they get no AUC; their groove rows still describe what changes. An MMA groove plays the same
bars at every energy, where vmb switches between its light, main and full grids: the controls
(``--controls``) separate that from the pattern itself.

``--check`` compares the reader with MMA itself: each candidate is compiled by ``mma`` (the
package's command) into MIDI and its drum notes matched with the reader's hits (within 0.06
beats: MMA's RTime jitter; MMA's RSkip drops hits at random, so MMA may have fewer).

Groove table: hits per bar (all drums, MMA's bars averaged; vmb at its "main" level), kicks,
backbeats (snare, clap, side stick), share of hits off the straight 16th grid, and "swing", the
mean position of the off-grid 16th-pair hits in their pair (0.5 straight, 0.6 the zoom library's
rounded 12-per-beat grid, 0.67 triplets); vmb's own swing is the style's, applied later.

Run: python benchmarks/mma_grooves.py [--genre G ...] [--seeds 4] [--genre-seeds N] [--groove SPEC ...]
     [--controls] [--workers 1] [--cache FILE] [--grooves-only] [--check] [--json]
     (``--cache`` keeps every tagged clip in a JSON file and reuses it on the next run)

Measured on vmb b4a47eb with Debian's mma 21.09 data (ecmg, 20 s clips, 2 shared cores,
--workers 1; ``python benchmarks/mma_grooves.py --workers 1 --cache mma.json``: 148 clips in 6.0
min; then ``--genre rock --genre funk --genre-seeds 12 --controls`` with the same cache: 100 more
clips in 3.2 min). delta in points (100 x the genre's tag probability, requested minus the other
genres' clips), others = mean AUC change of the other scored genres. The grooves (hits, kicks
and backbeats per bar, off-16th share, 16th-pair swing; see above):

    genre      groove                         bars  hits  kick  back  off16  swing  notes
    hip hop    vmb boom_bap                      2  13.0   3.0   2.0     0%      -  style swing 0.57 on 16ths
               zoom/hiphop:HIP01                 2  18.0   6.0   3.5    19%   0.60
               zoom/hiphop:HIP06                 2  14.0   3.5   2.0    11%   0.60
               casio/hip-hop:Hip-Hop             4  25.8   3.0   3.0     0%      -
    electronic vmb four_floor                    2  18.0   4.0   2.0     0%      -  style swing 0.5 on eighths
               zoom/house:HOUS01                 2  16.0   4.0   2.0    12%   0.60
               casio/house:House                 2  14.0   4.0   2.0     0%      -
               zoom/techno:TECH01                2  13.0   4.0   3.0     8%   0.50
    rock       vmb rock                          2  13.0   3.0   2.0     0%      -  style swing 0.5 on eighths
               zoom/rock:ROCK04                  2  14.0   3.5   2.0     4%   0.80
               pflib/rock1:rock1A                4  16.5   6.5   2.0     0%      -
               casio/rock1:Rock1                 2  17.0   3.0   2.0     0%      -
    funk       vmb funk                          2  25.0   4.0   5.0     0%      -  style swing 0.54 on 16ths
               zoom/funk:FUNK09                  2  23.0   4.5   2.5    46%   0.54
               casio/funk2:Funk2                 4  19.2   4.0   4.0    30%   0.64
               kara/Kfunk1:Kfunk1A               4  22.2   4.2   2.0     2%   0.54
    country    vmb train                         2  12.0   2.0   8.0     0%      -  style swing 0.5 on eighths
               zoom/country:CNTR04               2  20.0   4.0   4.0    22%   0.62
               zoom/cntry:CNTRY                  2  17.0   4.0   2.0     0%      -
               yamaha/western:WesternMainB       4  24.0   4.0  12.0     0%      -
    latin      vmb latin_kit+latin_perc          2  32.5   4.0   7.0     0%      -  style swing 0.5 on eighths
               stdlib/bossanova:BossaNova        4  25.0   4.0   2.5     0%      -
               zoom/latin:LATN03                 2  14.0   1.5   0.0     0%      -
    reggae     vmb one_drop                      2  11.0   1.0   1.0     0%      -  style swing 0.55 on eighths
               zoom/reggae:REGG01                2  15.0   4.0   2.5     0%      -
               zoom/reggae:REGG02                2  14.0   1.5   4.5    11%   0.80

    genre      drums                            n   AUC   dAUC  delta  ddelta  others
    hip hop    vmb boom_bap                     4  1.00          +1.4
               zoom/hiphop:HIP01                4  1.00  +0.00   +1.1    -0.3  +0.000
               zoom/hiphop:HIP06                4  1.00  +0.00   +1.4    +0.0  +0.000
               casio/hip-hop:Hip-Hop            4  1.00  -0.00   +0.6    -0.8  +0.000
    electronic vmb four_floor                   4  1.00         +43.7
               zoom/house:HOUS01                4  1.00  +0.00  +42.4    -1.3  +0.000
               casio/house:House                4  1.00  +0.00  +42.3    -1.4  +0.000
               zoom/techno:TECH01               4  1.00  +0.00  +42.1    -1.6  +0.000
    rock       vmb rock                         4  0.98         +13.9
               zoom/rock:ROCK04                 4  1.00  +0.02  +17.1    +3.2  -0.002
               pflib/rock1:rock1A               4  0.97  -0.01  +12.6    -1.2  -0.003
               casio/rock1:Rock1                4  0.99  +0.01  +13.7    -0.2  -0.002
    funk       vmb funk                         4  1.00         +16.3
               zoom/funk:FUNK09                 4  1.00  +0.00  +15.5    -0.8  +0.000
               casio/funk2:Funk2                4  1.00  +0.00  +21.4    +5.1  +0.000
               kara/Kfunk1:Kfunk1A              4  1.00  +0.00  +15.6    -0.7  +0.000
    country    vmb train                        4  0.95         +15.3
               zoom/country:CNTR04              4  0.94  -0.01  +14.5    -0.7  +0.001
               zoom/cntry:CNTRY                 4  0.69  -0.26   +1.4   -13.8  +0.002
               yamaha/western:WesternMainB      4  0.56  -0.40   -1.3   -16.5  +0.001
    latin, reggae (no musicnn tag): others -0.004 .. +0.001 for all four candidates

    rock and funk again with 12 seeds of the evaluated genre (the other genres keep 4), and controls:
    rock       vmb rock                        12  0.99         +14.6
               zoom/rock:ROCK04                12  1.00  +0.01  +19.2    +4.6  -0.002
               pflib/rock1:rock1A              12  0.98  -0.00  +13.8    -0.8  -0.004
               casio/rock1:Rock1               12  1.00  +0.01  +15.5    +0.9  -0.003
               inline:RockMain                 12  1.00  +0.01  +20.0    +5.4  -0.002
               inline:RockFull                 12  0.99  +0.00  +14.6    +0.0  +0.000
               zoom/rock:ROCK04!49,46          12  1.00  +0.01  +19.6    +5.0  -0.004
    funk       vmb funk                        12  1.00         +15.9
               zoom/funk:FUNK09                12  1.00  +0.00  +15.6    -0.3  -0.000
               casio/funk2:Funk2               12  1.00  +0.00  +21.6    +5.7  +0.000
               kara/Kfunk1:Kfunk1A             12  1.00  +0.00  +14.4    -1.5  +0.000
               inline:FunkMain                 12  1.00  -0.00  +15.6    -0.3  +0.000
               inline:FunkMainClap             12  1.00  +0.00  +21.2    +5.3  +0.000
               casio/funk2:Funk2!39            12  1.00  +0.00  +17.8    +1.8  +0.000
               casio/funk2:Funk2!46,69         12  1.00  +0.00  +23.9    +8.0  -0.001

``--check``: for all 19 candidates every drum note MMA writes is one of the reader's hits
(Funk2 and BossaNova: MMA skipped 2 and 5 of them at random, RSkip).

Reading: no MMA groove raises a genre's AUC (all at or near 1.00 already) and none helps hip
hop (the MSD Hip-Hop tag stays at about 1-2 % whatever the drums) or electronic; country loses
its train beat and with it the country tag. Two gains are real (12 of 12 seeds, paired
+4.6 +- 0.5 and +5.7 +- 0.8 points, as large on the 8 fresh seeds) but are not MMA's: the rock
clips play vmb's "full" level (ride, crash) in every bar, and vmb's own "main" grid (closed-hat
eighths) in every bar gains as much (RockMain +5.4; RockFull, the full grid, +0.0), while MSD
hears those hat grooves as country (MSD country 6 % -> 23 %); Funk2's gain is a hand clap
layered on the 2-and-4 backbeat: vmb's own funk grid plus that clap gains +5.3 (FunkMainClap),
Funk2 without its clap +1.8.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import controls_heard  # noqa: E402  (the benchmark next door: its job, tagger pipeline and scoring)

# Candidate MMA grooves per genre (folder/file:Groove), picked by ear from the groove listings
# before rendering: each library's basic groove of that genre, and its most idiomatic variant.
CANDIDATES: dict[str, list[str]] = {
    "hip hop": ["zoom/hiphop:HIP01", "zoom/hiphop:HIP06", "casio/hip-hop:Hip-Hop"],
    "electronic": ["zoom/house:HOUS01", "casio/house:House", "zoom/techno:TECH01"],
    "rock": ["zoom/rock:ROCK04", "pflib/rock1:rock1A", "casio/rock1:Rock1"],
    "funk": ["zoom/funk:FUNK09", "casio/funk2:Funk2", "kara/Kfunk1:Kfunk1A"],
    "country": ["zoom/country:CNTR04", "zoom/cntry:CNTRY", "yamaha/western:WesternMainB"],
    "latin": ["stdlib/bossanova:BossaNova", "zoom/latin:LATN03"],
    "reggae": ["zoom/reggae:REGG01", "zoom/reggae:REGG02"],
}
# Controls (--controls): vmb's own grids transcribed into MMA text here (vmb data, MIT; velocities
# are vmb's accents x drum gains, loudest 115), played in every bar like an MMA groove, and MMA
# grooves without some of their drums ("spec!note,note" drops those GM notes). They tell whether
# a gain comes from the MMA pattern or from playing one steady groove (vmb varies its groove
# with the energy: light, main, full) or from a single drum.
INLINE = """
Drum-Kick Tone KickDrum1
Drum-Snare Tone SnareDrum1
Drum-Hat Tone ClosedHiHat
Drum-Kick Sequence {1 0 100; 3 0 100; 3.5 0 100}
Drum-Snare Sequence {2 0 115; 4 0 115}
Drum-Hat Sequence {1 0 90; 1 0 78 * 4 Shift .5; 2 0 90; 3 0 90; 4 0 90}
DefGroove RockMain
Drum-Kick Sequence {1 0 100; 1.5 0 100; 3 0 100; 3.5 0 100}
Drum-Hat Sequence z
Drum-Ride Tone RideCymbal1
Drum-Ride Sequence {1 0 92 * 4; 1 0 80 * 4 Shift .5}
Drum-Crash Tone CrashCymbal1
Drum-Crash Sequence {1 0 90}
DefGroove RockFull
SeqClear
Drum-Kick Tone KickDrum1
Drum-Snare Tone SnareDrum1
Drum-Hat Tone ClosedHiHat
Drum-Kick Sequence {1 0 100; 1.5 0 100; 3.5 0 100; 4.25 0 100}
Drum-Snare Sequence {2 0 115; 2.75 0 55; 3.25 0 55; 4 0 115; 4.75 0 55}
Drum-Hat Sequence {1 0 78 * 8; 1 0 43 * 8 Shift .25}
DefGroove FunkMain
Drum-Clap Tone HandClap
Drum-Clap Sequence {2 0 115; 4 0 115}
DefGroove FunkMainClap
"""
CONTROLS: dict[str, list[str]] = {
    "rock": ["inline:RockMain", "inline:RockFull", "zoom/rock:ROCK04!49,46"],
    "funk": ["inline:FunkMain", "inline:FunkMainClap", "casio/funk2:Funk2!39", "casio/funk2:Funk2!46,69"],
}
DRUM_SEED = 7  # the drum parts' own humanising stream (both runs)
_SWAP: dict = {}  # in a worker: {"groove": MmaGroove, "replace": {...}, "silence": {...}}


def style_grooves(genre: str) -> tuple[set[str], set[str]]:
    """The vmb grooves of ``genre``'s style: (drum parts' grooves, percussion parts' grooves)."""
    from vmb.render.arrange.styles import resolve_style
    from vmb.types import Attributes

    style = resolve_style(None, Attributes(genres=[genre]))
    return ({p.pattern for p in style.parts if p.role == "drums"},
            {p.pattern for p in style.parts if p.role == "perc"})


def _install_hooks() -> None:
    """Patch the arranger in this worker (once): drums humanised from their own stream, and
    groove_hits answering from ``_SWAP`` when a job asks for an MMA groove."""
    from vmb.render.arrange import arranger, grooves

    if getattr(grooves, "_mma_hooked", False):
        return
    finish, hits = arranger._finish, grooves.groove_hits

    def _finish(notes, part, plan, tempo_map, rng):
        if part.role in ("drums", "perc"):
            rng = np.random.default_rng(DRUM_SEED)
        return finish(notes, part, plan, tempo_map, rng)

    def groove_hits(name, meter, energy, bar_index):
        if _SWAP and meter == "4/4" and abs(_SWAP["groove"].beats_per_bar - 4.0) < 1e-6:
            if name in _SWAP["replace"]:
                return _SWAP["groove"].vmb_hits(bar_index)
            if name in _SWAP["silence"]:
                return []
        return hits(name, meter, energy, bar_index)

    arranger._finish, grooves.groove_hits, grooves._mma_hooked = _finish, groove_hits, True


def resolve(spec: str):
    """An MMA groove from a candidate or control name (see CANDIDATES and CONTROLS)."""
    import dataclasses

    from vmb.render.arrange import mma

    if spec.startswith("inline:"):
        return mma.parse(INLINE, source="inline").grooves[spec.split(":", 1)[1].upper()]
    spec, _, drop = spec.partition("!")
    g = mma.load(spec)
    if drop:
        notes = {int(n) for n in drop.split(",")}
        g = dataclasses.replace(g, bars=tuple(tuple(h for h in b if h.note not in notes) for b in g.bars))
    return g


def run_job(job: dict) -> dict:
    """One clip: controls_heard's job with vmb's drums or (``job["mma"]``) an MMA groove's."""
    _install_hooks()
    _SWAP.clear()
    if job.get("mma"):
        replace, silence = style_grooves(job["value"])
        _SWAP.update(groove=resolve(job["mma"]), replace=replace, silence=silence)
    try:
        row = controls_heard.run_job(job)
    finally:
        _SWAP.clear()
    return row


# --------------------------------------------------------------------------- describing grooves


def _feel(bars: list[list[tuple[str, float]]]) -> dict:
    """Hits per bar, kicks, backbeats, off-16th share and 16th-pair swing of (drum, beat) bars."""
    hits = [h for b in bars for h in b]
    n = max(1, len(bars))
    off = [beat for _, beat in hits if abs(beat * 4 - round(beat * 4)) > 0.08]
    pos = [((beat % 0.5) / 0.5) for beat in off if 0.2 < (beat % 0.5) < 0.45]
    return {"hits": len(hits) / n, "kick": sum(d == "kick" for d, _ in hits) / n,
            "back": sum(d in ("snare", "clap", "side_stick", "snare_electric") for d, _ in hits) / n,
            "off_grid": len(off) / max(1, len(hits)), "swing": float(np.mean(pos)) if pos else float("nan")}


def vmb_feel(genre: str) -> dict:
    from vmb.render.arrange import grooves
    from vmb.render.arrange.styles import resolve_style
    from vmb.types import Attributes
    from vmb.vocab import DRUM_NOTES

    names = {v: k for k, v in reversed(list(DRUM_NOTES.items()))}
    drums, percs = style_grooves(genre)
    bars = [[(names[p], off) for g in sorted(drums | percs) for p, off, _ in grooves.groove_hits(g, "4/4", 0.5, i)]
            for i in range(2)]
    style = resolve_style(None, Attributes(genres=[genre]))
    return _feel(bars) | {"groove": "+".join(sorted(drums | percs)), "style_swing": style.swing,
                          "swing_unit": style.swing_unit}


def mma_feel(spec: str) -> dict:
    from vmb.render.arrange import mma
    from vmb.vocab import DRUM_NOTES

    g = resolve(spec)
    names = {v: k for k, v in reversed(list(DRUM_NOTES.items()))}
    bars = [[(names[p], off) for p, off, _ in g.vmb_hits(i)] for i in range(len(g.bars))]
    dropped = sum(mma.VMB_DRUM.get(h.note) is None for b in g.bars for h in b)
    return _feel(bars) | {"groove": spec, "bars": len(g.bars), "dropped": dropped}


def print_grooves(genres: list[str], candidates: dict[str, list[str]]) -> None:
    print(f"{'genre':10s} {'groove':30s} {'bars':>4s} {'hits':>5s} {'kick':>5s} {'back':>5s} {'off16':>6s} "
          f"{'swing':>6s}  notes")
    for genre in genres:
        v = vmb_feel(genre)
        print(f"{genre:10s} {'vmb ' + v['groove']:30s} {2:4d} {v['hits']:5.1f} {v['kick']:5.1f} {v['back']:5.1f} "
              f"{v['off_grid']:6.0%} {'-':>6s}  style swing {v['style_swing']:g} on "
              f"{'16ths' if v['swing_unit'] == 0.25 else 'eighths'}")
        for spec in candidates[genre]:
            m = mma_feel(spec)
            sw = "-" if not np.isfinite(m["swing"]) else f"{m['swing']:.2f}"
            note = f"  {m['dropped']} hits on drums vmb lacks" if m["dropped"] else ""
            print(f"{'':10s} {spec:30s} {m['bars']:4d} {m['hits']:5.1f} {m['kick']:5.1f} {m['back']:5.1f} "
                  f"{m['off_grid']:6.0%} {sw:>6s}{note}")


def check_against_mma(specs: list[str]) -> None:
    """Each MMA groove compiled by ``mma`` itself: its drum notes against the reader's hits."""
    import shutil
    import subprocess
    import tempfile

    import mido

    if not shutil.which("mma"):
        raise SystemExit("the mma command is not installed: apt-get install mma")
    print(f"\n{'groove':30s} {'bars':>4s} {'mma':>5s} {'reader':>6s} {'matched':>7s}")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            g = resolve(spec)
            bars = 2 * len(g.bars)
            song = Path(tmp) / "check.mma"
            song.write_text(f"Tempo 120\nGroove {spec}\n" + "".join(f"{i + 1} C\n" for i in range(bars)))
            subprocess.run(["mma", str(song)], cwd=tmp, capture_output=True, check=True)
            midi = mido.MidiFile(str(song.with_suffix(".mid")))
            theirs = []
            for track in midi.tracks:
                t = 0
                for msg in track:
                    t += msg.time
                    if msg.type == "note_on" and msg.channel == 9 and msg.velocity > 0:
                        theirs.append((t / midi.ticks_per_beat, msg.note))
            ours = [(b * g.beats_per_bar + h.beat, h.note) for b in range(bars) for h in g.bar(b)]
            free, matched = list(ours), 0
            for beat, note in theirs:
                hit = next((o for o in free if o[1] == note and abs(o[0] - beat) < 0.06), None)
                if hit is not None:
                    free.remove(hit)
                    matched += 1
            print(f"{spec:30s} {bars:4d} {len(theirs):5d} {len(ours):6d} {matched:7d}")


# --------------------------------------------------------------------------- main


def _key(job: dict) -> str:
    """The cache key of a clip: genre, drums (vmb or the MMA groove), seed, duration."""
    return f"{job['value']}|{job.get('mma') or 'vmb'}|{job['seed']}|{job['duration_s']:g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--genre", action="append", choices=sorted(CANDIDATES),
                    help="evaluate this genre's MMA candidates (repeatable; default all)")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--genre-seeds", type=int, help="seeds of the evaluated genre, before and after (default "
                    "--seeds); the other genres keep --seeds: a second look at a candidate that seemed to help")
    ap.add_argument("--groove", action="append", metavar="SPEC",
                    help="evaluate only this candidate (folder/file:Groove, repeatable)")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", metavar="FILE", help="JSON file of tagged clips, reused and extended")
    ap.add_argument("--controls", action="store_true", help="also the CONTROLS of rock and funk")
    ap.add_argument("--check", action="store_true", help="compare the reader with mma's own MIDI, then stop")
    ap.add_argument("--grooves-only", action="store_true", help="print the groove table only (no audio)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON on stdout")
    args = ap.parse_args()

    from vmb.render.arrange import mma
    from vmb.vocab import GENRES

    if not mma.available():
        raise SystemExit("MMA's groove library is not installed: apt-get install mma")
    genres = args.genre or list(CANDIDATES)
    candidates = {g: [c for c in CANDIDATES[g] + (CONTROLS.get(g, []) if args.controls else [])
                      if not args.groove or c in args.groove] for g in genres}
    print_grooves(genres, candidates)
    if args.check:
        check_against_mma([c for g in genres for c in candidates[g] if not c.startswith("inline:") and "!" not in c])
    if args.grooves_only or args.check:
        return

    n_eval = args.genre_seeds or args.seeds

    def job(genre: str, seed: int, spec: str | None = None) -> dict:
        return {"attribute": "genre", "value": genre, "generator": "ecmg", "seed": seed,
                "duration_s": args.duration, "out": None, "mma": spec}

    base = [job(g, s) for g in GENRES for s in range(args.seeds)]
    base += [job(g, s) for g in genres for s in range(args.seeds, n_eval)]
    swaps = [job(g, s, spec) for g in genres for spec in candidates[g] for s in range(n_eval)]
    cache: dict[str, dict] = {}
    if args.cache and Path(args.cache).exists():
        cache = json.loads(Path(args.cache).read_text())
    todo = [j | {"index": k} for k, j in enumerate(base + swaps) if _key(j) not in cache]
    print(f"\n{len(base) + len(swaps)} clips ({len(todo)} to render) in {args.workers} worker(s)",
          file=sys.stderr, flush=True)
    if todo:
        rows, wall = controls_heard.run_parallel(todo, run_job, args.workers, lambda r: (
            f"{r['value']} {r.get('mma') or 'vmb'} seed {r['seed']}: {r['seconds_total']:.1f} s"))
        for r in rows:
            cache[_key(r)] = {k: v for k, v in r.items() if k not in ("out", "index")}
        if args.cache:
            Path(args.cache).write_text(json.dumps(cache))
        print(f"rendered in {wall:.0f} s", file=sys.stderr)

    from vmb.listen import load_tagger

    columns = [(m, t) for m in controls_heard.MODELS for t in load_tagger(m).tag_names]

    def score(rows: list[dict]) -> dict:
        return controls_heard.score_blocks(rows, columns)[0]["values"]

    others_rows = [cache[_key(j)] for j in base if j["seed"] < args.seeds]
    results = []
    print(f"\n{'genre':10s} {'drums':30s} {'n':>3s} {'AUC':>5s} {'dAUC':>6s} {'delta':>6s} {'ddelta':>7s} "
          f"{'others':>7s}")
    for genre in genres:
        rows = [r for r in others_rows if r["value"] != genre]
        before = score(rows + [cache[_key(job(genre, s))] for s in range(n_eval)])
        b = before.get(genre, {})
        print(f"{genre:10s} {'vmb':30s} {n_eval:3d} {_f(b.get('auc'), '5.2f')} {'':6s} {_f(b.get('delta'), '+6.1f')}")
        for spec in candidates[genre]:
            after = score(rows + [cache[_key(job(genre, s, spec))] for s in range(n_eval)])
            a = after.get(genre, {})
            others = [after[g]["auc"] - before[g]["auc"] for g in before
                      if g != genre and np.isfinite(before[g]["auc"])]
            d_auc = _sub(a.get("auc"), b.get("auc"))
            d_delta = _sub(a.get("delta"), b.get("delta"))
            print(f"{'':10s} {spec:30s} {n_eval:3d} {_f(a.get('auc'), '5.2f')} {_f(d_auc, '+6.2f')} "
                  f"{_f(a.get('delta'), '+6.1f')} {_f(d_delta, '+7.1f')} {_f(float(np.mean(others)), '+7.3f')}")
            results.append({"genre": genre, "mma": spec, "auc_before": b.get("auc"), "auc_after": a.get("auc"),
                            "delta_before": b.get("delta"), "delta_after": a.get("delta"),
                            "others_mean_auc_change": float(np.mean(others))})
    before = score(others_rows)
    mean_auc = np.nanmean([v["auc"] for v in before.values()])
    print(f"\nvmb, {args.seeds} seeds: mean genre AUC {mean_auc:.3f} over "
          f"{sum(np.isfinite(v['auc']) for v in before.values())} scored genres (latin and reggae have no tag: '-')")
    if args.json:
        print(json.dumps(controls_heard._strict({"before": before, "swaps": results})))


def _sub(a, b):
    return None if a is None or b is None or not (np.isfinite(a) and np.isfinite(b)) else a - b


def _f(x, fmt: str) -> str:
    if x is None or not np.isfinite(x):
        return "-".rjust(int("".join(c for c in fmt.split(".")[0] if c.isdigit()) or 0))
    return format(x, fmt)


if __name__ == "__main__":
    main()
