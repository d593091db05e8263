"""``socalign.train.runs.Run``: one type reads a ``socalign finetune`` run folder back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("av")

from socalign.cli import main  # noqa: E402
from socalign.train.report import FinetuneReport  # noqa: E402
from socalign.train.runfiles import (  # noqa: E402
    BEST_FILE,
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    EMBEDDINGS_FILES,
    HISTORY_FILE,
    HISTORY_JSON_FILE,
    MODEL_DIR,
    REPORT_FILE,
    VALIDATIONS_FILE,
)
from socalign.train.runs import Run  # noqa: E402
from tests.helpers.fixtures import finetune_args  # noqa: E402


@pytest.fixture(scope="module")
def finished(video_benchmark, tmp_path_factory) -> tuple[Path, Path, Path]:
    """(run folder, benchmark folder, pretrained backbone folder) of one real, small run."""
    bench, backbone = video_benchmark
    out = tmp_path_factory.mktemp("runtype") / "run"
    torch.set_num_threads(1)
    assert main(finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid")) == 0
    return out, bench, backbone


def _strict(value):
    """``value`` after a strict-JSON round trip (NaN -> null), as report.json stores it."""
    from socalign.train.run import strict_json

    return json.loads(strict_json(value))


def test_open_reads_config_report_history_and_embeddings(finished) -> None:
    from socalign.data import load_dataset
    from socalign.models.embeddings import load_embeddings

    out, bench, backbone = finished
    run = Run.open(out)
    assert run.path == out and run.finished and Run.is_run(out)
    # the folder holds exactly the files this module names (the writer and the reader agree)
    assert {p.name for p in out.iterdir()} == {
        CONFIG_FILE, REPORT_FILE, HISTORY_FILE, HISTORY_JSON_FILE, VALIDATIONS_FILE, MODEL_DIR,
        CHECKPOINTS_DIR, BEST_FILE, *EMBEDDINGS_FILES.values()}
    assert run.validations()["epoch"].iloc[-1] == run.history()["epoch"].iloc[-1]
    marker = json.loads((out / CONFIG_FILE).read_text())
    assert run.config.to_dict() == marker["train"]
    assert run.config.epochs == 2 and run.config.val_fraction == 0.4
    assert run.config.trainer == "fast" and run.config.loss.kind == "hybrid"
    assert run.backbone == str(backbone) and run.dataset == str(bench)
    assert run.lora_targets == tuple(marker["lora_targets"])
    # the typed report holds report.json as written
    stored = json.loads((out / REPORT_FILE).read_text())
    report = run.report
    assert isinstance(report, FinetuneReport) and report.to_dict() == stored
    assert report.best_epoch == stored["training"]["best_epoch"]
    # history: metrics.csv, one row per epoch, the columns of metrics.json
    history = run.history()
    assert len(history) == 2 and list(history["epoch"]) == [0, 1]
    assert list(history.columns) == list(json.loads((out / HISTORY_JSON_FILE).read_text())[0])
    assert "val_spearman" in history.columns
    # embeddings before/after, in the benchmark's order
    videos = load_dataset(str(bench)).videos
    for which in ("before", "after"):
        assert run.embeddings_path(which) == out / EMBEDDINGS_FILES[which]
        emb = run.embeddings(which, videos)
        assert emb.ndim == 2 and emb.shape[0] == len(videos) and np.isfinite(emb).all()
        np.testing.assert_array_equal(emb, load_embeddings(out / f"embeddings_{which}.npz", videos))
    assert run.embeddings("before", videos).shape[1] == 32  # the backbone's hidden size
    assert run.embeddings("after", videos).shape[1] == run.config.head_dim  # the head's
    with pytest.raises(ValueError, match="'before' or 'after'"):
        run.embeddings_path("during")


def test_typed_report_values_equal_the_json(finished) -> None:
    from socalign.metrics import Interval
    from socalign.scoring import Comparison, Evaluation

    out, _, _ = finished
    stored = json.loads((out / REPORT_FILE).read_text())
    report = Run.open(out).report
    for which in ("before", "after"):
        ev = report.evaluation(which)
        assert isinstance(ev, Evaluation)
        data = stored[which]
        assert (ev.r2, ev.spearman, ev.pearson) == (data["r2"], data["spearman"], data["pearson"])
        assert {rule: acc.accuracy for rule, acc in ev.ooo.items()} == data["ooo_accuracy"]
        assert ev.n_trials == data["n_trials"] and ev.n_videos == data["n_videos"]
        assert ev.ci["r2"].low == data["ci"]["r2"]["low"]
        assert ev.ci["ooo_accuracy"]["pair"].high == data["ci"]["ooo_accuracy"]["pair"]["high"]
        assert _strict(ev.to_dict()) == data  # nothing lost or renamed
    comparison = report.comparison()
    assert isinstance(comparison, Comparison) and comparison.split == stored["split"] == "test"
    written = _strict(comparison.to_dict())
    assert written.pop("split") == "test" and written.pop("difference") == "a - b"
    assert written == stored["gain"]
    r2 = report.gain_of("r2")
    assert isinstance(r2, Interval)
    assert (r2.estimate, r2.low, r2.high, r2.unit, r2.n_boot) == (
        stored["gain"]["r2"]["estimate"], stored["gain"]["r2"]["low"],
        stored["gain"]["r2"]["high"], "videos", 20)
    assert r2.estimate == pytest.approx(stored["after"]["r2"] - stored["before"]["r2"])
    pair = report.gain_of("ooo_accuracy", "pair")
    assert pair.unit == "trials" and pair.p_value == stored["gain"]["ooo_accuracy"]["pair"]["p_value"]
    assert report.gain_of("spearman").estimate == stored["gain"]["spearman"]["estimate"]
    with pytest.raises(ValueError, match="rule= one of"):
        report.gain_of("ooo_accuracy")
    with pytest.raises(ValueError, match="statistic must be"):
        report.gain_of("pearson")
    with pytest.raises(ValueError, match="'before' or 'after'"):
        report.evaluation("during")


def test_a_report_without_bootstrap_has_no_gain(finished) -> None:
    out, _, _ = finished
    stored = json.loads((out / REPORT_FILE).read_text())
    report = FinetuneReport(**{**stored, "gain": {}})
    with pytest.raises(ValueError, match="no gain"):
        report.gain_of("r2")
    assert report.evaluation("after").r2 == stored["after"]["r2"]
    with pytest.raises(ValueError, match="no 'before' evaluation"):
        FinetuneReport(**{**stored, "before": {}}).evaluation("before")


def test_model_and_merged_backbone_load(finished, tmp_path) -> None:
    from socalign.data import load_dataset
    from socalign.models.video import forward_features, load_backbone, preprocess
    from socalign.video import load_clips

    out, bench, backbone = finished
    run = Run.open(out)
    videos = load_dataset(str(bench)).videos
    model, spec = run.load_model()
    clips = preprocess(load_clips(list(videos.files[:4]), spec.n_frames), spec)
    with torch.no_grad():
        after = model(clips).numpy()
    np.testing.assert_allclose(after, run.embeddings("after", videos)[:4], atol=1e-5)
    # the merged checkpoint folder loads like any backbone and gives the adapted features
    folder = run.merged_backbone(tmp_path / "merged")
    assert folder == tmp_path / "merged" and (folder / "config.json").is_file()
    assert not Run.is_run(folder)  # a model folder, not a run
    merged, merged_spec = load_backbone(folder)
    in_memory, _ = run.load_merged()
    pretrained, _ = load_backbone(backbone)
    with torch.no_grad():
        got = forward_features(merged, merged_spec, clips)
        want = forward_features(in_memory, spec, clips)
        plain = forward_features(pretrained, spec, clips)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(got, plain, atol=1e-4)  # the adapters are in it
    with pytest.raises(FileExistsError, match="not an empty folder"):
        run.merged_backbone(folder)


def test_folders_that_are_not_runs_are_refused(finished, tmp_path) -> None:
    out, _, backbone = finished
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'missing'} is not a folder"):
        Run.open(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json not found: not a socalign finetune"):
        Run.open(tmp_path / "empty")
    with pytest.raises(ValueError, match=f"{backbone / 'config.json'} is not a run's"):
        Run.open(backbone)  # a model checkpoint's config.json
    assert not Run.is_run(backbone) and not Run.is_run(tmp_path / "empty")
    # an unfinished run opens; what it has not written yet is named
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / CONFIG_FILE).write_bytes((out / CONFIG_FILE).read_bytes())
    run = Run.open(unfinished)
    assert not run.finished and run.config == Run.open(out).config
    with pytest.raises(FileNotFoundError, match="report.json not found in the unfinished run"):
        run.report  # noqa: B018
    with pytest.raises(FileNotFoundError, match="embeddings_after.npz not found"):
        run.embeddings_path("after")
    with pytest.raises(FileNotFoundError, match="metrics.csv not found"):
        run.history()


def test_run_load_model_is_the_one_loader(finished, tmp_path) -> None:
    """``Run.load_model`` hands the folder to ``AlignedVideoModel.load``: the same model."""
    from socalign.train.model import AlignedVideoModel

    out, _, backbone = finished
    model, spec = Run.open(out).load_model()
    direct = AlignedVideoModel.load(out)
    assert spec is model.spec and spec.n_frames == direct.spec.n_frames == 4
    assert model.source == direct.source == str(out) and not direct.training
    x = torch.rand(2, spec.n_frames, 3, spec.image_size, spec.image_size)
    with torch.no_grad():
        torch.testing.assert_close(model(x), direct(x))
    with pytest.raises(ValueError, match="neither a socalign finetune run folder"):
        AlignedVideoModel.load(backbone)  # a model checkpoint folder, not a run
    # a run without its saved model is named as such
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / CONFIG_FILE).write_bytes((out / CONFIG_FILE).read_bytes())
    with pytest.raises(FileNotFoundError, match="model not found in the unfinished run"):
        AlignedVideoModel.load(unfinished)
