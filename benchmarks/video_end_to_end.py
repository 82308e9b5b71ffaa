"""`vmb generate --video` end to end on a synthetic 1280x720 video with known cuts.

Measures wall time and peak memory (ru_maxrss; the video is made in a child process) of the whole
job (analysis, description, beat map, composition, render, mux), the sync of music beats to the true cuts (median distance,
share within 50 ms), and that the output length equals the video's to within one frame.

Run: python benchmarks/video_end_to_end.py [--duration 60]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: tests.fixtures
from tests.fixtures.video import make_video  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--fps", type=float, default=25.0)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    cuts = np.cumsum(rng.uniform(1.5, 5.0, size=int(args.duration)))
    cuts = tuple(float(c) for c in cuts if c < args.duration - 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.mp4"
        # The test video is made in a child process, so that its memory is not counted as the job's.
        with ProcessPoolExecutor(1) as maker:
            true_cuts = maker.submit(make_video, clip, duration_s=args.duration, fps=args.fps, size=(1280, 720),
                                     cuts_s=cuts, audio_hz=220).result()
        from vmb.pipeline import generate_from_video, write_video_outputs

        t0 = time.perf_counter()
        result = generate_from_video(clip, seed=0)
        write_video_outputs(result, Path(tmp) / "out.mp4")
        elapsed = time.perf_counter() - t0
        audio, sr = sf.read(Path(tmp) / "out.wav")
        beats = np.array(result.video.beat_plan.beats_s)
        dist = np.array([np.min(np.abs(beats - c)) for c in true_cuts])
        print(f"video {args.duration:g} s 1280x720 {args.fps:g} fps, {len(true_cuts)} cuts")
        print(f"wall time {elapsed:.2f} s; stages " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings_s.items()))
        print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        print(f"length error {abs(len(audio) / sr - args.duration) * 1000:.1f} ms (one frame = {1000 / args.fps:.0f} ms)")
        print(f"cut->nearest beat: median {np.median(dist) * 1000:.1f} ms, within 50 ms {np.mean(dist <= 0.05) * 100:.0f}%")
        print(f"tempo {result.attributes.tempo_bpm:g} BPM ({result.attributes.tempo_class}), "
              f"tempo changes {len(result.score.tempo_map) - 1}")


if __name__ == "__main__":
    main()
