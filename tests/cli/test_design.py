"""``socalign design`` and ``socalign power``: files written, answers given, bad input one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from socalign.analyses.adaptive import EMBEDDING_DIM, EMBEDDING_PENALTY, select_embedding
from socalign.cli import main
from socalign.data.layout import write_benchmark


def _json(capsys, argv: list[str]) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_design_writes_the_schedule_and_timelines(tmp_path, capsys) -> None:
    out = _json(capsys, ["design", "--videos", "12", "--out", str(tmp_path / "s"), "--participants", "4",
                         "--trials-per-participant", "30"])
    assert out["pairs_covered"] == out["pairs"] == 66
    assert out["timelines"] == 4 and out["trials_by_kind"]["catch"] == 8
    schedule = pd.read_csv(tmp_path / "s" / "schedule.csv")
    assert len(schedule) == 120
    timeline = json.loads((tmp_path / "s" / "jspsych" / "participant_0.json").read_text())
    assert len(timeline["timeline"]) == 30
    # --total-trials gives the same participants (rounded up)
    same = _json(capsys, ["design", "--videos", "12", "--out", str(tmp_path / "t"), "--total-trials", "100",
                          "--trials-per-participant", "30"])
    assert same["participants"] == 4
    assert main(["design", "--videos", "12", "--out", str(tmp_path / "u"), "--participants", "4",
                 "--trials-per-participant", "30"]) == 0
    assert "pairs covered" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "fragment"), [
    (["--videos", "30", "--participants", "2", "--trials-per-participant", "40"],
     "budget too small to cover every pair"),
    (["--videos", "30"], "one of the arguments --participants --total-trials is required"),
    (["--videos", "30", "--participants", "3", "--total-trials", "90"], "not allowed with argument"),
    (["--videos", "2", "--participants", "3"], "at least 3 videos"),
    (["--videos", "DUP", "--participants", "3"], "duplicate video 'a.mp4'"),
    (["--videos", "nowhere.csv", "--participants", "3"], "no such folder or CSV"),
])
def test_bad_design_input_is_one_line_exit_2(tmp_path, capsys, args, fragment) -> None:
    csv = tmp_path / "dup.csv"
    csv.write_text("file\na.mp4\nb.mp4\na.mp4\nc.mp4\n")
    args = [str(csv) if a == "DUP" else a for a in args]
    try:
        code = main(["design", *args, "--out", str(tmp_path / "s")])
    except SystemExit as exit_:  # argparse's usage errors (the budget group)
        code = exit_.code
    assert code == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("socalign: error:"), captured.err
    assert fragment in err[0]
    assert not (tmp_path / "s" / "schedule.csv").exists()


@pytest.fixture(scope="module")
def pilot(tmp_path_factory) -> Path:
    """A 12-video pilot whose choices follow embeddings a.npy; b.npy is noise."""
    root = tmp_path_factory.mktemp("pilot")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3)) * 2
    np.save(root / "a.npy", x)
    np.save(root / "b.npy", rng.normal(size=(12, 3)))
    t = np.array([rng.permutation(12)[:3] for _ in range(1200)])
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    pair = np.stack([d[t[:, 1], t[:, 2]], d[t[:, 0], t[:, 2]], d[t[:, 0], t[:, 1]]], 1)
    odd = np.argmin(pair, axis=1)
    trials = pd.DataFrame({"participant": [f"p{i // 60}" for i in range(1200)], "video_1": t[:, 0],
                           "video_2": t[:, 1], "video_3": t[:, 2], "choice": t[np.arange(1200), odd]})
    write_benchmark(root / "bench", pd.DataFrame({"video_id": np.arange(12), "split": "test"}), trials)
    return root


def test_power_from_a_pilot_answers_both_questions(pilot, capsys, tmp_path) -> None:
    out = _json(capsys, ["power", "--pilot", str(pilot / "bench"), "--model-a", str(pilot / "a.npy"),
                         "--model-b", str(pilot / "b.npy"), "--metric", "ooo", "--budgets", "60,600",
                         "--n-studies", "10", "--plot", str(tmp_path / "p.png")])
    assert out["source"] == "pilot"
    assert [r["judgments"] for r in out["power"]["curve"]] == [60, 600]
    assert out["power"]["curve"][-1]["power"] == 1.0 and out["power"]["needed_judgments"] in (60, 600)
    assert "half_width" in out["ceiling"]["curve"][0]
    assert (tmp_path / "p.png").stat().st_size > 0


def test_power_on_socialworld_without_models(capsys) -> None:
    out = _json(capsys, ["power", "--world-videos", "12", "--budgets", "100,400", "--n-studies", "4",
                         "--question", "models", "--metric", "ooo"])
    assert out["source"] == "socialworld" and "oracle" in out["models"]["a"] and "ceiling" not in out


@pytest.mark.parametrize(("args", "fragment"), [
    (["--budgets", "1,x"], "--budgets expects comma-separated integers"),
    (["--n-studies", "1"], "--n-studies must be >= 2"),
    (["--model-a", "a.npy"], "give both --model-a and --model-b"),
    (["--pilot", "PILOT"], "--pilot needs --model-a and --model-b"),
    (["--pilot", "PILOT", "--model-a", "nowhere.npy", "--model-b", "nowhere.npy"], "no such embeddings file"),
])
def test_bad_power_input_is_one_line_exit_2(pilot, capsys, args, fragment) -> None:
    args = [str(pilot / "bench") if a == "PILOT" else a for a in args]
    assert main(["power", "--world-videos", "12", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err


def test_design_continues_an_adaptive_study_from_its_judgments(tmp_path, capsys) -> None:
    # a first batch: socalign design's schedule of 30 videos, judged by people who follow a planted embedding
    first = _json(capsys, ["design", "--videos", "30", "--out", str(tmp_path / "first"), "--participants", "3",
                           "--trials-per-participant", "120"])
    assert first["pairs_covered"] == 435
    table = pd.read_csv(tmp_path / "first" / "schedule.csv")
    t = table[["video_1", "video_2", "video_3"]].to_numpy()
    x = np.random.default_rng(1).normal(size=(30, 2))
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    pair = np.stack([d[t[:, 1], t[:, 2]], d[t[:, 0], t[:, 2]], d[t[:, 0], t[:, 1]]], 1)
    table["choice"] = t[np.arange(len(t)), np.argmin(pair, axis=1)]
    videos = pd.read_csv(tmp_path / "first" / "videos.csv")
    write_benchmark(tmp_path / "judged", videos, table.drop(columns=["trial", "kind"]))
    out = _json(capsys, ["design", "--from-judgments", str(tmp_path / "judged"), "--out", str(tmp_path / "next"),
                         "--participants", "3", "--trials-per-participant", "22", "--catch", "2"])
    assert out["design"] == "adaptive" and out["judged_trials"] == 354  # 360 less the 6 catch trials
    kinds = out["trials_by_kind"]
    assert kinds["catch"] == 6 and kinds["cover"] + kinds["repeat"] == 60 and kinds["repeat"] >= 18
    schedule = pd.read_csv(tmp_path / "next" / "schedule.csv")
    judged = table[table["kind"] != "catch"]
    before = {tuple(sorted(r)) for r in judged[["video_1", "video_2", "video_3"]].to_numpy().tolist()}
    shown = schedule[schedule["kind"] != "catch"]
    keys = [tuple(sorted(r)) for r in shown[["video_1", "video_2", "video_3"]].to_numpy().tolist()]
    is_before = np.array([k in before for k in keys])
    repeat = (shown["kind"] == "repeat").to_numpy()
    assert repeat[is_before].all()  # a triplet judged before is a repeat
    again = pd.Series(keys).duplicated(keep=False).to_numpy()
    assert again[repeat & ~is_before].all()  # any other repeat is a second showing within the batch
    assert len(list((tmp_path / "next" / "jspsych").glob("participant_*.json"))) == 3
    assert out["embedding"] == {"dim": EMBEDDING_DIM, "penalty": EMBEDDING_PENALTY, "chosen_by": "default"}
    assert main(["design", "--from-judgments", str(tmp_path / "judged"), "--out", str(tmp_path / "again"),
                 "--participants", "3", "--trials-per-participant", "22"]) == 0
    assert "adaptive: chosen from 354 judgments" in capsys.readouterr().out
    # the embedding chosen on these judgments: the grid's best held-out likelihood, recorded
    chosen = _json(capsys, ["design", "--from-judgments", str(tmp_path / "judged"), "--out",
                            str(tmp_path / "chosen"), "--participants", "3", "--trials-per-participant", "22",
                            "--choose-embedding"])
    grid = select_embedding(judged[["video_1", "video_2", "video_3"]].to_numpy(),
                            _odd_positions(judged), 30, seed=0)
    best = grid[grid["best"]].iloc[0]
    assert chosen["embedding"] == {"dim": int(best["dim"]), "penalty": float(best["penalty"]),
                                   "chosen_by": "cross-validation"}


def _odd_positions(table: pd.DataFrame) -> np.ndarray:
    shown = table[["video_1", "video_2", "video_3"]].to_numpy()
    return np.argmax(shown == table["choice"].to_numpy()[:, None], axis=1)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--from-judgments", "BENCH", "--videos", "12", "--participants", "2"], "not allowed with argument"),
    (["--from-judgments", "ODDIDS", "--participants", "2"], "video ids must be 0..11"),
    (["--from-judgments", "nowhere", "--participants", "2"], "nowhere"),
    (["--participants", "2"], "one of the arguments --videos --from-judgments is required"),
    (["--from-judgments", "BENCH", "--participants", "2", "--trials-per-participant", "2"],
     "must exceed the catch trials"),
    (["--videos", "12", "--participants", "2", "--choose-embedding"], "give it with --from-judgments"),
])
def test_bad_next_batch_input_is_one_line_exit_2(pilot, tmp_path, capsys, args, fragment) -> None:
    odd_ids = tmp_path / "odd"
    trials = pd.read_csv(pilot / "bench" / "trials.csv")
    for col in ("video_1", "video_2", "video_3", "choice"):
        trials[col] += 100
    write_benchmark(odd_ids, pd.DataFrame({"video_id": np.arange(12) + 100, "split": "test"}), trials)
    args = [str(pilot / "bench") if a == "BENCH" else str(odd_ids) if a == "ODDIDS" else a for a in args]
    try:
        code = main(["design", *args, "--out", str(tmp_path / "s")])
    except SystemExit as exit_:  # argparse's usage errors (the source group)
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("socalign: error:") and fragment in err[0], err
    assert not (tmp_path / "s" / "schedule.csv").exists()
