"""``socalign finetune --out``: never overwrite what socalign did not write; refused resumes
change nothing on disk. Every refusal happens before any compute."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socalign.cli import main
from socalign.data.layout import write_benchmark
from tests.helpers.tables import make_tables


@pytest.fixture
def bench(tmp_path) -> Path:
    """A tiny benchmark whose ``file`` column names (placeholder) video files that exist."""
    videos, trials, captions = make_tables()
    videos["file"] = [f"videos/{v}.mp4" for v in videos["video_id"]]
    root = write_benchmark(tmp_path / "bench", videos, trials, captions, {"name": "tiny"})
    for name in videos["file"]:
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(b"placeholder")
    return root


def _finetune(bench: Path, out: Path, *extra: str) -> list[str]:
    return ["finetune", str(bench), "--backbone", "toy", "--out", str(out), "--epochs", "2",
            "--no-progress", *extra]


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _fake_run(out: Path, finished: bool = False, backbone: str = "toy",
              bench: Path | None = None, **changes) -> Path:
    """A run folder as ``socalign finetune`` leaves it (its marker, a checkpoint, a model).

    With ``bench``: its marker records the run identity of ``bench`` and ``backbone`` (as
    runs do since issue 22) and it has no checkpoint yet (killed before its first epoch
    ended); without, it is a run older than the identity record.
    """
    from socalign.profiles import profile_config

    config = profile_config("demo", seed=0, trainer="fast", loss_kind="hybrid", **changes)
    (out / "checkpoints").mkdir(parents=True)
    marker = {"dataset": "bench", "backbone": backbone, "train": config.to_dict()}
    if bench is not None:
        from socalign.data import load_dataset
        from socalign.train.identity import run_identity

        marker["identity"] = run_identity(load_dataset(str(bench)), backbone, config.seed)
    (out / "config.json").write_text(json.dumps(marker, indent=2))
    if bench is None:
        (out / "checkpoints" / "epoch-0000.safetensors").write_bytes(b"not read in these tests")
    (out / "model").mkdir()
    (out / "model" / "head.json").write_text("{}")
    if finished:
        (out / "report.json").write_text("{}")
    return out


def _refused(capsys, args: list[str], out: Path, message: str) -> None:
    before = _tree(out) if out.is_dir() else None
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and str(out) in err
    assert len(err.strip().splitlines()) == 1
    assert (_tree(out) if out.is_dir() else None) == before


def test_refuses_a_folder_socalign_did_not_write(bench, tmp_path, capsys) -> None:
    out = tmp_path / "mine"
    (out / "model").mkdir(parents=True)
    (out / "config.json").write_text('{"model_type": "timesformer"}')  # a model folder's marker
    (out / "model" / "weights.bin").write_bytes(b"precious")
    (out / "notes.txt").write_text("keep me")
    _refused(capsys, _finetune(bench, out), out, "is not empty; refusing to overwrite a folder socalign did not write")


def test_refuses_a_file_as_out(bench, tmp_path, capsys) -> None:
    out = tmp_path / "report.txt"
    out.write_text("keep me")
    assert main(_finetune(bench, out)) == 2
    assert "is a file" in capsys.readouterr().err
    assert out.read_text() == "keep me"


def test_refuses_a_finished_run_with_or_without_resume(bench, tmp_path, capsys) -> None:
    out = _fake_run(tmp_path / "done", finished=True, epochs=2)
    _refused(capsys, _finetune(bench, out), out, "holds a finished run")
    _refused(capsys, _finetune(bench, out, "--resume"), out, "holds a finished run")


def test_unfinished_run_needs_resume(bench, tmp_path, capsys) -> None:
    out = _fake_run(tmp_path / "run", epochs=2)
    _refused(capsys, _finetune(bench, out), out, "pass --resume")


def test_refused_resume_changes_nothing(bench, tmp_path, capsys) -> None:
    out = _fake_run(tmp_path / "run", epochs=2)
    _refused(capsys, _finetune(bench, out, "--resume", "--lr", "0.5"), out,
             "another configuration (lr:")
    other = _fake_run(tmp_path / "other", backbone="facebook/timesformer-base-finetuned-k400",
                      epochs=2)
    _refused(capsys, _finetune(bench, other, "--resume"), other, "was written for backbone")


def test_resume_without_a_run_fails(bench, tmp_path, capsys) -> None:
    missing = tmp_path / "nothing"
    assert main(_finetune(bench, missing, "--resume")) == 2
    assert "holds no socalign run to resume" in capsys.readouterr().err
    assert not missing.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused(capsys, _finetune(bench, empty, "--resume"), empty, "drop --resume")


def test_start_if_missing_is_the_explicit_way_to_resume_or_start(bench, tmp_path) -> None:
    from socalign.profiles import profile_config
    from socalign.train.run import prepare

    config = profile_config("demo", epochs=2, val_fraction=0.5)
    fresh = prepare(bench, tmp_path / "new", config, "toy", resume=True, start_if_missing=True)
    assert not fresh.resuming and not (tmp_path / "new").exists()
    out = _fake_run(tmp_path / "run", epochs=2, val_fraction=0.5, bench=bench)
    again = prepare(bench, out, config, "toy", resume=True, start_if_missing=True)
    assert again.resuming
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="no socalign run"):
        prepare(bench, tmp_path / "junk", config, "toy", resume=True, start_if_missing=True)


def test_pretrain_refuses_before_any_compute(tmp_path, monkeypatch) -> None:
    """``pretrain``/``pretrain_perception`` check ``out`` first: a file, another's folder or an
    earlier toy backbone are refused (OutputFolderError names the folder), left untouched."""
    pytest.importorskip("torch")
    import socalign.data.socialworld.perception as perception
    import socalign.data.socialworld.vocabulary as vocabulary
    import socalign.models.toy as toy
    import socalign.models.toy.model as toy_model
    from socalign.models.pretrain import pretrain_vocabulary
    from socalign.outputs import OutputFolderError

    def no_compute(*args, **kwargs):
        raise AssertionError("compute started before the output folder was checked")

    monkeypatch.setattr(perception, "perception_set", no_compute)
    monkeypatch.setattr(vocabulary, "vocabulary_set", no_compute)
    monkeypatch.setattr(toy_model, "read_action_set", no_compute)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    own = tmp_path / "toy"
    own.mkdir()
    (own / "pretrain_report.json").write_text("{}")
    afile = tmp_path / "file.txt"
    afile.write_text("keep me")
    cases = [(foreign, "refusing to overwrite a folder socalign did not write"),
             (own, "refusing to overwrite the socalign toy backbone in it"),
             (afile, "is a file, not a folder")]
    for out, message in cases:
        before = _tree(out) if out.is_dir() else out.read_bytes()
        with pytest.raises(OutputFolderError, match=message) as info:
            toy_model.pretrain_perception(out, toy.PERCEPTION_SETTINGS)
        assert str(out) in str(info.value)
        with pytest.raises(OutputFolderError, match=message):
            pretrain_vocabulary(out, toy.ToySettings())
        with pytest.raises(OutputFolderError, match=message):
            toy_model.pretrain(tmp_path / "actions", out, toy.ACTION_SETTINGS)
        assert (_tree(out) if out.is_dir() else out.read_bytes()) == before


def test_pretrain_writes_its_folder_whole_or_not_at_all(tmp_path, monkeypatch) -> None:
    pytest.importorskip("torch")
    import socalign.models.toy as toy
    import socalign.models.toy.model as toy_model

    settings = toy.ToySettings(task="perception", perception_clips=20, epochs=1, n_layers=2, patch_layer=1)

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(toy_model, "write_processor_config", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        toy_model.pretrain_perception(tmp_path / "toy", settings)
    assert list(tmp_path.iterdir()) == []  # no half-written backbone, no staging folder
    monkeypatch.undo()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = toy_model.pretrain_perception(empty, settings)
    assert result.out == str(empty)
    assert {"config.json", "model.safetensors", "preprocessor_config.json",
            "pretrain_report.json"} <= {p.name for p in empty.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


def test_data_synth_refuses_another_folder(tmp_path, capsys) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    for kind in ("socialworld", "socialworld-actions"):
        _refused(capsys, ["data", "synth", kind, "--out", str(out), "--frames", "4",
                          "--size", "16"], out, "refusing to overwrite a folder socalign did not write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
