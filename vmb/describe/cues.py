"""What the vision models saw -> affect cues weighed against the colour affect, with their reasons.

Each cue is a point on the valence/arousal circumplex with a weight; the colour analysis
(:func:`.affect.estimate_affect`) always counts with weight :data:`COLOUR_WEIGHT`, and the result
is the weighted mean. Weights say how sure a cue is:

- subject: ``SUBJECT_WEIGHT x salience`` of the best concept, scaled by its probability from 0 at
  :data:`CLEAR_SUBJECT` to 1 at 0.8, and none at all when the best ImageNet class is below
  :data:`CLEAR_SUBJECT` ("no clear subject"); its
  point is where the concept's scene falls in the text path's MiniLM mood space (:mod:`.concepts`);
- faces: the mean circumplex point of each face's expression probabilities
  (``vision.EXPRESSION_AFFECT``), weight ``FACE_WEIGHT x mean confidence``, more for more faces;
- text in the picture: the text path's own reading of the words (:func:`.text.describe_text`),
  weight ``TEXT_WEIGHT x recognition confidence``, less when the words carry no clear mood; a
  clearly read banner ("HAPPY BIRTHDAY") outweighs even a sure subject (a dog at 0.85), since
  whoever wrote it into the picture named its occasion.

A cue that outweighs the colour also chooses the genres, instruments and the use of the music.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .vision import EXPRESSION_AFFECT, EXPRESSIONS, MIN_EXPRESSION_PX, VisionCues

COLOUR_WEIGHT = 1.0
CLEAR_SUBJECT = 0.2  # best ImageNet class probability below this: no clear subject
SUBJECT_WEIGHT = 2.0
FACE_WEIGHT = 1.2  # one face at full confidence; each more face adds a third, up to 2x
TEXT_WEIGHT = 2.5  # above a sure subject's 2.0: words put into a picture say its occasion outright
WEAK_TEXT = 0.3  # text whose words name no clear mood counts this much
GENRE_MIN_SCORE = 0.1  # a scene's MiniLM genre score that names a genre (scenes score lower than prompts)
_NUMBERS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@dataclass
class Cue:
    source: str  # "subject" | "faces" | "text"
    valence: float
    arousal: float
    weight: float
    reason: str
    moods: list[str] = field(default_factory=list)
    genres: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)
    use: str | None = None
    phrase: str = ""  # how the scene line names it: "a ladybug", "three smiling faces"
    plural: bool = False


def count_words(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def subject_cue(cues: VisionCues) -> tuple[Cue | None, str | None]:
    """(the subject cue or None, a reasoning line naming what was seen)."""
    if "subject" not in cues.ran or not cues.concepts:
        return None, None
    from .concepts import concept_music, load_table

    best = cues.concepts[0]
    seen = ", ".join(f"{c.phrase} ({c.score:.2f})" for c in cues.concepts if c.score >= 0.05) or best.phrase
    if cues.top1 < CLEAR_SUBJECT:
        return None, (f"Seen: no clear subject (best class '{best.top_class}' {cues.top1:.3f}, below "
                      f"{CLEAR_SUBJECT}); the colours decide")
    concept = load_table().concepts[best.name]
    music = concept_music(best.name)
    # no weight at CLEAR_SUBJECT, full weight from 0.8: a clear subject outweighs the colours
    weight = round(SUBJECT_WEIGHT * concept.salience * min(1.0, max(0.0, (best.score - CLEAR_SUBJECT) / 0.6)), 3)
    genres = list(music.genres[:1]) if _genre_score(best.name, music.genres[0]) >= GENRE_MIN_SCORE else []
    instruments = [concept.instrument] if concept.instrument else []
    reason = (f"Seen: {seen}; {best.phrase} reads as {', '.join(music.moods[:2])} "
              f"(valence {music.valence:+.2f}, arousal {music.arousal:+.2f})")
    return Cue("subject", music.valence, music.arousal, weight, reason, moods=list(music.moods[:2]),
               genres=genres, instruments=instruments, use=concept.use, phrase=best.phrase,
               plural=not best.phrase.startswith(("a ", "an "))), None


def _genre_score(concept: str, genre: str) -> float:
    from .concepts import concept_scores
    from .text import prototypes

    names, scores = concept_scores()
    return float(scores["genre"][names.index(concept), prototypes()["genre"][0].index(genre)])


def face_cue(cues: VisionCues) -> tuple[Cue | None, str | None]:
    if "faces" not in cues.ran or not cues.faces:
        return None, None
    n = len(cues.faces)
    rated = [f for f in cues.faces if f.probs]
    noun = f"{count_words(n)} face{'s' if n > 1 else ''}"
    if not rated:
        small = all(min(f.box[2], f.box[3]) < MIN_EXPRESSION_PX for f in cues.faces)
        why = (f"under {MIN_EXPRESSION_PX} px: too small to read their expressions" if small
               else "no expression model: their expressions are not read")
        return None, f"People: {noun} ({why})"
    valence = sum(p * EXPRESSION_AFFECT[e][0] for f in rated for p, e in zip(f.probs, EXPRESSIONS)) / len(rated)
    arousal = sum(p * EXPRESSION_AFFECT[e][1] for f in rated for p, e in zip(f.probs, EXPRESSIONS)) / len(rated)
    counts: dict[str, int] = {}
    for f in rated:
        counts[f.expression] = counts.get(f.expression, 0) + 1
    top = max(counts, key=lambda e: (counts[e], e))
    adjective = {"happy": "smiling", "sad": "sad", "angry": "angry", "surprise": "surprised", "fear": "fearful",
                 "disgust": "disgusted", "neutral": "neutral"}[top]
    if counts[top] == n:
        said = f"{count_words(n)} {adjective} face{'s' if n > 1 else ''}"
    else:
        said = f"{noun}, {count_words(counts[top])} {adjective}"
    confidence = sum(f.confidence for f in rated) / len(rated)
    weight = round(FACE_WEIGHT * confidence * min(2.0, 1.0 + (n - 1) / 3.0), 3)
    moods = {"happy": ["happy", "fun"], "sad": ["sad", "melancholic"], "angry": ["angry", "tense"],
             "surprise": ["playful", "energetic"], "fear": ["tense", "suspenseful"], "disgust": ["dark", "tense"],
             "neutral": []}[top]
    reason = (f"People: {said} (expressions: {', '.join(f'{f.expression} {f.confidence:.2f}' for f in rated[:6])}) "
              f"suggest valence {valence:+.2f}, arousal {arousal:+.2f}")
    return Cue("faces", round(valence, 4), round(arousal, 4), weight, reason, moods=moods,
               use="a video of friends together" if n > 1 else "a personal portrait video", phrase=said,
               plural=n > 1), None


def text_cue(cues: VisionCues, seed: int = 0) -> tuple[Cue | None, str | None]:
    if "text" not in cues.ran or not cues.text:
        return None, None
    from .text import describe_text
    from .text_parse import parse_use

    words = " ".join(re.findall(r"[^\W\d_]+", _spaced(cues.text)))
    if len(words.replace(" ", "")) < 3:
        return None, None
    read = describe_text(words.lower(), seed=seed)
    a = read.attributes
    weak = any("no clear mood" in line for line in read.reasoning)
    weight = round(TEXT_WEIGHT * cues.text_score * (WEAK_TEXT if weak else 1.0), 3)
    quoted = cues.text if len(cues.text) <= 60 else cues.text[:57] + "..."
    reason = (f"Text in the picture: '{quoted}' ({cues.text_score:.2f}) reads as "
              f"{', '.join(a.moods[:2])} (valence {a.valence:+.2f}, arousal {a.arousal:+.2f})"
              + ("; weak: the words name no clear mood" if weak else ""))
    return Cue("text", float(a.valence or 0.0), float(a.arousal or 0.0), weight, reason, moods=list(a.moods[:2]),
               genres=list(a.genres), instruments=list(a.instruments),
               use=parse_use(words) or (f"a video about '{words.lower()}'" if not weak else None),
               phrase=f"the words '{quoted}'", plural=True), None


def _spaced(text: str) -> str:
    """OCR often drops the space between words ("HAPPYBIRTHDAY"): split runs the encoder does not know."""
    from .text_parse import split_compound

    return " ".join(split_compound(w) if len(w) > 8 and w.isalpha() else w for w in text.split())


def read_cues(cues: VisionCues | None, seed: int = 0) -> tuple[list[Cue], list[str]]:
    """(cues with a weight > 0, extra reasoning lines for what was seen but carries no weight)."""
    if cues is None:
        return [], []
    out, notes = [], []
    for make in (subject_cue, face_cue):
        cue, note = make(cues)
        if cue is not None and cue.weight > 0:
            out.append(cue)
        if note:
            notes.append(note)
    cue, note = text_cue(cues, seed)
    if cue is not None and cue.weight > 0:
        out.append(cue)
    return out, notes


def blend(colour: tuple[float, float], cues: list[Cue]) -> tuple[float, float]:
    """The weighted mean of the colour point (weight COLOUR_WEIGHT) and the cues' points."""
    total = COLOUR_WEIGHT + sum(c.weight for c in cues)
    valence = (COLOUR_WEIGHT * colour[0] + sum(c.weight * c.valence for c in cues)) / total
    arousal = (COLOUR_WEIGHT * colour[1] + sum(c.weight * c.arousal for c in cues)) / total
    return round(max(-1.0, min(1.0, valence)), 4), round(max(-1.0, min(1.0, arousal)), 4)
