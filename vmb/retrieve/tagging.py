"""Tags for a corpus tune derived from its content: type, tempo, moods, genres, instruments and
a one-sentence description (the text the retrieval embeds).

Pure python: the tune builder calls :func:`tag_tune` once per lead sheet. Every choice among
equally good words is seeded by the tune's id, so rebuilding gives the same tags.
BPM counts the meter's pulse, as musicians and beat trackers do (and as the pipeline reads
``Attributes.tempo_bpm``): quarter notes in 2/4, 3/4 and 4/4, dotted quarters in 6/8 (a jig at
dotted quarter = 120 has 120 BPM, i.e. 180 quarter notes a minute); see :func:`vmb.theory.quarter_notes_per_pulse`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from vmb.theory import quarter_notes_per_pulse
from vmb.types import LeadSheet
from vmb.vocab import MAX_BPM, MIN_BPM, tempo_class_of

# tune type -> pulse BPM by meter (or "*" for any meter)
_TYPE_TEMPO: dict[str, dict[str, float]] = {
    "jig": {"*": 120}, "reel": {"*": 176}, "hornpipe": {"*": 144}, "strathspey": {"*": 128},
    "polka": {"*": 144}, "clog": {"*": 140}, "fling": {"*": 132}, "waltz": {"*": 150},
    "march": {"6/8": 100, "*": 116}, "air": {"6/8": 60, "*": 72}, "lullaby": {"6/8": 56, "*": 66},
    "chorale": {"*": 72}, "dance": {"6/8": 112, "*": 132},
    "song": {"2/4": 100, "3/4": 108, "4/4": 92, "6/8": 88},
    "children's song": {"2/4": 112, "3/4": 120, "4/4": 104, "6/8": 96},
}
_TEMPO_WORDS = [  # marking words -> pulse BPM (checked in this order)
    ("very slow", 56), ("tenderly", 66), ("slowly", 66), ("slow", 66), ("plaintive", 66),
    ("with expression", 72), ("with feeling", 72), ("moderate", 96), ("cheerful", 120),
    ("playful", 126), ("with spirit", 132), ("spirited", 132), ("lively", 132), ("quick", 144),
    ("brisk", 144), ("fast", 150),
]
_TITLE_TYPES = [  # title / R: words -> tune type
    ("slip jig", "jig"), ("slipjig", "jig"), ("jig", "jig"), ("reel", "reel"),
    ("hornpipe", "hornpipe"), ("strathspey", "strathspey"), ("polka", "polka"), ("clog", "clog"),
    ("fling", "fling"), ("waltz", "waltz"), ("walzer", "waltz"), ("march", "march"),
    ("quick step", "march"), ("quickstep", "march"), ("marsch", "march"), ("lament", "air"),
    ("air", "air"), ("lullaby", "lullaby"), ("cradle", "lullaby"), ("wiegenlied", "lullaby"),
    ("schlaf", "lullaby"), ("eia", "lullaby"), ("tanz", "dance"), ("dance", "dance"),
]
_ORIGINS = [  # words of an Essen "O:" field -> adjective
    ("china", "Chinese"), ("luxemburg", "Luxembourgish"), ("lothringen", "Lorraine"),
    ("irland", "Irish"), ("schweiz", "Swiss"), ("oesterreich", "Austrian"),
    ("niederlande", "Dutch"), ("ungarn", "Hungarian"), ("russland", "Russian"),
    ("jugoslawien", "Yugoslav"), ("rumaenien", "Romanian"), ("polen", "Polish"),
    ("frankreich", "French"), ("deutschland", "German"),
]


@dataclass
class TuneInfo:
    """What the source says about a tune besides its notes."""

    collection: str  # "essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk", "bach"
    title: str = ""
    rhythm: str = ""  # ABC R: field, e.g. "reel"
    notes: str = ""  # ABC N: fields joined (O'Neill puts tempo words there)
    origin: str = ""  # ABC O: field
    tempo: str = ""  # ABC Q: field, e.g. "1/4=89"


@dataclass
class TuneTags:
    tune_type: str
    bpm: float
    tempo_class: str
    genres: list[str]
    moods: list[str]
    instruments: list[str]
    description: str


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha1(key.encode()).hexdigest()[:12], 16))


def origin_adjective(info: TuneInfo) -> str:
    if info.collection in ("oneills1850", "ryansMammoth"):
        return "Irish"
    if info.collection == "airdsAirs":
        return "Scottish"
    text = info.origin.lower()
    return next((adj for word, adj in _ORIGINS if word in text), "")


def tune_type(info: TuneInfo, sheet: LeadSheet) -> str:
    """jig, reel, hornpipe, march, waltz, air, lullaby, chorale, children's song, song ..."""
    if info.collection == "bach":
        return "chorale"
    text = f"{info.rhythm} {info.title}".lower()
    for word, kind in _TITLE_TYPES:
        if re.search(rf"\b{re.escape(word)}", text):
            return kind
    if "kinder" in info.notes.lower() or info.collection == "essenFolksong" and "kinder" in info.title.lower():
        return "children's song"
    if info.collection == "essenFolksong":
        return "song"
    density = len(sheet.melody) / max(1.0, sheet.length_beats)
    meter_type = {"6/8": "jig", "3/4": "waltz", "2/4": "march", "4/4": "reel"}[sheet.meter]
    return meter_type if density > 1.6 or sheet.meter == "6/8" else "air"


def _quarter_bpm(q: str) -> float | None:
    """ABC Q: field -> quarter-note BPM ("1/2=112" -> 224, "120" -> 120)."""
    m = re.search(r"(\d+)/(\d+)\s*=\s*(\d+)", q)
    if m:
        return float(m.group(3)) * 4 * int(m.group(1)) / int(m.group(2))
    m = re.fullmatch(r"\s*(\d+)\s*", q)
    return float(m.group(1)) if m else None


def suggest_bpm(info: TuneInfo, sheet: LeadSheet, kind: str) -> float:
    """A playing tempo in pulse BPM: the tempo field, a marking word, or the type's default."""
    bpm = _quarter_bpm(info.tempo) if info.tempo else None
    if bpm is not None:
        bpm /= quarter_notes_per_pulse(sheet.meter)
    if bpm is None:
        words = info.notes.lower()
        bpm = next((float(v) for w, v in _TEMPO_WORDS if w in words), None)
    if bpm is None:
        table = _TYPE_TEMPO.get(kind, _TYPE_TEMPO["song"])
        bpm = float(table.get(sheet.meter, table.get("*", 100)))
        if sheet.mode == "minor" and kind in ("song", "air", "chorale"):
            bpm *= 0.92
    return float(round(min(max(bpm, MIN_BPM + 8), MAX_BPM - 40)))


def _moods(kind: str, mode: str, tempo_class: str, rng: np.random.Generator) -> list[str]:
    dance = kind in ("jig", "reel", "hornpipe", "polka", "clog", "fling", "strathspey", "dance")
    if kind == "lullaby":
        pool = ["calm", "peaceful", "dreamy"] if mode == "major" else ["dreamy", "melancholic", "calm"]
    elif kind == "chorale":
        pool = ["peaceful", "hopeful", "calm", "meditative"] if mode == "major" else \
            ["sad", "emotional", "meditative", "dark"]
    elif kind == "march":
        pool = ["heroic", "powerful", "energetic"] if mode == "major" else ["dramatic", "powerful", "dark"]
    elif mode == "major":
        pool = {"fast": ["happy", "energetic", "playful", "fun"] if dance else ["happy", "uplifting", "playful"],
                "medium": ["happy", "uplifting", "hopeful", "playful"],
                "slow": ["calm", "peaceful", "romantic", "nostalgic"]}[tempo_class]
    else:
        pool = {"fast": ["energetic", "mysterious", "adventure", "dramatic"],
                "medium": ["melancholic", "nostalgic", "mysterious", "emotional"],
                "slow": ["sad", "melancholic", "emotional", "nostalgic"]}[tempo_class]
    keep = 2 + int(rng.integers(0, 2))
    return [pool[0]] + [str(x) for x in rng.permutation(pool[1:])[: keep - 1]]


def _instruments(kind: str, info: TuneInfo, origin: str, rng: np.random.Generator) -> list[str]:
    if kind == "chorale":
        pool = ["choir", "church organ", "strings", "organ"]
    elif kind == "lullaby":
        pool = ["music box", "harp", "celesta", "nylon guitar"]
    elif kind == "children's song":
        pool = ["glockenspiel", "ukulele", "piano", "music box"]
    elif origin == "Chinese":
        pool = ["flute", "pan flute", "harp", "strings"]
    elif info.collection in ("oneills1850", "ryansMammoth", "airdsAirs", "miscFolk"):
        if kind in ("air", "waltz"):
            pool = ["harp", "flute", "violin", "strings"]
        elif kind == "march":
            pool = ["flute", "drums", "accordion", "brass"]
        else:
            pool = ["violin", "flute", "accordion", "acoustic guitar", "banjo"]
    else:
        pool = ["accordion", "acoustic guitar", "violin", "clarinet", "choir"]
    keep = 2 + int(rng.integers(0, 2))
    return [pool[0]] + [str(x) for x in rng.permutation(pool[1:])[: keep - 1]]


_TEMPO_ADJ = {"slow": ["slow", "gentle", "unhurried", "tender"],
              "medium": ["flowing", "easy-going", "moderate", "steady"],
              "fast": ["lively", "brisk", "spirited", "quick"]}
_CHARACTER = {
    "happy": "bright", "energetic": "driving", "playful": "dancing", "fun": "bouncy",
    "uplifting": "buoyant", "hopeful": "hopeful", "calm": "calm", "peaceful": "serene",
    "romantic": "tender", "nostalgic": "wistful", "dreamy": "dreamy", "melancholic": "melancholy",
    "sad": "mournful", "emotional": "heartfelt", "mysterious": "mysterious", "dark": "dark",
    "dramatic": "dramatic", "adventure": "adventurous", "heroic": "proud", "powerful": "bold",
    "meditative": "meditative",
}
_TEMPLATES = [
    "A {tempo} {mode}-key {kind} in {meter} with a {c1}, {c2} melody, well suited to {instr}.",
    "{Origin}{kind_cap} in {meter}: {tempo}, {mode} and {c1}, with a {c2} tune for {instr}.",
    "A {c1} {origin}{kind} in {key} {mode}, {tempo} in {meter}, with a {c2} line for {instr}.",
    "{Tempo} {mode}-key {kind} ({meter}) whose {c1}, {c2} melody sits well on {instr}.",
    "A {c2} {tempo} {kind} in {meter} and {key} {mode}, {c1} in character, at home in {genre} music on {instr}.",
]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(kind: str, sheet: LeadSheet, tempo_class: str, moods: list[str],
             instruments: list[str], genre: str, origin: str, rng: np.random.Generator) -> str:
    """One sentence about the tune, the wording varied by ``rng``."""
    chars = [_CHARACTER.get(m, m) for m in moods] + ["singing", "simple"]
    kind_word = {"song": "folk song", "air": "air", "dance": "folk dance"}.get(kind, kind)
    template = _TEMPLATES[int(rng.integers(0, len(_TEMPLATES)))]
    tempo = _TEMPO_ADJ[tempo_class][int(rng.integers(0, 4))]
    origin_word = f"{origin} " if origin else ""
    text = template.format(
        tempo=tempo, Tempo=tempo.capitalize(), mode=sheet.mode, kind=kind_word,
        kind_cap=kind_word if origin else kind_word.capitalize(), meter=sheet.meter,
        c1=chars[0], c2=chars[1], instr=_join(instruments[:2]), key=sheet.key,
        origin=origin_word, Origin=origin_word, genre=genre,
    )
    text = re.sub(r"\b([Aa]) (?=[aeiouAEIOU])", lambda m: m.group(1) + "n ", text)
    return text[0].upper() + text[1:]


def tag_tune(entry_id: str, info: TuneInfo, sheet: LeadSheet) -> TuneTags:
    """All the tags of one tune (deterministic for a given ``entry_id``)."""
    rng = _rng(entry_id)
    kind = tune_type(info, sheet)
    bpm = suggest_bpm(info, sheet, kind)
    tempo_class = tempo_class_of(bpm)
    origin = origin_adjective(info)
    if info.collection == "bach":
        genres = ["classical"]
    elif kind in ("children's song", "lullaby"):
        genres = ["children", "folk"]
    elif origin and origin not in ("German", "Irish", "Scottish", "Austrian", "Swiss",
                                   "Lorraine", "Luxembourgish", "Dutch", "French"):
        genres = ["world", "folk"]
    else:
        genres = ["folk"]
    moods = _moods(kind, sheet.mode, tempo_class, rng)
    instruments = _instruments(kind, info, origin, rng)
    text = describe(kind, sheet, tempo_class, moods, instruments, genres[0], origin, rng)
    return TuneTags(kind, bpm, tempo_class, genres, moods, instruments, text)
