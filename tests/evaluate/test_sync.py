"""Sync metrics on hand-computed examples (definitions in vmb/evaluate/sync.py)."""

import numpy as np
import pytest

from vmb.evaluate.sync import (
    audio_onsets,
    binned_beat_scores,
    coverage,
    evaluate_heard_sync,
    evaluate_sync,
    hit,
    nearest_distance,
)
from vmb.types import VideoTiming


def test_nearest_distance():
    assert nearest_distance([0.1, 1.04, 5.0], [0.0, 1.0, 2.0]).tolist() == pytest.approx([0.1, 0.04, 3.0])
    assert np.isinf(nearest_distance([1.0], [])).all()
    assert nearest_distance([0.3], [0.5]).tolist() == pytest.approx([0.2])


def test_coverage_and_hit():
    events = [1.0, 2.02, 3.3]
    beats = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert coverage(events, beats, 0.05) == pytest.approx(2 / 3)  # 1.0 and 2.02 are covered
    assert hit(events, beats, 0.05) == pytest.approx(2 / 8)  # beats 1.0 and 2.0 hit an event
    assert coverage([], beats) == 1.0 and hit(events, []) == 0.0


def test_binned_scores_follow_the_papers():
    # 4 s, 1 s bins. Events in bins 0, 2, 3; music beats in bins 0, 1, 3 -> total 3, cover 3, hit 2.
    scores = binned_beat_scores([0.4, 2.5, 3.1], [0.2, 0.9, 1.5, 3.9], 4.0, bin_s=1.0)
    assert scores["BCS"] == pytest.approx(3 / 3)
    assert scores["BHS"] == pytest.approx(2 / 3)
    assert scores["BCS_loris"] == pytest.approx(2 / 3)
    assert scores["F1_loris"] == pytest.approx(2 / 3)


def test_evaluate_sync_names_every_score():
    timing = VideoTiming(duration_s=4.0, cuts_s=[1.0, 2.58], markers_s=[3.0])
    beats = list(np.arange(0, 4.0, 0.5))
    scores = evaluate_sync(timing, beats, downbeats_s=beats[::4])
    assert scores["n_events"] == 3 and scores["n_beats"] == 8
    assert scores["coverage@50ms"] == pytest.approx(2 / 3)
    assert scores["coverage@100ms"] == pytest.approx(1.0)
    assert scores["downbeat_coverage@50ms"] == pytest.approx(0.0)  # downbeats at 0 and 2 s
    assert scores["median_error_s"] == pytest.approx(0.0)
    assert {"BCS", "BHS", "hit@50ms", "mean_error_s"} <= set(scores)


def test_audio_onsets_find_clicks():
    sr = 22050
    audio = np.zeros(3 * sr, np.float32)
    for t in (0.5, 1.25, 2.0):
        i = int(t * sr)
        audio[i : i + 200] = np.hanning(200) * np.sin(np.arange(200))
    onsets = audio_onsets(audio, sr)
    assert len(onsets) == 3
    assert np.abs(onsets - [0.5, 1.25, 2.0]).max() < 0.05  # onset frames are 23 ms hops


def test_heard_sync_scores_the_onsets_of_the_audio():
    sr = 22050
    audio = np.zeros(3 * sr, np.float32)
    for t in (0.5, 1.25, 2.0):  # clicks: three onsets
        i = int(t * sr)
        audio[i : i + 200] = np.hanning(200) * np.sin(np.arange(200))
    stereo = np.stack([audio, audio], axis=1)
    scores = evaluate_heard_sync([2.7, 0.5, 1.25, 2.0], stereo, sr, duration_s=3.0)
    assert scores["n_events"] == 4 and scores["n_beats"] == 3
    assert scores["coverage@50ms"] == pytest.approx(3 / 4)  # the event at 2.7 s has no onset
    assert scores["hit@50ms"] == pytest.approx(1.0)  # every onset is on an event
    assert scores["median_error_s"] < 0.05  # onsets are found within about a 23 ms frame
    assert scores["coverage@100ms"] == pytest.approx(3 / 4)
