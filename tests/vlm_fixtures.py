"""A tiny random-weight LLaVA and a small pairs file, built offline (nothing downloaded).

Shared by the VLM describer tests and the README/--help example tests. transformers, tokenizers
and PIL are imported inside the functions, so importing this module costs nothing and needs
none of them; callers skip (``pytest.importorskip``) where the ``vlm`` extra is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vmb import vocab
from vmb.types import Attributes, MusicDescription


def picture(seed: int = 0, shape: tuple[int, int] = (48, 64)) -> np.ndarray:
    """A random RGB uint8 image (height, width, 3)."""
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


def tiny_tokenizer():
    """A word-level tokenizer over JSON punctuation, prompt words and the vmb vocabulary."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    from vmb.describe import vlm

    words = set(" ".join(list(vocab.GENRES) + list(vocab.MOODS) + list(vocab.INSTRUMENTS)).split())
    words |= set(vlm.PROMPT.lower().replace('"', " ").replace(",", " ").replace(".", " ").replace("(", " ")
                 .replace(")", " ").replace(":", " ").split())
    words |= set("user assistant a calm slow piece with piano strings null emotion scene match association".split())
    tokens = ["<pad>", "<unk>", "<s>", "</s>", "<image>"] + list('{}[]:,".()/0123456789') + sorted(words)
    model = models.WordLevel({t: i for i, t in enumerate(dict.fromkeys(tokens))}, unk_token="<unk>")
    tok = Tokenizer(model)
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.decoder = decoders.WordPiece(prefix="##")  # word-level pieces joined by spaces
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>",
                                                bos_token="<s>", eos_token="</s>")
    fast.add_special_tokens({"additional_special_tokens": ["<image>"]})
    return fast


def build_tiny_vlm(folder: str | Path) -> Path:
    """Write a tiny LLaVA (2-layer CLIP vision tower, 2-layer Llama) and its processor to ``folder``."""
    import torch
    import transformers
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaProcessor)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = tiny_tokenizer()
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                              image_size=32, patch_size=8, projection_dim=32)
    text = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024, initializer_range=0.2,
                       pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    config = LlavaConfig(vision_config=vision, text_config=text, vision_feature_layer=-1,
                         image_token_index=tok.convert_tokens_to_ids("<image>"))
    torch.manual_seed(0)
    LlavaForConditionalGeneration(config).save_pretrained(folder)
    processor_class = getattr(transformers, "CLIPImageProcessorPil", CLIPImageProcessor)  # no torchvision needed
    images = processor_class(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    LlavaProcessor(image_processor=images, tokenizer=tok, patch_size=8, vision_feature_select_strategy="default",
                   num_additional_image_tokens=1).save_pretrained(folder)
    return folder


def write_pairs(folder: str | Path, name: str = "pairs.jsonl") -> Path:
    """``folder/name``: two (image or frames, description) pairs over ``a.png`` and ``b.png`` in
    ``folder``, one named relative to the pairs file and one by its absolute path."""
    from PIL import Image

    folder = Path(folder)
    Image.fromarray(picture(1)).save(folder / "a.png")
    Image.fromarray(picture(2)).save(folder / "b.png")
    d = MusicDescription("A calm slow piece with piano.", Attributes(moods=["calm"], instruments=["piano"],
                                                                     tempo_class="slow"), source="image")
    rows = [{"image": "a.png", "description": d.to_dict()},
            {"frames": ["a.png", str(folder / "b.png")], "description": d.to_dict()}]
    path = folder / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path
