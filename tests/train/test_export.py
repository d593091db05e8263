"""``socalign export`` and ``socalign.load_aligned``: a run is a model others can load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("av")
pytest.importorskip("peft")

import socalign  # noqa: E402
from socalign.cli import main  # noqa: E402
from socalign.text import interval  # noqa: E402
from socalign.train.export import export_run  # noqa: E402
from socalign.train.identity import backbone_record  # noqa: E402
from socalign.train.runfiles import (  # noqa: E402
    BACKBONE_DIR,
    CARD_FILE,
    EXPORT_MARKER,
    REPORT_FILE,
    RUN_CONFIG_FILE,
    is_export,
)
from socalign.train.runs import Run  # noqa: E402
from tests.helpers.fixtures import finetune_args  # noqa: E402
from tests.helpers.hub import COMMIT_A, REPO, add_snapshot  # noqa: E402


@pytest.fixture(scope="module")
def finished(video_benchmark, tmp_path_factory) -> tuple[Path, Path, Path]:
    """(run folder, benchmark folder, exported folder) of one real, small run."""
    bench, backbone = video_benchmark
    root = tmp_path_factory.mktemp("export")
    torch.set_num_threads(1)
    assert main(finetune_args(bench, backbone, root / "run", "--trainer", "fast", "--loss", "hybrid")) == 0
    assert main(["export", str(root / "run"), "--out", str(root / "model"), "--json"]) == 0
    return root / "run", bench, root / "model"


def _clips(bench: Path, n_frames: int) -> tuple[list[np.ndarray], object]:
    from socalign.data import load_dataset
    from socalign.video import load_clips

    videos = load_dataset(str(bench)).videos
    return load_clips(list(videos.files), n_frames), videos


def test_exported_folder_loads_back_and_gives_the_runs_embeddings(finished) -> None:
    run_dir, bench, model_dir = finished
    run = Run.open(run_dir)
    assert is_export(model_dir) and not Run.is_run(model_dir)
    names = {p.name for p in model_dir.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "head.safetensors", "head.json",
            EXPORT_MARKER, CARD_FILE, RUN_CONFIG_FILE, REPORT_FILE, BACKBONE_DIR} <= names
    assert "config.json" not in names  # a root config.json would read as a transformers model
    info = json.loads((model_dir / EXPORT_MARKER).read_text())
    assert info["backbone"]["source"] == "bundled" and info["split"] == "test"
    assert (model_dir / BACKBONE_DIR / "model.safetensors").is_file()
    adapter = json.loads((model_dir / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == BACKBONE_DIR  # no local path of this machine
    assert json.loads((model_dir / RUN_CONFIG_FILE).read_text()) == run.marker

    model = socalign.load_aligned(model_dir)
    assert not model.training and model.source == str(model_dir)
    clips, videos = _clips(bench, model.spec.n_frames)
    got = model.embed_clips(clips, batch_size=5)
    saved = run.embeddings("after", videos)
    assert got.shape == saved.shape == (len(videos), run.config.head_dim)
    np.testing.assert_allclose(got, saved, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # the run folder itself loads the same way, to the same model
    from_run = socalign.load_aligned(run_dir)
    np.testing.assert_allclose(from_run.embed_clips(clips), saved, atol=1e-5)
    # the copy does not depend on the run folder or the original backbone's path
    assert str(run.backbone) not in (model_dir / "head.json").read_text()


def test_model_card_is_filled_from_the_report(finished) -> None:
    run_dir, _, model_dir = finished
    card = (model_dir / CARD_FILE).read_text()
    assert "More Information Needed" not in card and "[optional]" not in card
    assert "- Input: 4 frames per clip" in card  # the tiny checkpoint's own, stated as a number
    report = json.loads((run_dir / REPORT_FILE).read_text())
    for side in ("before", "after"):
        r2 = report[side]["ci"]["r2"]
        assert interval(report[side]["r2"], r2["low"], r2["high"]) in card
        pair = report[side]["ci"]["ooo_accuracy"]["pair"]
        assert interval(report[side]["ooo_accuracy"]["pair"], pair["low"], pair["high"]) in card
    gain = report["gain"]["r2"]
    assert interval(gain["estimate"], gain["low"], gain["high"]) in card
    for heading in ("## Training data and split", "## Training", "## Results (held-out)",
                    "## Noise ceiling", "## Limitations", "## How to load"):
        assert heading in card
    assert "Loss: hybrid" in card and "- Seed: 0; " in card and "tinyvideo" in card
    assert "R² ceiling:" in card  # the benchmark was at hand: the ceiling is in the card
    info = json.loads((model_dir / EXPORT_MARKER).read_text())
    assert info["ceiling"]["r2_ceiling"]["estimate"] > 0
    assert card.startswith("---\nlibrary_name: peft\n")


def test_export_refuses_what_it_must_not_overwrite(finished, tmp_path: Path, capsys) -> None:
    run_dir, _, model_dir = finished
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    before = (model_dir / CARD_FILE).read_text()
    for out, message in ((foreign, "refusing to overwrite a folder socalign did not write"),
                         (model_dir, "refusing to overwrite the socalign exported model")):
        assert main(["export", str(run_dir), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert (foreign / "keep.txt").read_text() == "mine" and len(list(foreign.iterdir())) == 1
    assert (model_dir / CARD_FILE).read_text() == before
    # an unfinished run (no report) and a folder that is not a run
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "config.json").write_text((run_dir / "config.json").read_text())
    assert main(["export", str(unfinished), "--out", str(tmp_path / "x")]) == 2
    assert "not finished" in capsys.readouterr().err
    assert main(["export", str(foreign), "--out", str(tmp_path / "y")]) == 2
    assert "not a socalign finetune run folder" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_without_ceiling_the_card_says_so(finished, tmp_path: Path) -> None:
    run_dir, _, _ = finished
    out = export_run(Run.open(run_dir), tmp_path / "m", ceiling=False)
    card = (out / CARD_FILE).read_text()
    assert "Not computed for this export" in card and "R² ceiling:" not in card
    assert "More Information Needed" not in card


def test_load_aligned_from_the_hub_cache_and_its_errors(finished, tmp_path: Path,
                                                        monkeypatch) -> None:
    import shutil

    _, bench, model_dir = finished
    hub = tmp_path / "hf-hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="not in the local Hugging Face cache"):
        socalign.load_aligned("org/aligned-model")
    # an export as a cached hub repository loads offline (snapshot_download, local files only)
    repo = hub / "models--org--aligned-model"
    shutil.copytree(model_dir, repo / "snapshots" / COMMIT_A)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT_A)
    model = socalign.load_aligned("org/aligned-model")
    clips, _ = _clips(bench, model.spec.n_frames)
    np.testing.assert_allclose(model.embed_clips(clips[:3]),
                               socalign.load_aligned(model_dir).embed_clips(clips[:3]), atol=1e-6)
    assert socalign.load_aligned("org/aligned-model", revision=COMMIT_A).source == "org/aligned-model"
    with pytest.raises(ValueError, match="neither a socalign finetune run folder"):
        socalign.load_aligned(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        socalign.load_aligned(tmp_path / "missing")
    with pytest.raises(ValueError, match="revision applies to a hub repository id"):
        socalign.load_aligned(model_dir, revision="main")


def test_a_hub_backbone_is_recorded_by_name_revision_and_commit(tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    add_snapshot(tmp_path / "hf-hub", REPO, COMMIT_A, seed=0, refs=("main", "v1"))
    assert backbone_record(f"{REPO}@v1") == {"source": "hub", "name": REPO, "revision": "v1",
                                             "commit": COMMIT_A}
    assert backbone_record(REPO)["revision"] == "main"
    assert backbone_record("org/not-cached")["commit"] is None


def test_importing_socalign_does_not_import_torch() -> None:
    code = ("import sys, socalign; assert 'torch' not in sys.modules; "
            "assert 'load_aligned' in socalign.__all__; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        socalign.nope  # noqa: B018
