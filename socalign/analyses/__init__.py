"""What fine-tuning changed: the modality-gap table, the paper's leaderboard, variance
partitioning, linear probes, attention rollout and action-recognition retention.

Each module has one analysis and one frozen result type (``to_dict()`` for ``--json``,
``to_frame()`` for the book). Statistical cores take plain numpy arrays; the dataset-level
wrappers load benchmarks and embeddings. Nothing here imports torch at module level
(``rollout`` and ``retention`` import it inside the functions that run a model).
"""

from socalign.analyses.gap import GapResult, gap_table, run_gap
from socalign.analyses.leaderboard import Leaderboard, leaderboard
from socalign.analyses.partition import Partition, partition_benchmark, partition_similarity
from socalign.analyses.probes import ProbeResult, probe_arrays, probe_benchmark
from socalign.analyses.retention import Retention, action_retention, retention_from_embeddings
from socalign.analyses.rollout import (
    RolloutResult,
    attention_rollout,
    benchmark_rollout,
    socialworld_rollout,
    summarise_rollout,
)

__all__ = [
    "GapResult",
    "Leaderboard",
    "Partition",
    "ProbeResult",
    "Retention",
    "RolloutResult",
    "action_retention",
    "attention_rollout",
    "benchmark_rollout",
    "gap_table",
    "leaderboard",
    "partition_benchmark",
    "partition_similarity",
    "probe_arrays",
    "probe_benchmark",
    "retention_from_embeddings",
    "run_gap",
    "socialworld_rollout",
    "summarise_rollout",
]
