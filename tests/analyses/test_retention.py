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


def test_probe_is_the_grid_search_it_replaced() -> None:
    """LogisticRegressionCV picks C as GridSearchCV over LogisticRegression does (same folds,
    same log loss, features standardised on the train clips) and predicts the same clips."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    from socalign.analyses.retention import C_GRID

    for seed in range(3):
        rng = np.random.default_rng(seed)
        labels, good, _, train, test = _action_features(rng)
        X = good + rng.normal(scale=2.0, size=good.shape)  # C matters: a noisy probe
        scaled = StandardScaler().fit(X[train]).transform(X)
        search = GridSearchCV(LogisticRegression(max_iter=2000), {"C": list(C_GRID)},
                              cv=StratifiedKFold(3, shuffle=True, random_state=seed),
                              scoring="neg_log_loss").fit(scaled[train], labels[train])
        expected = search.predict(scaled[test]) == labels[test]
        np.testing.assert_array_equal(probe_accuracy(X, labels, train, test, seed=seed), expected)


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


def test_a_runs_merged_backbone_has_the_saved_adapters(tmp_path, monkeypatch) -> None:
    """A run folder written like ``socalign finetune``'s: merged weights give the adapted output."""
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))  # decoded clips stay here
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    import json as _json

    from socalign.analyses.retention import embed_clip_files
    from socalign.train.model import LoraSettings, build_model
    from socalign.train.runs import Run

    config = transformers.TimesformerConfig(
        image_size=16, patch_size=8, num_frames=2, hidden_size=8, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=8,
    )
    transformers.TimesformerModel(config).save_pretrained(tmp_path / "base")
    base = transformers.TimesformerModel.from_pretrained(tmp_path / "base").eval()
    model = build_model(base, 8, LoraSettings(r=2, dropout=0.0), head_dim=4,
                        generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for name, p in model.backbone.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5, generator=torch.Generator().manual_seed(1))
    run = tmp_path / "run"
    model.save(run / "model")
    from socalign.train.config import TrainConfig

    (run / "config.json").write_text(_json.dumps(
        {"backbone": str(tmp_path / "base"),  # the settings the model above was built with
         "train": TrainConfig(lora_r=2, lora_dropout=0.0, head_dim=4).to_dict()}))
    merged, spec = Run.open(run).load_merged()
    x = torch.rand(2, 2, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want = model.backbone.eval()(pixel_values=x).last_hidden_state
        got = merged(pixel_values=x).last_hidden_state
        plain = transformers.TimesformerModel.from_pretrained(tmp_path / "base")(pixel_values=x)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(got, plain.last_hidden_state, atol=1e-3)  # the adapters matter
    assert spec.n_frames == 2
    with pytest.raises(FileNotFoundError, match="not a socalign finetune run"):
        Run.open(tmp_path)
    with pytest.raises(ValueError, match="is not a run's configuration"):
        Run.open(tmp_path / "base")  # a model's config.json, not a run's
    # embed_clip_files on real files equals the merged model's pooled features.
    from socalign.models.video import forward_features, preprocess
    from socalign.video import load_clips, write_video

    rng = np.random.default_rng(3)
    files = [write_video(tmp_path / f"{i}.mp4", rng.integers(0, 255, (4, 16, 16, 3), np.uint8))
             for i in range(3)]
    feats = embed_clip_files(files, (merged, spec), batch_size=2)
    with torch.no_grad():
        direct = forward_features(merged, spec, preprocess(load_clips(files, spec.n_frames), spec))
    np.testing.assert_allclose(feats, direct.numpy(), atol=1e-5)
    assert feats.shape == (3, 8)
