"""Frames per clip as a setting: the paper feeds its 8-frame TimeSformer 16 frames.

``TrainConfig.n_frames`` (the profile's ``train.n_frames``, ``finetune --frames``) reaches the
spec the run trains with, the run records it, and every way of loading the run back (the run,
its merged backbone, its export) feeds the same number.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("av")
pytest.importorskip("peft")

from socalign.cli import main  # noqa: E402
from socalign.models.registry import SPEC_FILE, get_spec, spec_from_dir, with_frames  # noqa: E402
from socalign.profiles import profile_settings  # noqa: E402
from socalign.train.config import TrainConfig  # noqa: E402
from socalign.train.runfiles import CARD_FILE  # noqa: E402
from socalign.train.runs import Run  # noqa: E402
from tests.helpers.fixtures import finetune_args  # noqa: E402


def test_the_option_is_checked_and_kept_out_of_old_configs() -> None:
    assert "n_frames" not in TrainConfig().to_dict()  # old runs' keys stay the same
    assert TrainConfig(n_frames=16).to_dict()["n_frames"] == 16
    assert TrainConfig.from_dict(TrainConfig(n_frames=16).to_dict()).n_frames == 16
    for bad in (0, -3, 2.5, True, "16"):
        with pytest.raises(ValueError, match="n_frames"):
            TrainConfig(n_frames=bad)  # type: ignore[arg-type]


def test_the_paper_profile_feeds_16_frames_and_the_demo_the_backbones_own() -> None:
    from socalign.book.artifacts import video_frames

    assert profile_settings("paper").train_config().n_frames == 16
    assert video_frames(profile_settings("paper")) == 16
    assert video_frames(profile_settings("demo")) is None
    assert profile_settings("paper", train={"n_frames": 8}).train_config().n_frames == 8
    with pytest.raises(ValueError, match="n_frames"):
        profile_settings("paper", train={"n_frames": 0})


def test_a_spec_file_beside_a_checkpoint_sets_its_frames(video_benchmark, tmp_path) -> None:
    import shutil

    _, backbone = video_benchmark
    base = spec_from_dir(backbone)
    assert base.n_frames == 4
    assert with_frames(base, None) is base
    assert with_frames(base, 12).n_frames == 12
    with pytest.raises(ValueError, match="n_frames"):
        with_frames(base, 0)
    copy = tmp_path / "copy"
    shutil.copytree(backbone, copy)
    (copy / SPEC_FILE).write_text(json.dumps({"n_frames": 12}))
    assert get_spec(copy).n_frames == 12
    (copy / SPEC_FILE).write_text(json.dumps({"n_frames": 12, "image_size": 64}))
    with pytest.raises(ValueError, match=f"{SPEC_FILE}.*image_size"):
        get_spec(copy)


def test_a_timesformer_takes_more_frames_than_its_checkpoint(video_benchmark) -> None:
    """transformers interpolates the time embeddings: 16 frames into a 4-frame checkpoint."""
    from socalign.models.video import forward_features, load_backbone, preprocess

    _, backbone = video_benchmark
    model, spec = load_backbone(backbone, device="cpu", n_frames=16)
    assert spec.n_frames == 16 and model.config.num_frames == 4
    clips = np.random.default_rng(0).integers(0, 255, (2, 16, 40, 40, 3), dtype=np.uint8)
    x = preprocess(clips, spec)
    assert tuple(x.shape[:2]) == (2, 16)
    with torch.no_grad():
        out = forward_features(model, spec, x)
        four = forward_features(model, with_frames(spec, 4), preprocess(clips, with_frames(spec, 4)))
    assert out.shape == four.shape and torch.isfinite(out).all()
    assert not torch.allclose(out, four)  # the 16 frames were seen, not cut to 4


@pytest.fixture(scope="module")
def run_16(video_benchmark, tmp_path_factory) -> Path:
    bench, backbone = video_benchmark
    out = tmp_path_factory.mktemp("frames") / "run"
    torch.set_num_threads(1)
    assert main(finetune_args(bench, backbone, out, "--trainer", "fast", "--epochs", "1",
                      "--frames", "16")) == 0
    return out


def test_the_run_records_its_frames_and_every_reload_feeds_them(run_16, tmp_path) -> None:
    import socalign
    from socalign.models.embeddings import load_embeddings

    run = Run.open(run_16)
    assert run.config.n_frames == 16
    assert json.loads((run_16 / "report.json").read_text())["config"]["n_frames"] == 16
    _, spec = run.load_model()
    assert spec.n_frames == 16
    _, merged_spec = run.load_merged()
    assert merged_spec.n_frames == 16
    folder = run.merged_backbone(tmp_path / "merged")
    assert json.loads((folder / SPEC_FILE).read_text()) == {"n_frames": 16}
    assert get_spec(folder).n_frames == 16
    assert main(["export", str(run_16), "--out", str(tmp_path / "model"), "--json"]) == 0
    exported = socalign.load_aligned(tmp_path / "model")
    assert exported.spec.n_frames == 16
    assert "16 frames per clip" in (tmp_path / "model" / CARD_FILE).read_text()
    # the reloaded model gives the run's own after-embeddings (fed the same 16 frames)
    from socalign.data import load_dataset
    from socalign.video import load_clips

    bench = load_dataset(run.dataset)
    clips = load_clips(list(bench.videos.files), 16)
    with torch.no_grad():
        again = np.asarray(exported.embed_clips(clips[:4]))
    after = load_embeddings(run_16 / "embeddings_after.npz", bench.videos)[:4]
    np.testing.assert_allclose(again, after, atol=1e-4)


def test_bad_frames_on_the_command_line_exit_2(video_benchmark, tmp_path, capsys) -> None:
    bench, backbone = video_benchmark
    assert main(finetune_args(bench, backbone, tmp_path / "run", "--frames", "-2")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--frames" in err[0]
    assert not (tmp_path / "run").exists()
