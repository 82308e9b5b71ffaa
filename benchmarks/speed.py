"""Speed of `vmb generate` from a text: cold (a new process, as a user runs it) and warm.

Run: python benchmarks/speed.py [--duration 30] [--repeat 3]
Prints seconds per stage (describe, retrieve, compose, render) for the warm runs.

Cold start, 30 s from "an upbeat pop song for a summer road trip", 2 cores, MuseScore General .sf3
(issue #14 asks <= 6 s). The machine was shared with another engineer's CPU-bound benchmarks: the
numbers below come from the windows when it was otherwise idle, alternating old and new code
(wall; CPU = user + sys of the child, median of 5):

- before: 8.9 s wall, 10.1 s CPU (this script: cold median 8.96 s, warm 2.06 s);
- after: 5.9 s wall, 9.7 s CPU (this script: cold median 5.72 s, warm 1.69 s). WAV and MIDI bytes
  unchanged. On the busy machine (load 3-4) the cold start was 12.2 -> 7.7-11 s.

What changed: the SoundFont and the band's presets decode in a background thread from the start
of the chain (2.9 s of Vorbis decoding, on the other core: vmb.render.fluid.Preload); the ECMG
weights load on the pipeline's one torch thread (two OpenMP threads spun for 1.4 s when the other
core was busy); the CLI's full garbage collections are ten times rarer (5 passes, 0.5-0.9 s); a
successful generate exits without unloading torch, LanceDB and SciPy (0.6 s); vmb.evaluate's
taggers load only when used. Left on the path, all GIL-bound imports: LanceDB 1.5 s (its REST
client's pydantic validators), torch 1.0 s, SciPy 0.65 s (scipy.signal pulls in stats, optimize,
sparse ...); then sampling 0.6 s, rendering and mixing 1.0 s, MiniLM 0.2 s. This environment
sets PYTHONDONTWRITEBYTECODE=1, so vmb's own sources are compiled on every start (about 0.15 s).

Session 8 (AMD EPYC, 2 cores, idle; warm = the same pop request, seeds 0-2, 6 runs per process,
old and new code alternating 3 times, medians): FluidSynth's threads balanced by note cost with the
heaviest track split by pitch, the arrangement's scalar clamps, the stems mixed on two threads:
warm total 2.00 -> 1.88 s, render 0.955 -> 0.863 s, compose 0.78 -> 0.75 s (describe 0.08, retrieve
0.11 unchanged). Cold median 6.9-7.2 s (this script, --repeat 5). Process CPU per warm run: describe
0.08, retrieve 0.11, compose 1.13, render 1.41 s: 2.7 s of CPU, so the 1.5 s target would need both
cores busy through every stage. Tried and not adopted: FluidSynth's linear interpolation (render
-20%, but -24 dB of error above 8 kHz against the 7th-order one, where the default 4th order is at
-32 dB); ending released voices early by attenuation (voices keep running: no time saved).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    prompt = "an upbeat pop song for a summer road trip"
    with tempfile.TemporaryDirectory() as tmp:
        cold = []
        for i in range(args.repeat):
            out = Path(tmp) / f"cold{i}.wav"
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "vmb", "generate", "--text", prompt, "--duration", str(args.duration),
                 "--seed", str(i), "-o", str(out)],
                check=True, capture_output=True,
            )
            cold.append(time.perf_counter() - t0)
        print(f"cold start (new process, {args.duration:g} s of music, files written): "
              f"median {statistics.median(cold):.2f} s  runs {', '.join(f'{c:.2f}' for c in cold)}")

        from vmb.pipeline import generate_from_text, write_outputs

        generate_from_text(prompt, duration_s=args.duration, seed=99)  # warm-up: loads models and data
        warm, stages = [], []
        for i in range(args.repeat):
            t0 = time.perf_counter()
            result = generate_from_text(prompt, duration_s=args.duration, seed=i)
            write_outputs(result, Path(tmp) / f"warm{i}.wav")
            warm.append(time.perf_counter() - t0)
            stages.append(result.timings_s)
        print(f"warm ({args.duration:g} s of music, files written): median {statistics.median(warm):.2f} s  "
              f"runs {', '.join(f'{w:.2f}' for w in warm)}")
        for name in stages[0]:
            print(f"  {name:10s} {statistics.median(s[name] for s in stages):.3f} s")


if __name__ == "__main__":
    main()
