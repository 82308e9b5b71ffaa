"""What each shot of a video shows: the vision analysis on one keyframe per shot.

Shots are the spans between the video's cuts. Each shot's keyframe is the sampled frame
nearest its middle; at most :data:`MAX_SHOTS` shots are analysed (the longest ones, so a 60 s
video costs about as much as a 20 s one), and text is read on at most :data:`MAX_TEXT_SHOTS`
of them (the text detector is the slowest model). Each shot gets its own valence and arousal
(its keyframe's colours weighed with what was seen there), so a speech and the party after it
read differently; :func:`merge_cues` folds the shots into one :class:`~.vision.VisionCues` for
the whole video, each shot counting by its length.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from vmb.types import JsonMixin, ShotMood

from .vision import SeenConcept, VisionCues, analyze_vision, enabled
from .visual import ImageFeatures

MAX_SHOTS = 12
MAX_TEXT_SHOTS = 6
MIN_SHOT_S = 0.75  # shorter shots are flashes: not analysed on their own


@dataclass
class ShotContent(JsonMixin):
    """One shot: its span in seconds, what its keyframe showed, and the affect read from it."""

    start_s: float
    end_s: float
    keyframe_s: float
    vision: VisionCues
    valence: float = 0.0  # -1..1
    arousal: float = 0.0
    moods: list[str] = field(default_factory=list)
    seen: str = ""  # the leading cue's phrase ("a birthday cake", "three smiling faces"), "" if only colours

    def mood(self) -> ShotMood:
        """The plain record the music plan reads (:func:`vmb.video.sections.content_sections`)."""
        return ShotMood(start_s=self.start_s, end_s=self.end_s, valence=self.valence, arousal=self.arousal,
                        seen=self.seen)


def shot_spans(duration_s: float, cuts_s: list[float]) -> list[tuple[float, float]]:
    bounds = [0.0] + sorted(c for c in cuts_s if 0.0 < c < duration_s) + [float(duration_s)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def analyze_shots(frames: list[np.ndarray], times: list[float], per_frame: list[ImageFeatures],
                  duration_s: float, cuts_s: list[float], *, seed: int = 0) -> list[ShotContent]:
    """Vision cues and affect of each shot's keyframe (frames: RGB uint8 (H, W, 3), times in seconds)."""
    from .affect import read_features

    if not enabled() or not frames:
        return []
    spans = [s for s in shot_spans(duration_s, cuts_s) if s[1] - s[0] >= MIN_SHOT_S] or [(0.0, float(duration_s))]
    chosen = sorted(sorted(spans, key=lambda s: -(s[1] - s[0]))[:MAX_SHOTS])
    text_at = set(sorted(chosen, key=lambda s: -(s[1] - s[0]))[:MAX_TEXT_SHOTS])
    t = np.asarray(times)
    shots = []
    for span in chosen:
        i = int(np.argmin(np.abs(t - 0.5 * (span[0] + span[1]))))
        cues = analyze_vision(frames[i], text=span in text_at)
        if not cues.ran:  # no model installed or loadable: nothing per shot to say
            return []
        reading = read_features(dataclasses.replace(per_frame[i], vision=cues), seed=seed)
        lead = max(reading.cues, key=lambda c: c.weight, default=None)
        shots.append(ShotContent(start_s=round(span[0], 3), end_s=round(span[1], 3), keyframe_s=round(times[i], 3),
                                 vision=cues, valence=reading.valence, arousal=reading.arousal,
                                 moods=list(reading.attributes.moods),
                                 seen=lead.phrase if lead is not None else ""))
    return shots


def merge_cues(shots: list[ShotContent]) -> VisionCues | None:
    """One VisionCues for the video: concepts and top-1 weighted by shot length, the most faces
    any shot showed, every distinct text read."""
    if not shots:
        return None
    lengths = np.array([s.end_s - s.start_s for s in shots])
    weights = lengths / lengths.sum()
    mass: dict[str, list] = {}
    for w, shot in zip(weights, shots):
        for c in shot.vision.concepts:
            entry = mass.setdefault(c.name, [0.0, c])
            entry[0] += float(w) * c.score
    concepts = [SeenConcept(name=c.name, phrase=c.phrase, score=round(m, 4), top_class=c.top_class)
                for m, c in sorted(mass.values(), key=lambda e: -e[0])[:3]]
    most = max(shots, key=lambda s: len(s.vision.faces))
    texts = list(dict.fromkeys(s.vision.text for s in shots if s.vision.text))
    scored = [s.vision.text_score for s in shots if s.vision.text]
    ran = list(dict.fromkeys(m for s in shots for m in s.vision.ran))
    return VisionCues(ran=ran, top1=round(float(sum(w * s.vision.top1 for w, s in zip(weights, shots))), 4),
                      concepts=concepts, faces=list(most.vision.faces), text=" / ".join(texts),
                      text_score=round(float(np.mean(scored)), 4) if scored else 0.0)


def shots_reason(shots: list[ShotContent]) -> str | None:
    """One reasoning line that follows the content shot by shot (None for fewer than two shots)."""
    if len(shots) < 2:
        return None
    parts = []
    for s in shots[:8]:
        what = s.seen or "colours only"
        text = f", text '{s.vision.text[:30]}'" if s.vision.text else ""
        parts.append(f"{s.start_s:.0f}-{s.end_s:.0f} s {what}{text} ({', '.join(s.moods[:2])}, "
                     f"valence {s.valence:+.2f})")
    more = f" and {len(shots) - 8} more" if len(shots) > 8 else ""
    return "Shots: " + "; ".join(parts) + more + "."
