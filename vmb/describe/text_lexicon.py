"""Word lists for the text describer: prototype phrases to embed, keywords, emoji.

The prototype phrases are what a text is compared with in the MiniLM embedding space: several
per mood, genre, instrument and tempo class, mixing musical words ("soft gentle music") with
the scenes people ask music for ("a quiet evening at home"). The keyword tables catch words
that name an attribute outright; they extend the aliases in :mod:`vmb.vocab`.

Everything about one mood or genre (prototypes, extra words, tempo and minor tendencies, usual
moods, context rules) is a record in ``vmb/data/moods.toml`` or ``genres.toml``
(:mod:`vmb.knowledge`); the mood and genre tables here are views of those records. Tempo
classes, instruments and the context words stay here.
"""

from __future__ import annotations

from vmb.knowledge import knowledge

_MOODS = knowledge().moods.values()
_GENRES = knowledge().genres.values()

# Views of the mood and genre records (vmb/data/moods.toml, genres.toml), in file order: the
# order of the prototype tables matters (scores are averaged and ties broken by it).
MOOD_PROTOTYPES: dict[str, list[str]] = {m.name: list(m.prototypes) for m in _MOODS}
GENRE_PROTOTYPES: dict[str, list[str]] = {g.name: list(g.prototypes) for g in _GENRES}

TEMPO_PROTOTYPES: dict[str, list[str]] = {
    "slow": ["slow music", "a slow gentle tempo", "a lullaby", "slow and unhurried", "a slow ballad"],
    "medium": ["a moderate tempo", "a steady walking pace", "mid-tempo music", "a relaxed groove"],
    "fast": ["fast music", "a fast driving tempo", "racing and rushing", "frantic quick action",
             "a high-speed chase"],
}

# instrument -> phrases (only to suggest instruments, never to assert them)
INSTRUMENT_PROTOTYPES: dict[str, list[str]] = {
    "piano": ["piano", "a gentle piano melody"],
    "electric piano": ["electric piano", "a mellow rhodes"],
    "harpsichord": ["harpsichord", "a baroque court"],
    "celesta": ["celesta", "a magical sparkling fairy tale"],
    "glockenspiel": ["glockenspiel", "tiny bells"],
    "music box": ["music box", "a child's music box"],
    "vibraphone": ["vibraphone", "a cool jazz vibraphone"],
    "marimba": ["marimba", "a wooden marimba"],
    "organ": ["organ", "a hammond organ"],
    "church organ": ["church organ", "a cathedral"],
    "accordion": ["accordion", "a paris cafe"],
    "harmonica": ["harmonica", "a lonely cowboy"],
    "acoustic guitar": ["acoustic guitar", "strumming by the campfire"],
    "nylon guitar": ["classical guitar", "a spanish guitar"],
    "electric guitar": ["electric guitar", "a guitar solo"],
    "distorted guitar": ["distorted guitar", "heavy metal riffs"],
    "bass": ["bass guitar", "a bassline"],
    "acoustic bass": ["upright bass", "a walking bass"],
    "synth bass": ["synth bass", "a deep electronic bass"],
    "violin": ["violin", "a solo violin"],
    "viola": ["viola"],
    "cello": ["cello", "a mournful cello"],
    "contrabass": ["double bass"],
    "harp": ["harp", "an angelic harp"],
    "timpani": ["timpani", "thundering kettle drums"],
    "strings": ["strings", "a string orchestra"],
    "choir": ["choir", "voices singing together"],
    "trumpet": ["trumpet", "a fanfare"],
    "trombone": ["trombone"],
    "french horn": ["french horn", "noble horns"],
    "brass": ["brass section", "a marching band"],
    "saxophone": ["saxophone", "a smoky jazz bar"],
    "oboe": ["oboe"],
    "clarinet": ["clarinet"],
    "flute": ["flute", "a pastoral meadow"],
    "pan flute": ["pan flute", "the andes mountains"],
    "synthesizer": ["synthesizer", "retro synthwave"],
    "synth pad": ["synth pad", "outer space"],
    "sitar": ["sitar", "india"],
    "banjo": ["banjo", "bluegrass"],
    "ukulele": ["ukulele", "a hawaiian beach"],
    "steel drums": ["steel drums", "a caribbean island"],
    "drums": ["drums", "a driving beat"],
    "percussion": ["percussion", "tribal hand drums"],
}

# Extra word forms that name a mood outright ("sadness" -> sad), on top of vocab.MOOD_ALIASES.
MOOD_WORDS: dict[str, str] = {w: m.name for m in _MOODS for w in m.text_words}
# Names and aliases too loose alone: "I love jazz" and "a cool breeze" name no mood.
MOOD_KEYWORD_SKIP: set[str] = {w for m in _MOODS for w in m.loose_words}
# mood -> how fast music with that mood usually moves, -1 (slow) .. 1 (fast).
MOOD_TEMPO: dict[str, float] = {m.name: m.tempo_tendency for m in _MOODS}
# mood -> how often music with that mood is in a minor key, 0..1.
MOOD_MINOR: dict[str, float] = {m.name: m.minor_tendency for m in _MOODS}
# genre -> moods it usually carries; a named genre nudges these up a little.
GENRE_MOODS: dict[str, list[str]] = {g.name: list(g.moods) for g in _GENRES}

# Words that name a tempo class ("not fast" is handled by negation).
TEMPO_WORDS: dict[str, str] = {
    "slow": "slow", "slowly": "slow", "downtempo": "slow", "largo": "slow", "adagio": "slow",
    "lento": "slow", "unhurried": "slow", "leisurely": "slow",
    "mid-tempo": "medium", "midtempo": "medium", "moderate": "medium", "moderato": "medium",
    "andante": "medium", "medium tempo": "medium", "steady": "medium",
    "fast": "fast", "uptempo": "fast", "up-tempo": "fast", "upbeat": "fast", "quick": "fast",
    "rapid": "fast", "frantic": "fast", "allegro": "fast", "presto": "fast", "high-tempo": "fast",
    "fast-paced": "fast", "high energy": "fast", "high-energy": "fast",
}

# Phrases that imply instruments strongly enough to require them.
IMPLIED_INSTRUMENTS: dict[str, list[str]] = {
    "orchestral": ["strings"], "string quartet": ["violin", "viola", "cello"],
    "big band": ["brass", "saxophone", "drums"], "a cappella": ["choir"], "acapella": ["choir"],
    "choral": ["choir"], "drum and bass": ["bass", "drums"], "chiptune": ["synthesizer"],
    "8-bit": ["synthesizer"], "walking bass": ["acoustic bass"], "guitar riffs": ["electric guitar"],
    "screaming guitars": ["distorted guitar"], "heavy guitars": ["distorted guitar"],
    "congas": ["percussion"], "bongos": ["percussion"], "fanfare": ["trumpet"],
}

# Extra genre words (vocab.GENRE_ALIASES has the rest).
GENRE_WORDS: dict[str, str] = {w: g.name for g in _GENRES for w in g.text_words}
# Words that are a genre only next to a music noun ("house music", not "a haunted house").
GENRE_NEEDS_MUSIC_NOUN: set[str] = {w for g in _GENRES for w in g.needs_music_noun}
# Words that are a genre unless an article/preposition shows they are something else ("on a rock").
GENRE_AMBIGUOUS: set[str] = {w for g in _GENRES for w in g.ambiguous_words}
MUSIC_NOUNS = {
    "music", "song", "songs", "track", "tracks", "tune", "tunes", "anthem", "ballad", "band", "beat",
    "beats", "groove", "style", "vibe", "vibes", "feel", "piece", "riff", "riffs", "sound", "jam",
    "mix", "playlist", "instrumental", "loop", "record", "album", "concert", "ensemble", "orchestra",
    "opera", "number", "and", "n", "'n'", "&", "guitar", "hit", "cue", "theme", "star", "melody",
}
NON_MUSIC_FOLLOWERS = {"climbing", "face", "wall", "pool", "garden", "formation", "bottom", "road",
                       "side", "house", "club", "lane", "up", "corn", "star"}
DETERMINERS = {
    "a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "our", "their",
    "its", "on", "of", "in", "at", "under", "behind", "against", "from", "to", "into", "across",
    "around", "whole", "foreign", "every", "each", "another", "big", "huge", "small", "old",
}
# Instrument aliases that need a music context too ("keys" to a door, "a chorus of birds").
INSTRUMENT_NEEDS_CONTEXT = {"keys", "pad", "pads", "chorus", "beat", "beats", "horn", "bells", "organ"}

NEGATORS = {"no", "not", "without", "non", "never", "avoid", "minus", "nor", "except", "excluding"}

# Common emoji -> a word the rest of the describer understands.
EMOJI_WORDS: dict[str, str] = {
    "😢": "sad", "😭": "sad", "💔": "heartbreak", "😞": "sad", "😔": "melancholic",
    "🎉": "fun party", "🥳": "fun party", "😀": "happy", "😃": "happy", "😄": "happy", "😊": "happy",
    "🙂": "happy", "😂": "funny", "🤣": "funny", "🔥": "energetic", "⚡": "energetic",
    "💪": "powerful", "🌙": "calm night", "🌛": "calm night", "🌌": "dreamy night sky", "⭐": "dreamy",
    "✨": "dreamy", "❤": "romantic love", "❤️": "romantic love", "😍": "romantic love",
    "💕": "romantic love", "😱": "tense", "😨": "tense", "👻": "dark spooky", "💀": "dark",
    "😡": "angry", "🤬": "angry", "😴": "calm sleep", "🧘": "meditative", "🌧": "melancholic rain",
    "☔": "melancholic rain", "🌊": "peaceful ocean", "🏖": "relaxing beach", "☀": "happy sunny",
    "☀️": "happy sunny", "🌅": "hopeful sunrise", "🏆": "heroic victory", "🚀": "epic adventure",
    "🕺": "groovy dance", "💃": "groovy dance", "😎": "cool", "🤔": "mysterious", "🎸": "rock guitar",
    "🎹": "piano", "🎻": "violin", "🎷": "saxophone", "🎺": "trumpet", "🥁": "drums",
}
