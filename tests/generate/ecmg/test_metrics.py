"""Symbolic metrics (vmb.evaluate.symbolic) and the roll-level training checks."""

import math

import numpy as np
import pytest

from vmb.evaluate.symbolic import (
    compare_melodies,
    contour_similarity,
    evaluate_melody,
    groove_consistency,
    longest_shared_run,
    note_density,
    pitch_class_entropy,
    rhythm_similarity,
    scale_consistency,
)
from vmb.generate.ecmg.data import DropRates, TrainingSet, build_tunes
from vmb.generate.ecmg.metrics import sample_metrics
from vmb.testing import fake_entries, fake_lead_sheet
from vmb.types import Note


def line(pitches, step=0.5, start=0.0):
    return [Note(p, start + i * step, step) for i, p in enumerate(pitches)]


def test_pitch_class_entropy_and_scale_consistency():
    assert pitch_class_entropy(line([60] * 8)) == 0.0
    assert pitch_class_entropy(line(range(60, 72))) == pytest.approx(math.log2(12))
    assert scale_consistency(line([60, 62, 64, 65, 67, 69, 71, 72])) == 1.0
    assert scale_consistency(line(range(60, 72))) == pytest.approx(7 / 12)


def test_groove_and_density():
    bar = line([60, 62, 64, 65], step=1.0)
    same = bar + [Note(n.pitch, n.start + 4, n.duration) for n in bar]
    assert groove_consistency(same, 4.0) == 1.0
    other = bar + line([60, 62], step=0.25, start=4.25)
    assert groove_consistency(other, 4.0) == pytest.approx(1 - 6 / 16)
    assert note_density(same, 8.0, 4.0) == 4.0


def test_similarities():
    a = line([60, 62, 64, 65, 67, 65, 64, 62])
    up = line([p + 5 for p in [60, 62, 64, 65, 67, 65, 64, 62]])
    inverted = line([60, 58, 56, 55, 53, 55, 56, 58])
    assert contour_similarity(a, up, 4.0) == pytest.approx(1.0)
    assert contour_similarity(a, inverted, 4.0) == pytest.approx(-1.0)
    assert rhythm_similarity(a, up, 4.0) == 1.0
    assert rhythm_similarity(a, line([60] * 4, step=1.0), 4.0) == pytest.approx(2 * 4 / 12)


def test_longest_shared_run_is_transposition_invariant_and_in_bars():
    a = line([60, 62, 64, 65, 67, 69, 71, 72], step=1.0)  # 2 bars of 4/4
    copy = line([p + 2 for p in [60, 62, 64, 65, 67, 69, 71, 72]], step=1.0)
    assert longest_shared_run(a, copy, 4.0) == pytest.approx(2.0)
    part = line([50, 60, 62, 64, 51], step=1.0)  # shares 3 notes (2 intervals)
    assert longest_shared_run(a, part, 4.0) == pytest.approx(3 / 4)
    assert longest_shared_run(a, line([60, 60, 60], step=1.0), 4.0) == 0.0


def test_evaluate_and_compare_return_every_score():
    sheet = fake_lead_sheet(0, n_bars=4)
    scores = evaluate_melody(sheet.melody, length_beats=16, beats_per_bar=4)
    assert set(scores) == {"pitch_class_entropy", "scale_consistency", "groove_consistency", "note_density"}
    assert scores["scale_consistency"] == 1.0
    sim = compare_melodies(sheet.melody, sheet.melody, length_beats=16, beats_per_bar=4)
    assert sim["contour_similarity"] == pytest.approx(1.0) and sim["rhythm_similarity"] == 1.0
    assert sim["longest_shared_run_bars"] == pytest.approx(4.0)


def test_roll_metrics_on_real_segments_meet_their_own_requests():
    entries = fake_entries(12, seed=2)
    ts = TrainingSet(build_tunes(entries), np.zeros((12, 384), np.float32), augment=False)
    batch = ts.batch(np.random.default_rng(0), 16, DropRates(0, 0, 0, 0, 0))
    m = sample_metrics(batch.x0, batch)
    assert m["scale_consistency"] == 1.0 and m["density_accuracy"] == 1.0
    assert m["mode_accuracy"] > 0.7
    noise = np.random.default_rng(1).uniform(-1, 1, batch.x0.shape).astype(np.float32)
    assert sample_metrics(noise, batch)["scale_consistency"] < 0.8
