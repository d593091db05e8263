"""``--revision`` and the embedding cache key of hub models, on a fake Hugging Face cache.

The cache is laid out as huggingface_hub lays it out (``HF_HUB_CACHE/models--org--name/``
with ``snapshots/<commit>/`` and ``refs/main``), offline (``HF_HUB_OFFLINE=1``): a hub id
resolves to the commit of its local snapshot, so two commits give two cache keys and a moved
``main`` is never served the older commit's embeddings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("av")

from socalign.cli import main  # noqa: E402
from socalign.data import load_dataset  # noqa: E402
from socalign.models.embed import embed  # noqa: E402
from socalign.models.hub import (  # noqa: E402
    is_hub_id,
    resolve_commit,
    split_revision,
    with_revision,
)
from tests.helpers.hub import (  # noqa: E402
    COMMIT_A,
    COMMIT_B,
    REPO,
    add_snapshot,
)

torch.set_num_threads(1)





@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, offline Hugging Face cache."""
    root = tmp_path / "hf-hub"
    root.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return root


def test_names_and_revisions() -> None:
    assert is_hub_id("org/name") and not is_hub_id("toy") and not is_hub_id("minilm")
    assert split_revision("org/name@v1.0") == ("org/name", "v1.0")
    assert split_revision("org/name") == ("org/name", None)
    assert split_revision("toy@x") == ("toy@x", None)
    assert with_revision("org/name", "main") == "org/name@main"
    assert with_revision("org/name@abc", "abc") == "org/name@abc"
    assert with_revision("toy", None) == "toy"
    with pytest.raises(ValueError, match="hub model id"):
        with_revision("toy", "main")
    with pytest.raises(ValueError, match="already names revision"):
        with_revision("org/name@abc", "def")


def test_commit_resolves_from_the_local_snapshot(hub: Path) -> None:
    add_snapshot(hub, REPO, COMMIT_A, seed=0, refs=("main", "v1"))
    assert resolve_commit(REPO) == COMMIT_A
    assert resolve_commit(REPO, "v1") == COMMIT_A
    assert resolve_commit(REPO, COMMIT_A) == COMMIT_A
    add_snapshot(hub, REPO, COMMIT_B, seed=1)  # the hub moved main on
    assert resolve_commit(REPO) == COMMIT_B and resolve_commit(REPO, "v1") == COMMIT_A
    with pytest.raises(FileNotFoundError, match="not in the local Hugging Face cache"):
        resolve_commit("org/missing")
    with pytest.raises(FileNotFoundError, match="not in the local Hugging Face cache"):
        resolve_commit(REPO, "no-such-branch")


def test_two_commits_give_two_cache_keys(hub: Path, bench_dir: Path, cache: Path) -> None:
    from socalign.models.video import load_backbone

    bench = load_dataset(bench_dir)
    add_snapshot(hub, REPO, COMMIT_A, seed=0, refs=("main", "v1"))
    first = embed(bench, REPO, device="cpu")
    assert not first.cached and first.identity == f"video-hub:{REPO}@{COMMIT_A}"
    assert first.preprocessing.startswith("hub:VideoMAEImageProcessor")
    assert embed(bench, REPO, device="cpu").cached
    add_snapshot(hub, REPO, COMMIT_B, seed=1)  # main now names another commit
    moved = embed(bench, REPO, device="cpu")
    assert not moved.cached and moved.key != first.key  # not the stale embeddings
    assert moved.identity == f"video-hub:{REPO}@{COMMIT_B}"
    assert not np.allclose(moved.embeddings, first.embeddings)
    # the older commit, by hash, by tag or as NAME@REV: the first key, from the cache
    for pinned in (embed(bench, REPO, device="cpu", revision=COMMIT_A),
                   embed(bench, REPO, device="cpu", revision="v1"),
                   embed(bench, f"{REPO}@{COMMIT_A}", device="cpu")):
        assert pinned.cached and pinned.key == first.key
        np.testing.assert_array_equal(pinned.embeddings, first.embeddings)
    # the weights loaded are the resolved commit's
    model_a, spec = load_backbone(REPO, device="cpu", revision="v1")
    model_b, _ = load_backbone(f"{REPO}@{COMMIT_B}", device="cpu")
    assert spec.revision == "v1"
    a = dict(model_a.named_parameters())
    b = dict(model_b.named_parameters())
    name = next(iter(a))
    assert not torch.equal(a[name], b[name])
    # the fast path is a different key (how clips were preprocessed is in it)
    fast = embed(bench, REPO, device="cpu", preprocessing="fast")
    assert fast.preprocessing == "fast" and fast.key != moved.key
    np.testing.assert_allclose(fast.embeddings, moved.embeddings, atol=0.1)


def test_cli_revision_flags(hub: Path, bench_dir: Path, cache: Path, tmp_path: Path,
                            capsys) -> None:
    add_snapshot(hub, REPO, COMMIT_A, seed=0, refs=("main", "v1"))
    add_snapshot(hub, REPO, COMMIT_B, seed=1)
    out = tmp_path / "e.npz"
    assert main(["embed", str(bench_dir), "--model", REPO, "--revision", "v1", "--device", "cpu",
                 "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["revision"] == "v1" and printed["model_identity"].endswith(COMMIT_A)
    assert printed["preprocessing"].startswith("hub:")
    from socalign.models.embeddings import read_meta

    assert read_meta(out)["model_identity"] == f"video-hub:{REPO}@{COMMIT_A}"
    assert main(["embed", str(bench_dir), "--model", REPO, "--device", "cpu", "--out", str(out),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model_identity"].endswith(COMMIT_B)
    # human output names the weights' commit
    assert main(["embed", str(bench_dir), "--model", REPO, "--revision", COMMIT_A, "--device",
                 "cpu", "--out", str(out)]) == 0
    assert COMMIT_A in capsys.readouterr().out
    # gap: --revision pins the hub video model in --models
    assert main(["gap", str(bench_dir), "--models", f"tfidf,{REPO}", "--revision", "v1",
                 "--split", "all", "--n-boot", "0", "--json"]) == 0
    gap = json.loads(capsys.readouterr().out)
    assert REPO in json.dumps(gap)
    # bad input: one line, exit 2, before any compute
    bad = [
        (["embed", str(bench_dir), "--model", "toy", "--revision", "v1", "--out", str(out)],
         "--revision applies to a hub model id"),
        (["embed", str(bench_dir), "--model", "org/missing", "--kind", "video", "--out", str(out)],
         "not in the local Hugging Face cache"),
        (["embed", str(bench_dir), "--model", "tfidf", "--revision", "v1", "--out", str(out)],
         "--revision applies to a hub model id"),
        (["gap", str(bench_dir), "--models", "tfidf", "--revision", "v1"],
         "--revision pins the one hub video model"),
        (["finetune", str(bench_dir), "--revision", "v1", "--out", str(tmp_path / "run")],
         "--revision needs --backbone"),
        (["finetune", str(bench_dir), "--backbone", "toy", "--revision", "v1", "--out",
          str(tmp_path / "run")], "--revision applies to a hub model id"),
    ]
    for args, message in bad:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "run").exists()


def test_finetune_revision_records_and_reloads_the_pinned_backbone(
        hub: Path, video_benchmark, tmp_path: Path, capsys) -> None:
    from socalign.train.runfiles import EXPORT_MARKER
    from socalign.train.runs import Run
    from tests.helpers.fixtures import finetune_args

    bench, _ = video_benchmark
    add_snapshot(hub, REPO, COMMIT_A, seed=0, refs=("main", "v1"))
    add_snapshot(hub, REPO, COMMIT_B, seed=1)  # main moved on; the run pins v1
    out = tmp_path / "run"
    args = [a if a != "BACKBONE" else REPO
            for a in finetune_args(bench, Path("BACKBONE"), out, "--trainer", "fast", "--revision", "v1")]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["backbone"] == f"{REPO}@v1"
    run = Run.open(out)
    assert run.backbone == f"{REPO}@v1"
    model, spec = run.load_model()
    assert spec.revision == "v1"
    from socalign.models.video import load_backbone

    pinned, _ = load_backbone(REPO, revision=COMMIT_A, device="cpu")
    base = model.backbone.get_base_model()
    name, weight = next((n, p) for n, p in pinned.named_parameters() if "lora" not in n)
    torch.testing.assert_close(dict(base.named_parameters())[name], weight)
    assert main(["export", str(out), "--out", str(tmp_path / "model"), "--no-ceiling",
                 "--json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["backbone"] == {"source": "hub", "name": REPO, "revision": "v1",
                                    "commit": COMMIT_A}
    adapter = json.loads((tmp_path / "model" / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == REPO and adapter["revision"] == COMMIT_A
    card = (tmp_path / "model" / "README.md").read_text()
    assert f"base_model: {REPO}" in card and COMMIT_A in card
    assert json.loads((tmp_path / "model" / EXPORT_MARKER).read_text())["spec"]["revision"] == "v1"
