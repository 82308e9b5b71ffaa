"""The mood, genre and style records of vmb/data: complete, consistent, and the tables derived from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vmb import VmbError, vocab
from vmb import knowledge as kn
from vmb.describe import text_lexicon as lex
from vmb.render.arrange import styles
from vmb.render.arrange.grooves import GROOVES
from vmb.render.arrange.styles import PATTERNS, STYLES, resolve_style
from vmb.types import Attributes

K = kn.knowledge()
FILES = ("moods.toml", "genres.toml", "styles.toml", "voices.toml")


def normal(word: str) -> bool:
    """Spelled as the look-ups see it (lower case, single spaces), so it can match at all."""
    return word == " ".join(word.lower().replace("_", " ").split()) and word != ""


def test_every_mood_is_complete():
    assert len(K.moods) >= 20
    for name, mood in K.moods.items():
        assert -1 <= mood.valence <= 1 and -1 <= mood.arousal <= 1, name
        assert -1 <= mood.tempo_tendency <= 1 and 0 <= mood.minor_tendency <= 1, name
        assert mood.style in STYLES, name
        assert mood.prototypes and len(set(mood.prototypes)) == len(mood.prototypes), name
        assert all(normal(w) for w in (name, *mood.aliases, *mood.text_words)), name
        assert set(mood.loose_words) <= {name, *mood.aliases}, name
        for alias in mood.aliases:
            assert vocab.normalize_mood(alias) == name


def test_every_genre_is_complete():
    assert len(K.genres) >= 12
    for name, genre in K.genres.items():
        low, high = genre.tempo_range
        assert vocab.MIN_BPM <= low <= high <= vocab.MAX_BPM, name
        assert genre.style in STYLES and genre.phrase, name
        assert genre.meters and set(genre.meters) <= set(vocab.METERS), name
        assert genre.moods and set(genre.moods) <= set(K.moods), name
        assert genre.prototypes and len(set(genre.prototypes)) == len(genre.prototypes), name
        assert all(normal(w) for w in (name, *genre.aliases, *genre.text_words)), name
        words = {name, *genre.aliases, *genre.text_words}
        assert set(genre.needs_music_noun) <= words and set(genre.ambiguous_words) <= words, name
        for alias in genre.aliases:
            assert vocab.normalize_genre(alias) == name
            assert resolve_style(alias, Attributes()).name == genre.style
        assert all(part.section and part.bars >= 1 and 0 <= part.energy <= 1 for part in genre.form), name
    assert [s.section for s in K.genres["electronic"].form][:4] == ["intro", "build", "drop", "breakdown"]


@pytest.mark.parametrize("kind", ["moods", "genres"])
def test_names_aliases_and_words_collide_with_no_other_name(kind):
    owner: dict[str, str] = {}
    for name, record in getattr(K, kind).items():
        for word in (name, *record.aliases, *record.text_words):
            assert word not in owner, f"{word!r} names both {owner[word]!r} and {name!r}"
            owner[word] = name


def test_every_style_part_plays_an_instrument_and_a_pattern_that_exist():
    assert len(K.styles) >= 11
    for name, style in K.styles.items():
        assert style.description and style.parts, name
        assert style.fallback_drums in GROOVES, name
        assert 0 < style.energy <= 1 and 0.5 <= style.swing < 0.75 and style.swing_unit in (0.25, 0.5), name
        for i, part in enumerate(style.parts, 1):
            where = f"{name} part {i}"
            assert part.role in K.roles, where
            assert part.instrument in vocab.INSTRUMENTS, where
            drum = part.role in ("drums", "perc")
            assert vocab.INSTRUMENTS[part.instrument].is_drum == drum, where
            assert part.pattern in (GROOVES if drum else PATTERNS), where
            assert 0 <= part.joins_at_energy <= 1 and 0 <= part.volume <= 1 and -1 <= part.pan <= 1, where
        for alias in style.aliases:
            assert alias not in K.styles and alias not in vocab.GENRES and alias not in vocab.GENRE_ALIASES


def test_every_voice_is_complete_and_its_instruments_exist():
    assert {"supersaw", "pluck", "analog_pad", "saw_bass", "sub808"} <= set(K.voices)
    for name, voice in K.voices.items():
        assert voice.description and voice.level > 0, name
        assert voice.cutoff_hz <= voice.bright_cutoff_hz, name
        for instrument in voice.instruments:
            assert instrument in vocab.INSTRUMENTS and not vocab.INSTRUMENTS[instrument].is_drum, name
    assert K.voice_for("synth pad").name == "analog_pad"
    assert K.voice_for("synth pad", "warm_pad").name == "warm_pad"  # a part's own voice wins
    assert K.voice_for("piano") is None and K.voice_for("synthesizer") is None  # the font plays them
    assert all(not p.voice or not vocab.INSTRUMENTS[p.instrument].is_drum for s in K.styles.values() for p in s.parts)


def test_roles_and_instrument_roles_are_consistent():
    families = {i.family for i in vocab.INSTRUMENTS.values()}
    for name, role in K.roles.items():
        if role.pattern is not None:
            assert role.pattern in (GROOVES if name in ("drums", "perc") else PATTERNS), name
        assert set(role.substitutes) <= set(vocab.INSTRUMENTS), name
    assert set(K.instrument_roles) <= set(vocab.INSTRUMENTS)
    assert set(K.family_roles) == families
    for roles in (*K.instrument_roles.values(), *K.family_roles.values()):
        assert roles and set(roles) <= set(K.roles)
    # every role a part can be brought in as has a pattern to play (drums take the style's fallback)
    wanted = {r for rs in (*K.instrument_roles.values(), *K.family_roles.values()) for r in rs} - {"drums"}
    assert all(K.roles[r].pattern for r in wanted)


def test_the_old_tables_are_views_of_the_records_in_file_order():
    assert list(vocab.MOODS) == list(K.moods) == list(lex.MOOD_PROTOTYPES) == list(styles.MOOD_STYLE)
    assert list(vocab.GENRES) == list(K.genres) == list(lex.GENRE_PROTOTYPES) == list(styles.GENRE_STYLE)
    assert list(STYLES) == list(K.styles) and STYLES["pop"] is K.styles["pop"]
    happy, jazz = K.moods["happy"], K.genres["jazz"]
    assert vocab.MOODS["happy"] == (happy.valence, happy.arousal) and vocab.MOOD_ALIASES["joyful"] == "happy"
    assert lex.MOOD_PROTOTYPES["happy"] == list(happy.prototypes) and lex.MOOD_TEMPO["happy"] == happy.tempo_tendency
    assert vocab.GENRES["jazz"] == (jazz.tempo_range, jazz.phrase) and lex.GENRE_MOODS["jazz"] == list(jazz.moods)
    assert lex.MOOD_KEYWORD_SKIP == {"love", "cool", "bright", "gentle"}
    assert {"house", "world"} <= lex.GENRE_NEEDS_MUSIC_NOUN and {"rock", "acoustic"} <= lex.GENRE_AMBIGUOUS


def test_resolve_style_takes_style_names_style_aliases_and_genre_aliases():
    for asked, name in [("Hip_Hop", "hip hop"), ("boom bap", "hip hop"), ("solo piano", "piano"),
                        ("orchestral", "cinematic"), ("EDM", "electronic"), ("lo-fi", "lofi"), ("r&b", "funk")]:
        assert resolve_style(asked, Attributes()).name == name
    with pytest.raises(VmbError, match="unknown arrangement style 'polka'"):
        resolve_style("polka", Attributes())


# --------------------------------------------------------------------------- broken files


def broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    for name in FILES:
        shutil.copy(kn.DATA / name, tmp_path / name)
    path = tmp_path / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("file, old, new, problem", [
    ("moods.toml", "[moods.happy]\nvalence = 0.8\narousal = 0.5\n", "[moods.happy]\nvalence = 0.8\n",
     "mood 'happy': missing field 'arousal'"),
    ("moods.toml", "[moods.fun]\nvalence", "[moods.fun]\nvalance",
     "mood 'fun': unknown field 'valance' (fields: valence, arousal,"),
    ("moods.toml", "[moods.happy]\nvalence = 0.8", "[moods.happy]\nvalence = 1.8",
     "mood 'happy': field 'valence' is 1.8, outside -1..1"),
    ("moods.toml", 'style = "pop"', 'style = "polka"', "mood 'happy': style 'polka' is not one of pop, rock,"),
    ("genres.toml", "tempo_range = [96, 128]\n", "", "genre 'pop': missing field 'tempo_range'"),
    ("genres.toml", "tempo_range = [96, 128]", 'tempo_range = ["fast", 128]',
     "genre 'pop': field 'tempo_range' must be an integer, not 'fast'"),
    ("genres.toml", 'moods = ["happy"]', 'moods = ["hapy"]', "genre 'pop': moods 'hapy' is not one of happy,"),
    ("genres.toml", 'aliases = ["hiphop", "hip-hop", "rap"]', 'aliases = ["hiphop", "hip-hop", "rap", "edm"]',
     "genre 'hip hop': word 'edm' already names genre 'electronic'"),
    ("genres.toml", '{ section = "drop", bars = 8, energy = 1.0 }', '{ section = "drop", bars = 0, energy = 1.0 }',
     "genre 'electronic': form 3: field 'bars' is 0, outside 1..64"),
    ("styles.toml", "volume = 0.85\npan = 0.0\n", "volume = 0.85\n", "style 'pop': part 1: missing field 'pan'"),
    ("styles.toml", 'role = "drums"', 'role = "drum"', "style 'pop': role 'drum' is not one of drums, perc,"),
    ("styles.toml", 'colour = "triad"', "colour = 9", "style 'pop': field 'colour' must be a string, not 9"),
    ("styles.toml", 'colour = "triad"', 'colour = "jazzy"', "style 'pop': colour 'jazzy' is not one of triad"),
    ("styles.toml", '"I", "V", "vi", "IV"', '"I", "V8"', "style 'pop': progression chord 'V8' is not a Roman numeral"),
    ("styles.toml", 'voice = "sub808"', 'voice = "tr909"', "style 'hip hop': part voice 'tr909' is not one of supersaw"),
    ("voices.toml", 'oscillator = "saw"', 'oscillator = "noise"', "voice 'supersaw': oscillator 'noise' is not one of"),
    ("voices.toml", "unison = 7", "unison = 12", "voice 'supersaw': field 'unison' is 12, outside 1..9"),
    ("voices.toml", 'instruments = ["synth pad"]', 'instruments = ["synth bass"]',
     "voice '*': an instrument is the default of two voices"),
])
def test_a_broken_record_is_one_line_naming_the_file_and_the_record(tmp_path, file, old, new, problem):
    path = broken_copy(tmp_path, file, old, new)
    with pytest.raises(kn.KnowledgeError) as err:
        kn.load_knowledge(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path}: {problem}") and "\n" not in message


def test_a_file_that_is_not_toml_or_is_missing_is_one_line(tmp_path):
    path = broken_copy(tmp_path, "genres.toml", "[genres.pop]", "[genres.pop")
    with pytest.raises(kn.KnowledgeError, match="genres.toml: not valid TOML"):
        kn.load_knowledge(tmp_path)
    path.unlink()
    with pytest.raises(kn.KnowledgeError, match="genres.toml: cannot read it"):
        kn.load_knowledge(tmp_path)
