"""Video-music rhythm synchronisation metrics.

Conventions: every time is in seconds from the start of the video. *Video events* are the
moments the music should meet: shot cuts and user markers (the "visual beats"). *Music beats*
are either the planned beat times (from the tempo map) or onsets detected in the rendered audio
with :func:`audio_onsets`.

Tolerance-based metrics (what a viewer perceives; 50 ms is about the audio-visual asynchrony
people start to notice):

- ``coverage@tol`` = |{video events with a music beat within tol}| / |video events|
  (recall of the video events; 1.0 when there are no events);
- ``hit@tol`` = |{music beats within tol of a video event}| / |music beats|
  (precision of the music beats; low by design when beats outnumber cuts);
- ``median_error_s`` / ``mean_error_s`` = median / mean over video events of the distance to
  the nearest music beat.

Binned scores of the video-to-music / dance-to-music literature (Lee et al. 2019 "Dancing to
Music"; Di et al. 2021 CMT "Video Background Music Generation with Controllable Music
Transformer"; Zhu et al. 2022 D2M-GAN; Yu et al. 2023 LORIS). The timeline is cut into bins of
``bin_s`` seconds (1 s in CMT / D2M-GAN, 0.2 s in LORIS's 5 Hz variant); a bin holds a beat when
at least one event falls in it. With ``B_total`` = bins holding a reference (video) event,
``B_cover`` = bins holding a music beat, ``B_hit`` = bins holding both:

- Beats Coverage Score ``BCS = B_cover / B_total`` (may exceed 1: more music beats than events);
- Beats Hit Score ``BHS = B_hit / B_total``;
- LORIS's precision-style coverage ``BCS_loris = B_hit / B_cover`` and
  ``F1 = 2 * BCS_loris * BHS / (BCS_loris + BHS)``.

With 1 s bins a steady beat of >= 60 BPM fills every bin, so BHS is 1 and BCS just counts bins;
the tolerance-based scores are the informative ones for planned beats, the binned ones for
comparing detected audio onsets with published numbers.

What a viewer hears (:func:`evaluate_heard_sync`): the same scores with the music beats taken
from the rendered audio's onsets, so a beat the plan put on a cut but no instrument plays on,
or a slow attack, counts as a miss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vmb.types import VideoTiming


def _sorted(times: Sequence[float]) -> np.ndarray:
    return np.sort(np.asarray(list(times), np.float64))


def nearest_distance(times_s: Sequence[float], grid_s: Sequence[float]) -> np.ndarray:
    """|t - nearest grid time| for every t (inf when the grid is empty)."""
    times, grid = np.asarray(list(times_s), np.float64), _sorted(grid_s)
    if len(grid) == 0:
        return np.full(len(times), np.inf)
    idx = np.clip(np.searchsorted(grid, times), 1, max(1, len(grid) - 1))
    left = np.abs(times - grid[idx - 1])
    right = np.abs(times - grid[np.minimum(idx, len(grid) - 1)])
    return np.minimum(left, right)


def coverage(video_events_s: Sequence[float], music_beats_s: Sequence[float], tol_s: float = 0.05) -> float:
    """Fraction of video events with a music beat within ``tol_s`` (1.0 without events)."""
    if len(video_events_s) == 0:
        return 1.0
    return float((nearest_distance(video_events_s, music_beats_s) <= tol_s).mean())


def hit(video_events_s: Sequence[float], music_beats_s: Sequence[float], tol_s: float = 0.05) -> float:
    """Fraction of music beats within ``tol_s`` of a video event (0.0 without beats)."""
    if len(music_beats_s) == 0:
        return 0.0
    return float((nearest_distance(music_beats_s, video_events_s) <= tol_s).mean())


def binned_beat_scores(
    video_events_s: Sequence[float], music_beats_s: Sequence[float], duration_s: float, bin_s: float = 1.0
) -> dict[str, float]:
    """BCS, BHS and LORIS's BCS / F1 on ``bin_s`` bins (see the module docstring)."""
    n_bins = max(1, int(np.ceil(duration_s / bin_s)))

    def occupied(times: Sequence[float]) -> np.ndarray:
        bins = np.zeros(n_bins, bool)
        idx = np.floor(np.asarray(list(times), np.float64) / bin_s).astype(int)
        bins[idx[(idx >= 0) & (idx < n_bins)]] = True
        return bins

    ref, gen = occupied(video_events_s), occupied(music_beats_s)
    total, cover, both = int(ref.sum()), int(gen.sum()), int((ref & gen).sum())
    bcs = cover / total if total else 0.0
    bhs = both / total if total else 0.0
    bcs_loris = both / cover if cover else 0.0
    f1 = 2 * bcs_loris * bhs / (bcs_loris + bhs) if bcs_loris + bhs > 0 else 0.0
    return {"BCS": bcs, "BHS": bhs, "BCS_loris": bcs_loris, "F1_loris": f1}


def video_events(timing: VideoTiming) -> list[float]:
    """The video events of ``timing``: its cuts and markers, sorted, without duplicates."""
    return sorted(set(float(t) for t in timing.cuts_s) | set(float(t) for t in timing.markers_s))


def audio_onsets(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Onset times (s) of ``audio`` ((n,) or (n, channels)) with LORIS's librosa settings.

    The channels are averaged; ``librosa.onset.onset_detect`` (spectral flux on a mel
    spectrogram, 512-sample hop, peaks of the flux over a 3-frame window that exceed the local
    mean by 0.2, at least one frame apart) returns the onset frames as times. Clicks are found
    4-14 ms after their true start (the hop is 11.6 ms at 44.1 kHz).
    """
    import librosa

    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    return librosa.onset.onset_detect(
        y=np.asarray(mono, np.float32), sr=sample_rate, wait=1, delta=0.2,
        pre_avg=3, post_avg=3, pre_max=3, post_max=3, units="time",
    )


def evaluate_heard_sync(
    events_s: Sequence[float],
    audio: np.ndarray,
    sample_rate: int,
    *,
    duration_s: float,
    tolerances_s: Sequence[float] = (0.05, 0.1),
    bin_s: float = 1.0,
) -> dict[str, float]:
    """Sync of video events with the onsets one hears in ``audio`` (the rendered music).

    ``events_s``: the video events in seconds (detected cuts and markers, or the true cuts of a
    synthetic video); ``audio``: (n,) or (n, channels) samples from t = 0 s of the video.
    The music beats are :func:`audio_onsets` of ``audio``; the scores are those of
    :func:`evaluate_sync` on them (module docstring), under the same names:

    - ``coverage@50ms`` (Coverage): share of events with an onset within 50 ms;
    - ``hit@50ms`` (Beats Hit): share of onsets within 50 ms of an event (low by design: the
      music has many more note onsets than the video has cuts);
    - ``median_error_s``: median over events of the distance to the nearest onset, seconds;
    - ``BCS`` / ``BHS`` etc. on ``bin_s`` bins; ``n_beats`` counts the onsets.
    """
    events = sorted(set(float(t) for t in events_s))
    return _event_scores(events, audio_onsets(audio, sample_rate), (), tolerances_s, bin_s, duration_s)


def evaluate_sync(
    timing: VideoTiming,
    music_beats_s: Sequence[float],
    *,
    downbeats_s: Sequence[float] = (),
    tolerances_s: Sequence[float] = (0.05, 0.1),
    bin_s: float = 1.0,
) -> dict[str, float]:
    """Every sync score by name for one video and the music's beats (see the module docstring)."""
    return _event_scores(video_events(timing), music_beats_s, downbeats_s, tolerances_s, bin_s, timing.duration_s)


def _event_scores(
    events: Sequence[float],
    music_beats_s: Sequence[float],
    downbeats_s: Sequence[float],
    tolerances_s: Sequence[float],
    bin_s: float,
    duration_s: float,
) -> dict[str, float]:
    err = nearest_distance(events, music_beats_s)
    scores: dict[str, float] = {
        "n_events": float(len(events)),
        "n_beats": float(len(music_beats_s)),
        "median_error_s": float(np.median(err)) if len(err) else 0.0,
        "mean_error_s": float(err.mean()) if len(err) else 0.0,
    }
    for tol in tolerances_s:
        ms = int(round(tol * 1000))
        scores[f"coverage@{ms}ms"] = coverage(events, music_beats_s, tol)
        scores[f"hit@{ms}ms"] = hit(events, music_beats_s, tol)
        if len(downbeats_s):
            scores[f"downbeat_coverage@{ms}ms"] = coverage(events, downbeats_s, tol)
    scores.update(binned_beat_scores(events, music_beats_s, duration_s, bin_s))
    return scores
