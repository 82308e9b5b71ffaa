"""LLM-written library descriptions (the paper writes them with an LLM); optional.

:class:`LlmTagger` has the :class:`~vmb.retrieve.autotag.Tagger` interface: it takes the tags
of a base tagger (rules or CLAP) and asks a local causal language model (``transformers``
AutoModelForCausalLM from a folder, greedy decoding, so the same file gives the same text)
for one sentence describing the music from those tags and the analysis. An empty or
unusable generation keeps the base tagger's sentence. Nothing is downloaded.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.retrieve.autotag import Analysis, RuleTagger, Tagger, Tags
from vmb.types import LeadSheet

PROMPT = ("Write one sentence describing a piece of music for a music library.\n"
          "Facts: {facts}.\nDescription:")


def facts(analysis: Analysis, tags: Tags) -> str:
    """The tags and measurements the prompt states, as a comma-separated list."""
    items = [f"{tags.tempo_class} tempo ({tags.bpm:g} BPM)"]
    if analysis.key and analysis.mode:
        items.append(f"{analysis.key} {analysis.mode}")
    if analysis.meter:
        items.append(f"{analysis.meter} time")
    for name, values in (("genre", tags.genres), ("mood", tags.moods), ("instruments", tags.instruments)):
        if values:
            items.append(f"{name}: {' and '.join(values)}")
    if analysis.tune_type:
        items.append(f"a {analysis.tune_type}")
    return ", ".join(items)


def clean_sentence(text: str, max_chars: int = 300) -> str:
    """The first sentence of ``text``, whitespace-normalised; '' if it has under 4 words."""
    text = " ".join(text.replace("\n", " ").split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = (match.group(1) if match else text)[:max_chars].strip()
    return sentence if len(sentence.split()) >= 4 else ""


class LlmTagger:
    """``base`` tags, description by a local LM at ``model_path`` (max ``max_new_tokens``)."""

    name = "llm"

    def __init__(self, model_path: str | Path, *, base: Tagger | None = None, max_new_tokens: int = 60):
        self.model_path = Path(model_path)
        self.base = base or RuleTagger()
        self.max_new_tokens = max_new_tokens
        self._loaded = None

    @property
    def needs_audio(self) -> bool:
        return getattr(self.base, "needs_audio", False)

    def __getstate__(self):  # workers load their own copy
        return {**self.__dict__, "_loaded": None}

    def _load(self):
        if self._loaded is None:
            if not (self.model_path / "config.json").exists():
                raise VmbError(f"language model {self.model_path}: no config.json there")
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer
            except ImportError as exc:
                raise VmbError("LLM descriptions need transformers: pip install transformers") from exc
            model = AutoModelForCausalLM.from_pretrained(str(self.model_path)).eval()
            self._loaded = (model, AutoTokenizer.from_pretrained(str(self.model_path)))
        return self._loaded

    def generate(self, prompt: str) -> str:
        """The model's greedy continuation of ``prompt`` (new text only)."""
        import torch

        model, tokenizer = self._load()
        enc = tokenizer(prompt, return_tensors="pt")
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        with torch.no_grad():
            out = model.generate(**enc, max_new_tokens=self.max_new_tokens, do_sample=False, pad_token_id=pad)
        return tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)

    def tag(self, analysis: Analysis, sheet: LeadSheet | None, *, entry_id: str,
            audio: tuple[np.ndarray, int] | None = None) -> Tags:
        tags = self.base.tag(analysis, sheet, entry_id=entry_id, audio=audio)
        sentence = clean_sentence(self.generate(PROMPT.format(facts=facts(analysis, tags))))
        if sentence:
            tags.description = sentence
        return tags
