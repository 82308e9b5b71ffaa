"""The description writer: one fluent sentence per Attributes, and the user's explicit overrides."""

from __future__ import annotations

import re

import pytest

from vmb import vocab
from vmb.describe.writer import (
    apply_user_attributes,
    article,
    circumplex,
    instrument_name,
    join_list,
    mood_adjective,
    suggest_instruments,
    write_sentence,
)
from vmb.types import Attributes, MusicDescription

CASES = [
    Attributes(moods=["calm", "melancholic"], instruments=["piano"], tempo_class="slow", mode="minor"),
    Attributes(moods=["energetic", "powerful"], genres=["rock"], tempo_class="fast", tempo_bpm=140),
    Attributes(moods=["dark", "suspenseful", "tense"], genres=["cinematic"], key="D", mode="minor",
               excluded_instruments=["drums"]),
    Attributes(moods=["adventure"], instruments=["electric guitar", "organ", "ukulele", "oboe"], meter="3/4"),
    Attributes(moods=["emotional"], instruments=["strings", "synthesizer"], genres=["electronic", "ambient"]),
    Attributes(moods=["happy", "playful"], genres=["children"], instruments=["french horn", "accordion"]),
    Attributes(),  # nothing known
]

_BAD_A = re.compile(r"\ba ([aeio]\w*|u(?!ni|se|su|ti|kulele)\w*)", re.I)  # "a electric" but not "a ukulele"
_BAD_AN = re.compile(r"\ban ([^aeiou\s\d]\w*)", re.I)


def _check_grammar(sentence: str) -> None:
    assert sentence[0].isupper() and sentence.endswith(".") and not sentence.endswith("..")
    assert "  " not in sentence and " ," not in sentence and ",," not in sentence and ", ." not in sentence
    assert not re.search(r"\b(a|an|the) (a|an|the)\b", sentence, re.I), sentence
    assert not _BAD_A.search(sentence), sentence
    bad_an = _BAD_AN.search(sentence)
    assert not bad_an or bad_an.group(1).lower().startswith(("hour", "honest")), sentence


@pytest.mark.parametrize("attrs", CASES)
def test_grammar_and_content(attrs):
    for seed in range(12):
        sentence = write_sentence(attrs, use="a rainy-night vlog", seed=seed)
        _check_grammar(sentence)
        low = sentence.lower()
        for mood in attrs.moods:
            assert mood_adjective(mood) in low, (mood, sentence)
        for inst in attrs.instruments:
            assert instrument_name(inst).lower() in low, (inst, sentence)
        if attrs.genres:
            assert attrs.genres[0].replace("children", "children's") in low
        if attrs.key:
            assert f"in {attrs.key} {attrs.mode}" in sentence
        for inst in attrs.excluded_instruments:
            assert f"with no {inst}" in low
        assert sentence.endswith("a rainy-night vlog.")


def test_seed_variation_and_determinism():
    attrs = CASES[0]
    sentences = [write_sentence(attrs, seed=s) for s in range(10)]
    assert len(set(sentences)) >= 3
    assert sentences == [write_sentence(attrs, seed=s) for s in range(10)]
    starts = {s.split()[0] for s in sentences}
    assert len(starts) >= 2  # several sentence shapes, not one template


def test_suggested_instruments_are_named_but_not_required():
    attrs = Attributes(moods=["calm"], genres=["jazz"], excluded_instruments=["piano"])
    suggestions = suggest_instruments(attrs)
    assert suggestions and "piano" not in suggestions
    assert all(s in vocab.INSTRUMENTS for s in suggestions)
    assert instrument_name(suggestions[0]) in write_sentence(attrs)
    assert "harp" in write_sentence(attrs, suggested=["harp"])


@pytest.mark.parametrize("phrase,art", [
    ("electric piano", "an"), ("ukulele", "a"), ("oboe", "an"), ("hour-long", "an"), ("epic", "an"),
    ("unique", "a"), ("8-bit tune", "an"), ("calm", "a"), ("useful", "a"), ("one-shot", "a"),
])
def test_article(phrase, art):
    assert article(phrase) == art


def test_join_list_and_circumplex():
    assert join_list(["a"]) == "a" and join_list(["a", "b"]) == "a and b"
    assert join_list(["a", "b", "c"], "or") == "a, b or c"
    assert circumplex(["happy"]) == vocab.MOODS["happy"]
    assert circumplex([]) == (0.0, 0.0)


# --------------------------------------------------------------------------- explicit modification


def _described() -> MusicDescription:
    attrs = Attributes(moods=["calm", "melancholic"], instruments=["piano"], tempo_class="slow",
                       tempo_bpm=66.0, mode="minor", valence=-0.2, arousal=-0.6, energy=0.2)
    return MusicDescription(write_sentence(attrs, use="a rainy night", seed=0), attrs,
                            ["Emotion match: the words 'rainy night' suggest calm moods"])


def test_user_tempo_is_stated_first():
    out = apply_user_attributes(_described(), Attributes(tempo_bpm=140.0), seed=2)
    assert out.sentence.startswith("With a ") and "140 BPM" in out.sentence
    assert (out.attributes.tempo_bpm, out.attributes.tempo_class) == (140.0, "fast")
    assert out.attributes.moods == ["calm", "melancholic"]  # untouched fields stay
    assert out.reasoning[-1].startswith("User request: tempo 140 BPM")
    assert out.sentence.endswith("a rainy night.")  # the use is kept


def test_user_instrument_key_genre():
    out = apply_user_attributes(_described(), Attributes(instruments=["violin"], key="D", mode="minor",
                                                         genres=["jazz"]))
    assert "led by a solo violin" in out.sentence
    assert "in D minor" in out.sentence and "in a jazz style" in out.sentence
    assert out.attributes.instruments == ["violin"] and out.attributes.genres == ["jazz"]
    assert "piano" not in out.sentence
    _check_grammar(out.sentence)


def test_user_moods_rederive_affect_and_exclusion_wins():
    out = apply_user_attributes(_described(), Attributes(moods=["happy"], excluded_instruments=["piano"]))
    a = out.attributes
    assert a.moods == ["happy"] and (a.valence, a.arousal) == vocab.MOODS["happy"] and a.mode == "major"
    assert "piano" not in a.instruments and a.excluded_instruments == ["piano"]
    assert "happy" in out.sentence and "with no piano" in out.sentence
    assert "melancholic" not in out.sentence


def test_user_tempo_class_replaces_stale_bpm_and_duration_meter():
    out = apply_user_attributes(_described(), Attributes(tempo_class="fast", meter="3/4", duration_s=90))
    assert out.attributes.tempo_class == "fast" and out.attributes.tempo_bpm == vocab.TEMPO_CLASSES["fast"][2]
    assert "in 3/4 time" in out.sentence and "lasting 1 minute 30 seconds" in out.sentence


def test_empty_user_changes_nothing():
    d = _described()
    assert apply_user_attributes(d, Attributes()) == d
