"""SocialWorld benchmark writing: determinism, the loader, schedule, observers, features, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socalign.cli import main
from socalign.data import BenchmarkError, load_dataset
from socalign.data.design import pair_counts
from socalign.data.socialworld import (
    INTERACTION_TYPES,
    oracle_features,
    pixel_features,
    read_scene_boxes,
    synthesize,
)
from socalign.data.socialworld.actions import (
    ACTION_LABELS,
    SCENE_STYLE,
    ActionStyle,
    action_appearance,
    action_trajectory,
    read_action_set,
    synthesize_actions,
)
from socalign.data.socialworld.attributes import SOCIAL_ATTRIBUTES
from socalign.data.socialworld.features import colour_histograms
from socalign.data.socialworld.observers import ObserverModel, judge, make_schedule
from socalign.data.socialworld.render import read_mp4

SMALL = {"n_videos": 30, "n_frames": 6, "size": 32, "calibrate": False}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sw") / "a"
    synthesize(out, seed=3, **SMALL)
    return out


def test_same_seed_gives_identical_tables_and_decoded_frames(world: Path, tmp_path: Path) -> None:
    again = tmp_path / "b"
    synthesize(again, seed=3, **SMALL)
    for name in ("videos.csv", "trials.csv", "captions.csv", "benchmark.json"):
        assert (world / name).read_bytes() == (again / name).read_bytes(), name
    for i in (0, 7, 29):
        np.testing.assert_array_equal(read_mp4(world / f"videos/{i:04d}.mp4"), read_mp4(again / f"videos/{i:04d}.mp4"))
    other = tmp_path / "c"
    synthesize(other, seed=4, **SMALL)
    assert (world / "trials.csv").read_bytes() != (other / "trials.csv").read_bytes()
    assert not np.array_equal(read_mp4(world / "videos/0000.mp4"), read_mp4(other / "videos/0000.mp4"))


def test_the_loader_accepts_the_output(world: Path) -> None:
    bench = load_dataset(world)
    v = bench.videos
    assert len(v) == 30 and v.has_files and all(f.exists() for f in v.files)
    assert sorted(v.split_names) == ["test", "train"] and (v.splits == "test").sum() == 6
    assert all(len(c) == 8 for c in v.captions)
    assert set(v.ratings) == set(SOCIAL_ATTRIBUTES)
    for values in v.ratings.values():
        assert ((values >= 0) & (values <= 1)).all() and values.std() > 0
    assert bench.excluded["catch_trial"] == 4 * 2  # 4 participants x 2 catch trials
    assert len(bench.trials) == 4 * 231
    frames = read_mp4(v.files[0])
    assert frames.shape == (6, 32, 32, 3)


def test_videos_table_has_latents_nuisance_and_every_type(world: Path) -> None:
    table = pd.read_csv(world / "videos.csv")
    assert set(table["interaction"]) == set(INTERACTION_TYPES)
    assert any(c.startswith("latent_") for c in table) and any(c.startswith("nuisance_") for c in table)
    meta = json.loads((world / "benchmark.json").read_text())
    assert meta["socialworld"]["interaction_types"] == list(INTERACTION_TYPES)
    assert meta["socialworld"]["observer"] == ObserverModel().to_dict()


def test_scene_boxes_locate_the_agents(world: Path) -> None:
    scene = read_scene_boxes(world)
    assert scene.boxes.shape == (30, 6, 3, 4) and scene.objects == ("agent_a", "agent_b", "distractor")
    np.testing.assert_array_equal(scene.ids, np.arange(30))
    assert scene.size == 32 and len(scene.times) == 6
    b = scene.boxes
    assert (b[..., 0] <= b[..., 2]).all() and (b[..., 1] <= b[..., 3]).all()
    assert b.min() >= 0 and b.max() <= 32
    # Box centres are the agents' positions in pixels (where not clipped at the frame's edge).
    centre = (b[:, :, :2, :2] + b[:, :, :2, 2:]) / 2
    inner = (b[:, :, :2, 0] > 0) & (b[:, :, :2, 2] < 32) & (b[:, :, :2, 1] > 0) & (b[:, :, :2, 3] < 32)
    np.testing.assert_allclose(centre[inner], scene.positions[inner] * 32, atol=1e-3)
    masks = scene.masks()
    assert masks.shape == (30, 6, 32, 32) and 0 < masks.mean() < 0.5


def test_scene_file_missing_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match=r"scene\.npz"):
        read_scene_boxes(tmp_path)


def test_oracle_and_pixel_features(world: Path) -> None:
    bench = load_dataset(world)
    oracle = oracle_features(bench)
    assert oracle.shape == (30, len(SOCIAL_ATTRIBUTES) + len(INTERACTION_TYPES))
    pixels = pixel_features(bench)
    assert pixels.shape == (30, 64)
    np.testing.assert_allclose(pixels.sum(axis=1), 1.0)


def test_oracle_parts_split_its_columns(world: Path) -> None:
    """The attribute and type parts are the oracle's columns, in its order, and the squared
    distances of the whole are the sums of the parts' (so each part is a share of the oracle)."""
    bench = load_dataset(world)
    whole = oracle_features(bench)
    attributes, types = oracle_features(bench, "attributes"), oracle_features(bench, "types")
    assert attributes.shape == (30, len(SOCIAL_ATTRIBUTES)) and types.shape == (30, len(INTERACTION_TYPES))
    np.testing.assert_array_equal(np.hstack([attributes, types]), whole)

    def squared(x: np.ndarray) -> np.ndarray:
        return ((x[:, None] - x[None]) ** 2).sum(-1)

    np.testing.assert_allclose(squared(whole), squared(attributes) + squared(types))
    with pytest.raises(ValueError, match="oracle part"):
        oracle_features(bench, "captions")


def test_colour_histogram_hand_case() -> None:
    clips = np.zeros((2, 1, 2, 2, 3), dtype=np.uint8)
    clips[1, 0, 0, 0] = (255, 255, 255)  # one white pixel of four
    h = colour_histograms(clips, bins=2)
    np.testing.assert_allclose(h[0], [1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(h[1], [0.75, 0, 0, 0, 0, 0, 0, 0.25])


def test_schedule_covers_pairs_repeats_across_participants_and_has_catch() -> None:
    triplets, who = make_schedule(20, 6, 40, 2, np.random.default_rng(0))
    assert len(triplets) == 6 * 40
    assert np.bincount(who).tolist() == [40] * 6
    catch = (triplets[:, 0] == triplets[:, 1]) | (triplets[:, 1] == triplets[:, 2]) | (triplets[:, 0] == triplets[:, 2])
    assert np.bincount(who[catch]).tolist() == [2] * 6
    regular = triplets[~catch]
    off = pair_counts(regular, 20)[~np.eye(20, dtype=bool)]
    assert off.min() >= 1  # every pair covered
    key = pd.Series([tuple(sorted(t)) for t in regular.tolist()])
    assert key.duplicated().any()  # some triplets repeat ...
    per = pd.DataFrame({"key": key, "who": who[~catch]})
    assert not per.duplicated().any()  # ... but never twice for one participant


def test_schedule_refuses_impossible_budgets() -> None:
    with pytest.raises(ValueError, match="trials_per_participant"):
        make_schedule(20, 3, 2, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_participants"):
        make_schedule(20, 0, 10, 2, np.random.default_rng(0))


def test_noise_free_observer_picks_the_far_item() -> None:
    # Items 0 and 1 point the same way, item 2 the opposite way: 2 is the odd one out.
    features = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]])
    model = ObserverModel(weight_noise=0.0, temperature=1e-3, lapse=0.0)
    triplets = np.array([[0, 1, 2], [2, 0, 1], [1, 2, 0]])
    odd, rt = judge(features, np.ones(2), triplets, np.zeros(3, int), model, np.random.default_rng(0))
    assert odd.tolist() == [2, 0, 1]
    assert (rt > 0).all()


def test_lapsing_observer_is_at_chance() -> None:
    features = np.array([[1.0, 0.0], [0.9, 0.1], [-1.0, 0.0]])
    model = ObserverModel(weight_noise=0.0, temperature=1e-3, lapse=1.0)
    triplets = np.tile([[0, 1, 2]], (3000, 1))
    odd, _ = judge(features, np.ones(2), triplets, np.zeros(3000, int), model, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(odd) / 3000, [1 / 3] * 3, atol=0.03)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_videos": 2}, "--videos"),
        ({"size": 0}, "--size"),
        ({"size": 33}, "--size"),
        ({"n_frames": 1}, "--frames"),
        ({"seed": -1}, "--seed"),
        ({"n_participants": 0}, "--participants"),
        ({"trials_per_participant": 2}, "--trials-per-participant"),
    ],
)
def test_bad_arguments_are_refused_before_writing(tmp_path: Path, kwargs: dict, message: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=message):
        synthesize(out, **{**SMALL, **kwargs})
    assert not out.exists()


def test_non_empty_output_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(BenchmarkError, match="not empty"):
        synthesize(tmp_path, **SMALL)
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_a_failing_run_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socalign.data.socialworld.synth as synth

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("encoder crashed")

    monkeypatch.setattr(synth, "write_video", broken)
    with pytest.raises(RuntimeError, match="encoder crashed"):
        synthesize(tmp_path / "out", **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_and_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = main(["data", "synth", "socialworld", "--out", str(out), "--videos", "15", "--frames", "4",
                 "--size", "16", "--no-calibrate", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_videos"] == 15 and result["calibration"] is None
    assert set(result["times"]["wall_s"]) >= {"render", "encode", "judge"}
    assert main(["data", "synth", "socialworld", "--out", str(out), "--videos", "15"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["data", "synth", "socialworld", "--out", str(tmp_path / "x"), "--videos", "2"]) == 2
    assert "--videos" in capsys.readouterr().err
    assert main(["data", "synth", "socialworld", "--out", str(tmp_path / "y"), "--size", "0"]) == 2
    assert "--size" in capsys.readouterr().err


def test_action_set_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "actions"
    code = main(["data", "synth", "socialworld-actions", "--out", str(out), "--clips", "18",
                 "--frames", "4", "--size", "16", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["labels"] == list(ACTION_LABELS)
    actions = read_action_set(out)
    assert len(actions) == 18 and actions.label_names == ACTION_LABELS
    assert np.bincount(actions.labels).tolist() == [2] * len(ACTION_LABELS)
    assert set(actions.splits) == {"train", "test"} and len(actions.indices("test")) == len(ACTION_LABELS)
    assert read_mp4(actions.files[0]).shape == (4, 16, 16, 3)
    table = pd.read_csv(out / "actions.csv")
    table.loc[0, "label"] = "moonwalk"
    table.to_csv(out / "actions.csv", index=False)
    with pytest.raises(BenchmarkError, match="moonwalk"):
        read_action_set(out)


def test_action_patterns_move_as_labelled() -> None:
    def path_length(label: str, seed: int) -> float:
        pos, _ = action_trajectory(label, np.random.default_rng(seed), 30)
        return float(np.linalg.norm(np.diff(pos[:, 0], axis=0), axis=1).sum())

    for seed in range(5):
        assert path_length("still", seed) < 0.1
        for pattern in ("linear", "circular", "zigzag", "jumping"):
            slow = path_length(f"{pattern}_slow", seed)
            assert path_length(f"{pattern}_fast", seed) > 1.5 * slow > 1.5 * path_length("still", seed)
    with pytest.raises(ValueError, match="unknown action"):
        action_trajectory("moonwalk", np.random.default_rng(0), 4)


def test_action_style_eases_the_scene_nuisances() -> None:
    from socalign.data.socialworld.render import sample_appearance

    scene = sample_appearance(np.random.default_rng(4))
    same = action_appearance(np.random.default_rng(4), SCENE_STYLE)
    assert same.texture_params == scene.texture_params and same.distractor_velocity == scene.distractor_velocity
    eased = action_appearance(np.random.default_rng(4), ActionStyle())
    assert eased.background_rgb == scene.background_rgb and eased.colours == scene.colours
    assert 0.09 <= eased.sizes[0] == eased.sizes[1] <= 0.12 and eased.sizes[2] == scene.sizes[2]
    assert eased.texture_params[2] == pytest.approx(0.4 * scene.texture_params[2])
    assert eased.distractor_velocity == (0.0, 0.0)


def test_action_set_with_a_label_subset_and_motion_blur(tmp_path: Path) -> None:
    labels = ("still", "linear_fast")
    sharp = synthesize_actions(tmp_path / "s", n_clips=4, n_frames=4, size=32, labels=labels)
    blurred = synthesize_actions(tmp_path / "b", n_clips=4, n_frames=4, size=32, labels=labels,
                                 style=ActionStyle(shutter=3))
    assert sharp.label_names == labels and sorted(sharp.labels.tolist()) == [0, 0, 1, 1]
    assert json.loads((tmp_path / "b" / "actions.json").read_text())["style"]["shutter"] == 3
    diff = np.array([np.abs(read_mp4(a).astype(int) - read_mp4(b).astype(int)).mean()
                     for a, b in zip(sharp.files, blurred.files, strict=True)])
    # the same clips, blurred: the fast agent smears much more than the still (turning) one
    assert diff[sharp.labels == 1].min() > 1.5 * diff[sharp.labels == 0].max() > 0
    with pytest.raises(ValueError, match="labels must be"):
        synthesize_actions(tmp_path / "c", labels=("still", "moonwalk"))


def test_action_set_refuses_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--clips"):
        synthesize_actions(tmp_path / "a", n_clips=3)
    with pytest.raises(ValueError, match="--size"):
        synthesize_actions(tmp_path / "b", size=0)


def test_calibration_of_a_tiny_instance_reports_what_it_could_not_measure(world: Path) -> None:
    from socalign.data.socialworld.calibration import MIN_TRIALS, calibrate

    cal = calibrate(load_dataset(world), with_minilm=False)
    test = cal.scores["oracle"]["test"]
    assert test["n_trials"] < MIN_TRIALS and "not_measured" in test
    assert cal.checks["oracle_near_ceiling"] is None and cal.checks["pixels_near_chance"] is None
    assert cal.checks["minilm_above_pixels"] is None
    assert cal.checks["loo_agreement_in_range"] in (True, False)
    json.dumps(cal.to_dict(), allow_nan=False)  # strict JSON: no NaN


def test_calibration_takes_its_caption_encoder_from_the_caller(world: Path) -> None:
    """The MiniLM row embeds the captions with the encoder it is given (data/ imports no model)."""
    from socalign.data.socialworld.calibration import NO_ENCODER, calibrate

    bench = load_dataset(world)
    seen: list[int] = []

    def encoder(captions: object) -> np.ndarray:
        caps = list(captions)  # type: ignore[call-overload]
        seen.append(len(caps))
        return np.random.default_rng(0).normal(size=(len(caps), 4))

    cal = calibrate(bench, caption_encoder=encoder)
    assert seen == [len(bench.videos)]
    assert set(cal.scores["minilm"]) == {"test", "train"}
    without = calibrate(bench)
    assert without.scores["minilm"] == {"status": {"reason": NO_ENCODER}}
    assert without.checks["minilm_above_pixels"] is None
    with pytest.raises(ValueError, match="one row for each"):
        calibrate(bench, caption_encoder=lambda caps: np.zeros((3, 4)))


def test_recaption_replays_the_written_captions(world: Path) -> None:
    """With the generator's rates, recaption gives back every caption the world holds."""
    from socalign.data.socialworld.captions import recaption

    bench = load_dataset(world)
    assert recaption(bench) == [list(c) for c in bench.videos.captions]


@settings(max_examples=15, deadline=None)
@given(p_manner=st.floats(0, 1), max_manner=st.integers(0, 8), p_relation=st.floats(0, 1))
def test_recaption_with_other_rates_keeps_the_layout(
        world: Path, p_manner: float, max_manner: int, p_relation: float) -> None:
    """Any rates give as many captions a video, deterministically."""
    from socalign.data.socialworld.captions import recaption

    bench = load_dataset(world)
    rates = {"p_manner": p_manner, "max_manner": max_manner, "p_relation": p_relation}
    again = recaption(bench, **rates)
    assert again == recaption(bench, **rates)
    assert [len(c) for c in again] == [len(c) for c in bench.videos.captions]


@settings(max_examples=40, deadline=None)
@given(max_manner=st.integers(0, 10), seed=st.integers(0, 2**16), high=st.booleans())
def test_manner_adds_at_most_max_manner_phrases(max_manner: int, seed: int, high: bool) -> None:
    """With every attribute past its threshold and p_manner 1, the manner text is exactly
    min(max_manner, 8) phrases of the applicable side."""
    import re

    from socalign.data.socialworld.captions import MANNER, _manner

    ratings = {a: (hi + 0.01 if high else lo - 0.01) for a, lo, _, hi, _ in MANNER}
    side = [p for _, _, low, _, up in MANNER for p in (up if high else low)]
    text = _manner(ratings, np.random.default_rng(seed), 1.0, max_manner)
    count = min(max_manner, len(MANNER))
    phrase = "|".join(re.escape(p) for p in sorted(side, key=len, reverse=True))
    assert re.fullmatch(f"( (?:{phrase})){{{count}}}", text), text


def test_recaption_refuses_a_benchmark_whose_ids_are_not_the_generators(world: Path, tmp_path: Path) -> None:
    import shutil

    from socalign.data.socialworld.captions import recaption

    copy = tmp_path / "w"
    shutil.copytree(world, copy)
    for name in ("videos.csv", "captions.csv", "trials.csv"):
        frame = pd.read_csv(copy / name)
        for column in [c for c in frame.columns if c == "video_id" or c.startswith("video_") or c == "choice"]:
            frame[column] = frame[column] + 100
        frame.to_csv(copy / name, index=False)
    with pytest.raises(BenchmarkError, match="0..N-1"):
        recaption(load_dataset(copy))


def test_rejudge_with_the_same_observers_gives_back_the_trials(world: Path, tmp_path: Path) -> None:
    from socalign.data.socialworld.calibration import rejudge

    copy = rejudge(load_dataset(world), tmp_path / "same")
    before, after = pd.read_csv(world / "trials.csv"), pd.read_csv(copy / "trials.csv")
    pd.testing.assert_frame_equal(before.drop(columns="response_time"), after.drop(columns="response_time"))
    # response times follow each trial's difficulty, recomputed from videos.csv's rounded ratings
    np.testing.assert_allclose(after["response_time"], before["response_time"], atol=0.0025)
    assert (copy / "captions.csv").read_bytes() == (world / "captions.csv").read_bytes()
    assert "calibration" not in json.loads((copy / "benchmark.json").read_text())
    bench = load_dataset(copy)
    assert bench.videos.has_files and len(bench.trials) == len(load_dataset(world).trials)


@settings(max_examples=6, deadline=None)
@given(type_weight=st.floats(0.5, 30), attribute_weight=st.floats(0.1, 3), temperature=st.floats(0.05, 1))
def test_rejudge_keeps_the_triplets_and_records_the_observers(
        world: Path, tmp_path_factory: pytest.TempPathFactory, type_weight: float, attribute_weight: float,
        temperature: float) -> None:
    """Other observers: the same trials shown to the same people, each choice one of its triplet,
    and the new parameters in benchmark.json."""
    from socalign.data.socialworld.calibration import rejudge

    changes = {"type_weight": type_weight, "attribute_weight": attribute_weight, "temperature": temperature}
    copy = rejudge(load_dataset(world), tmp_path_factory.mktemp("rj") / "w", **changes)
    before, after = pd.read_csv(world / "trials.csv"), pd.read_csv(copy / "trials.csv")
    shown = ["participant", "video_1", "video_2", "video_3"]
    pd.testing.assert_frame_equal(before[shown], after[shown])
    assert (after[["video_1", "video_2", "video_3"]].to_numpy() == after[["choice"]].to_numpy()).any(axis=1).all()
    observer = json.loads((copy / "benchmark.json").read_text())["socialworld"]["observer"]
    assert all(observer[k] == v for k, v in changes.items())


def test_rejudge_with_graded_types_judges_from_and_records_them(world: Path, tmp_path: Path) -> None:
    """Observers who see confusable types as alike: the copy records ``type_grading`` and its
    oracle's type columns follow :func:`type_embedding`, not the one-hot."""
    from socalign.data.socialworld.calibration import observer_inputs, rejudge
    from socalign.data.socialworld.features import interactions, oracle_features
    from socalign.data.socialworld.observers import type_embedding
    from socalign.data.socialworld.scenes import INTERACTION_TYPES

    copy = load_dataset(rejudge(load_dataset(world), tmp_path / "graded", type_grading=0.8, type_weight=12.0))
    observer = json.loads((Path(copy.root) / "benchmark.json").read_text())["socialworld"]["observer"]
    assert observer["type_grading"] == 0.8
    types = oracle_features(copy, "types")
    rows = type_embedding(INTERACTION_TYPES, 0.8)
    onehot = (np.asarray(interactions(copy))[:, None] == np.asarray(INTERACTION_TYPES)[None, :]).astype(float)
    expected = onehot @ rows
    np.testing.assert_allclose(types, np.sqrt(12.0) * (expected - expected.mean(axis=0)))
    features, _, model = observer_inputs(copy)
    assert model.type_grading == 0.8 and features.shape[1] == len(SOCIAL_ATTRIBUTES) + len(INTERACTION_TYPES) + 3
    changed = pd.read_csv(Path(copy.root) / "trials.csv")["choice"] != pd.read_csv(world / "trials.csv")["choice"]
    assert changed.any()


def test_a_world_of_graded_observers_replays_from_its_own_record(tmp_path: Path) -> None:
    """synthesize judges with the graded types it records: replaying its observers (rejudge with
    no change, which reads them back from benchmark.json) gives back every choice, and the
    same world with ungraded observers chooses otherwise."""
    from socalign.data.socialworld.calibration import rejudge

    graded = tmp_path / "graded"
    synthesize(graded, seed=5, observer=ObserverModel(type_grading=0.8, type_weight=12.0), **SMALL)
    replayed = rejudge(load_dataset(graded), tmp_path / "replayed")
    before, after = pd.read_csv(graded / "trials.csv"), pd.read_csv(replayed / "trials.csv")
    pd.testing.assert_series_equal(before["choice"], after["choice"])
    plain = rejudge(load_dataset(graded), tmp_path / "plain", type_grading=0.0)
    assert (pd.read_csv(plain / "trials.csv")["choice"] != before["choice"]).any()


def test_rejudge_refuses_an_unknown_parameter_and_a_used_folder(world: Path, tmp_path: Path) -> None:
    from socalign.data.socialworld.calibration import rejudge

    with pytest.raises(ValueError, match="not observer parameter"):
        rejudge(load_dataset(world), tmp_path / "x", colour_weight=1.0)
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    with pytest.raises(Exception, match="used|holds|exist|empty"):
        rejudge(load_dataset(world), tmp_path / "used")
    assert (tmp_path / "used" / "keep.txt").read_text() == "mine"
