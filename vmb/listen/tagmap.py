"""Which musicnn tags stand for which vmb attribute value: the one tag -> vocabulary table.

vmb's vocabulary (``vmb.vocab``: genres and moods from ``vmb/data/*.toml``, instruments) is
mapped to the tags of the two bundled taggers (``vmb.listen``: ``MTT_musicnn``, MagnaTagATune's
50 tags, and ``MSD_musicnn``, the Million Song Dataset's 50 last.fm tags). A tag is written
``"MTT:name"`` or ``"MSD:name"`` (the tag name exactly as the model spells it, e.g.
``"MSD:Hip-Hop"``, ``"MSD:Mellow"``).

Two readers share this table, so the music fact "tag X means value Y" is written once:
the heard metrics (:mod:`vmb.evaluate.heard`, which imports it through
:mod:`vmb.evaluate.tagmap`) and the library's auto-tagging (:mod:`vmb.listen.attributes`,
used by :class:`vmb.retrieve.musicnn.MusicnnTagger`). It lives here, beside the taggers whose
tags it names, because ``vmb.listen`` is a shared module every stage may import.

Rules of the table:

- a value maps to the tags a listener would use for it, from either model; its *score* on a
  clip is the mean of those tags' columns (probabilities, or z-scores; see
  :mod:`vmb.evaluate.heard` and :mod:`vmb.listen.attributes`);
- a value with no fitting tag maps to ``()`` and is reported as *unmapped*, never guessed
  (no musicnn tag names latin, reggae or children's music, brass, organ, bass, mallets or
  most woodwinds);
- *proxies* (:data:`PROXIES`) are values whose tags are near the value, not the value (mood
  tags are scarce: MSD has happy, sad, mellow, chill, chillout, party, sexy, beautiful, catchy,
  easy listening; MTT has soft, quiet, loud, fast, slow, weird, new age). Values that map to
  the same tags cannot be told apart by the tagger; the top-k scores count them as one
  candidate, and auto-tagging names the first value of the table that is not a proxy;
- :data:`ENERGY_TAGS`: the tags that say "high energy" and "low energy" (auto-tagging's energy
  estimate, :func:`vmb.listen.attributes.energy`).

MSD mood tags are near zero on all instrumental music (issue #12's measurement on real
soundtracks), which is why the heard metrics rank z-scores and report AUCs beside raw numbers,
and auto-tagging ranks z-scores against a fixed reference distribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["ATTRIBUTES", "ENERGY_TAGS", "MODEL_PREFIX", "PROXIES", "TAG_MAP", "attribute_tags", "missing_tags",
           "parse_tag", "value_columns"]

MODEL_PREFIX = {"MTT": "MTT_musicnn", "MSD": "MSD_musicnn"}
ATTRIBUTES = ("genre", "mood", "instrument")  # the sidecar fields: attributes.genres / moods / instruments

GENRE_TAGS: dict[str, tuple[str, ...]] = {
    "pop": ("MTT:pop", "MSD:pop"),
    "rock": ("MTT:rock", "MSD:rock"),
    "electronic": ("MTT:electronic", "MSD:electronic"),
    "hip hop": ("MSD:Hip-Hop",),
    "lofi": ("MSD:chill", "MSD:Hip-Hop"),  # lo-fi hip hop, "chill beats"
    "jazz": ("MSD:jazz",),
    "blues": ("MSD:blues",),
    "classical": ("MTT:classical",),
    "cinematic": ("MTT:strings", "MSD:instrumental"),  # an orchestral, instrumental score
    "ambient": ("MTT:ambient", "MSD:ambient"),
    "folk": ("MSD:folk", "MSD:acoustic"),
    "country": ("MTT:country", "MSD:country"),
    "latin": (),
    "piano": ("MTT:piano",),  # the solo-piano genre
    "funk": ("MSD:funk",),
    "reggae": (),
    "world": ("MTT:indian",),  # the one non-Western style tag
    "children": (),
}

MOOD_TAGS: dict[str, tuple[str, ...]] = {
    "happy": ("MSD:happy",),
    "fun": ("MSD:party", "MSD:happy"),
    "uplifting": ("MSD:happy",),
    "hopeful": ("MSD:beautiful",),
    "energetic": ("MTT:fast", "MTT:loud"),
    "powerful": ("MTT:loud",),
    "epic": ("MTT:loud",),
    "adventure": ("MTT:fast",),
    "heroic": ("MTT:loud",),
    "playful": ("MSD:catchy",),
    "romantic": ("MSD:beautiful", "MSD:sexy"),
    "love": ("MSD:beautiful", "MSD:sexy"),
    "calm": ("MTT:soft", "MTT:quiet", "MSD:Mellow"),
    "relaxing": ("MSD:chillout", "MSD:easy listening", "MSD:chill"),
    "peaceful": ("MTT:quiet", "MTT:new age"),
    "dreamy": ("MTT:new age", "MSD:chillout"),
    "nostalgic": ("MSD:oldies",),
    "emotional": ("MSD:beautiful", "MSD:sad"),
    "melancholic": ("MSD:sad", "MSD:Mellow"),
    "sad": ("MSD:sad",),
    "dark": ("MTT:weird", "MSD:experimental"),
    "mysterious": ("MTT:weird", "MSD:experimental"),
    "suspenseful": ("MTT:weird",),
    "tense": ("MTT:weird",),
    "dramatic": ("MTT:loud", "MTT:strings"),
    "angry": ("MSD:metal", "MSD:punk"),
    "meditative": ("MTT:new age", "MTT:quiet"),
    "groovy": ("MSD:funk", "MSD:soul"),
    "cool": ("MSD:chill",),
    "funny": ("MSD:happy", "MTT:weird"),
}

INSTRUMENT_TAGS: dict[str, tuple[str, ...]] = {
    "piano": ("MTT:piano",),
    "electric piano": ("MTT:piano",),
    "harpsichord": ("MTT:harpsichord",),
    "celesta": (),
    "glockenspiel": (),
    "music box": (),
    "vibraphone": (),
    "marimba": (),
    "organ": (),
    "church organ": (),
    "accordion": (),
    "harmonica": (),
    "acoustic guitar": ("MTT:guitar", "MSD:acoustic"),
    "nylon guitar": ("MTT:guitar", "MSD:acoustic"),
    "electric guitar": ("MTT:guitar", "MSD:guitar"),
    "distorted guitar": ("MTT:guitar", "MSD:hard rock"),
    "bass": (),
    "acoustic bass": (),
    "synth bass": ("MTT:synth",),
    "violin": ("MTT:violin",),
    "viola": ("MTT:strings",),
    "cello": ("MTT:cello",),
    "contrabass": ("MTT:strings",),
    "harp": ("MTT:harp",),
    "timpani": (),
    "strings": ("MTT:strings",),
    "choir": ("MTT:choir", "MTT:choral"),
    "trumpet": (),
    "trombone": (),
    "french horn": (),
    "brass": (),
    "saxophone": (),
    "oboe": (),
    "clarinet": (),
    "flute": ("MTT:flute",),
    "pan flute": ("MTT:flute",),
    "synthesizer": ("MTT:synth",),
    "synth pad": ("MTT:synth",),
    "sitar": ("MTT:sitar",),
    "banjo": (),
    "ukulele": (),
    "steel drums": (),
    "drums": ("MTT:drums",),
    "percussion": ("MTT:drums",),
}

TAG_MAP: dict[str, dict[str, tuple[str, ...]]] = {
    "genre": GENRE_TAGS, "mood": MOOD_TAGS, "instrument": INSTRUMENT_TAGS,
}

# values whose tags are near the value, not the value (see the rules above)
PROXIES: dict[str, frozenset[str]] = {
    "genre": frozenset({"lofi", "cinematic", "world"}),
    "mood": frozenset({
        "uplifting", "hopeful", "powerful", "epic", "adventure", "heroic", "playful", "dreamy", "nostalgic",
        "emotional", "dark", "mysterious", "suspenseful", "tense", "dramatic", "angry", "groovy", "cool", "funny",
    }),
    "instrument": frozenset({"viola", "contrabass", "percussion", "synth bass", "synth pad"}),  # MTT synth: any synth
}

# what a listener calls driving or restful: tempo, level and the styles that live on either side
ENERGY_TAGS: dict[str, tuple[str, ...]] = {
    "high": ("MTT:fast", "MTT:loud", "MTT:techno", "MTT:beat", "MSD:dance", "MSD:party"),
    "low": ("MTT:slow", "MTT:quiet", "MTT:soft", "MTT:ambient", "MSD:Mellow", "MSD:chillout"),
}


def parse_tag(tag: str) -> tuple[str, str]:
    """``"MSD:Hip-Hop"`` -> ``("MSD_musicnn", "Hip-Hop")``."""
    prefix, sep, name = tag.partition(":")
    if not sep or prefix not in MODEL_PREFIX or not name:
        raise ValueError(f"tag {tag!r} is not 'MTT:name' or 'MSD:name'")
    return MODEL_PREFIX[prefix], name


def attribute_tags(attribute: str) -> dict[str, tuple[str, ...]]:
    """The value -> tags table of ``attribute`` ("genre", "mood" or "instrument")."""
    if attribute not in TAG_MAP:
        raise ValueError(f"attribute {attribute!r} is not one of {', '.join(ATTRIBUTES)}")
    return TAG_MAP[attribute]


def value_columns(attribute: str, columns: Sequence[tuple[str, str]]) -> dict[str, tuple[int, ...]]:
    """Every value of ``attribute`` -> the indices of its tags among ``columns``.

    ``columns`` are the (model name, tag name) columns of a tag table (for instance MTT's 50
    tags followed by MSD's). A value's tags that are not among ``columns`` are left out; a
    value with none of them (unmapped, or only the other model was run) maps to ``()``.
    """
    where: Mapping[tuple[str, str], int] = {col: i for i, col in enumerate(columns)}
    return {value: tuple(where[parse_tag(t)] for t in tags if parse_tag(t) in where)
            for value, tags in attribute_tags(attribute).items()}


def missing_tags(tag_names: Mapping[str, Sequence[str]]) -> list[str]:
    """The tags of :data:`TAG_MAP` that the models do not have: ``tag_names`` maps each model
    name to its tag list (``vmb.listen.load_tagger(name).tag_names``); [] when the table fits."""
    tables = [*TAG_MAP.values(), ENERGY_TAGS]
    return sorted({t for table in tables for tags in table.values() for t in tags
                   if parse_tag(t)[1] not in tag_names.get(parse_tag(t)[0], ())})
