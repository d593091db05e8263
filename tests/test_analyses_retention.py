"""Action retention: a probe on features with and without the action signal."""

from __future__ import annotations

import json

import numpy as np
import pytest

from socalign.analyses.retention import probe_accuracy, retention_from_embeddings


def _action_features(rng: np.random.Generator, n: int = 72, n_classes: int = 3):
    labels = np.arange(n) % n_classes
    centres = rng.normal(size=(n_classes, 6)) * 3
    informative = centres[labels] + rng.normal(size=(n, 6))
    uninformative = rng.normal(size=(n, 6))
    train = np.arange(n)[np.arange(n) % 4 != 0]
    test = np.arange(n)[np.arange(n) % 4 == 0]
    return labels, informative, uninformative, train, test


def test_probe_accuracy_separable_vs_noise() -> None:
    rng = np.random.default_rng(0)
    labels, good, noise, train, test = _action_features(rng)
    assert probe_accuracy(good, labels, train, test).mean() > 0.9
    assert probe_accuracy(noise, labels, train, test).mean() < 0.6


def test_retention_reports_the_lost_action_knowledge() -> None:
    rng = np.random.default_rng(1)
    labels, good, noise, train, test = _action_features(rng)
    result = retention_from_embeddings(good, noise, labels, train, test, n_boot=300, seed=0,
                                       names=("pretrained", "fine-tuned"))
    assert result.accuracy_before.estimate > 0.9
    assert result.difference.estimate == pytest.approx(
        result.accuracy_after.estimate - result.accuracy_before.estimate)
    assert result.difference.high < 0  # the planted loss is clear
    assert result.chance == pytest.approx(1 / 3)
    out = json.loads(json.dumps(result.to_dict()))
    assert out["difference"]["of"] == "fine-tuned - pretrained"
    assert out["accuracy"]["pretrained"]["unit"] == "held-out clips"
    assert (out["n_train"], out["n_test"]) == (54, 18)
    assert list(result.to_frame()["model"]) == ["pretrained", "fine-tuned", "fine-tuned - pretrained"]


def test_retention_errors() -> None:
    X = np.zeros((6, 2))
    labels = np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="overlap"):
        probe_accuracy(X, labels, np.arange(4), np.arange(3, 6))
    with pytest.raises(ValueError, match="only 1 train clip"):
        probe_accuracy(X, labels, np.array([0, 1, 2]), np.array([3, 4, 5]))
    with pytest.raises(ValueError, match="before has 6 clips, after has 5"):
        retention_from_embeddings(X, X[:5], labels, np.arange(4), np.arange(4, 6))
