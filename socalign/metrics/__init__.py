"""Alignment metrics (numpy/scipy only; never imports torch or socalign.data).

similarity from judgments and embeddings (``similarity``), OOO accuracy under named rules
(``ooo``), R² and correlations over observed pairs (``rsa``), noise ceilings and reliabilities
(``ceilings``; ``benchmark_ceilings`` for one split of a benchmark),
bootstrap intervals, permutation tests and the one seed rule ``as_rng`` (``resampling``).
A split of a benchmark is scored through :mod:`socalign.scoring`, which calls these.
"""

from socalign.metrics.ceilings import (
    BenchmarkCeilings,
    OOOCeiling,
    OOOConsistency,
    SplitHalfCeiling,
    benchmark_ceilings,
    dirichlet_expected_max,
    dirichlet_multinomial_loglik,
    fit_concentration,
    ooo_ceiling,
    ooo_consistency,
    spearman_brown,
    split_half_ceiling,
)
from socalign.metrics.ooo import (
    CHANCE,
    RULES,
    OOOAccuracy,
    ooo_accuracy,
    ooo_accuracy_embeddings,
)
from socalign.metrics.resampling import (
    Interval,
    PermutationTest,
    as_rng,
    bootstrap,
    bootstrap_alignment,
    bootstrap_statistic,
    paired_bootstrap,
    paired_bootstrap_alignment,
    pearson_permutation_test,
    permutation_pvalue,
)
from socalign.metrics.rsa import Alignment, alignment, weighted_spearman
from socalign.metrics.similarity import (
    METRICS,
    JudgedSimilarity,
    similarity_from_embeddings,
    similarity_from_judgments,
)

__all__ = [
    "CHANCE",
    "METRICS",
    "RULES",
    "Alignment",
    "BenchmarkCeilings",
    "Interval",
    "JudgedSimilarity",
    "OOOAccuracy",
    "OOOCeiling",
    "OOOConsistency",
    "PermutationTest",
    "SplitHalfCeiling",
    "alignment",
    "as_rng",
    "benchmark_ceilings",
    "bootstrap",
    "bootstrap_alignment",
    "bootstrap_statistic",
    "dirichlet_expected_max",
    "dirichlet_multinomial_loglik",
    "fit_concentration",
    "ooo_accuracy",
    "ooo_accuracy_embeddings",
    "ooo_ceiling",
    "ooo_consistency",
    "paired_bootstrap",
    "paired_bootstrap_alignment",
    "pearson_permutation_test",
    "permutation_pvalue",
    "similarity_from_embeddings",
    "similarity_from_judgments",
    "spearman_brown",
    "split_half_ceiling",
    "weighted_spearman",
]
