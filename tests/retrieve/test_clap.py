import pickle

import numpy as np
import pytest

from tests.fixtures.library import write_cadence, write_midi
from vmb import VmbError
from vmb.retrieve.analyze_audio import load_audio
from vmb.retrieve.clap import ClapTagger, prompts
from vmb.retrieve.ingest import analyze_file
from vmb.vocab import GENRES, INSTRUMENTS, MOODS

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_clap(tmp_path_factory):
    """A random-weight CLAP (2-layer text and audio towers) with a word-level tokenizer, saved
    the way a real checkpoint folder is."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, PreTrainedTokenizerFast

    words = sorted({w.strip(":,'") for table in prompts().values() for text in table.values() for w in text.split()})
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]"] + words)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    config = ClapConfig(
        text_config=dict(vocab_size=len(vocab) + 8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=37, max_position_embeddings=64, projection_dim=16),
        audio_config=dict(num_mel_bins=16, window_size=4, spec_size=64, patch_size=2, patch_stride=2,
                          hidden_size=32, patch_embeds_hidden_size=16, projection_dim=16, depths=[1, 1],
                          num_attention_heads=[2, 2], num_hidden_layers=2),
        projection_dim=16)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("clap")
    ClapModel(config).save_pretrained(path)
    ClapFeatureExtractor(feature_size=16, sampling_rate=48000, max_length_s=2, truncation="rand_trunc").save_pretrained(path)
    PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]").save_pretrained(path)
    return path


def test_clap_tags_are_the_most_similar_prompts(tiny_clap, tmp_path):
    tagger = ClapTagger(tiny_clap)
    audio = np.sin(2 * np.pi * 220 * np.arange(3 * 22050) / 22050).astype(np.float32)
    sims = tagger.similarities(audio, 22050)
    assert set(sims["genres"]) == set(GENRES) and set(sims["moods"]) == set(MOODS)
    assert set(sims["instruments"]) == set(INSTRUMENTS)
    result = analyze_file(write_cadence(tmp_path / "c.wav"), tagger=tagger, transcribe=False)
    assert result.error is None
    entry = result.entries[0]
    y_sims = tagger.similarities(*load_audio(tmp_path / "c.wav"))
    best_moods = sorted(y_sims["moods"], key=lambda m: (-y_sims["moods"][m], m))[:3]
    assert entry.moods == best_moods and len(entry.genres) == 2 and len(entry.instruments) == 3
    assert result.analyses[0]["tagger"] == "clap" and entry.description
    # deterministic, and picklable without its weights (what ingest workers receive)
    assert analyze_file(tmp_path / "c.wav", tagger=pickle.loads(pickle.dumps(tagger)),
                        transcribe=False).entries == result.entries


def test_clap_falls_back_to_rules_for_symbolic_files(tiny_clap, tmp_path):
    result = analyze_file(write_midi(tmp_path / "t.mid"), tagger=ClapTagger(tiny_clap))
    assert result.error is None and result.entries[0].instruments == ["violin", "strings"]


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(VmbError, match="no config.json"):
        ClapTagger(tmp_path / "nothing").similarities(np.zeros(100, np.float32), 22050)


# --------------------------------------------------------------------------- LLM descriptions


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    """A random-weight 2-layer GPT-2 with a word-level tokenizer, saved as a checkpoint folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = ["<|endoftext|>", "[UNK]", ".", ",", ":", "a", "slow", "piece", "for", "strings", "in", "minor",
             "tempo", "music", "gentle", "waltz", "sad", "Description", "Facts", "time"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("lm")
    GPT2LMHeadModel(GPT2Config(vocab_size=len(words), n_positions=128, n_embd=16, n_layer=2, n_head=2)).save_pretrained(path)
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", unk_token="[UNK]").save_pretrained(path)
    return path


def test_llm_tagger_writes_the_description_from_the_tags(tiny_lm, tmp_path, monkeypatch):
    from vmb.retrieve.llm import LlmTagger, clean_sentence

    midi = write_midi(tmp_path / "t.mid")
    tagger = LlmTagger(tiny_lm, max_new_tokens=12)
    first = analyze_file(midi, tagger=tagger)
    assert first.error is None and first.analyses[0]["tagger"] == "llm"
    assert analyze_file(midi, tagger=pickle.loads(pickle.dumps(tagger))).entries == first.entries  # greedy
    rules = analyze_file(midi).entries[0]
    assert first.entries[0].moods == rules.moods and first.entries[0].bpm == rules.bpm  # tags from the base
    prompts_seen = []

    def fake_generate(prompt):
        prompts_seen.append(prompt)
        return " A mournful waltz for strings in D minor. And more text"

    monkeypatch.setattr(tagger, "generate", fake_generate)
    entry = analyze_file(midi, tagger=tagger).entries[0]
    assert entry.description == "A mournful waltz for strings in D minor."
    assert "D minor" in prompts_seen[0] and "3/4 time" in prompts_seen[0] and "70 BPM" in prompts_seen[0]
    monkeypatch.setattr(tagger, "generate", lambda prompt: " , .")
    assert analyze_file(midi, tagger=tagger).entries[0].description == rules.description  # unusable: rules
    assert clean_sentence("one two three\nfour. five") == "one two three four."
