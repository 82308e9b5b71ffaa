"""Speed of `vmb generate` from a text: cold (a new process, as a user runs it) and warm.

Run: python benchmarks/speed.py [--duration 30] [--repeat 3]
Prints seconds per stage (describe, retrieve, compose, render) for the warm runs.
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
