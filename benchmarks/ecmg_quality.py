"""Quality of the ECMG generator: reference control, novelty, attribute control, musicality.

For ``--n`` trials, each draws from the tune corpus a broad reference m_i* and a targeted
reference m_k* (same mode and meter) and asks for 8 bars with a random mode, tempo class and
note-density bin. Each request is generated four ways — full (BR + TR + text), without the
broad reference, without the targeted one, without both — and measured with
``vmb.evaluate.symbolic`` (definitions there):

- reference control: contour and rhythm similarity of the first 4 bars to m_i*'s conditioning
  window (and rhythm similarity to m_k*'s), full vs. dropped; novelty: longest shared note run
  with the whole m_i* melody (bars; must be <= 2);
- attribute control: mode (Krumhansl-Kessler correlation at the requested tonic, melody and
  chord tones), density bin (melody onsets per beat), tempo class (the tempo the generator is
  asked for is written into the score, so it is met by construction and reported as such);
- musicality: pitch-class entropy, scale consistency, groove consistency, note density of
  ECMG, the baseline (retrieval + arrangement of m_k*) and a random-notes control, against the
  corpus range (5th-95th percentile over 8-bar corpus excerpts); "distance" is the mean
  absolute z-score from the corpus mean.

Run: python benchmarks/ecmg_quality.py --checkpoint runs/ecmg/ecmg.pt [--data tunes.jsonl.gz] [--n 40]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from vmb.evaluate.symbolic import compare_melodies, evaluate_melody
from vmb.generate.ecmg import EcmgPipeline
from vmb.generate.ecmg.conditioning import DENSITY_EDGES, density_bin
from vmb.generate.ecmg.data import load_entries
from vmb.generate.ecmg.onednn import use_onednn
from vmb.theory import KK_MAJOR, KK_MINOR, bar_beats
from vmb.types import Attributes, LeadSheet, Note
from vmb.vocab import KEY_NAMES, TEMPO_CLASSES, key_pitch_class

MUSICALITY = ("pitch_class_entropy", "scale_consistency", "groove_consistency", "note_density")


def mode_at_tonic(sheet: LeadSheet, tonic: int) -> str:
    hist = np.zeros(12)
    for n in sheet.melody:
        hist[n.pitch % 12] += n.duration
    for c in sheet.chords:
        for pc in c.pitch_classes():
            hist[pc] += 0.5 * c.duration
    hist = np.roll(hist, -tonic)
    return "minor" if np.corrcoef(hist, KK_MINOR)[0, 1] > np.corrcoef(hist, KK_MAJOR)[0, 1] else "major"


def excerpt(sheet: LeadSheet, first_bar: int, n_bars: int) -> list[Note]:
    """Melody notes of bars first..first+n, shifted to start at beat 0."""
    per = bar_beats(sheet.meter)
    a, b = first_bar * per, (first_bar + n_bars) * per
    return [Note(n.pitch, n.start - a, min(n.duration, b - n.start)) for n in sheet.melody if a <= n.start < b]


def reference_start(sheet: LeadSheet) -> int:
    """The bar the pipeline's first reference window starts on (it skips a pickup bar)."""
    n_bars = int(np.ceil(sheet.length_beats / bar_beats(sheet.meter) - 1e-6))
    return 1 if sheet.melody and min(n.start for n in sheet.melody) > 1e-6 and n_bars > 4 else 0


def random_notes(rng: np.random.Generator, length: float, density: float) -> list[Note]:
    notes, t = [], 0.0
    while t < length:
        dur = float(rng.choice([0.25, 0.5, 1.0]))
        notes.append(Note(int(rng.integers(55, 80)), t, dur))
        t += dur / max(density, 0.1) * 0.75
    return notes


def corpus_stats(entries, rng, n=400) -> dict[str, tuple[float, float, float, float]]:
    rows = []
    for i in rng.choice(len(entries), size=min(n, len(entries)), replace=False):
        s = entries[int(i)].lead_sheet
        per = bar_beats(s.meter)
        rows.append(evaluate_melody(excerpt(s, reference_start(s), 8), length_beats=8 * per, beats_per_bar=per))
    out = {}
    for k in MUSICALITY:
        v = np.array([r[k] for r in rows])
        out[k] = (float(np.percentile(v, 5)), float(np.percentile(v, 95)), float(v.mean()), float(v.std() + 1e-9))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--data", default=None)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--guidance", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reference-strength", type=float, default=None,
                    help="SDEdit start from the broad reference (default: the pipeline's REFERENCE_STRENGTH)")
    ap.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"),
                    help="the products of the model's linears (vmb.generate.ecmg.onednn)")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    entries = [e for e in load_entries(args.data) if e.lead_sheet and len(e.lead_sheet.melody) >= 16]
    pipe = EcmgPipeline.from_pretrained(args.checkpoint, steps=args.steps)
    use_onednn(pipe.model, args.precision)
    print(f"products in {pipe.model.inference_precision}")
    stats = corpus_stats(entries, rng)
    try:
        from vmb.generate.baseline import compose_lead_sheet
    except ImportError:  # the baseline is another module; the benchmark still runs without it
        compose_lead_sheet = None

    variants = {"full": (True, True), "no_broad": (False, True), "no_targeted": (True, False), "none": (False, False)}
    rows = []
    t0 = time.perf_counter()
    for trial in range(args.n):
        broad = entries[int(rng.integers(len(entries)))].lead_sheet
        group = [e for e in entries if e.lead_sheet.meter == broad.meter]
        targeted = group[int(rng.integers(len(group)))].lead_sheet
        mode = str(rng.choice(["major", "minor"]))
        tempo_class = str(rng.choice(list(TEMPO_CLASSES)))
        dens = int(rng.integers(0, len(DENSITY_EDGES) + 1))
        key = KEY_NAMES[int(rng.integers(12))]
        per = bar_beats(broad.meter)
        attrs = Attributes(key=key, mode=mode, meter=broad.meter, tempo_class=tempo_class,
                           tempo_bpm=TEMPO_CLASSES[tempo_class][2])
        ref4 = excerpt(broad, reference_start(broad), 4)
        tgt4 = excerpt(targeted, reference_start(targeted), 4)
        row = {"trial": trial, "mode": mode, "density": dens}
        for name, (use_b, use_t) in variants.items():
            out = pipe(attributes=attrs, broad=broad if use_b else None, targeted=targeted if use_t else None,
                       text_embedding=None, length_beats=8 * per, density=dens, seed=trial, guidance=args.guidance,
                       **({} if args.reference_strength is None else {"reference_strength": args.reference_strength}))
            sheet = out.lead_sheet
            gen4 = excerpt(sheet, 0, 4)
            sim = compare_melodies(gen4, ref4, length_beats=4 * per, beats_per_bar=per)
            row[name] = {
                **sim,
                "rhythm_to_targeted": compare_melodies(gen4, tgt4, length_beats=4 * per, beats_per_bar=per)["rhythm_similarity"],
                "copy_bars": compare_melodies(sheet.melody, broad.melody, length_beats=8 * per, beats_per_bar=per)["longest_shared_run_bars"],
                "mode_ok": mode_at_tonic(sheet, key_pitch_class(key)) == mode,
                "density_ok": density_bin(len(sheet.melody) / (8 * per)) == dens,
                **evaluate_melody(sheet.melody, length_beats=8 * per, beats_per_bar=per),
            }
        if compose_lead_sheet is not None:
            base = compose_lead_sheet(targeted, attrs, length_beats=8 * per, meter=broad.meter, seed=trial)
            row["baseline"] = evaluate_melody(base.melody, length_beats=8 * per, beats_per_bar=per)
        row["random"] = evaluate_melody(random_notes(rng, 8 * per, 1.3), length_beats=8 * per, beats_per_bar=per)
        rows.append(row)
    elapsed = time.perf_counter() - t0

    def mean(name, key):
        vals = [float(r[name][key]) for r in rows if name in r]
        return float(np.mean(vals)) if vals else float("nan")

    report = {"trials": args.n, "seconds": elapsed, "corpus_range": stats, "variants": {}, "musicality": {}}
    for name in variants:
        report["variants"][name] = {k: mean(name, k) for k in (
            "contour_similarity", "rhythm_similarity", "rhythm_to_targeted", "copy_bars", "mode_ok", "density_ok")}
        report["variants"][name]["copy_bars_max"] = max(r[name]["copy_bars"] for r in rows)
        report["variants"][name]["tempo_class_ok"] = 1.0  # written into the score's tempo map
    for name in ("full", "baseline", "random"):
        if not any(name in r for r in rows):
            continue
        m = {k: mean(name, k) for k in MUSICALITY}
        m["in_range"] = float(np.mean([stats[k][0] <= m[k] <= stats[k][1] for k in MUSICALITY]))
        m["distance"] = float(np.mean([abs(m[k] - stats[k][2]) / stats[k][3] for k in MUSICALITY]))
        report["musicality"][name] = m
    print(json.dumps(report, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"report": report, "rows": rows}, f, indent=1, default=float)


if __name__ == "__main__":
    main()
