"""The paper's (v2) controls: the budget-matched triplet loss and the language-distilled one.

``budget`` must take hybrid's budget (optimizer steps and embedded videos) in both trainers;
``distilled`` trains as hybrid on a caption model's targets (odd ones, RSA and validation
similarity), so that people's choices never reach the trainer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from socalign.train.data import language_targets

torch = pytest.importorskip("torch")

from socalign.cli import main  # noqa: E402
from socalign.data.layout import write_benchmark  # noqa: E402
from socalign.train import losses  # noqa: E402
from socalign.train.config import TrainConfig  # noqa: E402
from socalign.train.data import with_language_targets  # noqa: E402
from tests.helpers.tables import make_tables  # noqa: E402
from tests.helpers.training import inputs_from, tiny_backbone, toy_problem  # noqa: E402


def _cosine(emb: np.ndarray) -> np.ndarray:
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    return unit @ unit.T


# --- the language targets --------------------------------------------------------------------


def test_language_targets_on_planted_embeddings() -> None:
    # videos 0 and 1 point the same way, 2 and 3 nearly the opposite, 4 in between
    emb = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.05], [-0.95, -0.1], [0.1, 1.0]])
    triplets = np.array([[0, 1, 2],   # closest pair (0, 1): the odd one is 2, at position 2
                         [2, 0, 1],   # the same videos shown in another order: position 0
                         [0, 2, 3],   # closest pair (2, 3): position 0
                         [2, 4, 3]])  # closest pair (2, 3): position 1
    observed = np.zeros((5, 5), dtype=bool)
    observed[0, 1] = observed[1, 0] = observed[2, 3] = observed[3, 2] = True
    odd, similarity = language_targets(triplets, emb, observed)
    assert odd.tolist() == [2, 0, 0, 1] and odd.dtype == np.int64
    cosine = _cosine(emb)
    np.testing.assert_allclose(similarity[observed], cosine[observed])
    assert np.isnan(similarity[~observed]).all()  # the diagonal too: it is not observed
    # a zero caption embedding is cosine 0 with everything, not NaN
    emb[4] = 0.0
    _, with_zero = language_targets(triplets, emb, np.ones((5, 5), dtype=bool))
    assert with_zero[4, :4].tolist() == [0.0] * 4


def test_language_targets_refuse_bad_input() -> None:
    emb = np.eye(3)
    with pytest.raises(ValueError, match="observed"):
        language_targets(np.array([[0, 1, 2]]), emb, np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="outside 0..2"):
        language_targets(np.array([[0, 1, 3]]), emb, np.ones((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="finite"):
        language_targets(np.array([[0, 1, 2]]), emb * np.nan, np.ones((3, 3), dtype=bool))


@st.composite
def _problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(3, 8))
    dim = draw(st.integers(1, 5))
    emb = draw(hnp.arrays(np.float64, (n, dim), elements=st.floats(-10, 10, width=32)))
    rows = draw(st.lists(st.permutations(range(n)).map(lambda p: p[:3]), min_size=0,
                         max_size=12))
    triplets = np.array(rows, dtype=np.int64).reshape(-1, 3)
    observed = draw(hnp.arrays(np.bool_, (n, n)))
    return emb, triplets, observed


@settings(max_examples=200, deadline=None)
@given(_problems(), st.floats(0.1, 100))
def test_language_targets_properties(problem, scale) -> None:
    emb, triplets, observed = problem
    odd, similarity = language_targets(triplets, emb, observed)
    assert odd.shape == (len(triplets),) and set(odd.tolist()) <= {0, 1, 2}
    norm = np.linalg.norm(emb, axis=1, keepdims=True)
    unit = np.divide(emb, norm, out=np.zeros_like(emb), where=norm > 0)
    cosine = unit @ unit.T
    # the odd one is outside a most similar pair of its triplet
    for (a, b, c), k in zip(triplets, odd, strict=True):
        pairs = [cosine[b, c], cosine[a, c], cosine[a, b]]
        assert pairs[k] >= max(pairs) - 1e-9
    # the similarity is the cosine exactly where observed, NaN elsewhere
    assert np.array_equal(np.isfinite(similarity), observed)
    np.testing.assert_allclose(similarity[observed], np.clip(cosine, -1, 1)[observed], atol=1e-9)
    # cosine only: scaling the embeddings changes nothing but rounding
    _, scaled = language_targets(triplets, emb * scale, observed)
    np.testing.assert_allclose(scaled, similarity, atol=1e-9)


def test_with_language_targets_keeps_videos_triplets_and_pairs() -> None:
    _, data = toy_problem(n_videos=16, n_trials=300)
    rng = np.random.default_rng(0)
    emb = rng.standard_normal((data.n_videos, 5))
    distilled = with_language_targets(data, emb)
    for name in ("fit_videos", "val_videos", "triplets"):
        assert np.array_equal(getattr(distilled, name), getattr(data, name))
    expected_odd, _ = language_targets(data.triplets, emb, data.fit_observed)
    assert np.array_equal(distilled.odd, expected_odd)
    assert not np.array_equal(distilled.odd, data.odd)  # people's choices are gone
    cosine = _cosine(emb)
    for side in ("fit", "val"):
        observed = getattr(data, f"{side}_observed")
        target = getattr(distilled, f"{side}_similarity")
        assert np.array_equal(np.isfinite(target), observed)
        np.testing.assert_allclose(target[observed], cosine[observed])


# --- the loss kinds: one table ---------------------------------------------------------------


def test_the_loss_kinds_are_one_table() -> None:
    assert list(losses.LOSSES) == ["hybrid", "triplet", "rsa", "budget", "distilled"]
    assert losses.LOSSES["budget"].label == "budget-matched triplet"
    assert losses.LOSSES["distilled"].label == "language-distilled"
    hybrid, distilled = losses.LossConfig(kind="hybrid"), losses.LossConfig(kind="distilled")
    assert distilled.uses_triplet and distilled.uses_rsa and distilled.targets == "captions"
    assert distilled.triplet_weight() == hybrid.triplet_weight()
    assert [distilled.rsa_weight(e) for e in range(8)] == [hybrid.rsa_weight(e) for e in range(8)]
    budget = losses.LossConfig(kind="budget")
    assert budget.uses_hard and not budget.uses_rsa and budget.triplet_weight() == 1.0
    assert not losses.LossConfig(kind="triplet").uses_hard


HARD_ONLY = losses.LossKind("hard-only", "hard triplets alone",
                            "hard triplets mined among the batch's videos, nothing else (a test kind)",
                            triplet=False, rsa=False, hard=True)


@pytest.mark.parametrize("trainer", ["fast", "paper"])
def test_a_new_loss_kind_is_one_table_entry(tmp_path, monkeypatch, capsys, trainer) -> None:
    """A kind added to the table (nowhere else) is offered by the CLI, passes the
    configuration's check, and trains a step on either trainer, by its fields alone."""
    import argparse

    from socalign.cli import build_parser
    from socalign.train.kinds import LOSSES

    monkeypatch.setitem(LOSSES, HARD_ONLY.name, HARD_ONLY)
    # the command line: its choices and help come from the table
    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction)).choices
    args = commands["finetune"].parse_args(["somewhere", "--loss", "hard-only", "--out", "x"])
    assert args.loss == "hard-only"
    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "hard-only = hard triplets alone: hard triplets mined among the batch's" in helptext
    assert "hard-only = hard triplets alone) train on people's judgments" in helptext
    # the configuration's check and its round trip
    config = TrainConfig(trainer=trainer, epochs=1, lr=1e-3, batch_videos=8, max_steps_per_epoch=1,
                         rsa_subset=10, rsa_grad_videos=4, rsa_steps_per_epoch=1, head_dim=16
                         ).with_changes(loss_kind="hard-only")
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.loss.triplet_weight() == 1.0 and config.loss.rsa_weight(3) == 0.0
    # one step of the trainer: the hard-triplet term only
    from socalign.train.loop import fit
    from socalign.train.model import LoraSettings, build_model

    torch.set_num_threads(1)
    clips, data = toy_problem()
    lora = LoraSettings(config.lora_r, config.lora_alpha, config.lora_dropout)
    model = build_model(tiny_backbone(), 32, lora, config.head_dim, config.head_dropout,
                        generator=torch.Generator().manual_seed(0))
    row = fit(model, inputs_from(clips), data, config, tmp_path / "run").history[0]
    assert row["steps"] == 1 and np.isfinite(row["loss"]) and np.isfinite(row["hard"])
    assert np.isnan(row["triplet"]) and np.isnan(row["rsa"])


def test_a_loss_kind_must_train_something() -> None:
    with pytest.raises(ValueError, match="trains nothing"):
        losses.LossKind("none", "none", "nothing", triplet=False, rsa=False)
    with pytest.raises(ValueError, match="hard and rsa"):
        losses.LossKind("both", "both", "both", triplet=True, rsa=True, hard=True)
    with pytest.raises(ValueError, match="targets"):
        losses.LossKind("other", "other", "other", triplet=True, rsa=False, targets="robots")
    with pytest.raises(ValueError, match="unknown loss 'hard-only'"):
        losses.LossConfig(kind="hard-only")  # not in the table: refused


def test_distill_model_is_recorded_for_distilled_runs_only() -> None:
    distilled = TrainConfig().with_changes(loss_kind="distilled", distill_model="tfidf")
    assert distilled.to_dict()["distill_model"] == "tfidf"
    assert TrainConfig.from_dict(distilled.to_dict()) == distilled
    assert "distill_model" not in TrainConfig().with_changes(distill_model="tfidf").to_dict()
    with pytest.raises(ValueError, match="distill_model"):
        TrainConfig(distill_model=" ")
    from socalign.profiles import profile_config

    assert profile_config("demo", loss_kind="distilled").distill_model == "minilm"
    assert (profile_config("paper", loss_kind="distilled").distill_model
            == "sentence-transformers/paraphrase-multilingual-mpnet-base-v2")


# --- budget-matched: the same steps and embedded videos as hybrid ----------------------------


def _fit(out: Path, trainer: str, kind: str):
    from socalign.train.loop import fit
    from socalign.train.model import LoraSettings, build_model

    clips, data = toy_problem()
    config = TrainConfig(trainer=trainer, epochs=2, lr=1e-3, batch_videos=8, max_steps_per_epoch=5,
                         rsa_subset=10, rsa_grad_videos=4, rsa_steps_per_epoch=2,
                         head_dim=16).with_changes(loss_kind=kind)
    lora = LoraSettings(config.lora_r, config.lora_alpha, config.lora_dropout)
    model = build_model(tiny_backbone(), 32, lora, config.head_dim, config.head_dropout,
                        generator=torch.Generator().manual_seed(config.seed))
    return fit(model, inputs_from(clips), data, config, out)


@pytest.mark.parametrize("trainer", ["paper", "fast"])
def test_budget_takes_hybrids_steps_and_embedded_videos(tmp_path, trainer) -> None:
    torch.set_num_threads(1)
    runs = {kind: _fit(tmp_path / kind, trainer, kind) for kind in ("hybrid", "budget", "triplet")}
    hybrid, budget = runs["hybrid"], runs["budget"]
    for epoch in range(2):
        assert budget.history[epoch]["steps"] == hybrid.history[epoch]["steps"]
        assert np.isfinite(budget.history[epoch]["hard"])
        assert np.isnan(budget.history[epoch]["rsa"]) and np.isfinite(hybrid.history[epoch]["rsa"])
        # the videos embedded by the end of each epoch (training forward passes)
        assert budget.history[epoch]["forward_train"] == hybrid.history[epoch]["forward_train"]
    # optimizer steps actually taken (each validation records the steps done)
    assert [v["step"] for v in budget.validations] == [v["step"] for v in hybrid.validations]
    assert budget.forward_train == hybrid.forward_train
    assert budget.forward_val == hybrid.forward_val
    triplet = runs["triplet"]
    assert np.isnan(triplet.history[0]["rsa"])  # triplet-only takes no RSA steps
    if trainer == "paper":  # 5 triplet steps + 2 RSA (budget: hard-triplet) steps an epoch
        assert hybrid.history[0]["steps"] == 7 and triplet.history[0]["steps"] == 5
        assert triplet.forward_train < hybrid.forward_train
    else:  # the same batches for every kind
        assert triplet.forward_train == hybrid.forward_train


# --- language-distilled, end to end ----------------------------------------------------------




def test_distilled_finetune_trains_and_validates_on_caption_targets(
        video_benchmark, tmp_path, monkeypatch) -> None:
    pytest.importorskip("av")
    import socalign.train.loop as loop
    from socalign.data import load_dataset
    from socalign.models.embed import embed_benchmark
    from socalign.profiles import profile_config
    from socalign.train.run import finetune, prepare

    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    torch.set_num_threads(1)
    bench, backbone = video_benchmark
    config = profile_config("ci", loss_kind="distilled", distill_model="tfidf")
    seen = {}
    real_fit = loop.fit

    def spy(core, inputs, data, *args, **kwargs):
        seen["data"] = data
        return real_fit(core, inputs, data, *args, **kwargs)

    monkeypatch.setattr(loop, "fit", spy)
    report = finetune(bench, tmp_path / "run", config, backbone=str(backbone), n_boot=20,
                      progress=False)
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["train"]
    assert recorded["loss"]["kind"] == "distilled" and recorded["distill_model"] == "tfidf"
    assert report.config["distill_model"] == "tfidf"
    # what the trainer got: the caption model's odd ones and similarities, not people's
    people = prepare(bench, tmp_path / "other", config.with_changes(loss_kind="hybrid")).data
    emb = embed_benchmark(load_dataset(str(bench)), "tfidf")
    data = seen["data"]
    assert np.array_equal(data.triplets, people.triplets)
    caption_odd, _ = language_targets(people.triplets, emb, people.fit_observed)
    assert np.array_equal(data.odd, caption_odd)
    assert not np.array_equal(data.odd, people.odd)
    cosine = _cosine(emb.astype(np.float64))
    for side in ("fit", "val"):  # the RSA and the validation (early stopping) targets
        observed = getattr(people, f"{side}_observed")
        target = getattr(data, f"{side}_similarity")
        assert np.array_equal(np.isfinite(target), observed)
        np.testing.assert_allclose(target[observed], cosine[observed], atol=1e-6)
    # the held-out report is against people, as for every run
    assert np.isfinite(report.after["r2"]) and report.after["n_trials"] > 0
    from socalign.train.export import model_card
    from socalign.train.runs import Run

    card = model_card(Run.open(tmp_path / "run"), {"source": "local", "name": str(backbone)})
    assert "Loss: distilled (language-distilled)" in card and "caption model tfidf" in card


def test_cli_offers_the_controls_and_refuses_a_dataset_without_captions(tmp_path, capsys) -> None:
    import argparse

    from socalign.cli import build_parser

    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction)).choices
    loss = next(a for a in commands["finetune"]._actions if a.dest == "loss")
    assert tuple(loss.choices) == tuple(losses.LOSSES)  # the registry, not a typed-out tuple
    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    for phrase in ("budget = budget-matched triplet", "distilled = language-distilled",
                   "--distill-model"):
        assert phrase in helptext
    videos, trials, _ = make_tables()
    bench = write_benchmark(tmp_path / "nocap", videos, trials, None, {"name": "nocap"})
    out = tmp_path / "run"
    assert main(["finetune", str(bench), "--loss", "distilled", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nocap" in err and "no captions" in err
    assert not out.exists()
    assert main(["finetune", str(bench), "--loss", "hybrid", "--distill-model", "tfidf",
                 "--out", str(out)]) == 2
    assert "--distill-model applies to --loss distilled" in capsys.readouterr().err
    assert main(["finetune", str(bench), "--loss", "distilled", "--distill-model",
                 "no-such-model", "--out", str(out)]) == 2
    assert "not a caption (language) model" in capsys.readouterr().err
