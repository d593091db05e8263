"""The dataset registry: one loader for every dataset, each dataset's facts in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socalign.data import BenchmarkError, load_dataset, registry
from socalign.data.registry import (
    DEFAULT_BACKBONE,
    SOCALIGN_LAYOUT,
    Dataset,
    dataset_in,
    dataset_of,
    register_dataset,
)


def _socialworld_like(root: Path) -> Path:
    """The tiny benchmark with a SocialWorld ``benchmark.json`` block (no videos needed)."""
    meta = json.loads((root / "benchmark.json").read_text())
    (root / "benchmark.json").write_text(json.dumps({**meta, "socialworld": {"seed": 0}}))
    return root


def test_the_built_in_datasets_register_themselves() -> None:
    datasets = registry.registered_datasets()
    assert list(datasets) == ["garcia2025", "socialworld", "phase"]
    assert registry.locatable_names() == ["garcia2025", "socialworld", "phase"]
    garcia, socialworld = datasets["garcia2025"], datasets["socialworld"]
    assert (garcia.default_backbone, garcia.latent_truth) == (DEFAULT_BACKBONE, False)
    assert (socialworld.default_backbone, socialworld.latent_truth) == ("toy", True)
    assert garcia.videos_env == "SOCALIGN_GARCIA2025_VIDEOS"
    assert socialworld.locate is not None  # the demo world, synthesized into the cache (issue 28)


def test_each_folder_is_loaded_by_its_dataset(tiny_benchmark_dir: Path, tmp_path: Path) -> None:
    from socalign.analyses.gap import default_models, is_socialworld
    from socalign.train.run import default_backbone

    plain = load_dataset(tiny_benchmark_dir)
    assert dataset_in(tiny_benchmark_dir) is SOCALIGN_LAYOUT and dataset_of(plain) is SOCALIGN_LAYOUT
    assert default_backbone(plain) == DEFAULT_BACKBONE and not is_socialworld(plain)
    sw = load_dataset(_socialworld_like(tiny_benchmark_dir))
    assert dataset_in(tiny_benchmark_dir).name == "socialworld" and dataset_of(sw).name == "socialworld"
    assert default_backbone(sw) == "toy" and is_socialworld(sw)
    assert default_models(sw) == ("pixel", "toy", "tfidf", "minilm", "oracle")
    garcia_like = tmp_path / "copy" / "data" / "interim" / "similarity"
    garcia_like.mkdir(parents=True)
    (garcia_like / "all_triplets.csv").write_text("participation,stim1_name\n")
    assert dataset_in(tmp_path / "copy").name == "garcia2025"


def test_a_broken_benchmark_json_is_reported_not_skipped(tiny_benchmark_dir: Path) -> None:
    (tiny_benchmark_dir / "benchmark.json").write_text("{not json")
    with pytest.raises(BenchmarkError, match=r"benchmark\.json.*not valid JSON"):
        load_dataset(tiny_benchmark_dir)


def test_a_new_dataset_is_one_registration(tiny_benchmark_dir: Path, monkeypatch) -> None:
    """A dataset registered in one place is located by name, loaded, given its default backbone
    and its latent truth by the code that asks (fine-tuning, the gap table), with no branch
    elsewhere; its environment variable attaches its videos."""
    from socalign.analyses.gap import default_models
    from socalign.data.layout import read_layout
    from socalign.train.run import default_backbone

    monkeypatch.setattr(registry, "_DATASETS", dict(registry.registered_datasets()))
    marker = tiny_benchmark_dir / "mine.txt"
    marker.write_text("")

    def load(root: Path, exclude_catch: bool, videos: Path | None):
        return read_layout(root, exclude_catch)

    register_dataset(Dataset(
        name="mine", recognises=lambda folder: (folder / "mine.txt").exists(), load=load,
        describes=lambda b: b.name == "tiny", locate=lambda: tiny_benchmark_dir,
        default_backbone="my/backbone", latent_truth=True, videos_env="MINE_VIDEOS"))
    bench = load_dataset("mine")
    assert bench.root == tiny_benchmark_dir and dataset_of(bench).name == "mine"
    assert default_backbone(bench) == "my/backbone"
    assert default_models(bench) == ("pixel", "my/backbone", "tfidf", "minilm", "oracle")
    assert "mine" in registry.locatable_names()
    videos = tiny_benchmark_dir / "videos"
    videos.mkdir()
    monkeypatch.setenv("MINE_VIDEOS", str(videos))
    assert registry.videos_for("mine", tiny_benchmark_dir) == videos


def test_an_unknown_name_lists_the_registered_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BenchmarkError, match=r"not a registered name: \[.*'socialworld'"):
        load_dataset("no-such-dataset")


def test_garcia2025_is_its_own_dataset(garcia_root: Path) -> None:
    from socalign.train.run import default_backbone

    bench = load_dataset(garcia_root)
    assert dataset_in(garcia_root).name == "garcia2025" and dataset_of(bench).name == "garcia2025"
    assert default_backbone(bench) == DEFAULT_BACKBONE and not dataset_of(bench).latent_truth
