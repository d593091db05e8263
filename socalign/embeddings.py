"""Moved to :mod:`socalign.models.embeddings` (embedding files belong with the encoders that
make them); this alias keeps ``socalign.embeddings`` importable for one release."""

from socalign.models.embeddings import (  # noqa: F401
    DatasetMismatchError,
    HasIds,
    check_dataset,
    dataset_record,
    load_embeddings,
    load_similarity,
    read_meta,
    save_embeddings,
    videos_key,
)
