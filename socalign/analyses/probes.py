"""Linear probes: how well do embeddings linearly encode per-video attributes (ratings)?

For each attribute: features standardised on the train videos, ridge regression with its
penalty chosen by cross-validation inside the train videos (scikit-learn ``RidgeCV``, efficient
leave-one-out by default), predictions on the held-out videos, and their Pearson r with the
held-out ratings. The p-value permutes the held-out ratings against the fixed predictions
(one-sided, r at least as large; all permutations in one matrix product); the interval
resamples held-out videos.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DEFAULT_ALPHAS = tuple(float(a) for a in np.logspace(-4, 8, 25))


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def pearson_rows(pred: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Pearson r between ``pred`` (n,) or (B, n) and each row of ``targets`` (B, n)."""
    targets = np.atleast_2d(np.asarray(targets, dtype=float))
    pred = np.broadcast_to(np.asarray(pred, dtype=float), targets.shape)
    pc = pred - pred.mean(axis=1, keepdims=True)
    tc = targets - targets.mean(axis=1, keepdims=True)
    denom = np.sqrt((pc * pc).sum(axis=1) * (tc * tc).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (pc * tc).sum(axis=1) / denom, np.nan)


def permutation_pvalue_r(
    pred: np.ndarray, target: np.ndarray, n_perm: int, rng: np.random.Generator
) -> tuple[float, float]:
    """One-sided permutation p-value of r(pred, target), and the observed r.

    The held-out targets are permuted ``n_perm`` times at once (``Generator.permuted`` on a
    tiled matrix) and correlated with the fixed predictions in one matrix product.
    p = (1 + #{r_perm >= r}) / (1 + n_perm).
    """
    pred = np.asarray(pred, dtype=float)
    target = np.asarray(target, dtype=float)
    pc = pred - pred.mean()
    tc = target - target.mean()
    denom = np.sqrt((pc @ pc) * (tc @ tc))
    if denom == 0:
        return float("nan"), float("nan")
    r = float(pc @ tc / denom)
    perms = rng.permuted(np.broadcast_to(tc, (n_perm, tc.size)), axis=1)
    r_perm = perms @ pc / denom  # permuting keeps the mean and norm of the targets
    p = (1.0 + np.count_nonzero(r_perm >= r - 1e-12)) / (1.0 + n_perm)
    return float(p), r


def bootstrap_r(
    pred: np.ndarray, target: np.ndarray, n_boot: int, rng: np.random.Generator,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of r(pred, target) resampling the held-out videos (vectorised)."""
    n = len(target)
    idx = rng.integers(0, n, size=(n_boot, n))
    rs = pearson_rows(np.asarray(pred, float)[idx], np.asarray(target, float)[idx])
    alpha = (1 - level) / 2
    lo, hi = np.nanquantile(rs, [alpha, 1 - alpha])
    return float(lo), float(hi)


@dataclass(frozen=True)
class ProbeRow:
    """One attribute's probe: held-out Pearson r, permutation p, bootstrap interval, penalty."""

    attribute: str
    r: float
    p_value: float
    ci: tuple[float, float]
    alpha: float
    n_train: int
    n_test: int
    alpha_on_edge: bool = False


@dataclass(frozen=True)
class ProbeResult:
    """Ridge probes of several attributes from one embedding set."""

    embedding: str
    rows: tuple[ProbeRow, ...]
    n_features: int
    n_perm: int
    n_boot: int
    ci_level: float = 0.95
    ci_unit: str = "held-out videos"
    p_value_kind: str = "one-sided permutation of held-out ratings"
    cv: str = "RidgeCV leave-one-out inside train videos"
    train_split: str = "train"
    test_split: str = "test"

    def to_dict(self) -> dict:
        """A JSON-able summary (the ``--json`` output)."""
        return {
            "embedding": self.embedding,
            "attributes": [
                {
                    "attribute": row.attribute,
                    "r": row.r,
                    "p_value": row.p_value,
                    "ci": list(row.ci),
                    "alpha": row.alpha,
                    "alpha_on_grid_edge": row.alpha_on_edge,
                    "n_train": row.n_train,
                    "n_test": row.n_test,
                }
                for row in self.rows
            ],
            "n_features": self.n_features,
            "n_perm": self.n_perm,
            "n_boot": self.n_boot,
            "ci_level": self.ci_level,
            "ci_unit": self.ci_unit,
            "p_value_kind": self.p_value_kind,
            "cv": self.cv,
            "train_split": self.train_split,
            "test_split": self.test_split,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per attribute."""
        return pd.DataFrame(
            [
                {
                    "embedding": self.embedding,
                    "attribute": row.attribute,
                    "r": row.r,
                    "ci_low": row.ci[0],
                    "ci_high": row.ci[1],
                    "p_value": row.p_value,
                    "alpha": row.alpha,
                    "n_test": row.n_test,
                }
                for row in self.rows
            ]
        )


def fit_probe(
    X_train: np.ndarray, y_train: np.ndarray, alphas: Sequence[float] = DEFAULT_ALPHAS,
    cv: int | None = None, seed: int | np.random.Generator = 0,
):
    """Standardise + RidgeCV fitted on the train videos only (``cv=None``: leave-one-out)."""
    splitter = None if cv is None else KFold(cv, shuffle=True, random_state=int(_rng(seed).integers(2**31)))
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.asarray(alphas, dtype=float), cv=splitter))
    return model.fit(X_train, y_train)


def probe_arrays(
    X: np.ndarray,
    targets: Mapping[str, np.ndarray],
    train: np.ndarray,
    test: np.ndarray,
    embedding: str = "embeddings",
    alphas: Sequence[float] = DEFAULT_ALPHAS,
    cv: int | None = None,
    n_perm: int = 1000,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    ci_level: float = 0.95,
) -> ProbeResult:
    """Probe each target from the features ``X`` (N, D); ``train``/``test`` are row indices.

    Videos whose rating is NaN are left out of that attribute's fit and test.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"features must be 2-D (videos, dims), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("features contain non-finite values")
    train = np.asarray(train, dtype=np.int64)
    test = np.asarray(test, dtype=np.int64)
    if np.intersect1d(train, test).size:
        raise ValueError("train and test videos overlap")
    rng = _rng(seed)
    rows = []
    for name, values in targets.items():
        y = np.asarray(values, dtype=float)
        if y.shape != (X.shape[0],):
            raise ValueError(f"attribute {name!r} has shape {y.shape}, expected ({X.shape[0]},)")
        tr = train[np.isfinite(y[train])]
        te = test[np.isfinite(y[test])]
        if tr.size < 3 or te.size < 3:
            raise ValueError(f"attribute {name!r}: too few rated videos (train {tr.size}, test {te.size})")
        model = fit_probe(X[tr], y[tr], alphas, cv, rng)
        pred = model.predict(X[te])
        if n_perm:
            p, r = permutation_pvalue_r(pred, y[te], n_perm, rng)
        else:
            p, r = float("nan"), float(pearson_rows(pred, y[te][None])[0])
        ci = bootstrap_r(pred, y[te], n_boot, rng, ci_level) if n_boot else (np.nan, np.nan)
        alpha = float(model[-1].alpha_)
        on_edge = bool(np.isclose(alpha, min(alphas)) or np.isclose(alpha, max(alphas)))
        rows.append(ProbeRow(name, r, p, ci, alpha, int(tr.size), int(te.size), on_edge))
    return ProbeResult(
        embedding=embedding,
        rows=tuple(rows),
        n_features=int(X.shape[1]),
        n_perm=int(n_perm),
        n_boot=int(n_boot),
        ci_level=ci_level,
        cv="RidgeCV leave-one-out inside train videos" if cv is None else f"RidgeCV {cv}-fold inside train videos",
    )


def probe_benchmark(
    benchmark,
    embeddings: np.ndarray,
    attributes: Sequence[str] | None = None,
    train_split: str = "train",
    test_split: str = "test",
    embedding: str = "embeddings",
    **kwargs,
) -> ProbeResult:
    """Probe a benchmark's ratings from embeddings in its video row order (N, D)."""
    ratings = benchmark.videos.ratings
    names = list(ratings) if attributes is None else list(attributes)
    missing = [a for a in names if a not in ratings]
    if missing:
        raise KeyError(f"unknown attribute(s) {missing}; this benchmark has ratings {sorted(ratings)}")
    if not names:
        raise ValueError("this benchmark has no ratings to probe")
    embeddings = np.asarray(embeddings)
    if embeddings.shape[0] != len(benchmark.videos):
        raise ValueError(
            f"embeddings have {embeddings.shape[0]} rows, the benchmark has {len(benchmark.videos)} videos"
        )
    result = probe_arrays(
        embeddings,
        {a: ratings[a] for a in names},
        benchmark.split_indices(train_split),
        benchmark.split_indices(test_split),
        embedding=embedding,
        **kwargs,
    )
    return replace(result, train_split=train_split, test_split=test_split)


PAPER_ATTRIBUTES: tuple[str, ...] = ("intimacy", "valence", "dominance", "communication", "arousal")


@dataclass(frozen=True)
class ProbeChange:
    """Held-out probe r of one attribute from two embeddings, and the paired difference
    (``after`` - ``before``) with a percentile interval over resampled test videos."""

    attribute: str
    before: float
    after: float
    difference: float
    low: float
    high: float
    n_test: int
    n_boot: int

    @property
    def rose(self) -> bool:
        """True only when the interval of the difference lies above 0."""
        return bool(self.low > 0)

    def to_dict(self) -> dict:
        """JSON-able fields (with ``rose``)."""
        return {**asdict(self), "rose": self.rose}


def probe_change(
    benchmark,
    before: np.ndarray,
    after: np.ndarray,
    attributes: Sequence[str] | None = None,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
    level: float = 0.95,
) -> list[ProbeChange]:
    """Paired comparison of the probes of two embeddings of the same videos (e.g. a backbone
    before and after fine-tuning), one :class:`ProbeChange` per attribute.

    Each probe is fitted on the train videos (:func:`fit_probe`); the same bootstrap resamples
    of the test videos are applied to both predictions, so the interval of the difference in r
    accounts for their correlation. ``attributes`` defaults to the paper's five
    (:data:`PAPER_ATTRIBUTES`) where the benchmark has them.
    """
    ratings = benchmark.videos.ratings
    names = [a for a in (PAPER_ATTRIBUTES if attributes is None else attributes) if a in ratings]
    if not names:
        raise KeyError(f"none of the attributes {list(attributes or PAPER_ATTRIBUTES)} is rated here")
    rng = _rng(seed)
    train, test = benchmark.split_indices("train"), benchmark.split_indices("test")
    out = []
    for name in names:
        y = np.asarray(ratings[name], dtype=float)
        tr, te = train[np.isfinite(y[train])], test[np.isfinite(y[test])]
        preds = [fit_probe(np.asarray(X, float)[tr], y[tr]).predict(np.asarray(X, float)[te])
                 for X in (before, after)]
        r = [float(pearson_rows(p, y[te][None])[0]) for p in preds]
        idx = rng.integers(0, te.size, size=(n_boot, te.size))
        diffs = pearson_rows(preds[1][idx], y[te][idx]) - pearson_rows(preds[0][idx], y[te][idx])
        alpha = (1 - level) / 2
        lo, hi = np.nanquantile(diffs, [alpha, 1 - alpha])
        out.append(ProbeChange(name, r[0], r[1], r[1] - r[0], float(lo), float(hi), int(te.size), n_boot))
    return out
