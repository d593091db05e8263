"""What fine-tuning changed: the modality-gap table, variance partitioning, linear probes,
attention rollout and action-recognition retention.

Each module has one analysis and one frozen result type (``to_dict()`` for ``--json``,
``to_frame()`` for the book). Statistical cores take plain numpy arrays; the dataset-level
wrappers load benchmarks and embeddings. Nothing here imports torch at module level
(``rollout`` and ``retention`` import it inside the functions that run a model).
"""
