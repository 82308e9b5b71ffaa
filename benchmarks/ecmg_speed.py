"""Speed of the ECMG generator: warm wall time for N seconds of music, and training step time.

Generation: 30 s at 100 BPM in 4/4 (13 bars -> 2 themes + 4 windows), 16 sampler steps with
classifier-free guidance, broad and targeted references, the default model size. Speed does
not depend on the weights, so without ``--checkpoint`` a random default-size model is timed.
Training: seconds per AdamW step at batch 32 (forward + backward + update).

Run: python benchmarks/ecmg_speed.py [--threads 2] [--seconds 30] [--checkpoint PATH]

Measured (issue #14, AMD EPYC, 2 cores shared with other work; old and new code alternated,
medians of 5-7 warm runs; CPU = process time of both guidance threads), the pipeline's compose
stage for "an upbeat pop song for a summer road trip" (30 s, 5 windows + 2 themes, render left
out) and the ECMG call inside it:

- before: compose 0.46-0.49 s wall at load 0.8-0.9 (ECMG 0.43-0.47 s wall, 0.69-0.77 s CPU);
  0.89 s wall, 0.80 s CPU at load 2.3;
- after: compose 0.34 s wall at load 0.9 (ECMG 0.32 s wall, 0.49 s CPU); 0.51 s wall, 0.57 s
  CPU at load 2.5. The ECMG call alone at load 3.4-4.6 (3 x 7 runs): CPU 0.78 -> 0.57 s.
  This script (random default-size model, load 2.7-2.9, 2 x 7 runs): CPU 0.70-0.76 -> 0.54-0.62 s.

What changed: the model's linears run through oneDNN instead of MKL's sgemm (about twice the
GFLOP/s on this CPU: vmb.generate.ecmg.onednn), and the conditions (context, cross-attention
keys and values) are encoded once per sampling call instead of once per step. The notes are
the same: 42/42 lead sheets (6 requests x 7 seeds) and the MIDI of 6 prompts byte-identical,
the rolls within 3.4e-4; benchmarks/ecmg_quality.py's table unchanged in every field.
Left: ~80% of a step is still GEMMs (fp32 near oneDNN's peak; bfloat16 would change the roll),
and the two guidance threads are unequal (the conditional half also runs the ControlFormer's
3 blocks: ~9 blocks against 6), so the wall time is the conditional half's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch

from vmb.generate.ecmg import EcmgPipeline
from vmb.generate.ecmg.model import EcmgConfig, EcmgModel
from vmb.testing import fake_lead_sheet
from vmb.types import Attributes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--train-steps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.checkpoint:
        pipe = EcmgPipeline.from_pretrained(args.checkpoint, steps=args.steps)
    else:
        torch.manual_seed(0)
        pipe = EcmgPipeline(EcmgModel(EcmgConfig.preset("default")), steps=args.steps)
    attrs = Attributes(key="D", mode="minor", meter="4/4", tempo_bpm=100.0, duration_s=args.seconds)
    request = dict(attributes=attrs, text_embedding=np.full(384, 0.05, np.float32),
                   broad=fake_lead_sheet(1, n_bars=8), targeted=fake_lead_sheet(2, n_bars=8))
    pipe(**request, seed=0)  # warm-up
    times, cpu, parts = [], [], []
    for i in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = pipe(**request, seed=i)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)  # both guidance threads
        parts.append(out.timings_s)
    report = {
        "threads": args.threads,
        "load_average": os.getloadavg()[0],
        "parameters": pipe.model.num_parameters(),
        "music_seconds": args.seconds,
        "windows": len(out.windows),
        "sampler_steps": args.steps,
        "warm_seconds_median": statistics.median(times),
        "warm_seconds_min": min(times),
        "warm_cpu_seconds_median": statistics.median(cpu),
        "parts_median": {k: statistics.median(p[k] for p in parts) for k in parts[0]},
    }
    if args.train_steps:
        from vmb.generate.ecmg.data import TrainingSet, build_tunes
        from vmb.generate.ecmg.sampler import sample_times
        from vmb.generate.ecmg.train import flow_loss, to_torch
        from vmb.testing import fake_entries

        entries = fake_entries(32)
        ts = TrainingSet(build_tunes(entries), np.zeros((32, 384), np.float32))
        model = EcmgModel(EcmgConfig.preset("default"))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        step_times = []
        for step in range(args.train_steps + 1):
            x0, cond = to_torch(ts.batch(np.random.default_rng(step), 32))
            gen = torch.Generator().manual_seed(step)
            t0 = time.perf_counter()
            loss = flow_loss(model, x0, cond, sample_times(32, gen), torch.randn(x0.shape, generator=gen))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step:  # the first step pays for allocation
                step_times.append(time.perf_counter() - t0)
        report["train_seconds_per_step_batch32"] = statistics.median(step_times)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
