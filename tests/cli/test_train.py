"""``socalign finetune`` end to end on a tiny benchmark with video files and a tiny backbone."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("av")

from socalign.cli import main  # noqa: E402
from tests.helpers.fixtures import (  # noqa: E402
    finetune_args,
)
from tests.helpers.training import SIZE  # noqa: E402


def test_finetune_writes_report_log_and_reloadable_model(video_benchmark, tmp_path, capsys) -> None:
    bench, backbone = video_benchmark
    out = tmp_path / "run"
    torch.set_num_threads(1)
    assert main(finetune_args(bench, backbone, out, "--trainer", "fast", "--loss", "hybrid")) == 0
    printed = json.loads(capsys.readouterr().out)
    report = json.loads((out / "report.json").read_text())
    for side in ("before", "after"):
        assert set(report[side]["ooo_accuracy"]) == {"argmax", "pair"}
        assert report[side]["ci"]["r2"]["unit"] == "videos"
        assert report[side]["ci"]["r2"]["n_boot"] == 20
    assert report["gain"]["r2"]["unit"] == "videos"
    assert report["gain"]["ooo_accuracy"]["pair"]["unit"] == "trials"
    assert printed["after"]["r2"] == pytest.approx(report["after"]["r2"])
    assert (out / "metrics.csv").read_text().count("\n") == 3
    assert json.loads((out / "config.json").read_text())["lora_targets"] == [
        "qkv", "attention.output.dense", "intermediate.dense", "temporal_dense"]
    assert len(json.loads((out / "metrics.json").read_text())) == 2
    # the saved model reloads (peft format) and reproduces the saved embeddings
    from socalign.data import load_dataset
    from socalign.models.embeddings import load_embeddings
    from socalign.models.video import preprocess
    from socalign.train.model import AlignedVideoModel
    from socalign.train.report import FinetuneReport
    from socalign.video import load_clips

    frame = FinetuneReport.read(out).to_frame()
    assert frame["statistic"].tolist() == ["r2", "spearman", "ooo_accuracy (argmax)",
                                           "ooo_accuracy (pair)"]
    assert frame["gain"].to_numpy() == pytest.approx(
        (frame["after"] - frame["before"]).to_numpy(), abs=1e-9)
    model = AlignedVideoModel.load(out)
    spec = model.spec
    bm = load_dataset(str(bench))
    clips = load_clips(list(bm.videos.files), spec.n_frames)
    with torch.no_grad():
        again = model(preprocess(clips, spec)).numpy()
    saved = load_embeddings(out / "embeddings_after.npz", bm.videos)
    np.testing.assert_allclose(again, saved, atol=1e-5)
    # the run folder feeds the analyses commands (adapters merged into the backbone)
    assert main(["rollout", str(bench), "--backbones", f"pretrained={backbone},finetuned={out}",
                 "--max-clips", "2", "--json"]) == 0
    rollout = json.loads(capsys.readouterr().out)
    assert rollout["models"] == ["pretrained", "finetuned"] and rollout["n_clips"] == 2
    assert len(rollout["divergence"]) == 2 and rollout["regions"] == {}  # no scene boxes here
    from socalign.data.socialworld import synthesize_actions

    actions = tmp_path / "actions"
    synthesize_actions(actions, n_clips=36, n_frames=6, size=SIZE, labels=("still", "linear_fast"))
    assert main(["retention", str(actions), "--before", str(backbone), "--after", str(out),
                 "--n-boot", "20", "--json"]) == 0
    retention = json.loads(capsys.readouterr().out)
    assert retention["models"] == ["pretrained", "fine-tuned"] and retention["n_classes"] == 2
    accuracy = retention["accuracy"]
    assert retention["difference"]["estimate"] == pytest.approx(
        accuracy["fine-tuned"]["estimate"] - accuracy["pretrained"]["estimate"])
    assert main(["rollout", str(bench), "--backbones", "oops", "--json"]) == 2
    assert "LABEL=NAME_OR_FOLDER" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--backbone", "no-such-model"), "unknown backbone 'no-such-model'"),
        (("--epochs", "0"), "epochs must be >= 1"),
    ],
)
def test_bad_configuration_fails_before_compute(video_benchmark, tmp_path, capsys, extra, message):
    bench, backbone = video_benchmark
    args = finetune_args(bench, backbone, tmp_path / "run")
    args = [a for a in args if a not in ("--epochs", "2")] if "--epochs" in extra else args
    assert main([*args, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_missing_split_and_videos_and_existing_run(video_benchmark, tmp_path, tiny_benchmark_dir,
                                                   capsys) -> None:
    bench, backbone = video_benchmark
    assert main([*finetune_args(tiny_benchmark_dir, backbone, tmp_path / "a")]) == 2
    assert "video file(s) missing" in capsys.readouterr().err
    from socalign.train.config import TrainConfig
    from socalign.train.run import prepare

    with pytest.raises(ValueError, match="no 'heldout' split"):
        prepare(bench, tmp_path / "b", TrainConfig(val_fraction=0.4), str(backbone),
                test_split="heldout")
    (tmp_path / "c" / "checkpoints").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="refusing to overwrite a folder socalign did not write"):
        prepare(bench, tmp_path / "c", TrainConfig(val_fraction=0.4), str(backbone))
    (tmp_path / "c" / "config.json").write_text(json.dumps(
        {"backbone": str(backbone), "train": TrainConfig(val_fraction=0.4).to_dict()}))
    with pytest.raises(FileExistsError, match="pass --resume"):
        prepare(bench, tmp_path / "c", TrainConfig(val_fraction=0.4), str(backbone))
