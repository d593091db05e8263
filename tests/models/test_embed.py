"""Embedding a benchmark: language (captions) and video (files) paths, the content-keyed cache,
skip-and-report, and the ``socalign embed`` / ``socalign pretrain`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import transformers

from socalign.cli import main
from socalign.data import load_dataset
from socalign.data.layout import write_benchmark
from socalign.models import embed as embed_module
from socalign.models.embed import embed, embed_benchmark, model_kind
from socalign.models.embeddings import load_embeddings
from socalign.models.video import forward_features, load_backbone, preprocess
from socalign.video import load_clips, write_video
from tests.helpers.fixtures import clip_frames
from tests.helpers.tables import make_tables

torch.set_num_threads(1)








@pytest.fixture(scope="module")
def tiny_timesformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    cfg = transformers.TimesformerConfig(
        image_size=16, patch_size=8, num_frames=4, hidden_size=16, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=32,
    )
    path = tmp_path_factory.mktemp("tsf") / "tiny-timesformer"
    transformers.TimesformerModel(cfg).save_pretrained(path)
    return path


def test_model_kind() -> None:
    assert model_kind("tfidf") == "language" and model_kind("minilm") == "language"
    assert model_kind("facebook/timesformer-base-finetuned-k400") == "video"
    assert model_kind("someone/videomae-large") == "video"
    assert model_kind("whatever", kind="language") == "language"
    with pytest.raises(ValueError, match="cannot tell"):
        model_kind("someone/mystery-model")


def test_language_embedding_is_cached_by_caption_content(bench_dir: Path, cache: Path, monkeypatch) -> None:
    bench = load_dataset(bench_dir)
    first = embed(bench, "tfidf")
    assert first.embeddings.shape[0] == 12 and not first.cached
    assert first.rows.tolist() == list(range(12))
    # two caption groups ("chase"/"talk"): same-group videos are more alike than cross-group
    e = first.embeddings / np.linalg.norm(first.embeddings, axis=1, keepdims=True)
    sim = e @ e.T
    assert sim[0, 2] > sim[0, 1]
    monkeypatch.setattr(embed_module, "_embed_language", lambda *a, **k: 1 / 0)
    second = embed(bench, "tfidf")
    assert second.cached and second.key == first.key
    np.testing.assert_array_equal(second.embeddings, first.embeddings)
    with pytest.raises(ZeroDivisionError):  # settings are in the key: not served from the cache
        embed(bench, "tfidf", pooling="first")
    # a changed caption: a new key, so the (failing) encoder is called
    _, _, captions = make_tables()
    captions.loc[0, "caption"] = "a new caption"
    videos = pd.read_csv(bench_dir / "videos.csv")
    other = write_benchmark(bench_dir.parent / "b2", videos, pd.read_csv(bench_dir / "trials.csv"), captions)
    with pytest.raises(ZeroDivisionError):
        embed(load_dataset(other), "tfidf")


def test_no_cache_leaves_no_cache_folder(bench_dir: Path, cache: Path, tiny_timesformer: Path) -> None:
    bench = load_dataset(bench_dir)
    assert embed(bench, "tfidf", cache=False).embeddings.shape[0] == 12
    assert embed(bench, str(tiny_timesformer), cache=False).embeddings.shape[0] == 12
    assert not cache.exists()


def test_language_rejects_layer_and_bad_pooling(bench_dir: Path, cache: Path) -> None:
    bench = load_dataset(bench_dir)
    with pytest.raises(ValueError, match="video models only"):
        embed(bench, "tfidf", layer=1)
    with pytest.raises(ValueError, match="'mean' or 'first'"):
        embed(bench, "tfidf", pooling="cls")


def test_video_embedding_matches_a_manual_forward(bench_dir: Path, tiny_timesformer: Path, cache: Path) -> None:
    bench = load_dataset(bench_dir)
    got = embed_benchmark(bench, str(tiny_timesformer), batch_size=5, device="cpu")
    model, spec = load_backbone(tiny_timesformer, device="cpu")
    clips = load_clips(list(bench.videos.files), spec.n_frames)
    with torch.inference_mode():
        want = forward_features(model, spec, preprocess(clips, spec)).numpy()
    assert got.shape == (12, 16)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    layer1 = embed_benchmark(bench, str(tiny_timesformer), layer=1, device="cpu")
    assert not np.allclose(layer1, got)
    with pytest.raises(ValueError, match="layer 7 out of range"):
        embed(bench, str(tiny_timesformer), layer=7)
    with pytest.raises(ValueError, match="'cls' or 'mean'"):
        embed(bench, str(tiny_timesformer), pooling="first")


def test_video_cache_keyed_by_file_content(bench_dir: Path, tiny_timesformer: Path, cache: Path) -> None:
    bench = load_dataset(bench_dir)
    first = embed(bench, str(tiny_timesformer), device="cpu")
    again = embed(bench, str(tiny_timesformer), device="cpu")
    assert (first.cached, again.cached) == (False, True)
    write_video(bench.videos.files[3], clip_frames(9))  # same name, new content
    changed = embed(bench, str(tiny_timesformer), device="cpu")
    assert not changed.cached and changed.key != first.key
    assert not np.allclose(changed.embeddings[3], first.embeddings[3])
    np.testing.assert_allclose(changed.embeddings[0], first.embeddings[0], rtol=1e-5)


def test_bad_video_raises_or_is_skipped_and_reported(bench_dir: Path, tiny_timesformer: Path, cache: Path) -> None:
    bench = load_dataset(bench_dir)
    bad = bench.videos.files[2]
    bad.write_bytes(b"broken" * 20)
    with pytest.raises(ValueError, match=rf"{bad.name}: cannot decode"):
        embed_benchmark(bench, str(tiny_timesformer), device="cpu")
    result = embed(bench, str(tiny_timesformer), device="cpu", on_error="skip")
    assert result.rows.tolist() == [0, 1, *range(3, 12)]
    assert result.ids.tolist() == bench.videos.ids[result.rows].tolist()
    assert result.skipped[0][0] == str(bad) and result.to_dict()["skipped"][0]["file"] == str(bad)
    assert not embed(bench, str(tiny_timesformer), device="cpu", on_error="skip").cached
    with pytest.raises(ValueError, match="use embed"):
        embed_benchmark(bench, str(tiny_timesformer), on_error="skip")


def test_cli_embed_writes_npz_that_evaluate_reads(bench_dir: Path, cache: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "emb.npz"
    assert main(["embed", str(bench_dir), "--model", "tfidf", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == "tfidf" and report["n_videos"] == 12 and report["cached"] is False
    bench = load_dataset(bench_dir)
    np.testing.assert_allclose(load_embeddings(out, bench.videos), embed_benchmark(bench, "tfidf"))
    assert main(["embed", str(bench_dir), "--model", "tfidf", "--out", str(tmp_path / "x.csv")]) == 2
    assert "npz" in capsys.readouterr().err


def test_cli_pretrain_reports_accuracy(tmp_path: Path, cache: Path, capsys) -> None:
    root = tmp_path / "actions"
    rows = []
    for i in range(8):
        name = f"videos/{i}.mp4"
        write_video(root / name, clip_frames(i % 2 * 5, size=32))
        rows.append((name, "a" if i % 2 else "b", "train" if i < 6 else "test"))
    pd.DataFrame(rows, columns=["file", "label", "split"]).to_csv(root / "actions.csv", index=False)
    (root / "actions.json").write_text(json.dumps({"labels": ["a", "b"]}))
    out = tmp_path / "toy"
    argv = ["pretrain", "--data", str(root), "--out", str(out), "--tiny", "--epochs", "2", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["n_train"], report["n_test"], report["chance"]) == (6, 2, 0.5)
    assert 0.0 <= report["accuracy"] <= 1.0
    assert (out / "model.safetensors").is_file()
    assert main(argv) == 2  # refuses a non-empty --out
    assert "not empty" in capsys.readouterr().err


def test_cli_pretrain_perception_recipe(tmp_path: Path, cache: Path, capsys) -> None:
    """`socalign pretrain --recipe perception` runs the perception recipe (here 40 clips, 1
    epoch) and reports held-out explained variance per target group; bad combinations exit 2."""
    out = tmp_path / "toy"
    assert main(["pretrain", "--recipe", "perception", "--out", str(out), "--clips", "40", "--epochs", "1",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "perception" and (report["n_train"], report["n_test"]) == (36, 4)
    assert {"occupancy map", "speed map", "agent speeds", "patterns", "patch_maps"} <= set(
        report["explained_variance"])
    assert (out / "model.safetensors").is_file() and (out / "pretrain_report.json").is_file()
    assert main(["pretrain", "--out", str(tmp_path / "b"), "--tiny"]) == 2
    assert "--tiny" in capsys.readouterr().err
    assert main(["pretrain", "--out", str(tmp_path / "c"), "--clips", "3"]) == 2
    assert "--clips 3" in capsys.readouterr().err
    assert main(["pretrain", "--recipe", "perception", "--family", "clip", "--out", str(tmp_path / "d")]) == 2
    assert "--family clip" in capsys.readouterr().err


def test_cli_pretrain_default_is_the_vocabulary_recipe(tmp_path: Path, cache: Path, capsys) -> None:
    """Without --data or --recipe, `socalign pretrain` runs the shipped toy's recipe: the
    perception stage, then the vocabulary stage from it (here 40 clips and 1 epoch each, so the
    perception stage is trained too, not the shipped one), reporting held-out top-1 and
    explained variance, and writes a model card."""
    out = tmp_path / "toy"
    assert main(["pretrain", "--out", str(out), "--clips", "40", "--epochs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "vocabulary" and report["family"] == "timesformer" and report["init"]
    assert 0 <= report["top1"] <= 1 and (report["n_train"], report["n_test"]) == (36, 4)
    assert (out / "README.md").read_text().startswith("# socalign toy backbone")
