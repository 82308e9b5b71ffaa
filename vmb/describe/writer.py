"""The description writer: attributes -> one fluent sentence in the paper's style.

"A poignant, melancholic soundtrack featuring a blend of strings and synthesizers, evoking a
sense of introspection and emotional depth." The sentence names the moods, instruments and
genre of an :class:`~vmb.types.Attributes` (and, when set, its tempo, key, meter and what the
music is for); a seed picks one of several sentence shapes and the synonyms in it.

``apply_user_attributes`` is the paper's explicit modification: the user's attributes win and
the rewritten sentence states each of them outright ("With a fast-paced tempo of 140 BPM, ...",
"..., led by a solo violin", "in D minor", "in a jazz style").
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from vmb import theory, vocab
from vmb.describe import writer_words as phrases
from vmb.theory import circumplex  # noqa: F401 (the describers import it from here too)
from vmb.types import Attributes, MusicDescription

SUGGESTED_PREFIX = "Suggested instruments: "


# --------------------------------------------------------------------------- small grammar helpers


def article(phrase: str) -> str:
    """'a' or 'an' for the sound that starts ``phrase`` ('an electric piano', 'a ukulele')."""
    word = phrase.strip().split(" ")[0].lower() if phrase.strip() else ""
    if not word:
        return "a"
    if word[0].isdigit():
        return "an" if re.match(r"(8|11|18|80|800)(\D|$)", word) else "a"
    if word.startswith(phrases.A_BEFORE_VOWEL):
        return "a"
    if word.startswith(phrases.AN_BEFORE_CONSONANT):
        return "an"
    return "an" if word[0] in "aeiou" else "a"


def with_article(phrase: str) -> str:
    return f"{article(phrase)} {phrase}"


def join_list(items: list[str], conj: str = "and") -> str:
    """['a'] -> 'a'; ['a', 'b'] -> 'a and b'; ['a', 'b', 'c'] -> 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conj} {items[-1]}"


def mood_adjective(mood: str) -> str:
    """The adjective that names a mood in a sentence ('adventure' -> 'adventurous')."""
    return phrases.MOOD_ADJECTIVES.get(mood, mood)


def instrument_name(name: str) -> str:
    """How an instrument is written in a sentence ('synthesizer' -> 'synthesizers')."""
    return phrases.INSTRUMENT_DISPLAY.get(name, name)


def instrument_phrase(name: str, *, solo: bool = False) -> str:
    """An instrument with its article: 'a solo violin', 'an electric piano', 'strings'."""
    shown = instrument_name(name)
    if shown in phrases.MASS_INSTRUMENTS:
        return shown
    return with_article(f"solo {shown}" if solo else shown)


def format_duration(seconds: float) -> str:
    """90 -> '1 minute 30 seconds', 30 -> '30 seconds', 120 -> '2 minutes'."""
    total = int(round(seconds))
    minutes, secs = divmod(total, 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)


def suggest_instruments(attributes: Attributes, n: int = 2) -> list[str]:
    """Typical instruments for the genre (else the first mood), never an excluded one."""
    pool: list[str] = []
    for genre in attributes.genres:
        pool += phrases.GENRE_INSTRUMENTS.get(genre, [])
    for mood in attributes.moods:
        pool += phrases.MOOD_INSTRUMENTS.get(mood, [])
    pool += ["piano", "strings"]
    out = [i for i in dict.fromkeys(pool) if i not in attributes.excluded_instruments]
    return out[:n]


# --------------------------------------------------------------------------- sentence parts


def _without(excluded: list[str]) -> str:
    names = ["vocals" if i == "choir" else instrument_name(i) for i in excluded]
    return f"with no {join_list(names, 'or')}" if names else ""


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _parts(a: Attributes, use: str | None, rng: np.random.Generator, instruments: list[str]) -> dict:
    moods = [mood_adjective(m) for m in a.moods[:3]] or [_pick(rng, phrases.NEUTRAL_ADJECTIVES)]
    genres = [phrases.GENRE_DISPLAY.get(g, g) for g in a.genres[:2]]
    nouns = phrases.GENRE_NOUNS.get(a.genres[0], phrases.PIECE_NOUNS) if a.genres else phrases.PIECE_NOUNS
    # What the moods evoke, never the mood word itself again ("a calm piece evoking calm").
    feelings = [_pick(rng, [f for f in phrases.MOOD_FEELINGS.get(m, ["emotion"]) if f not in moods] or ["emotion"])
                for m in a.moods[:2]]
    tempo = a.tempo_class or (vocab.tempo_class_of(a.tempo_bpm) if a.tempo_bpm else None)
    key = ""
    if a.key:
        key = f"in {a.key} {a.mode}" if a.mode else f"in the key of {a.key}"
    elif a.mode and rng.random() < 0.5:
        key = f"in {with_article(a.mode)} key"
    return {
        "moods": moods,
        "genre": join_list(genres),
        "noun": _pick(rng, nouns),
        "instruments": [instrument_name(i) for i in instruments],
        "feeling": join_list(list(dict.fromkeys(feelings))),
        "tempo": tempo,
        "key": key,
        "meter": f"in {a.meter} time" if a.meter else "",
        "use": f"{_pick(rng, phrases.USE_LEADS)} {use}" if use else "",
        "without": _without(a.excluded_instruments),
    }


def _instrument_clause(p: dict, rng: np.random.Generator) -> str:
    names = p["instruments"]
    if not names:
        return ""
    verb = _pick(rng, phrases.FEATURE_VERBS)
    if len(names) > 1 and rng.random() < 0.4:
        return f"{verb} a blend of {join_list(names)}"
    return f"{verb} {join_list(names)}"


def _noun_phrase(p: dict, rng: np.random.Generator, *, tempo_adj: bool = False) -> str:
    adjs = p["moods"]
    mood_text = ", ".join(adjs) if len(adjs) == 2 and rng.random() < 0.5 else join_list(adjs)
    if tempo_adj and p["tempo"]:
        mood_text = f"{_pick(rng, phrases.TEMPO_ADJECTIVES[p['tempo']])}, {mood_text}"
    words = " ".join(w for w in (mood_text, p["genre"], p["noun"]) if w)
    return with_article(words)


def _structures(p: dict, rng: np.random.Generator) -> list[list[str]]:
    """Several sentence shapes, each a list of clauses joined by commas."""
    inst = _instrument_clause(p, rng)
    tempo_clause = _pick(rng, phrases.TEMPO_CLAUSES[p["tempo"]]) if p["tempo"] else ""
    feeling = f"{_pick(rng, phrases.FEELING_VERBS)} {p['feeling']}" if p["feeling"] else ""
    tail = [p["without"], p["use"]]
    np_plain = _noun_phrase(p, rng)
    core = " ".join(w for w in (np_plain, inst, p["key"], p["meter"]) if w)
    music = " ".join(w for w in (join_list(p["moods"]), p["genre"], "music") if w)
    lead = ""
    if p["instruments"]:
        first, rest = p["instruments"][0], p["instruments"][1:]
        lead = f"led by {first}" + (f" with {join_list(rest)}" if rest else "")
    return [
        [core, feeling, *tail],
        [core, tempo_clause or feeling, *tail],
        [" ".join(w for w in (music, inst) if w), tempo_clause or feeling, p["key"], p["meter"], *tail],
        [" ".join(w for w in (_noun_phrase(p, rng, tempo_adj=True), "that", _pick(rng, phrases.FEELING_VERBS_3),
                              p["feeling"] or "emotion") if w), inst, p["key"], p["meter"], *tail],
        [lead[0].upper() + lead[1:] if lead else "", " ".join(w for w in (np_plain, p["key"], p["meter"]) if w),
         feeling, *tail],
    ]


def _finish(clauses: list[str]) -> str:
    text = ", ".join(c.strip() for c in clauses if c and c.strip())
    text = re.sub(r"\s+", " ", text).strip(" ,")
    return text[0].upper() + text[1:] + "."


def write_sentence(attributes: Attributes, *, use: str | None = None, seed: int = 0,
                   suggested: list[str] | None = None) -> str:
    """One sentence describing music with these attributes; ``seed`` varies shape and words.

    ``use`` is what the music is for ("a rainy-night vlog"); ``suggested`` names instruments to
    mention when ``attributes.instruments`` is empty (default: :func:`suggest_instruments`).
    """
    rng = np.random.default_rng(seed)
    instruments = list(attributes.instruments) or list(suggested if suggested is not None
                                                      else suggest_instruments(attributes))
    p = _parts(attributes, use, rng, instruments)
    shapes = _structures(p, rng)
    return _finish(shapes[int(rng.integers(len(shapes)))])


# --------------------------------------------------------------------------- explicit modification


def _rederive(merged: Attributes, user: Attributes, before: Attributes, named: list[str]) -> Attributes:
    """Recompute fields that follow from what the user changed (moods -> valence, BPM -> class).

    A mood the user asks for replaces a genre the input did not name (one the describer
    inferred from the scene): the mood's own style then plays (calm: ambient, energetic: EDM).
    """
    out = dataclasses.replace(merged)
    if user.moods and not user.genres and "genres" not in named:
        out.genres = []
    if user.moods and user.valence is None and user.arousal is None:
        out.valence, out.arousal = circumplex(user.moods)
        if user.energy is None:
            out.energy = theory.energy_for_arousal(out.arousal)
        if user.mode is None and not (user.key and merged.mode):
            out.mode = theory.mode_for_valence(out.valence)
    if user.tempo_bpm is not None and user.tempo_class is None:
        out.tempo_class = vocab.tempo_class_of(user.tempo_bpm)
    if (user.moods or user.genres) and user.tempo_bpm is None and user.tempo_class is None \
            and before.tempo_bpm is None:
        out.tempo_class = None  # the tempo was the genre's and the moods': they changed, so it is placed anew
    if user.tempo_class and user.tempo_bpm is None and before.tempo_bpm is not None:
        if vocab.tempo_class_of(before.tempo_bpm) != user.tempo_class:
            out.tempo_bpm = vocab.TEMPO_CLASSES[user.tempo_class][2]
    if user.excluded_instruments:  # the user's "no drums" beats an instrument the describer chose
        out.instruments = [i for i in out.instruments
                           if i not in user.excluded_instruments or i in user.instruments]
        out.excluded_instruments = list(dict.fromkeys(
            [i for i in user.excluded_instruments if i not in out.instruments]
            + [i for i in before.excluded_instruments if i not in out.instruments]))
    return out


def _user_clauses(a: Attributes, user: Attributes, rng: np.random.Generator) -> tuple[str, list[str]]:
    """A leading 'With ...' phrase and trailing clauses that state the user's choices."""
    lead = ""
    if user.tempo_bpm is not None or user.tempo_class:
        cls = a.tempo_class or vocab.tempo_class_of(a.tempo_bpm)
        lead = f"With {_pick(rng, phrases.TEMPO_NOUNS[cls])}"
        if a.tempo_bpm is not None:
            lead += f" of {a.tempo_bpm:g} BPM"
    tail = []
    if user.instruments:
        names = user.instruments
        tail.append(f"led by {instrument_phrase(names[0], solo=len(names) == 1)}"
                    + (f" with {join_list([instrument_name(n) for n in names[1:]])}" if len(names) > 1 else ""))
    if user.genres:
        tail.append(f"in {with_article(join_list([phrases.GENRE_DISPLAY.get(g, g) for g in user.genres]))} style")
    if user.key or user.mode:
        tail.append(f"in {a.key} {a.mode}" if a.key and a.mode else
                    f"in the key of {a.key}" if a.key else f"in {with_article(a.mode)} key")
    if user.meter:
        tail.append(f"in {a.meter} time")
    if user.excluded_instruments:
        tail.append(_without(a.excluded_instruments))
    if user.duration_s:
        tail.append(f"lasting {format_duration(a.duration_s)}")
    return lead, tail


def _recover_use(sentence: str) -> str | None:
    leads = "|".join(re.escape(lead) for lead in phrases.USE_LEADS)
    m = re.search(rf",\s*(?:{leads})\s+([^,]+)\.$", sentence)
    return m.group(1) if m else None


def _recover_suggested(reasoning: list[str]) -> list[str] | None:
    for line in reasoning:
        if line.startswith(SUGGESTED_PREFIX):
            names = line[len(SUGGESTED_PREFIX):].split(" (")[0]
            return [n.strip() for n in names.split(",") if n.strip() in vocab.INSTRUMENTS]
    return None


# How the user's choices read in the "User request:" line.
_ASKED_LABELS = {"genres": "genre", "moods": "mood", "instruments": "instruments", "excluded_instruments": "without",
                 "tempo_bpm": "tempo", "tempo_class": "tempo", "duration_s": "length"}
_ASKED_UNITS = {"tempo_bpm": " BPM", "duration_s": " s"}


def _asked(name: str, value) -> str:
    text = ", ".join(value) if isinstance(value, list) else f"{value:g}" if isinstance(value, float) else str(value)
    return f"{_ASKED_LABELS.get(name, name)} {text}{_ASKED_UNITS.get(name, '')}"


def apply_user_attributes(description: MusicDescription, user: Attributes, *, seed: int = 0) -> MusicDescription:
    """The user's attributes override the description's, and the new sentence states them.

    Fields the user leaves unset keep the described values; fields that follow from the user's
    (valence/arousal/mode from moods, tempo class from BPM) are recomputed. A reasoning line
    "User request: ..." records what was asked.
    """
    before = description.attributes
    merged = _rederive(before.merged(user), user, before, description.named)
    if not user.set_fields():
        return dataclasses.replace(description, attributes=merged)
    rng = np.random.default_rng(seed)
    use = _recover_use(description.sentence)
    suggested = _recover_suggested(description.reasoning)
    # The parts the user set are said once, in their own clauses, not also in the noun phrase.
    base_attrs = dataclasses.replace(merged, instruments=[i for i in merged.instruments if i not in user.instruments],
                                     genres=[] if user.genres else merged.genres, key=None, mode=None, meter=None)
    if user.instruments and not base_attrs.instruments:
        suggested = []  # the user's instruments lead; no need to invent companions
    if not (user.key or user.mode):
        base_attrs.key, base_attrs.mode = merged.key, merged.mode
    if not user.meter:
        base_attrs.meter = merged.meter
    if user.excluded_instruments:
        base_attrs.excluded_instruments = []
    p = _parts(base_attrs, None, rng, list(base_attrs.instruments) or
               [i for i in (suggested if suggested is not None else suggest_instruments(merged))
                if i not in merged.excluded_instruments])
    lead, tail = _user_clauses(merged, user, rng)
    core = " ".join(w for w in (_noun_phrase(p, rng), _instrument_clause(p, rng), p["key"], p["meter"]) if w)
    if lead:
        core = core[0].lower() + core[1:]
    use_clause = f"{_pick(rng, phrases.USE_LEADS)} {use}" if use else ""
    sentence = _finish([lead, core, *tail, use_clause]) if not lead else \
        _finish([f"{lead}, {core}", *tail, use_clause])
    asked = ", ".join(_asked(name, getattr(user, name)) for name in user.set_fields())
    reasoning = [r for r in description.reasoning if not r.startswith("User request:")]
    reasoning.append(f"User request: {asked} (the user's choices override the description)")
    return MusicDescription(sentence=sentence, attributes=merged, reasoning=reasoning, source=description.source,
                            named=list(description.named))
