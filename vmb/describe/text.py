"""Text input -> music description (the text bridge for a prompt, a poem or a scene).

Zero-shot: the text is embedded with the shared MiniLM encoder (:func:`vmb.embed.encode_texts`)
and compared with prototype phrases for every mood, genre, instrument and tempo class
(:mod:`.text_lexicon`); words that name an attribute outright win over the embedding ("calm
piano" gives piano), negations exclude ("no drums", "not sad"), and explicit values are parsed
("at 90 bpm", "in D minor", "30 seconds", "a waltz"). Valence and arousal are the
similarity-weighted mean of the moods' circumplex positions (vocab.MOODS); they give mode,
energy and, when nothing names it, the tempo.

Prototype embeddings are computed once per process and cached on disk (keyed by a hash of the
phrases and the encoder), so only the input text is embedded per call.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np

from vmb import VmbError, theory, vocab
from vmb.describe import text_lexicon as lexicon
from vmb.describe import text_parse as parsing
from vmb.describe.writer import SUGGESTED_PREFIX, circumplex, join_list, suggest_instruments, write_sentence
from vmb.types import Attributes, MusicDescription

MAX_CHARS = 4000  # analysis window: a long text is read from its start
MAX_CHUNKS = 12  # chunks embedded and averaged
CHUNK_CHARS = 360
MAX_NGRAMS = 12  # words / word pairs embedded to explain the mood

# Tuned on the dev split of benchmarks/data/text_prompts.json (see benchmarks/describe_text.py).
TOP_PHRASES = 2  # a label scores the mean similarity of its best phrases
HUB_WEIGHT = 1.0
KEYWORD_LIFT = 0.03  # a named mood ranks first, just above the best embedding score
TEMPERATURE = 0.04  # softmax over mood scores -> circumplex weights
MOOD_MARGIN = 0.035  # a 2nd/3rd mood must score within this of the first
MOOD_SPREAD = 1.0  # ... and lie within this circumplex distance of it
# No mood evidence: the mood scores are flat, or low and nearly flat (gibberish, "120 bpm").
FLAT_SPREAD, WEAK_TOP, WEAK_SPREAD = 0.08, 0.06, 0.16
NEUTRAL_MOODS = ["calm", "relaxing"]  # what is left when nothing in the text names a mood
GENRE_MIN_SIM, GENRE_MARGIN = 0.2, 0.1
INSTRUMENT_MIN_SIM = 0.25
GENRE_MOOD_BONUS = 0.04  # a named genre nudges its usual moods (lexicon.GENRE_MOODS)
MINOR_ABOVE = 0.5  # weighted minor tendency of the moods (lexicon.MOOD_MINOR) that gives minor
_STOPWORDS = set(
    "a an the and or of for to in on at by with from into over under as is are was be it its this that"
    " these those my your our their his her i we you they me us some any very so just music song track"
    " tune piece sound sounds something like about while when where do does not no go get let make"
    " onto than then there here what who how all more most only also too can will would should".split()
)


# --------------------------------------------------------------------------- prototype embeddings


def _prototype_table() -> dict[str, dict[str, list[str]]]:
    return {"mood": lexicon.MOOD_PROTOTYPES, "genre": lexicon.GENRE_PROTOTYPES,
            "tempo": lexicon.TEMPO_PROTOTYPES, "instrument": lexicon.INSTRUMENT_PROTOTYPES}


def _cache_dir() -> Path:
    import platformdirs

    return Path(os.environ.get("VMB_CACHE_DIR") or platformdirs.user_cache_dir("vmb"))


def prototype_digest() -> str:
    """A hash of the prototype phrases and the encoder: caches built on the prototypes key on it."""
    from vmb import embed

    encoder_id = f"all-MiniLM-L6-v2/{embed.EMBEDDING_DIM}"
    return hashlib.sha256(json.dumps([encoder_id, _prototype_table()], sort_keys=True).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def prototypes() -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """kind -> (label names, label index per phrase (P,), phrase embeddings (P, 384)).

    Loaded from the user cache dir when a file for exactly these phrases exists, else embedded
    (a few seconds) and saved there (best effort: a read-only cache dir only costs the time).
    """
    from vmb import embed

    table = _prototype_table()
    phrases = [p for kind in table for label in table[kind] for p in table[kind][label]]
    path = _cache_dir() / f"text-prototypes-{prototype_digest()}.npy"
    emb = None
    if path.exists():
        try:
            emb = np.load(path)
            if emb.shape != (len(phrases), embed.EMBEDDING_DIM) or not np.isfinite(emb).all():
                emb = None
        except (OSError, ValueError):
            emb = None
    if emb is None:
        emb = embed.encode_texts(phrases)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
            np.save(tmp, emb)
            os.replace(tmp, path)
        except OSError:
            pass
    out, row = {}, 0
    for kind, labels in table.items():
        names = list(labels)
        index = np.array([i for i, name in enumerate(names) for _ in labels[name]])
        out[kind] = (names, index, emb[row : row + len(index)])
        row += len(index)
    return out


def _raw_scores(vecs: np.ndarray, kind: str) -> np.ndarray:
    names, index, emb = prototypes()[kind]
    sims = vecs @ emb.T  # (N, P)
    out = np.zeros((len(vecs), len(names)), np.float32)
    for j in range(len(names)):
        s = np.sort(sims[:, index == j], axis=1)[:, ::-1]
        out[:, j] = s[:, :TOP_PHRASES].mean(axis=1)
    return out


@functools.lru_cache(maxsize=None)
def _hub_bias(kind: str) -> np.ndarray:
    """Each label's mean score over all other prototype phrases: how much it matches anything.

    Labels whose phrases sit near "music in general" ("calm quiet music") would otherwise win
    for every prompt that says "music"; subtracting this bias removes that pull.
    """
    others = np.concatenate([emb for k, (_n, _i, emb) in prototypes().items() if k != kind])
    return _raw_scores(others, kind).mean(axis=0)


def label_scores(vecs: np.ndarray, kind: str) -> np.ndarray:
    """(N, 384) unit text vectors -> (N, labels): mean cosine of each label's best phrases,
    less ``HUB_WEIGHT`` times the label's general pull (:func:`_hub_bias`)."""
    return _raw_scores(vecs, kind) - HUB_WEIGHT * _hub_bias(kind)


# --------------------------------------------------------------------------- text preparation


# NUL and the other C0/C1 control characters (but tab and newline), and the bidirectional
# overrides, which can make a sentence read differently from what it says.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """``text`` without control characters (``\\r`` becomes a newline): what the sentence and JSON may hold."""
    return _CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _prepare(text: str) -> tuple[str, list[str]]:
    """Validate, cut to the analysis window and spell out emoji. Returns (text, notes)."""
    if isinstance(text, str):
        text = clean_text(text)
    if not isinstance(text, str) or not text.strip():
        raise VmbError("empty text: describe_text needs a prompt, a poem or a scene description")
    notes = []
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS]
        end = max(cut.rfind(". "), cut.rfind("\n"), cut.rfind("! "), cut.rfind("? "))
        cut = cut[: end + 1] if end > MAX_CHARS // 2 else cut
        notes.append(f"Text: {len(text):,} characters; read the first {len(cut):,}")
        text = cut
    found = [(e, w) for e, w in lexicon.EMOJI_WORDS.items() if e in text]
    if found:
        for emoji, words in sorted(found, key=lambda x: -len(x[0])):
            text = text.replace(emoji, f" {words} ")
        notes.append("Emoji: " + ", ".join(f"{e} read as '{w}'" for e, w in found))
    return re.sub(r"[ \t]+", " ", text).strip(), notes


def _chunks(text: str) -> list[str]:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n+", text) if s.strip()]
    chunks: list[str] = []
    for s in sentences:
        if chunks and len(chunks[-1]) + len(s) < CHUNK_CHARS:
            chunks[-1] += " " + s
        else:
            chunks.append(s[: CHUNK_CHARS * 2])
    return chunks[:MAX_CHUNKS]


def _ngrams(text: str) -> list[str]:
    """Content-word pairs ("rainy night") and the content words outside any pair, in order.

    These are embedded only to say which words carry the mood; each one costs encoder time.
    """
    words = re.findall(r"[a-zA-Z][a-zA-Z'-]*", text[:600].lower())
    content = [w not in _STOPWORDS for w in words]
    grams: list[str] = []
    for i, w in enumerate(words):
        if not content[i]:
            continue
        paired_before = i > 0 and content[i - 1]
        paired_after = i + 1 < len(words) and content[i + 1]
        if paired_after:
            grams.append(f"{w} {words[i + 1]}")
        elif not paired_before:
            grams.append(w)
    return list(dict.fromkeys(grams))[:MAX_NGRAMS]


def _neutral(notes: list[str]) -> MusicDescription:
    valence, arousal = circumplex(NEUTRAL_MOODS)
    tempo_class = vocab.tempo_class_of(theory.tempo_for([], NEUTRAL_MOODS))
    attrs = Attributes(moods=list(NEUTRAL_MOODS), tempo_class=tempo_class, mode="major", energy=0.5,
                       valence=valence, arousal=arousal)
    reasoning = notes + [f"Emotion match: no words or known emoji to read; a neutral default: {join_list(NEUTRAL_MOODS)}"]
    return MusicDescription(write_sentence(attrs), attrs, reasoning, source="text")


# --------------------------------------------------------------------------- the describer


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _moods(scores: np.ndarray, named: list[str], refused: list[str]) -> tuple[list[str], np.ndarray]:
    """Ranked moods (1-3) and softmax weights over all moods, from embedding scores.

    A named mood ranks first (lifted just above the best score, so close moods still join it);
    a refused one ("not sad") gets no weight.
    """
    names = prototypes()["mood"][0]
    scores = scores.copy()
    best = float(scores.max())
    for m in named:
        j = names.index(m)
        scores[j] = max(scores[j], best + KEYWORD_LIFT)
    for m in refused:
        scores[names.index(m)] = -np.inf
    order = [int(j) for j in np.argsort(-scores, kind="stable") if np.isfinite(scores[j])]
    top = scores[order[0]] if not named else best
    picked = [m for m in named if m not in refused] + [names[j] for j in order if scores[j] >= top - MOOD_MARGIN]
    # A companion mood must sit near the first on the circumplex: no "funny, sad and meditative".
    first = np.array(vocab.MOODS[picked[0]]) if picked else None
    picked = [m for m in picked if m in named or np.linalg.norm(np.array(vocab.MOODS[m]) - first) <= MOOD_SPREAD]
    finite = np.isfinite(scores)
    weights = np.where(finite, np.exp((np.where(finite, scores, 0.0) - scores[finite].max()) / TEMPERATURE), 0.0)
    return (_unique(picked)[:3] or [names[order[0]]]), weights / weights.sum()


def _explain_moods(grams: list[str], gram_vecs: np.ndarray, moods: list[str]) -> str:
    """Which words carry the chosen moods: the word n-grams closest to those moods' prototypes."""
    names = prototypes()["mood"][0]
    words: list[str] = []
    if grams:
        fit = label_scores(gram_vecs, "mood")[:, [names.index(m) for m in moods]].mean(axis=1)
        for j in np.argsort(-fit, kind="stable"):
            g = grams[int(j)]
            if not any(g in w or w in g for w in words):
                words.append(g)
            if len(words) == 2:
                break
    if not words:
        return f"the text as a whole suggests {join_list(moods)} moods"
    plural = len(words) > 1
    return f"the word{'s' if plural else ''} {join_list([repr(w) for w in words])} suggest{'' if plural else 's'} {join_list(moods)} moods"


def _genres(text_vec: np.ndarray, named: list[str], refused: list[str], reasoning: list[str]) -> list[str]:
    genres = [g for g in named if g not in refused][:2]
    if genres:
        reasoning.append(f"Genre: {join_list(genres)} named in the text")
        return genres
    names = prototypes()["genre"][0]
    scores = label_scores(text_vec, "genre")[0]
    for g in refused + ["piano"]:  # "solo piano" must be said; a piano mention is an instrument
        scores[names.index(g)] = -1.0
    j = int(np.argmax(scores))
    runner_up = float(np.sort(scores)[-2])
    if scores[j] >= GENRE_MIN_SIM and scores[j] - runner_up >= GENRE_MARGIN:
        reasoning.append(f"Scene association: the text reads closest to {names[j]} (score {scores[j]:.2f})")
        return [names[j]]
    return []


def _tempo(text: str, keywords: list, named: list[str], refused: list[str], tendency: float,
           genres: list[str], moods: list[str], arousal: float, reasoning: list[str]) -> tuple[float | None, str]:
    """(BPM, tempo class): an explicit BPM, else a tempo word; else (None, the class the genre and
    the moods give)."""
    bpm, words = parsing.parse_tempo_bpm(text)
    if bpm is not None and not vocab.MIN_BPM <= bpm <= vocab.MAX_BPM:
        reasoning.append(f"Tempo: ignored '{words}' (outside {vocab.MIN_BPM:g}-{vocab.MAX_BPM:g} BPM)")
        bpm = None
    if bpm is not None:
        reasoning.append(f"Tempo: '{words}' gives {bpm:g} BPM ({vocab.tempo_class_of(bpm)})")
        return bpm, vocab.tempo_class_of(bpm)
    allowed = [c for c in vocab.TEMPO_CLASSES if c not in refused] or list(vocab.TEMPO_CLASSES)
    if named:
        cls = named[0]
        why = f"the word '{next(k.phrase for k in keywords if k.kind == 'tempo' and not k.negated)}'"
        low, high, _default = vocab.TEMPO_CLASSES[cls]
        if genres:  # stay inside the genre's usual range where it overlaps the class
            g_low, g_high = vocab.GENRES[genres[0]][0]
            if max(low, g_low) < min(high, g_high):
                low, high = max(low, g_low), min(high, g_high)
        bpm = float(round(low + (high - low) * (0.25 + 0.5 * (arousal + 1) / 2)))
        reasoning.append(f"Tempo: {why} suggests a {cls} tempo (~{bpm:g} BPM)")
        return bpm, cls
    # Nothing names the tempo: the genre and the moods place it (vmb.theory.tempo_for), and they
    # place it again when a request changes them. The BPM stays unset; the class is what is heard.
    bpm = theory.tempo_for(genres, moods, arousal)
    cls = vocab.tempo_class_of(bpm)
    if cls not in allowed:  # "not fast": the nearest allowed class
        cls = "medium" if "medium" in allowed else allowed[0]
        bpm = theory.tempo_for(genres, moods, arousal, cls)
    source = f"the {genres[0]} range and the moods" if genres else "the moods"
    refusal = f" and 'not {refused[0]}'" if refused else ""
    reasoning.append(f"Tempo: not named; {source} (tempo tendency {tendency:+.2f}){refusal} give a {cls} "
                     f"tempo (~{bpm:g} BPM)")
    return None, cls


def _strip(text: str, spans: list[str]) -> str:
    """``text`` without the words explicit values were read from (numbers embed as noise)."""
    for words in spans:
        if words:
            text = re.sub(re.escape(words), " ", text, flags=re.I)
    return re.sub(r"\s+", " ", text).strip()


def describe_text(text: str, *, seed: int = 0) -> MusicDescription:
    """Describe music for ``text`` (a prompt, a poem, a scene): sentence + attributes + reasoning.

    ``seed`` only varies the wording of the sentence. Raises VmbError for empty text. Text
    longer than ``MAX_CHARS`` is read from its start (its first ``MAX_CHUNKS`` chunks embedded
    and averaged), so any length returns in about the same time.
    """
    from vmb.embed import encode_texts

    text, reasoning = _prepare(text)
    if not re.search(r"[^\W_]", text):
        return _neutral(reasoning)
    keywords = parsing.find_keywords(text)
    kinds = ("mood", "genre", "instrument", "tempo")
    named = {k: _unique([w.value for w in keywords if w.kind == k and not w.negated]) for k in kinds}
    refused = {k: _unique([w.value for w in keywords if w.kind == k and w.negated and w.value not in named[k]])
               for k in kinds}
    key, mode, key_words = parsing.parse_key(text)
    meter, meter_words = parsing.parse_meter(text)
    duration, duration_words = parsing.parse_duration(text)
    _bpm, bpm_words = parsing.parse_tempo_bpm(text)
    positive = _strip(parsing.positive_text(text, keywords), [key_words, duration_words, bpm_words])
    chunks, grams = _chunks(positive), _ngrams(positive)
    vecs = encode_texts(chunks + grams)
    gram_vecs = vecs[len(chunks):]
    text_vec = vecs[: len(chunks)].mean(axis=0, keepdims=True) if chunks else np.zeros((1, vecs.shape[1]), np.float32)
    text_vec /= max(float(np.linalg.norm(text_vec)), 1e-6)

    # Moods, then valence/arousal as their similarity-weighted circumplex position.
    mood_names = prototypes()["mood"][0]
    scores = label_scores(text_vec, "mood")[0]
    for genre in named["genre"]:
        for m in lexicon.GENRE_MOODS.get(genre, []):
            scores[mood_names.index(m)] += GENRE_MOOD_BONUS
    spread = float(scores.max() - np.median(scores))
    weak = not named["mood"] and (spread < FLAT_SPREAD or (scores.max() < WEAK_TOP and spread < WEAK_SPREAD))
    if weak:  # fall back on the named genre's usual moods, else a calm default
        fallback = [m for g in named["genre"] for m in lexicon.GENRE_MOODS.get(g, [])] or NEUTRAL_MOODS + ["hopeful"]
        moods = [m for m in _unique(fallback) if m not in refused["mood"]][:2]
        weights = np.array([1.0 if m in moods else 0.0 for m in mood_names]) / len(moods)
    else:
        moods, weights = _moods(scores, named["mood"], refused["mood"])
    valence, arousal = (weights @ np.array([vocab.MOODS[m] for m in mood_names])).tolist()
    tendency = float(weights @ np.array([lexicon.MOOD_TEMPO[m] for m in mood_names]))
    if refused["mood"]:  # "not sad": lean away from what is refused
        away = np.mean([vocab.MOODS[m] for m in refused["mood"]], axis=0)
        valence, arousal = valence - 0.3 * away[0], arousal - 0.3 * away[1]
    valence, arousal = float(np.clip(valence, -1, 1)), float(np.clip(arousal, -1, 1))
    if weak:
        source = f"the {join_list(named['genre'])} style suggests" if named["genre"] else "a neutral default:"
        why = f"no clear mood in the words; {source} {join_list(moods)}"
    else:
        why = _explain_moods(grams, gram_vecs, moods)
    reasoning.append(f"Emotion match: {why} (valence {valence:+.2f}, arousal {arousal:+.2f})")
    if refused["mood"]:
        reasoning.append(f"Negation: not {join_list(refused['mood'], 'or')}")

    genres = _genres(text_vec, named["genre"], refused["genre"], reasoning)
    bpm, tempo_class = _tempo(text, keywords, named["tempo"], refused["tempo"], tendency, genres, moods, arousal,
                              reasoning)
    if mode is None:
        minor = float(weights @ np.array([lexicon.MOOD_MINOR[m] for m in mood_names]))
        mode = "minor" if minor > MINOR_ABOVE else "major"
        reasoning.append(f"Mode: the moods lean {mode} (minor tendency {minor:.2f}, valence {valence:+.2f})"
                         + (f"; key '{key_words}' named" if key else ""))
    else:
        reasoning.append(f"Key: '{key_words}' named in the text")
    if meter_words:
        reasoning.append(f"Meter: '{meter_words}' gives {meter}" if meter else f"Meter: '{meter_words}' is not supported; left free")
    if duration is not None and not 1.0 <= duration <= 3600.0:
        reasoning.append(f"Duration: ignored '{duration_words}' (outside 1 s to 1 hour)")
        duration = None
    elif duration is not None:
        reasoning.append(f"Duration: '{duration_words}' gives {duration:g} s")

    attrs = Attributes(
        genres=genres, moods=moods, instruments=named["instrument"], excluded_instruments=refused["instrument"],
        tempo_bpm=bpm, tempo_class=tempo_class, key=key, mode=mode, meter=meter,
        energy=theory.energy_for_arousal(arousal),
        valence=round(valence, 3), arousal=round(arousal, 3), duration_s=duration,
    )
    suggested = _instruments(attrs, text_vec, reasoning)
    sentence = write_sentence(attrs, use=parsing.parse_use(text), seed=seed, suggested=suggested)
    said = {"genres": named["genre"], "moods": named["mood"], "instruments": named["instrument"],
            "tempo_bpm": bpm is not None, "tempo_class": named["tempo"] or bpm is not None, "key": key,
            "mode": key_words, "meter": meter, "duration_s": duration is not None}
    return MusicDescription(sentence=sentence, attributes=attrs, reasoning=reasoning, source="text",
                            named=[name for name, present in said.items() if present])


def _instruments(attrs: Attributes, text_vec: np.ndarray, reasoning: list[str]) -> list[str] | None:
    """Only named instruments are required; otherwise suggest two (kept out of the attributes)."""
    if attrs.excluded_instruments:
        reasoning.append(f"Excluded: {join_list(attrs.excluded_instruments)} (negated in the text)")
    if attrs.instruments:
        reasoning.append(f"Instruments: {join_list(attrs.instruments)} named in the text")
        return None
    names = prototypes()["instrument"][0]
    scores = label_scores(text_vec, "instrument")[0]
    j = int(np.argmax(scores))
    from_text = [names[j]] if scores[j] >= INSTRUMENT_MIN_SIM and names[j] not in attrs.excluded_instruments else []
    suggested = _unique(from_text + suggest_instruments(attrs, n=3))[:2]
    why = f"'{names[j]}' fits the words; " if from_text else ""
    reasoning.append(f"{SUGGESTED_PREFIX}{', '.join(suggested)} ({why}typical for the style; not required)")
    return suggested
