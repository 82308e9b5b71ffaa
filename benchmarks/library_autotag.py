"""What musicnn auto-tagging adds to ``vmb library add``, per audio file.

For synthetic audio files of ``--seconds`` (default 30 and 180 s; drums + pad from
``vmb.listen.clips``, 44.1 kHz stereo WAV), ``vmb.retrieve.ingest.analyze_file`` runs with the
rule tagger and with the musicnn tagger (the default), in one process with one torch thread, as
each ingest worker runs; the difference is what tagging costs a file. A file is heard on at most
10 patches (30 s) spread over it, so a long file costs no more than 30 s of audio. Transcription
(basic-pitch) is off unless ``--transcribe``: it is the same with either tagger. Also measured:
the one-time cost each worker process pays on its first audio file (import torch and vmb.listen,
load both taggers), in a fresh process.

Each time is the median of ``--repeats`` runs after one untimed run, with process CPU seconds
beside the wall time; the 1-minute load average is printed because the machine may be shared.

Measured (load average 1.56 on 2 cores): tagging adds +1.04 s wall (+1.08 s CPU) to a 30 s file
(rules alone 1.64 s wall) and +1.18 s wall (+1.04 s CPU) to a 180 s one (rules alone 5.70 s);
a worker's first audio file pays 1.60 s more (import torch, load the taggers and the reference).

Quality (``--quality``): the tags of the 28 labelled tracks of ``immich-memories-music`` (five mood
folders, acoustic and electronic tracks). They are also the reference set the z-scores are taken
against, so this is an in-sample sanity check (does "electronic" go to the electronic tracks,
is "energetic" heard as more energetic than "calm"), not an accuracy figure.

Run: python benchmarks/library_autotag.py [--seconds 30 180] [--repeats 3] [--transcribe] [--quality]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from listen_speed import median_time  # the same timer (benchmarks/ is on sys.path)

from vmb.listen import clips
from vmb.retrieve.autotag import RuleTagger
from vmb.retrieve.ingest import analyze_file
from vmb.retrieve.musicnn import MusicnnTagger

COLD = """
import json, time
t0 = time.perf_counter()
import torch
from vmb.listen import MODEL_NAMES, load_tagger
from vmb.listen.attributes import load_reference
[load_tagger(n) for n in MODEL_NAMES]; load_reference()
print(json.dumps({"first_file_s": time.perf_counter() - t0}))
"""


def write_audio(path: Path, seconds: float, rate: int = 44100) -> Path:
    n = int(seconds * rate)
    pad = np.tile(clips.stereo_pad(rate, 7.0), (1, int(np.ceil(seconds / 7.0))))[:, :n]
    beat = np.tile(clips.drums(rate, 8.0), int(np.ceil(seconds / 8.0)))[:n]
    sf.write(str(path), (0.6 * pad + 0.4 * beat[None]).T.astype(np.float32), rate)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, nargs="+", default=[30.0, 180.0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--transcribe", action="store_true")
    ap.add_argument("--quality", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)  # one ingest worker
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cold = json.loads(subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True, text=True,
                                     env=env).stdout)
    print(f"vmb library add, per audio file, 1 thread (one worker), transcription "
          f"{'on' if args.transcribe else 'off'}, load average {os.getloadavg()[0]:.2f}")
    print(f"once per worker process: import torch + load both taggers and the reference {cold['first_file_s']:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in args.seconds:
            path = write_audio(Path(tmp) / f"clip{seconds:g}.wav", seconds)
            times = {}
            for tagger in (RuleTagger(), MusicnnTagger()):
                def run(tagger=tagger):
                    result = analyze_file(path, tagger=tagger, transcribe=args.transcribe)
                    assert result.error is None, result.error
                    return result
                times[tagger.name] = median_time(run, args.repeats)
            entry = run().entries[0]
            (rw, rc), (mw, mc) = times["rules"], times["musicnn"]
            print(f"  {seconds:5g} s file: rules {rw:.2f} s wall ({rc:.2f} s CPU), musicnn {mw:.2f} s wall "
                  f"({mc:.2f} s CPU): tagging adds {mw - rw:+.2f} s wall ({mc - rc:+.2f} s CPU)")
            print(f"         heard: {entry.genres} {entry.moods} {entry.instruments}")
    if args.quality:
        quality()


def quality() -> None:
    import immich_memories_music

    from vmb.listen.attributes import hear, read_attributes
    from vmb.retrieve.analyze_audio import load_audio

    rows = []
    for path in sorted(immich_memories_music.tracks_dir().rglob("*.opus")):
        heard = read_attributes(hear(*load_audio(path)))
        rows.append((path.parent.name, "electronic" if "electronic" in path.stem else "acoustic", heard))
        print(f"  {path.stem:26s} {heard.genres} {heard.moods} {heard.instruments} energy {heard.energy:.2f}")
    for kind in ("acoustic", "electronic"):
        group = [h for _, k, h in rows if k == kind]
        share = np.mean(["electronic" in h.genres for h in group])
        print(f"  {kind} tracks: {len(group)}, tagged electronic {share:.0%}")
    for mood in sorted({m for m, _, _ in rows}):
        energies = [h.energy for m, _, h in rows if m == mood]
        print(f"  {mood:10s} mean energy {np.mean(energies):.2f} (n={len(energies)})")


if __name__ == "__main__":
    main()
