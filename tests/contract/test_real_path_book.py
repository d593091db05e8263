"""The real path, item 2: the whole book executes under the ``paper`` profile.

On the CPU, with the profile's hub backbone replaced by a tiny local TimeSformer checkpoint, its
hub language models by the bundled ones, and the garcia2025 data (a verified copy) with a fake
set of its videos, so that every chapter's paper path runs: garcia2025 is the fine-tuning
benchmark, the paper's trainer trains, the runs' backbones are merged, probed and rolled out.
The overrides are the build's ``--set``/``--videos`` (``socalign book`` takes the same); only
sizes and counts are shrunk, every switch of the paper profile stays as it is.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("papermill")
pytest.importorskip("torch")
pytest.importorskip("av")

from socalign import book
from socalign import source as socalign_source
from socalign.profiles import PROFILES, profile_settings
from tests.helpers.real_path import copy_garcia, fake_videos, tiny_timesformer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

#: The shrinking: counts, sizes and the models that cannot be downloaded offline.
SMALL = {
    "device": "cpu",
    "language_models": ["minilm", "tfidf"],
    "socialworld": {"n_videos": 40, "n_frames": 8, "size": 32, "n_participants": 30},
    "train": {"epochs": 2, "max_steps_per_epoch": 2, "rsa_steps_per_epoch": 1,
              "distill_model": "minilm"},
    "seeds": [0],
    "n_boot": 20,
    "n_perm": 20,
    "probe_folds": 2,
    "action_videos": 40,
}


@pytest.fixture(scope="module")
def paper_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("paper")
    data = copy_garcia(base / "data" / "garcia2025")
    videos = base / "videos"
    fake_videos(data, videos)
    model = tiny_timesformer(base / "tiny_timesformer")
    source = base / "source"
    source.mkdir()
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "book", source / "book",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.ipynb"))
    patch = pytest.MonkeyPatch()
    patch.setenv("SOCALIGN_CACHE", str(base / "cache"))
    patch.setenv("SOCALIGN_DATA", str(data.parent))
    patch.delenv("SOCALIGN_GARCIA2025_VIDEOS", raising=False)
    patch.setenv("HF_HUB_OFFLINE", "1")  # nothing may be fetched: every model is local
    fixed = book.library_fingerprint()  # pinned: others may edit socalign meanwhile
    patch.setattr(book.build, "library_fingerprint", lambda parts=None: fixed)
    patch.setattr(socalign_source, "library_fingerprint", lambda parts=None: fixed)  # runs
    overrides = {**SMALL, "video_model": str(model), "videos": str(videos)}
    try:
        summary = book.build_book(source, profile="paper", out=base / "build", timeout=900,
                                  do_render=False, overrides=overrides)
        again = book.build_book(source, profile="paper", out=base / "build", do_render=False,
                                overrides=overrides)
        yield summary, base, overrides, again
    finally:
        patch.undo()


def executed(summary, name: str) -> dict:
    path = Path(summary.out) / "src" / "book" / f"{name}.ipynb"
    return json.loads(path.read_text())


def outputs(nb: dict) -> str:
    text = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text.append("".join(out.get("text", "")))
            for value in out.get("data", {}).values():
                text.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(text)


def test_every_chapter_executes_under_the_paper_profile(paper_build) -> None:
    summary, _, overrides, *_ = paper_build
    statuses = {c.source: c.status for c in summary.chapters if c.source.endswith(".py")}
    pages = {p.as_posix() for p in book.chapter_sources(ROOT) if p.suffix == ".py"}
    assert len(pages) >= 13  # seven chapters, the participant's page and five labs
    assert set(statuses) == pages and set(statuses.values()) == {"executed"}, statuses
    record = summary.to_dict()
    assert record["profile"] == "paper" and record["overrides"] == overrides
    assert "garcia2025" in record["datasets"] and "public data" in record["datasets"]["garcia2025"]
    # the paper's switches are the table's, not the overrides'
    assert summary.settings["train"]["trainer"] == "paper"
    assert summary.settings["garcia2025"] == "required"
    assert summary.settings["train"]["lora_r"] == 8 and summary.settings["videos"]


def test_the_chapters_ran_the_paper_path(paper_build) -> None:
    summary, *_ = paper_build
    names = [p.relative_to("book").with_suffix("").as_posix()
             for p in book.chapter_sources(ROOT) if p.suffix == ".py"]
    assert "labs/lab3_hybrid_loss" in names
    for name in names:
        nb = executed(summary, name)
        injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        assert injected and "overrides" in "".join(injected[0]["source"]), name
    # chapter 2 scores the video backbone on garcia2025's (fake) videos, chapter 3 fine-tunes on it
    assert "garcia2025" in outputs(executed(summary, "02_modality_gap"))
    runs = [p for p in sorted((Path(summary.out).parent / "cache" / "book" / "runs").iterdir())
            if (p / "report.json").is_file()]
    # hybrid, triplet, rsa, budget-matched and language-distilled (paper trainer), and the fast
    # trainer's run
    assert len(runs) == 6
    for run in runs:
        report = json.loads((run / "report.json").read_text())
        assert Path(report["dataset"]).name == "garcia2025"
    trainers = sorted(json.loads((run / "config.json").read_text())["train"]["trainer"]
                      for run in runs)
    assert trainers == ["fast", "paper", "paper", "paper", "paper", "paper"]
    # the paper's 16 frames reach every run, though the checkpoint's own are 8 (as k400's)
    assert {json.loads((run / "config.json").read_text())["train"]["n_frames"]
            for run in runs} == {16}
    merged = sorted((Path(summary.out).parent / "cache" / "book" / "merged").glob("*/config.json"))
    assert merged and all(json.loads((m.parent / "socalign_spec.json").read_text())
                          == {"n_frames": 16} for m in merged)


def test_a_second_build_with_the_same_overrides_executes_nothing(paper_build) -> None:
    *_, again = paper_build
    assert again.executed == 0


def test_overrides_are_part_of_the_settings_and_the_key() -> None:
    plain = profile_settings("paper")
    changed = profile_settings("paper", video_model="/models/tiny", train={"epochs": 1})
    assert changed.to_dict() != plain.to_dict()
    assert changed.overrides == {"video_model": "/models/tiny", "train": {"epochs": 1}}
    assert changed.train == {**PROFILES["paper"].train, "epochs": 1}  # merged, not replaced
    assert changed.train_config().lora_r == 8 and changed.train_config().epochs == 1


def test_the_paper_profile_names_what_it_lacks(monkeypatch) -> None:
    """Without the overrides, a chapter stops in its first cell, naming what is missing."""
    from socalign.book.chapter import profile_settings as chapter_settings

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="--set device=cpu"):
            chapter_settings("paper")
    with pytest.raises(FileNotFoundError,
                       match="paraphrase-multilingual-mpnet-base-v2.*--set language_models="):
        chapter_settings("paper", device="cpu")
    with pytest.raises(FileNotFoundError,
                       match="paraphrase-multilingual-mpnet-base-v2.*--set train.distill_model=minilm"):
        chapter_settings("paper", device="cpu", language_models=["minilm", "tfidf"])
    with pytest.raises(FileNotFoundError, match="timesformer-base-finetuned-k400.*video_model"):
        chapter_settings("paper", device="cpu", language_models=["minilm", "tfidf"],
                         train={"distill_model": "minilm"})


def test_error_bars_of_an_estimate_outside_its_interval_are_zero() -> None:
    """A percentile interval need not contain its estimate (tiny n_boot): the bar is drawn."""
    import pandas as pd

    from socalign.plots import _yerr

    err = _yerr(pd.Series([0.5, 0.2]), pd.Series([0.6, 0.1]), pd.Series([0.9, 0.4]))
    assert err.tolist() == [[0.0, 0.1], [0.4, 0.2]] or abs(err - [[0, 0.1], [0.4, 0.2]]).max() < 1e-12
