"""CLAP auto-tagging (the paper tags library audio by CLAP audio-text similarity); optional.

:class:`ClapTagger` has the :class:`~vmb.retrieve.autotag.Tagger` interface. For an audio file
it embeds a centre crop of the audio and one prompt per vocab genre, mood and instrument with a
local CLAP checkpoint (``transformers`` ClapModel, e.g. a copy of laion/larger_clap_music), and
keeps the most similar tags; BPM, tempo class and the description come from the rules with
those tags. Symbolic files (no audio) get the rule tags unchanged.

Needs ``transformers`` and a checkpoint folder (config.json, model weights,
preprocessor_config.json, tokenizer files); nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vmb import VmbError
from vmb.retrieve.autotag import Analysis, RuleTagger, Tags
from vmb.types import LeadSheet
from vmb.vocab import GENRES, INSTRUMENTS, MOODS


def prompts() -> dict[str, dict[str, str]]:
    """kind ("genres" | "moods" | "instruments") -> {vocab name: the text CLAP embeds}."""
    return {
        "genres": {g: f"{g} music: {phrase}" for g, (_bpm, phrase) in GENRES.items()},
        "moods": {m: f"{m} music" for m in MOODS},
        "instruments": {i: ("music with drums" if i == "drums" else f"music played on the {i}")
                        for i in INSTRUMENTS},
    }


def _features(output) -> "np.ndarray":
    """Projected embeddings from get_*_features (a tensor in transformers 4, an output in 5)."""
    tensor = output.pooler_output if hasattr(output, "pooler_output") else output
    array = tensor.detach().float().cpu().numpy()
    return array / np.maximum(np.linalg.norm(array, axis=-1, keepdims=True), 1e-8)


class ClapTagger:
    """Tags by CLAP similarity; keeps ``top`` = (genres, moods, instruments) best tags."""

    name = "clap"
    needs_audio = True

    def __init__(self, model_path: str | Path, *, top: tuple[int, int, int] = (2, 3, 3)):
        self.model_path = Path(model_path)
        self.top = top
        self._loaded = None  # (model, feature_extractor, tokenizer, text embeddings); per process

    def __getstate__(self):  # workers load their own copy
        return {"model_path": self.model_path, "top": self.top, "_loaded": None}

    def _load(self):
        if self._loaded is None:
            if not (self.model_path / "config.json").exists():
                raise VmbError(f"CLAP checkpoint {self.model_path}: no config.json there")
            try:
                import torch
                from transformers import AutoTokenizer, ClapFeatureExtractor, ClapModel
            except ImportError as exc:
                raise VmbError("CLAP tagging needs transformers: pip install 'vmb[clap]'") from exc
            model = ClapModel.from_pretrained(str(self.model_path)).eval()
            extractor = ClapFeatureExtractor.from_pretrained(str(self.model_path))
            tokenizer = AutoTokenizer.from_pretrained(str(self.model_path))
            text = {}
            with torch.no_grad():
                for kind, table in prompts().items():
                    enc = tokenizer(list(table.values()), padding=True, return_tensors="pt")
                    text[kind] = (list(table), _features(model.get_text_features(
                        input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])))
            self._loaded = (model, extractor, tokenizer, text)
        return self._loaded

    def audio_embedding(self, y: np.ndarray, sr: int) -> np.ndarray:
        """(D,) unit CLAP embedding of the centre ``max_length_s`` of mono audio ``y``."""
        import librosa
        import torch

        model, extractor, _tok, _text = self._load()
        if sr != extractor.sampling_rate:
            y = librosa.resample(np.asarray(y, np.float32), orig_sr=sr, target_sr=extractor.sampling_rate)
        n = extractor.nb_max_samples
        if len(y) > n:  # a fixed centre crop: deterministic, and past any intro
            y = y[(len(y) - n) // 2:][:n]
        feats = extractor(np.asarray(y, np.float32), sampling_rate=extractor.sampling_rate, return_tensors="pt")
        with torch.no_grad():
            return _features(model.get_audio_features(**feats))[0]

    def similarities(self, y: np.ndarray, sr: int) -> dict[str, dict[str, float]]:
        """kind -> {tag: cosine similarity of its prompt to the audio}."""
        audio = self.audio_embedding(y, sr)
        _m, _e, _t, text = self._load()
        return {kind: dict(zip(names, (emb @ audio).round(4).tolist())) for kind, (names, emb) in text.items()}

    def tag(self, analysis: Analysis, sheet: LeadSheet | None, *, entry_id: str,
            audio: tuple[np.ndarray, int] | None = None) -> Tags:
        rules = RuleTagger().tag(analysis, sheet, entry_id=entry_id)
        if audio is None:
            return rules
        sims = self.similarities(*audio)
        best = {kind: [name for name, _ in sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]
                for (kind, table), n in zip(sims.items(), self.top)}
        description = RuleTagger.describe(analysis, sheet, rules.tempo_class, best["moods"],
                                          best["instruments"], best["genres"], entry_id)
        return Tags(best["genres"], best["moods"], best["instruments"], rules.bpm, rules.tempo_class,
                    description)
