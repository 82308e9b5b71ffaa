"""Roll-level checks of generated segments, used during training validation.

(The note-level musicality and similarity metrics for benchmarks live in
``vmb.evaluate.symbolic``; a stage may not import another stage, so training keeps these few
roll-level ones here.) All work in key-relative space (tonic = 0), on (B, S, C) rolls:
- ``scale_consistency``: fraction of sounding melody steps inside the requested mode's scale;
- ``mode_accuracy``: fraction of samples whose melody+harmony pitch-class histogram
  correlates better with the Krumhansl-Kessler profile of the requested mode than with the
  other mode's (both at tonic 0);
- ``density_accuracy``: fraction of samples whose melody onsets per beat fall in the
  requested density bin;
- ``pitch_class_entropy``: mean entropy (bits) of the melody's sounding pitch classes.
"""

from __future__ import annotations

import numpy as np

from vmb.generate.ecmg.conditioning import ATTRIBUTES, MODES, density_bin
from vmb.generate.ecmg.layout import LAYOUT, MELODY_LOW
from vmb.generate.ecmg.roll import melody_runs
from vmb.theory import KK_MAJOR, KK_MINOR
from vmb.vocab import SCALES

_MODE, _DENSITY = ATTRIBUTES.index("mode"), ATTRIBUTES.index("density")


def roll_melody(roll: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(relative pitch classes of sounding steps, onset flags of real steps) of one roll,
    read the way the decoder reads notes (``melody_runs``)."""
    real = np.cumsum(mask) - 1  # step -> index among real steps
    pcs, onsets = [], np.zeros(int(mask.sum()), bool)
    for idx, a, b in melody_runs(roll, mask):
        onsets[real[a]] = True
        pcs += [(idx + MELODY_LOW) % 12] * int(real[b] - real[a] + 1)
    return np.array(pcs, dtype=int), onsets


def sample_metrics(rolls: np.ndarray, batch) -> dict[str, float]:
    """Metrics of sampled ``rolls`` (B, S, C) against the requests in ``batch`` (a data.Batch)."""
    scale_hits, mode_ok, dens_ok, entropies = [], [], [], []
    for roll, mask, attrs in zip(rolls, batch.step_mask, batch.attrs):
        mode = MODES[attrs[_MODE] - 1] if attrs[_MODE] else "major"
        pcs, onsets = roll_melody(roll, mask)
        if len(pcs):
            scale_hits.append(np.isin(pcs, SCALES[mode]).mean())
            hist = np.bincount(pcs, minlength=12).astype(float)
            p = hist[hist > 0] / hist.sum()
            entropies.append(float(-(p * np.log2(p)).sum()))
        hist = np.bincount(pcs, minlength=12).astype(float) + ((roll[mask][:, LAYOUT.harm] > 0).sum(0))
        if hist.sum() > 0:
            r_major = np.corrcoef(hist, KK_MAJOR)[0, 1]
            r_minor = np.corrcoef(hist, KK_MINOR)[0, 1]
            mode_ok.append((r_minor > r_major) == (mode == "minor"))
        if attrs[_DENSITY]:
            dens_ok.append(density_bin(onsets.sum() / (mask.sum() / 4)) == attrs[_DENSITY] - 1)

    def mean(x):
        return float(np.mean(x)) if len(x) else 0.0

    return {"scale_consistency": mean(scale_hits), "mode_accuracy": mean(mode_ok),
            "density_accuracy": mean(dens_ok), "pitch_class_entropy": mean(entropies)}
