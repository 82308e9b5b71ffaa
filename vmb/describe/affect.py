"""Visual features -> valence/arousal -> music attributes, with the reasons in words.

The mapping follows published colour-emotion findings, then adds content cues:

- Valdez & Mehrabian (1994), on standardised brightness B and saturation S:
  pleasure = .69 B + .22 S, arousal = -.31 B + .60 S, dominance = -.76 B + .32 S.
- Palmer, Schloss, Xu & Prado-Leon (2013, PNAS): faster, major-mode music goes with lighter,
  more saturated, yellower colours; slower, minor music with darker, desaturated, bluer ones.
  Their lean (lightness + saturation + yellowness) raises valence and tempo.
- smiles raise valence; dense edges and strong contrast raise arousal; each scene cue nudges
  (valence, arousal) by a fixed amount times its strength (table ``SCENE_AFFECT``);
- for video, cut rate (cuts per minute) and motion energy raise arousal and so the tempo.

Valence and arousal are in -1..1 (``tanh`` of the summed evidence), as in ``vocab.MOODS``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from vmb import theory, vocab
from vmb.types import Attributes

from .visual import ImageFeatures
from .writer import mood_adjective, suggest_instruments

# Centres and spreads that standardise features of ordinary photos (z = (x - centre) / spread).
BRIGHTNESS_NORM = (0.45, 0.2)
SATURATION_NORM = (0.3, 0.2)
COLOURFULNESS_NORM = (35.0, 25.0)  # Hasler & Suesstrunk M: 33 "moderately", 59 "quite", 82 "highly" colourful
YELLOWNESS_NORM = (0.05, 0.12)
EDGE_NORM = (0.11, 0.05)
CONTRAST_NORM = (0.4, 0.15)
VARIETY_NORM = (0.35, 0.2)

# scene -> (valence nudge, arousal nudge) at full cue strength
SCENE_AFFECT = {
    "sky": (0.15, 0.0), "overcast": (-0.3, -0.1), "water": (0.1, -0.15), "vegetation": (0.2, -0.3), "night": (-0.2, -0.25),
    "snow": (0.1, -0.35), "urban": (-0.05, 0.25), "indoor": (0.1, -0.2), "sunset": (0.2, -0.35),
    "beach": (0.3, 0.25),
}
# scene -> moods that the scene favours when they are near the (valence, arousal) point
SCENE_MOODS = {
    "sky": ["uplifting", "hopeful"], "overcast": ["melancholic", "nostalgic"], "water": ["peaceful", "dreamy"], "vegetation": ["peaceful", "hopeful"],
    "night": ["mysterious", "dreamy"], "snow": ["peaceful", "calm"], "urban": ["cool", "groovy"],
    "indoor": ["relaxing", "romantic"], "sunset": ["romantic", "nostalgic"], "beach": ["happy", "fun"],
}


@dataclass
class Pacing:
    """How a video moves: the evidence for tempo that a still image lacks."""

    cuts_per_min: float = 0.0
    motion: float = 0.0  # mean motion energy 0..1 (the video stage's scale: a still shot ~0, a fast pan ~1)
    intensity_trend: float = 0.0  # intensity at the end minus at the start, -1..1


@dataclass
class Affect:
    valence: float  # -1..1
    arousal: float  # -1..1
    dominance: float  # -1..1 (Valdez & Mehrabian), reported only
    lean: float  # Palmer et al. light/saturated/yellow lean, standardised (about -2..2)
    pace: float = 0.0  # arousal added by cuts and motion (video only)
    parts: dict[str, tuple[float, float]] = field(default_factory=dict)  # source -> (dv, da) before tanh


def _z(x: float, norm: tuple[float, float]) -> float:
    return max(-2.0, min(2.0, (x - norm[0]) / norm[1]))


def pace_of(pacing: Pacing) -> float:
    """Arousal evidence from pacing: about -0.6 for a still shot, up to +1.4 for fast cutting and motion."""
    cuts = max(-0.5, min(1.5, (pacing.cuts_per_min - 6.0) / 12.0))  # 6 cuts/min (10 s shots) is neutral
    motion = max(-0.75, min(1.5, (pacing.motion - 0.25) / 0.25))  # energy 1 - exp(-speed / scale)
    return 0.5 * cuts + 0.45 * motion  # editing pace is the strongest tempo cue a video gives


def estimate_affect(f: ImageFeatures, pacing: Pacing | None = None) -> Affect:
    """Valence, arousal and dominance of an image (or a video's frame summary + pacing)."""
    b = _z(f.brightness, BRIGHTNESS_NORM)
    # Saturation of the picture as a whole: mean pixel saturation misses vivid objects on a white
    # ground, so it is averaged with Hasler & Suesstrunk's colourfulness.
    s = 0.5 * (_z(f.saturation, SATURATION_NORM) + _z(f.colourfulness, COLOURFULNESS_NORM))
    y = _z(f.yellowness, YELLOWNESS_NORM)
    lean = (b + s + y) / 3.0
    parts = {
        "colour (Valdez & Mehrabian)": (0.5 * (0.69 * b + 0.22 * s), 0.5 * (-0.31 * b + 0.60 * s)),
        "colour (Palmer et al.)": (0.25 * lean, 0.0),
        "structure": (0.0, 0.2 * _z(f.edge_density, EDGE_NORM) + 0.15 * _z(f.contrast, CONTRAST_NORM)),
        # many different hues read as lively (colour variety is an arousal feature in affective
        # image classification, e.g. Machajdik & Hanbury 2010)
        "hue variety": (0.0, 0.25 * _z(f.hue_variety, VARIETY_NORM)),
    }
    if f.faces and not (f.vision is not None and "expressions" in f.vision.ran):  # else the faces are a cue
        smiling = (f.smiles or 0) / f.faces
        parts["faces"] = (0.1 + 0.4 * smiling, 0.1 * smiling)
    for scene, strength in f.scenes.items():
        if strength > 0.05 and scene in SCENE_AFFECT:
            dv, da = SCENE_AFFECT[scene]
            parts[f"scene: {scene}"] = (dv * strength, da * strength)
    pace = 0.0
    if pacing is not None:
        pace = pace_of(pacing)
        parts["pacing"] = (0.0, pace)
    v = sum(p[0] for p in parts.values())
    a = sum(p[1] for p in parts.values())
    return Affect(valence=round(math.tanh(v), 4), arousal=round(math.tanh(a), 4),
                  dominance=round(math.tanh(0.5 * (-0.76 * b + 0.32 * s)), 4), lean=round(lean, 4),
                  pace=round(pace, 4), parts=parts)


def tempo_bpm(affect: Affect) -> float:
    """BPM from arousal, nudged by the Palmer lean (lighter, more saturated, yellower -> faster)."""
    return float(round(min(168.0, max(56.0, 96.0 + 40.0 * affect.arousal + 5.0 * affect.lean))))


def nearest_moods(valence: float, arousal: float, scenes: dict[str, float] | None = None,
                  most: int = 3, *, favoured: dict[str, float] | None = None) -> list[str]:
    """1..``most`` moods of ``vocab.MOODS`` nearest the point; scene cues (and ``favoured``:
    mood -> bonus, from what was seen) favour their moods."""
    bonus: dict[str, float] = dict(favoured or {})
    for scene, strength in (scenes or {}).items():
        for mood in SCENE_MOODS.get(scene, []):
            bonus[mood] = max(bonus.get(mood, 0.0), 0.25 * strength)
    dist = theory.mood_distances(valence, arousal, bonus)
    ranked = theory.nearest_moods(valence, arousal, len(dist), bonus=bonus)
    best = dist[ranked[0]]
    return [m for m in ranked[:most] if dist[m] <= best + 0.25]


# --------------------------------------------------------------------------- attributes

# profile -> (scene phrase, genres, instruments, use: what the music is for)
PROFILES: dict[str, tuple[str, list[str], list[str], str]] = {
    "night city": ("the night sky and city lights", ["electronic", "lofi"],
                   ["synthesizer", "synth pad", "electric piano", "synth bass"], "a night-time city montage"),
    "night": ("the dark night sky and its scattered lights", ["ambient", "cinematic"],
              ["synth pad", "piano", "strings"], "a starry night time-lapse"),
    "sunset": ("the warm glow of the sunset", ["folk", "ambient"],
               ["acoustic guitar", "piano", "strings"], "a sunset time-lapse"),
    "snow": ("the white, snowy landscape", ["ambient", "classical"],
             ["piano", "celesta", "strings", "glockenspiel"], "a winter landscape video"),
    "beach": ("the sunny beach and open sea", ["pop", "latin"],
              ["ukulele", "acoustic guitar", "steel drums", "percussion"], "a summer travel vlog"),
    "nature": ("the green vegetation", ["folk", "classical"],
               ["acoustic guitar", "flute", "strings", "harp"], "a nature documentary"),
    "water": ("the open water", ["ambient", "piano"], ["piano", "harp", "synth pad"], "a travel vlog by the sea"),
    "city": ("the straight lines of buildings and streets", ["hip hop", "funk"],
             ["drums", "bass", "electric piano", "electric guitar"], "an urban street montage"),
    "portrait": ("the people in the picture", ["pop", "folk"],
                 ["acoustic guitar", "piano", "strings"], "a personal portrait slideshow"),
    "indoor": ("the warm indoor light", ["jazz", "lofi"],
               ["piano", "acoustic bass", "electric piano"], "a cosy indoor scene"),
    "sky": ("the open sky", ["cinematic", "pop"], ["strings", "piano", "french horn"], "an aerial travel vlog"),
    "overcast": ("the grey, overcast sky", ["ambient", "piano"], ["piano", "cello", "synth pad"],
                 "a rainy-day reflective video"),
    "dark": ("the darkness of the image", ["cinematic", "ambient"],
             ["strings", "cello", "synth pad"], "a moody short film"),
    # no clear scene: the affect quadrant decides
    "bright lively": ("the bright, lively image", ["pop", "electronic"],
                      ["drums", "bass", "synthesizer", "electric guitar"], "an upbeat promo video"),
    "tense": ("the intense, unsettled image", ["cinematic", "rock"],
              ["strings", "drums", "brass", "timpani"], "a tense action sequence"),
    "sombre": ("the sombre image", ["cinematic", "ambient"], ["strings", "piano", "synth pad"], "a reflective short film"),
    "gentle": ("the gentle, pleasant image", ["piano", "folk"],
               ["piano", "acoustic guitar", "strings"], "a relaxing slideshow"),
}
PLURAL_PHRASES = {"night city", "night", "beach", "city", "portrait"}


@dataclass
class Reading:
    """What the visual analysis says about the music."""

    attributes: Attributes
    use: str
    reasoning: list[str]
    affect: Affect  # the colour analysis alone (+ pacing)
    profile: str
    cues: list = field(default_factory=list)  # .cues.Cue: what the vision models saw, weighed in
    valence: float = 0.0  # the colour affect and the cues together, -1..1
    arousal: float = 0.0


def pick_profile(f: ImageFeatures, affect: Affect) -> str:
    """The scene profile with the strongest evidence, or an affect quadrant when none is clear."""
    s = f.scenes
    night_city = min(s.get("night", 0.0), max(s.get("urban", 0.0), f.point_lights if f.straight_lines >= 6 else 0.0))
    scores = {
        "night city": night_city + 0.15 if night_city >= 0.3 else 0.0,  # the combination is more specific
        "night": s.get("night", 0.0), "sunset": s.get("sunset", 0.0), "snow": s.get("snow", 0.0),
        "beach": s.get("beach", 0.0) + 0.1, "nature": s.get("vegetation", 0.0), "water": s.get("water", 0.0),
        "city": s.get("urban", 0.0), "overcast": s.get("overcast", 0.0), "indoor": 0.9 * s.get("indoor", 0.0), "sky": 0.9 * s.get("sky", 0.0),
        "portrait": min(1.0, 25.0 * f.face_area) if f.faces else 0.0,  # a face on 4 % of a portrait
        "dark": 0.6 * min(1.0, (0.3 - f.brightness) / 0.15),  # only when no scene says more
    }
    best = max(scores, key=lambda k: (scores[k], k))
    if scores[best] >= 0.4:
        return best
    if affect.valence >= 0:
        return "bright lively" if affect.arousal >= 0 else "gentle"
    return "tense" if affect.arousal >= 0 else "sombre"


def _palette_phrase(f: ImageFeatures) -> str:
    light = ("dark" if f.brightness < 0.25 else "dim" if f.brightness < 0.4 else
             "" if f.brightness < 0.6 else "bright" if f.brightness < 0.75 else "light")
    sat = ("desaturated" if f.saturation < 0.12 else "muted" if f.saturation < 0.25 else
           "" if f.saturation < 0.5 else "vivid")
    hue = " and ".join(f.dominant_hues[:2]) if f.dominant_hues else ("grey" if f.saturation < 0.12 else "mixed")
    return ", ".join(w for w in (light, sat) if w) + (" " if light or sat else "") + hue


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def pacing_phrase(pacing: Pacing, tempo_class: str, bpm: float) -> str:
    cuts = ("a single continuous shot" if pacing.cuts_per_min < 0.5
            else f"{pacing.cuts_per_min:.0f} cuts per minute")
    motion = ("almost no motion" if pacing.motion < 0.1 else "gentle motion" if pacing.motion < 0.3
              else "moderate motion" if pacing.motion < 0.55 else "strong motion")
    feel = {"slow": "a slow, unhurried", "medium": "a steady, medium", "fast": "a driving, fast"}[tempo_class]
    return f"Pacing: {cuts} and {motion} suggest {feel} tempo around {bpm:.0f} BPM."


def read_features(f: ImageFeatures, pacing: Pacing | None = None, *, seed: int = 0) -> Reading:
    """Attributes, a use and the reasoning lines for image features (+ video pacing).

    What the vision models saw (``f.vision``) is weighed against the colour affect by its
    confidence (:mod:`.cues`); a cue that outweighs the colours also picks genre, instruments and use.
    """
    from .cues import COLOUR_WEIGHT, blend, read_cues

    colour = estimate_affect(f, pacing)
    cues, notes = read_cues(f.vision, seed)
    valence, arousal = blend((colour.valence, colour.arousal), cues)
    affect = dataclasses.replace(colour, valence=valence, arousal=arousal)
    favoured: dict[str, float] = {}
    total = COLOUR_WEIGHT + sum(c.weight for c in cues)
    for cue in cues:
        for rank, mood in enumerate(cue.moods[:2]):
            favoured[mood] = max(favoured.get(mood, 0.0), (0.3 - 0.1 * rank) * min(1.0, 2 * cue.weight / total))
    moods = nearest_moods(valence, arousal, f.scenes, favoured=favoured)
    bpm = tempo_bpm(affect)
    tempo_class = vocab.tempo_class_of(bpm)
    mode = theory.mode_for_valence(valence)
    profile = pick_profile(f, affect)
    phrase, genres, instruments, use = PROFILES[profile]
    genres, instruments = list(genres), list(instruments)
    lead = max(cues, key=lambda c: c.weight, default=None)
    seen_instruments = [i for c in cues for i in c.instruments]
    if lead is not None and lead.weight > COLOUR_WEIGHT:  # what is in the picture says more than its colours
        profile = f"seen: {lead.source}"
        genres = lead.genres or [g for c in cues for g in c.genres][:1]
        instruments = seen_instruments + suggest_instruments(Attributes(genres=genres, moods=moods), n=3)
        phrase, use = lead.phrase, lead.use or use
    elif seen_instruments:
        instruments = seen_instruments + instruments
    instruments = list(dict.fromkeys(instruments))[:4]
    if arousal > 0.45 and "drums" not in instruments:
        instruments = instruments[:3] + ["drums"]
    elif arousal < -0.35:
        instruments = [i for i in instruments if i not in ("drums", "percussion") or i in seen_instruments]
    attributes = Attributes(
        genres=list(genres), moods=moods, instruments=instruments, tempo_bpm=bpm, tempo_class=tempo_class,
        mode=mode, energy=theory.energy_for_arousal(arousal), valence=valence, arousal=arousal,
    )
    plural = lead.plural if profile.startswith("seen") else profile in PLURAL_PHRASES
    verb = "evoke" if plural else "evokes"
    mood_words = _join([mood_adjective(m) for m in moods])
    if cues:
        weights = ", ".join(f"{c.source} {c.weight:.2f}" for c in cues)
        reasoning = [f"Emotion match: the {_palette_phrase(f)} palette (valence {colour.valence:+.2f}, arousal "
                     f"{colour.arousal:+.2f}, weight {COLOUR_WEIGHT:.2f}) weighed with what was seen ({weights}) "
                     f"suggests a {mood_words} mood (valence {valence:+.2f}, arousal {arousal:+.2f})."]
    else:
        reasoning = [f"Emotion match: the {_palette_phrase(f)} palette suggests a {mood_words} mood "
                     f"(valence {valence:+.2f}, arousal {arousal:+.2f})."]
    reasoning += [f"{c.reason}." for c in cues] + [f"{n}." for n in notes]
    style = f"{_join(genres)} music" if genres else "music"
    reasoning.append(f"Scene association: {phrase} {verb} {style} with {_join(instruments)}.")
    if f.faces and not any(c.source == "faces" for c in cues) and not any(n.startswith("People") for n in notes):
        smiling = f" ({f.smiles} smiling)" if f.smiles else ""
        reasoning.append(f"People: {f.faces} face{'s' if f.faces > 1 else ''}{smiling} add warmth and a human focus.")
    colours = ("light, saturated, warm" if affect.lean > 0.5 else
               "dark, desaturated, cool" if affect.lean < -0.5 else "balanced")
    detail = ("busy, high-contrast detail" if f.edge_density > 0.14 else
              "sparse, smooth detail" if f.edge_density < 0.07 else "moderate detail")
    if pacing is None:
        reasoning.append(f"Tempo and mode: {colours} colours and {detail} suggest a {tempo_class} tempo "
                         f"around {bpm:.0f} BPM in a {mode} key.")
    else:  # in a video the pacing, not the colour, sets the tempo
        reasoning.append(f"Mode: {colours} colours and {detail} suggest a {mode} key.")
        reasoning.append(pacing_phrase(pacing, tempo_class, bpm))
        if pacing.intensity_trend > 0.2:
            reasoning.append("Arc: the intensity rises towards the end, so the music should build.")
        elif pacing.intensity_trend < -0.2:
            reasoning.append("Arc: the intensity falls away towards the end, so the music should wind down.")
    return Reading(attributes=attributes, use=use, reasoning=reasoning, affect=affect, profile=profile,
                   cues=cues, valence=valence, arousal=arousal)
