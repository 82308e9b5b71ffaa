"""Word lists for the text describer: prototype phrases to embed, keywords, emoji.

The prototype phrases are what a text is compared with in the MiniLM embedding space: several
per mood, genre, instrument and tempo class, mixing musical words ("soft gentle music") with
the scenes people ask music for ("a quiet evening at home"). The keyword tables catch words
that name an attribute outright; they extend the aliases in :mod:`vmb.vocab`.
"""

from __future__ import annotations

# mood -> phrases (every key of vocab.MOODS must appear)
MOOD_PROTOTYPES: dict[str, list[str]] = {
    "happy": ["happy cheerful music", "joyful bright and sunny", "a happy day full of smiles",
              "celebrating with friends and laughing"],
    "fun": ["fun lighthearted music", "having a great time at a party", "a fun bouncy tune",
            "silly games and good times"],
    "uplifting": ["uplifting inspiring music", "a motivational moment of success",
                  "rising optimistic and positive", "feel-good inspirational background music"],
    "hopeful": ["hopeful music", "a new beginning full of promise", "sunrise after a long night",
                "looking forward to a brighter future"],
    "energetic": ["energetic high energy music", "fast intense action and adrenaline",
                  "a workout pumping with energy", "racing at full speed"],
    "powerful": ["powerful intense music", "strong and forceful with heavy impact",
                 "massive loud and mighty", "a fierce fight"],
    "epic": ["epic grand music", "a huge battle of armies", "vast and majestic landscapes",
             "a legendary moment of glory"],
    "adventure": ["adventure music", "exploring unknown lands on a journey", "an expedition to a distant land",
                  "setting sail for new horizons"],
    "heroic": ["heroic triumphant music", "the hero wins the day", "victory and glory",
               "a brave knight returns victorious"],
    "playful": ["playful whimsical music", "cartoon characters playing tricks", "a mischievous little game",
                "kids playing in the park"],
    "romantic": ["romantic tender music", "a candlelit dinner for two lovers", "a wedding kiss",
                 "falling in love under the stars"],
    "love": ["a love song", "deep affection for someone dear", "a warm embrace with my love"],
    "calm": ["calm quiet gentle music", "a still and quiet evening", "soft soothing background music",
             "rain falling softly at night"],
    "relaxing": ["relaxing chill music", "lying on the beach doing nothing", "unwinding after a long day",
                 "easy laid-back vibes"],
    "peaceful": ["peaceful serene music", "a tranquil lake at dawn", "quiet nature with birds singing",
                 "harmony and stillness"],
    "dreamy": ["dreamy ethereal music", "floating among the clouds", "a hazy dream world",
               "soft shimmering starlight"],
    "nostalgic": ["nostalgic music", "memories of childhood and old photographs", "remembering the good old days",
                  "a faded home video from long ago"],
    "emotional": ["emotional heartfelt music", "a moving and touching moment", "feelings running deep",
                  "tears of joy and sorrow"],
    "melancholic": ["melancholic wistful music", "a lonely rainy night", "bittersweet reflection",
                    "grey autumn afternoon alone"],
    "sad": ["sad sorrowful music", "grief and loss", "crying alone after a breakup", "a funeral"],
    "dark": ["dark ominous music", "a horror movie scene", "evil lurking in the shadows",
             "a haunted abandoned house"],
    "mysterious": ["mysterious music", "an unsolved mystery", "secrets hidden in an ancient ruin",
                   "strange fog and the unknown"],
    "suspenseful": ["suspenseful music", "something is about to happen", "sneaking past the guards",
                    "waiting for the monster to appear"],
    "tense": ["tense nervous music", "a dangerous standoff", "anxiety and pressure rising",
              "a ticking bomb"],
    "dramatic": ["dramatic music", "a shocking revelation", "a dramatic turning point in the story",
                 "a heated confrontation"],
    "angry": ["angry aggressive music", "rage and fury", "screaming heavy metal", "a violent riot"],
    "meditative": ["meditative music", "deep breathing meditation and yoga", "a zen monastery",
                   "mindfulness and inner peace"],
    "groovy": ["groovy funky music", "dancing to a funky bassline", "a smooth groove on the dance floor",
               "nodding along to the rhythm"],
    "cool": ["cool stylish music", "a slick confident walk through the city", "smooth laid-back jazz lounge",
             "late night city lights"],
    "funny": ["funny comedic music", "a clumsy slapstick accident", "a hilarious comedy scene",
              "a clown at the circus"],
}

GENRE_PROTOTYPES: dict[str, list[str]] = {
    "pop": ["pop music", "a catchy radio pop song", "a chart pop hit with hooks"],
    "rock": ["rock music", "a rock band with electric guitars", "a loud rock anthem"],
    "electronic": ["electronic dance music", "EDM club track with synthesizers", "techno rave"],
    "hip hop": ["hip hop music", "a rap beat", "boom-bap hip hop"],
    "lofi": ["lo-fi chill beats", "lofi hip hop to study to", "dusty mellow lo-fi"],
    "jazz": ["jazz music", "a jazz club with saxophone", "swinging jazz band"],
    "blues": ["blues music", "a twelve-bar blues shuffle", "a bluesy guitar lament"],
    "classical": ["classical music", "a string quartet", "baroque chamber music"],
    "cinematic": ["cinematic film score", "an orchestral movie soundtrack", "a trailer score",
                  "music for a movie scene"],
    "ambient": ["ambient music", "slowly evolving atmospheric soundscape", "drones and pads"],
    "folk": ["folk music", "acoustic folk song", "a campfire sing-along"],
    "country": ["country music", "a country song from Nashville", "cowboys and the open prairie"],
    "latin": ["latin music", "salsa and samba rhythms", "a bossa nova"],
    "piano": ["solo piano piece", "a piano ballad", "an intimate piano solo"],
    "funk": ["funk music", "a funky slap bass groove", "soul and funk"],
    "reggae": ["reggae music", "jamaican reggae with offbeat guitar", "island vibes"],
    "world": ["world music", "traditional folk instruments from around the world", "ethnic percussion"],
    "children": ["children's music", "a nursery rhyme", "music for kids"],
}

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
# "love" and "cool" are left to the embedding: "I love jazz" and "a cool breeze" name no mood.
MOOD_WORDS: dict[str, str] = {
    "happiness": "happy", "joy": "happy", "glad": "happy", "upbeat": "happy", "sadness": "sad",
    "sorrow": "sad", "sorrowful": "sad", "grief": "sad", "mournful": "sad", "tragic": "sad",
    "heartbreak": "sad", "calming": "calm", "calmness": "calm", "relax": "relaxing",
    "peace": "peaceful", "dream": "dreamy", "dreams": "dreamy", "dreamlike": "dreamy",
    "nostalgia": "nostalgic", "energy": "energetic", "tension": "tense", "drama": "dramatic",
    "anger": "angry", "rage": "angry", "furious": "angry", "romance": "romantic", "hope": "hopeful",
    "adventurous": "adventure", "hero": "heroic", "heroes": "heroic", "victorious": "heroic",
    "mystic": "mysterious", "mystical": "mysterious", "eerie": "dark", "sinister": "dark",
    "menacing": "dark", "haunting": "dark", "spooky": "dark", "meditation": "meditative",
    "groove": "groovy", "emotion": "emotional", "heartfelt": "emotional", "lonely": "melancholic",
    "loneliness": "melancholic", "bittersweet": "melancholic", "silly": "funny", "hilarious": "funny",
    "playfulness": "playful", "fierce": "powerful", "mighty": "powerful", "majestic": "epic",
    "nervous": "tense", "anxious": "tense", "suspense": "suspenseful", "thrilling": "suspenseful",
    "cozy": "relaxing", "cosy": "relaxing", "laid-back": "relaxing", "mellow": "relaxing",
}
MOOD_KEYWORD_SKIP = {"love", "cool", "bright", "gentle"}  # too loose alone

# mood -> how fast music with that mood usually moves, -1 (slow) .. 1 (fast). Not arousal:
# tense or dramatic music is aroused but rarely fast.
MOOD_TEMPO: dict[str, float] = {
    "happy": 0.6, "fun": 0.7, "uplifting": 0.5, "hopeful": 0.0, "energetic": 1.0, "powerful": 0.8,
    "epic": 0.6, "adventure": 0.6, "heroic": 0.5, "playful": 0.5, "romantic": -0.6, "love": -0.5,
    "calm": -0.8, "relaxing": -0.6, "peaceful": -0.8, "dreamy": -0.7, "nostalgic": -0.4,
    "emotional": -0.5, "melancholic": -0.7, "sad": -0.8, "dark": -0.2, "mysterious": -0.3,
    "suspenseful": 0.0, "tense": 0.2, "dramatic": 0.1, "angry": 0.9, "meditative": -1.0,
    "groovy": 0.3, "cool": 0.0, "funny": 0.6,
}

# mood -> how often music with that mood is in a minor key, 0..1 (epic trailer music and battle
# cues are minor although the circumplex puts "epic" at positive valence).
MOOD_MINOR: dict[str, float] = {
    "happy": 0.05, "fun": 0.1, "uplifting": 0.1, "hopeful": 0.2, "energetic": 0.45, "powerful": 0.6,
    "epic": 0.65, "adventure": 0.4, "heroic": 0.25, "playful": 0.1, "romantic": 0.3, "love": 0.25,
    "calm": 0.3, "relaxing": 0.25, "peaceful": 0.2, "dreamy": 0.4, "nostalgic": 0.55, "emotional": 0.65,
    "melancholic": 0.85, "sad": 0.9, "dark": 0.95, "mysterious": 0.85, "suspenseful": 0.9, "tense": 0.9,
    "dramatic": 0.8, "angry": 0.9, "meditative": 0.35, "groovy": 0.4, "cool": 0.5, "funny": 0.05,
}

# genre -> moods it usually carries; a named genre nudges these up a little.
GENRE_MOODS: dict[str, list[str]] = {
    "blues": ["melancholic", "emotional", "cool"], "lofi": ["relaxing", "calm"], "ambient": ["calm", "dreamy"],
    "jazz": ["cool", "relaxing"], "funk": ["groovy"], "reggae": ["relaxing", "groovy"], "rock": ["energetic"],
    "electronic": ["energetic"], "hip hop": ["cool", "groovy"], "children": ["playful", "happy"],
    "cinematic": ["epic", "dramatic"], "classical": ["emotional"], "country": ["nostalgic"], "folk": ["nostalgic"],
    "latin": ["groovy", "fun"], "pop": ["happy"], "piano": ["emotional", "calm"], "world": ["peaceful"],
}

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
GENRE_WORDS: dict[str, str] = {
    "metal": "rock", "punk": "rock", "grunge": "rock", "indie": "rock", "dubstep": "electronic",
    "trance": "electronic", "drum and bass": "electronic", "dnb": "electronic", "jazzy": "jazz",
    "bluesy": "blues", "symphonic": "cinematic", "trailer": "cinematic", "cinematic": "cinematic",
    "bluegrass": "country", "reggaeton": "latin", "tango": "latin", "flamenco": "latin",
    "lullaby": "children", "nursery rhyme": "children", "waltz": "classical", "lofi": "lofi",
    "synth-pop": "pop", "synthpop": "pop", "electropop": "pop", "k-pop": "pop", "indie pop": "pop",
}
# Words that are a genre only next to a music noun ("house music", not "a haunted house").
GENRE_NEEDS_MUSIC_NOUN = {"house", "dance", "soul", "chamber", "world", "score", "swing", "film"}
# Words that are a genre unless an article/preposition shows they are something else ("on a rock").
GENRE_AMBIGUOUS = {"rock", "country", "pop", "latin", "acoustic", "folk"}
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
