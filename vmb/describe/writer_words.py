"""Word lists for the description writer (vmb.describe.writer): synonyms the seed picks from."""

from __future__ import annotations

# Mood names that are not adjectives.
MOOD_ADJECTIVES = {"adventure": "adventurous", "love": "loving"}
NEUTRAL_ADJECTIVES = ["gentle", "understated", "warm"]

# mood -> what the music evokes ("evoking a sense of ...")
MOOD_FEELINGS: dict[str, list[str]] = {
    "happy": ["joy", "carefree happiness", "sunny optimism"],
    "fun": ["lighthearted fun", "playful excitement"],
    "uplifting": ["optimism", "rising hope", "inspiration"],
    "hopeful": ["hope", "quiet optimism", "new beginnings"],
    "energetic": ["momentum", "excitement", "adrenaline"],
    "powerful": ["power", "raw intensity", "strength"],
    "epic": ["grandeur", "epic scale", "sweeping drama"],
    "adventure": ["adventure", "discovery", "wide-open horizons"],
    "heroic": ["triumph", "heroism", "victory"],
    "playful": ["mischief", "playfulness", "innocent fun"],
    "romantic": ["romance", "tenderness", "intimacy"],
    "love": ["warmth and affection", "devotion"],
    "calm": ["calm", "stillness", "tranquility"],
    "relaxing": ["ease", "relaxation", "unhurried comfort"],
    "peaceful": ["peace", "serenity", "quiet contentment"],
    "dreamy": ["wonder", "drifting reverie", "weightlessness"],
    "nostalgic": ["nostalgia", "fond remembrance", "memories"],
    "emotional": ["emotional depth", "heartfelt emotion"],
    "melancholic": ["introspection", "wistful reflection", "melancholy"],
    "sad": ["loss", "sorrow", "longing"],
    "dark": ["dread", "unease", "foreboding"],
    "mysterious": ["mystery", "intrigue", "the unknown"],
    "suspenseful": ["suspense", "anticipation", "mounting tension"],
    "tense": ["tension", "unease", "nervous energy"],
    "dramatic": ["drama", "high stakes", "emotional weight"],
    "angry": ["fury", "defiance", "aggression"],
    "meditative": ["inner stillness", "mindful calm", "contemplation"],
    "groovy": ["groove", "easy swagger", "movement"],
    "cool": ["effortless cool", "laid-back confidence"],
    "funny": ["comic mischief", "humour", "slapstick fun"],
}

FEELING_VERBS = ["evoking a sense of", "conveying", "capturing", "full of", "suggesting"]
FEELING_VERBS_3 = ["evokes", "conveys", "captures", "radiates"]  # after "that"
FEATURE_VERBS = ["featuring", "built around", "carried by", "woven from", "with"]
USE_LEADS = ["perfect for", "ideal for", "well suited to", "made for"]

PIECE_NOUNS = ["piece", "track", "composition", "tune", "soundtrack"]
GENRE_NOUNS: dict[str, list[str]] = {
    "cinematic": ["soundtrack", "score", "cue", "theme"],
    "classical": ["piece", "composition", "movement"],
    "ambient": ["soundscape", "piece", "track"],
    "pop": ["track", "song", "tune"],
    "rock": ["track", "anthem", "song"],
    "hip hop": ["beat", "track"],
    "lofi": ["beat", "track"],
    "electronic": ["track", "tune"],
    "children": ["tune", "song"],
    "piano": ["piece", "composition"],
}
GENRE_DISPLAY = {"lofi": "lo-fi", "children": "children's", "world": "world-music", "piano": "solo piano"}

TEMPO_ADJECTIVES = {
    "slow": ["slow", "unhurried", "slow-moving"],
    "medium": ["mid-tempo", "steady", "moderately paced"],
    "fast": ["fast-paced", "driving", "up-tempo"],
}
TEMPO_CLAUSES = {
    "slow": ["moving at a slow, unhurried pace", "unfolding at a gentle, slow tempo"],
    "medium": ["moving at a steady, moderate pace", "set to a relaxed mid-tempo pulse"],
    "fast": ["moving at a fast, driving pace", "pushed along by a brisk tempo"],
}
TEMPO_NOUNS = {
    "slow": ["a slow, unhurried tempo", "a slow tempo"],
    "medium": ["a steady mid-tempo pulse", "a moderate tempo"],
    "fast": ["a fast-paced tempo", "a driving, up-tempo pulse"],
}

# How an instrument is written in a sentence (the rest as in vocab).
INSTRUMENT_DISPLAY = {"synthesizer": "synthesizers", "synth pad": "synth pads", "french horn": "French horn",
                      "choir": "choir voices"}

# Instrument names read as plural or mass nouns: no article ("led by strings").
MASS_INSTRUMENTS = {"strings", "drums", "brass", "percussion", "steel drums", "synthesizers", "synth pads",
                    "choir voices"}

# Words whose first letter misleads a/an.
A_BEFORE_VOWEL = ("one", "once", "uni", "use", "usu", "uti", "eu", "ukulele", "ufo")
AN_BEFORE_CONSONANT = ("hour", "honest", "honour", "honor", "heir")

GENRE_INSTRUMENTS: dict[str, list[str]] = {
    "pop": ["synthesizer", "drums", "bass", "piano"],
    "rock": ["electric guitar", "drums", "bass"],
    "electronic": ["synthesizer", "synth bass", "drums"],
    "hip hop": ["drums", "electric piano", "bass"],
    "lofi": ["electric piano", "drums", "bass"],
    "jazz": ["piano", "saxophone", "acoustic bass", "drums"],
    "blues": ["electric guitar", "harmonica", "bass"],
    "classical": ["strings", "piano"],
    "cinematic": ["strings", "french horn", "timpani", "piano"],
    "ambient": ["synth pad", "piano"],
    "folk": ["acoustic guitar", "violin"],
    "country": ["acoustic guitar", "banjo"],
    "latin": ["nylon guitar", "percussion", "trumpet"],
    "piano": ["piano"],
    "funk": ["bass", "electric guitar", "drums"],
    "reggae": ["electric guitar", "organ", "bass"],
    "world": ["sitar", "percussion", "flute"],
    "children": ["glockenspiel", "ukulele"],
}
MOOD_INSTRUMENTS: dict[str, list[str]] = {
    "calm": ["piano", "strings"], "relaxing": ["electric piano", "acoustic guitar"],
    "peaceful": ["piano", "flute"], "meditative": ["synth pad", "harp"], "dreamy": ["synth pad", "celesta"],
    "sad": ["piano", "cello"], "melancholic": ["piano", "strings"], "nostalgic": ["piano", "acoustic guitar"],
    "emotional": ["strings", "piano"], "romantic": ["piano", "strings"], "love": ["acoustic guitar", "piano"],
    "happy": ["acoustic guitar", "glockenspiel"], "fun": ["ukulele", "drums"], "playful": ["marimba", "clarinet"],
    "funny": ["clarinet", "marimba"], "uplifting": ["piano", "strings", "drums"], "hopeful": ["piano", "strings"],
    "energetic": ["electric guitar", "drums"], "powerful": ["drums", "brass"], "epic": ["strings", "brass", "timpani"],
    "heroic": ["french horn", "strings"], "adventure": ["strings", "french horn"], "dark": ["cello", "synth pad"],
    "mysterious": ["celesta", "strings"], "suspenseful": ["strings", "synth pad"], "tense": ["strings", "percussion"],
    "dramatic": ["strings", "timpani"], "angry": ["distorted guitar", "drums"], "groovy": ["bass", "drums"],
    "cool": ["electric piano", "bass"],
}
