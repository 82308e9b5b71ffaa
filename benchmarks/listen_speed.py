"""Speed of the musicnn port: tagging 30 s of audio with both models, and the cold load time.

Warm: the median of ``--repeats`` runs of ``tag_all([MTT, MSD], audio, rate)`` on 30 s of
44.1 kHz stereo (drums + pad from ``vmb.listen.clips``; the front end mixes, resamples and
computes the log-mel once) after one untimed run, with its parts (front end, each model) timed
alone, and the models again in one pass of 16 patches (the pass size before
``tagger.BATCH_PATCHES``: 90 MB maps taken fresh from the OS each time). Cold: a fresh
Python process importing ``vmb.listen`` and loading both shipped taggers. Issue #12's target:
<= 0.3 s for 30 s with both models on 2 cores. The machine may be shared: the 1-minute load
average is printed beside the numbers, and each time comes with the process CPU seconds (all
threads), which other users' load inflates much less than the wall time.

The floor: the graph costs 2.8 GFLOP per 3 s patch and model (1.14 G multiply-adds in the two
timbral convolutions, 0.2 G in the temporal ones, 0.06 G in the mid end), so 30 s with both
models is 56 GFLOP; one core of this machine's AVX2 CPU reaches about 75 GFLOPS in a plain
float32 matrix product, and oneDNN's timbral convolutions reach 53-56 GFLOPS in passes of 2
patches (measured with 1 thread on a loaded machine), so two cores need at least ~0.4 s even
at full matrix-product speed and ~0.5 s at the convolutions' speed: the 0.3 s target needs
fewer FLOPs, not faster ones. Tried and measured slower or no faster (1 thread, 2 patches):
the timbral convolutions as im2col + one GEMM (1.9x slower for the 38-band kernels), as a
conv1d with the mel bands as batch and the kernel's bands as channels (same), channels-last
(3%), and as a DFT along the bands (one complex product per bin, then a real inverse-DFT
GEMM over the valid bands: 1.8-2.3x slower: the small-K products are memory-bound).

Measured (2 threads, load average 1.98, i.e. this benchmark alone): both models on 30 s of
44.1 kHz stereo 0.621 s wall (1.20 s CPU), each model alone 0.28-0.29 s; the same models in one
pass of 16 patches, as before BATCH_PATCHES: 1.05 s. Under other users' load (4-6 on 2 cores) the
models run side by side (``tagger.side_by_side``): two models on two threads one after the other
stalled at every OpenMP barrier (4.3-5.1 s wall).

Session 6 (this machine's CPU reports AVX-512 and AMX bf16/int8): both models on 30 s 0.450 s
wall (0.820 s CPU; load average 2.1 from other work). Tried: the timbral convolutions in bfloat16
(AMX): one 2-patch forward 0.078 -> 0.052 s on one thread, but the tags move by up to 3.5e-3 and
max_pool by 0.93 from TensorFlow's, far outside the port's 1e-4 agreement; an fp32 product split
into bf16 halves (3 passes) is no faster than fp32 here (oneDNN's fp32_precision="bf16" converts
the inputs on every call). Not adopted: the 0.3 s target stays unmet with exact float32.

Session 8 (AMD EPYC, AVX-512, no AMX; load average 0.00, nothing else running): both models on 30 s
of 44.1 kHz stereo 0.553 s wall (1.072 s CPU); each forward of 10 patches 0.24-0.25 s wall; front
end 0.023 s. The idle machine confirms the floor above: the target needs a smaller graph.

Sanity: the top-5 tags of both models for a few synthetic signals (``vmb.listen.clips``).

Run: python benchmarks/listen_speed.py [--threads 2] [--seconds 30] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

from vmb.listen import clips, frontend, load_tagger, tag_all
from vmb.listen.tagger import BATCH_PATCHES

COLD = """
import json, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
import vmb.listen
t2 = time.perf_counter()
a, b = vmb.listen.load_tagger("MTT_musicnn"), vmb.listen.load_tagger("MSD_musicnn")
t3 = time.perf_counter()
print(json.dumps({"import_torch_s": t1 - t0, "import_vmb_listen_s": t2 - t1, "load_both_s": t3 - t2}))
"""


def median_time(fn, repeats: int) -> tuple[float, float]:
    """(median wall seconds, median process CPU seconds, all threads) of ``fn()``."""
    fn()  # warm-up (allocator, oneDNN kernels)
    walls, cpus = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def fmt(t: tuple[float, float]) -> str:
    return f"{t[0]:.3f} s wall ({t[1]:.3f} s CPU)"


def test_audio(seconds: float, rate: int = 44100) -> np.ndarray:
    """Stereo drums + chord, ``seconds`` long at ``rate``: (2, n) float32."""
    n = int(seconds * rate)
    reps = int(np.ceil(seconds / 7.0))
    pad = np.tile(clips.stereo_pad(rate, 7.0), (1, reps))[:, :n]
    beat = np.tile(clips.drums(rate, 8.0), int(np.ceil(seconds / 8.0)))[:n]
    return (0.6 * pad + 0.4 * beat[None]).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    cold = json.loads(subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True,
                                     text=True, env=env).stdout)
    taggers = [load_tagger("MTT_musicnn"), load_tagger("MSD_musicnn")]
    audio, rate = test_audio(args.seconds), 44100
    spec = frontend.log_mel(frontend.to_mono_16k(audio, rate))
    x, _, _ = frontend.patches(spec)
    mono16 = frontend.to_mono_16k(audio, rate)

    total = median_time(lambda: tag_all(taggers, audio, rate), args.repeats)
    total16 = median_time(lambda: tag_all(taggers, mono16, 16000), args.repeats)
    front = median_time(lambda: frontend.log_mel(frontend.to_mono_16k(audio, rate)), args.repeats)
    models = {t.name: median_time(lambda t=t: t.run_patches(x), args.repeats) for t in taggers}
    one_pass = median_time(lambda: [t.run_patches(x, batch_size=16) for t in taggers], args.repeats)

    print(f"musicnn port, {args.threads} threads, torch {torch.__version__}, load average {os.getloadavg()[0]:.2f}")
    print(f"cold: import torch {cold['import_torch_s']:.2f} s, import vmb.listen {cold['import_vmb_listen_s']:.2f} s, "
          f"load both taggers {cold['load_both_s']:.3f} s")
    print(f"warm, {args.seconds:g} s of audio ({len(x)} patches), median of {args.repeats}:")
    print(f"  both models, 44.1 kHz stereo in: {fmt(total)}   (target <= 0.3 s wall)")
    print(f"  both models, 16 kHz mono in:     {fmt(total16)}")
    print(f"  front end (mix, resample, log-mel): {fmt(front)}")
    for name, t in models.items():
        print(f"  {name} forward, {len(x)} patches: {fmt(t)}")
    print(f"  both forwards in one pass of 16 patches (before BATCH_PATCHES={BATCH_PATCHES}): {fmt(one_pass)}")

    print("\nsanity: top-5 tags (clip mean over 3 s patches)")
    signals = {name: (build(rate), rate) for name, (build, rate) in clips.GOLDEN_CLIPS.items()}
    signals["sweep"] = (clips.sweep(16000), 16000)
    signals["silence"] = (np.zeros(16000 * 6, dtype=np.float32), 16000)
    for name, (sig, sr) in signals.items():
        res = tag_all(taggers, sig, sr)
        for model, r in res.items():
            tops = ", ".join(f"{tag} {p:.2f}" for tag, p in r.top(5))
            print(f"  {name:13s} {model}: {tops}")


if __name__ == "__main__":
    main()
