"""Language encoders: the bundled MiniLM (hash-checked), TF-IDF, caption pooling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from socalign.models import language
from socalign.models.language import (
    MINILM_SHA256,
    encode_captions,
    encode_texts,
    file_sha256,
    is_language_model,
    tfidf_vectors,
    verify_minilm,
)


def test_minilm_hash_is_the_official_one() -> None:
    assert MINILM_SHA256.startswith("53aa5117") and MINILM_SHA256.endswith("28d9db")
    folder = verify_minilm()
    assert file_sha256(folder / "model.safetensors") == MINILM_SHA256


def test_verify_minilm_rejects_other_weights(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(ValueError, match=r"model\.safetensors: sha256 .* does not match"):
        verify_minilm(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing"):
        verify_minilm(tmp_path / "nowhere")


def test_minilm_encodes_similar_sentences_closer() -> None:
    vecs = encode_texts(
        ["two people are fighting", "two men hit each other", "a person reads a book alone"],
        "minilm", device="cpu",
    )
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)  # Normalize module
    sim = vecs @ vecs.T
    assert sim[0, 1] > sim[0, 2] + 0.2


def test_tfidf_hand_computed() -> None:
    # sklearn smooth idf: idf(t) = ln((1+n)/(1+df)) + 1; sublinear tf; rows L2-normalised
    vecs = tfidf_vectors(["cat dog", "cat fish"])  # vocab: cat, dog, fish
    idf_cat, idf_other = 1.0, np.log(3 / 2) + 1
    expected = np.array([idf_cat, idf_other, 0.0]) / np.hypot(idf_cat, idf_other)
    np.testing.assert_allclose(vecs[0], expected, rtol=1e-6)


def test_caption_pooling_mean_and_first(monkeypatch) -> None:
    table = {"a": [1.0, 0.0], "b": [0.0, 1.0], "c": [1.0, 1.0]}

    def fake(texts, model, batch_size, device, fit_texts=None, progress=False):
        return np.array([table[t] for t in texts], dtype=np.float32)

    monkeypatch.setattr(language, "encode_texts", fake)
    caps = (("a", "b"), ("c",))
    np.testing.assert_allclose(encode_captions(caps, "x", "mean"), [[0.5, 0.5], [1.0, 1.0]])
    np.testing.assert_allclose(encode_captions(caps, "x", "first"), [[1.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="video row 1 has no captions"):
        encode_captions((("a",), ()), "x")
    with pytest.raises(ValueError, match="'mean' or 'first'"):
        encode_captions(caps, "x", "max")  # type: ignore[arg-type]


def test_tfidf_captions_fit_on_all_captions() -> None:
    caps = (("cat dog", "cat fish"), ("bird",))
    first = encode_captions(caps, "tfidf", "first")
    assert first.shape == (2, 4)  # vocabulary from all captions: bird, cat, dog, fish
    assert first[1, 0] == pytest.approx(1.0)


def test_model_kind_detection(tmp_path: Path) -> None:
    assert is_language_model("minilm") and is_language_model("tfidf")
    assert is_language_model("sentence-transformers/paraphrase-multilingual-mpnet-base-v2")
    assert not is_language_model("facebook/timesformer-base-finetuned-k400")
    (tmp_path / "modules.json").write_text("[]")
    assert is_language_model(str(tmp_path))


def test_unknown_sentence_model_offline_is_named() -> None:
    with pytest.raises((FileNotFoundError, OSError, ValueError), match="no-such-model"):
        encode_texts(["x"], "/nonexistent/no-such-model", device="cpu")
