"""``socalign transfer``: planted embeddings files on a labelled benchmark, a pretrained and a
fine-tuned backbone on rendered clips, the cv protocol, and bad input as one line, exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.cli import main
from socalign.data.layout import write_benchmark
from socalign.models.embeddings import save_embeddings

TRIALS = pd.DataFrame([("p0", 0, 1, 2, 2)],
                      columns=["participant", "video_1", "video_2", "video_3", "choice"])


def _write(root: Path, labels, sets=None, **extra) -> Path:
    ids = np.arange(len(labels))
    videos = pd.DataFrame({"video_id": ids, "split": "test", "label": labels, **extra})
    if sets is not None:
        videos["set"] = sets
    return write_benchmark(root, videos, TRIALS)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """60 videos (45 main, 15 generalization), 3 labels; good.npz carries them, noise.npz not."""
    root = tmp_path_factory.mktemp("transfer")
    rng = np.random.default_rng(0)
    n = 60
    y = np.arange(n) % 3
    labels = np.array(["adversarial", "friendly", "neutral"])[y]
    _write(root / "bench", labels, np.where(np.arange(n) < 45, "main", "generalization"))
    _write(root / "nosets", labels)
    _write(root / "nolabel", labels).joinpath("videos.csv").write_text(
        pd.DataFrame({"video_id": np.arange(n), "split": "test"}).to_csv(index=False))
    _write(root / "oneclass", ["friendly"] * n, np.where(np.arange(n) < 45, "main",
                                                         "generalization"))
    ids = np.arange(n)
    good = np.eye(3)[y] @ rng.normal(size=(3, 8)) * 2 + rng.normal(size=(n, 8))
    save_embeddings(root / "good.npz", ids, good, model="good", kind="video", dataset="bench")
    save_embeddings(root / "noise.npz", ids, rng.normal(size=(n, 8)), model="noise",
                    kind="video", dataset="bench")
    return root


def _json(capsys, argv: list[str]) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _backbones(root: Path) -> str:
    return f"pretrained={root / 'noise.npz'},finetuned={root / 'good.npz'}"


def test_paper_protocol_json_and_text(planted, capsys) -> None:
    argv = ["transfer", str(planted / "bench"), "--backbones", _backbones(planted),
            "--n-boot", "200"]
    out = _json(capsys, argv)
    assert out["protocol"] == "paper" and (out["n_train"], out["n_test"]) == (45, 15)
    assert out["sources"] == {"pretrained": str(planted / "noise.npz"),
                              "finetuned": str(planted / "good.npz")}
    pre, fine = out["backbones"]
    assert fine["ci"][0] > 1 / 3 and fine["versus_chance"] == "above chance"
    assert pre["ci"][0] < 1 / 3 < pre["ci"][1]
    (cmp,) = out["comparisons"]
    assert cmp["of"] == "finetuned - pretrained" and cmp["mcnemar"]["p_value"] < 0.05
    assert out["paper_v2"]["measured_here"] is False
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "paper protocol: probe trained on the 45 main-set videos" in text
    assert "reported, not measured here" in text and "fine-tuned V-JEPA 2.1" in text
    assert "finetuned - pretrained" in text and "above chance" in text


def test_cv_protocol_is_named_and_reproducible_with_a_seed(planted, capsys) -> None:
    argv = ["transfer", str(planted / "nosets"), "--backbones", _backbones(planted),
            "--folds", "3", "--repeats", "2", "--n-boot", "100", "--allow-dataset-mismatch"]
    first = _json(capsys, [*argv, "--seed", "4"])
    assert first["protocol"] == "cv" and first["protocol_description"].startswith("cv protocol")
    assert any("no 'set' column" in note for note in first["notes"])
    assert _json(capsys, [*argv, "--seed", "4"]) == first
    assert _json(capsys, [*argv, "--seed", "5"])["backbones"] != first["backbones"]
    forced = _json(capsys, ["transfer", str(planted / "bench"), "--backbones",
                            f"x={planted / 'good.npz'}", "--protocol", "cv", "--folds", "3",
                            "--repeats", "1", "--n-boot", "0"])
    assert forced["protocol"] == "cv" and forced["n_test"] == 60
    assert forced["backbones"][0]["versus_chance"] == "no interval (no resamples)"


@pytest.mark.parametrize(("name", "args", "fragments"), [
    ("no label column", ["nolabel"], ["nolabel/videos.csv", "column 'label'", "no 'label' column"]),
    ("one class only", ["oneclass"], ["oneclass/videos.csv", "one label only"]),
    ("paper without sets", ["nosets", "--protocol", "paper"],
     ["nosets/videos.csv", "column 'set'", "use the cv protocol"]),
    ("a backbone spec without =", ["bench", "--backbones", "pretrained"],
     ["--backbones expects LABEL=SOURCE", "'pretrained'"]),
    ("a label given twice", ["bench", "--backbones", "a=x.npz,a=y.npz"],
     ["--backbones: label 'a' given twice"]),
    ("too few folds", ["bench", "--folds", "1"], ["--folds must be >= 2"]),
])
def test_bad_input_is_one_line_exit_2(planted, capsys, name, args, fragments) -> None:
    folder, *rest = args
    argv = ["transfer", str(planted / folder), *rest]
    if "--backbones" not in rest:
        argv += ["--backbones", _backbones(planted)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("socalign: error:"), captured.err
    for fragment in fragments:
        assert fragment in err[0].replace(str(planted) + "/", ""), err[0]
    assert captured.out == ""


def test_the_parser_defaults_are_the_librarys() -> None:
    from socalign.analyses import transfer as library
    from socalign.cli import transfer as command

    assert command.PROTOCOLS == library.PROTOCOLS
    assert (command.DEFAULT_FOLDS, command.DEFAULT_REPEATS) == (library.DEFAULT_FOLDS,
                                                                library.DEFAULT_REPEATS)


def test_a_pretrained_and_a_finetuned_backbone_on_rendered_clips(video_benchmark, tmp_path,
                                                                 cache, capsys) -> None:
    """The tiny TimeSformer folder (embedded by ``embed``) against a run fine-tuned from it
    (its encoder, by ``load_aligned``), on a labelled copy of the rendered clips."""
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from tests.helpers.fixtures import finetune_args

    bench, backbone = video_benchmark
    run = tmp_path / "run"
    assert main(finetune_args(bench, backbone, run, "--trainer", "fast", "--loss", "hybrid")) == 0
    capsys.readouterr()
    videos = pd.read_csv(bench / "videos.csv")
    labelled = tmp_path / "labelled"
    shutil.copytree(bench / "videos", labelled / "videos")
    n = len(videos)
    k = np.arange(n)
    write_benchmark(labelled, pd.DataFrame({
        "video_id": videos["video_id"], "split": "test", "file": videos["file"],
        "label": np.where(k % 2, "bright", "dark"),  # the clips' two brightness levels
        "set": np.where(k < 16, "main", "generalization")}), TRIALS.assign(
            video_1=videos["video_id"][0], video_2=videos["video_id"][1],
            video_3=videos["video_id"][2], choice=videos["video_id"][2]))
    out = _json(capsys, ["transfer", str(labelled), "--backbones",
                         f"pretrained={backbone},finetuned={run}", "--n-boot", "50"])
    assert out["protocol"] == "paper" and (out["n_train"], out["n_test"]) == (16, 8)
    pre, fine = out["backbones"]
    assert pre["n_features"] == fine["n_features"] == 32  # the encoder's, not the head's
    assert pre["accuracy"] == 1.0  # brightness is what the clips differ in
    assert out["sources"]["finetuned"] == str(run)
