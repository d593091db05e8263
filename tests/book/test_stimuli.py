"""The stimuli on the page: clip encoding, the triplet gallery, the participant trials' score."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from sklearn.metrics import accuracy_score
from sklearn.metrics.pairwise import cosine_similarity

from socalign.book import stimuli
from socalign.data import load_dataset
from socalign.metrics.ooo import ooo_accuracy

ROOT = Path(__file__).resolve().parents[2]


def decoded(data: bytes) -> tuple[int, list[int], tuple[int, int], int]:
    """(frames, per-frame durations in ms, size, loop) of an animated WebP."""
    image = Image.open(io.BytesIO(data))
    durations = []
    for k in range(image.n_frames):
        image.seek(k)
        image.load()  # the frame's duration is read with its data
        durations.append(image.info["duration"])
    return image.n_frames, durations, image.size, image.info.get("loop", 0)


def moving_square(n: int = 8, size: int = 32) -> np.ndarray:
    frames = np.full((n, size, size, 3), 30, dtype=np.uint8)
    for t in range(n):
        frames[t, 4:12, 2 + 2 * t: 10 + 2 * t] = (220, 80, 40)
    return frames


# --- the clip encoder ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "duration"), [(8, 3.0), (16, 3.0), (5, 2.0), (1, 3.0)])
def test_encode_clip_keeps_frames_and_duration(n, duration) -> None:
    data, frame_ms = stimuli.encode_clip(moving_square(n), duration_s=duration)
    frames, durations, size, loop = decoded(data)
    assert frames == n and size == (32, 32)
    assert frame_ms == round(1000 * duration / n)
    if n > 1:  # a one-frame WebP is a still image
        assert loop == 0  # loops forever
        assert durations == [frame_ms] * n
        assert abs(sum(durations) - 1000 * duration) <= n  # rounding: under 1 ms a frame


def test_encode_clip_shrinks_large_frames_and_keeps_the_aspect() -> None:
    frames = np.zeros((4, 240, 320, 3), dtype=np.uint8)
    data, _ = stimuli.encode_clip(frames, max_pixels=96)
    assert decoded(data)[2] == (96, 72)


def test_encoded_socialworld_sized_clip_is_small() -> None:
    rng = np.random.default_rng(0)
    frames = moving_square(16, 64)
    frames[:, 40:] = rng.integers(0, 255, (16, 24, 64, 3), dtype=np.uint8)  # a noisy band
    data, _ = stimuli.encode_clip(frames)
    assert len(data) < 40_000


@pytest.mark.parametrize("frames", [np.zeros((4, 8, 8), np.uint8), np.zeros((0, 8, 8, 3), np.uint8),
                                    np.zeros((4, 8, 8, 3), np.float32)])
def test_encode_clip_rejects_what_is_not_a_clip(frames) -> None:
    with pytest.raises(ValueError, match="frames must be"):
        stimuli.encode_clip(frames)


def test_video_clip_reads_the_file(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    clip = stimuli.video_clip(bench, 3, n_frames=6)
    frames, durations, size, _ = decoded(clip.data)
    assert (clip.n_frames, frames, size) == (6, 6, (32, 32))
    assert durations == [clip.frame_ms] * 6 and clip.frame_ms == 500  # 3 s over 6 frames
    assert clip.video_id == int(bench.videos.ids[3]) and clip.label == bench.videos.names[3]
    assert clip.uri.startswith("data:image/webp;base64,")
    assert 'alt="' in clip.img() and clip.uri in clip.img()


# --- SocialWorld: one clip per interaction type ---------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from socalign.data.socialworld import synthesize

    out = tmp_path_factory.mktemp("world") / "sw"
    synthesize(out, n_videos=22, seed=0, n_frames=4, size=16, n_participants=5, progress=False)
    return load_dataset(out)


def test_interaction_clips_one_per_type_in_the_worlds_order(world) -> None:
    from socalign.data.socialworld.features import interactions

    sheet = stimuli.interaction_clips(world)
    types = world.metadata["socialworld"]["interaction_types"]
    kinds = interactions(world)
    present = [t for t in types if (kinds == t).any()]
    assert [c.label for c in sheet.clips] == [t.replace("_", " ") for t in present]
    for clip in sheet.clips:
        row = int(np.flatnonzero(world.videos.ids == clip.video_id)[0])
        assert kinds[row].replace("_", " ") == clip.label
        assert decoded(clip.data)[0] == 4  # the world's own 4 frames
    page = sheet._repr_html_()
    assert page.count("<img") == len(present) and page.count("data:image/webp;base64,") == len(present)
    assert sheet.nbytes == sum(c.nbytes for c in sheet.clips)
    assert "bytes" in repr(sheet)


def test_interaction_clips_refuses_another_benchmark(bench_dir: Path) -> None:
    from socalign.data.errors import BenchmarkError

    with pytest.raises(BenchmarkError, match="not a SocialWorld"):
        stimuli.interaction_clips(load_dataset(bench_dir))


# --- the triplets: people's counts and the models' choices -----------------------------------


def test_judged_triplets_counts_equal_the_benchmarks_judgments(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    judged = stimuli.judged_triplets(bench, "all")
    frame = bench.kept.to_frame(bench.videos)
    frame["key"] = [tuple(sorted(r)) for r in frame[["video_1", "video_2", "video_3"]].to_numpy()]
    expected = frame.groupby(["key", "choice"]).size()
    ids = bench.videos.ids
    seen = 0
    for triplet, counts in zip(judged.triplets, judged.counts, strict=True):
        key = tuple(sorted(int(ids[v]) for v in triplet))
        for v, c in zip(triplet, counts, strict=True):
            assert c == expected.get((key, int(ids[v])), 0)
            seen += c
    assert seen == len(frame) == judged.n_judgments.sum()
    assert np.allclose(judged.shares.sum(axis=1), 1)


def test_judged_triplets_of_a_split_stay_inside_it(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    judged = stimuli.judged_triplets(bench, "test")
    assert np.isin(judged.triplets, bench.split_indices("test")).all()
    assert judged.n_judgments.sum() == len(bench.split_trials("test"))


@given(counts=st.lists(st.integers(1, 6), min_size=3, max_size=40), n=st.integers(1, 40),
       seed=st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_pick_triplets_prefers_unused_videos_then_judgments(counts, n, seed) -> None:
    rng = np.random.default_rng(seed)
    triplets = np.sort(np.stack([rng.choice(12, 3, replace=False) for _ in counts]), axis=1)
    judged = stimuli.JudgedTriplets(triplets, np.stack([[c, 0, 0] for c in counts]))
    n = min(n, len(judged))
    rows = stimuli.pick_triplets(judged, n, seed=seed)
    assert len(set(rows.tolist())) == n  # distinct
    # well judged: none is judged less often than the n-th most judged triplet
    assert judged.n_judgments[rows].min() == np.sort(judged.n_judgments)[::-1][n - 1]
    # the first pick is among the most judged (every load is zero then)
    assert judged.n_judgments[rows[0]] == judged.n_judgments.max()
    assert (stimuli.pick_triplets(judged, n, seed=seed) == rows).all()  # seeded


def test_pick_triplets_refuses_too_many(bench_dir: Path) -> None:
    judged = stimuli.judged_triplets(load_dataset(bench_dir), "test")
    with pytest.raises(ValueError, match="cannot pick"):
        stimuli.pick_triplets(judged, len(judged) + 1)


@pytest.fixture(scope="module")
def video_bench(tmp_path_factory):
    """The 12-video tiny benchmark with an mp4 per video, loaded (shared by a module's tests)."""
    from socalign.data.layout import write_benchmark
    from socalign.video import write_video
    from tests.helpers.fixtures import clip_frames
    from tests.helpers.tables import make_tables

    videos, trials, captions = make_tables()
    root = tmp_path_factory.mktemp("stimuli") / "bench"
    videos["file"] = [f"videos/{i}.mp4" for i in videos["video_id"]]
    for k, vid in enumerate(videos["video_id"]):
        write_video(root / "videos" / f"{vid}.mp4", clip_frames(k))
    return load_dataset(write_benchmark(root, videos, trials, captions, {"name": "tiny-video"}))


def brute_force_choice(embeddings: np.ndarray, triplet) -> int | None:
    """The item outside the most cosine-similar pair (sklearn's cosine); None on a tie."""
    sim = cosine_similarity(embeddings[list(triplet)])
    pairs = [sim[1, 2], sim[0, 2], sim[0, 1]]  # the pair that leaves out position k
    best = max(pairs)
    return pairs.index(best) if pairs.count(best) == 1 else None


@given(seed=st.integers(0, 10_000), dim=st.integers(2, 6))
@settings(max_examples=40, deadline=None)
def test_model_choices_follow_the_librarys_argmax_rule(video_bench, seed, dim) -> None:
    bench = video_bench
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(len(bench.videos), dim))
    judged = stimuli.judged_triplets(bench, "all")
    choices = stimuli.model_choices(bench, emb, judged.triplets, "all")
    assert choices == [brute_force_choice(emb, t) for t in judged.triplets]
    made = [i for i, c in enumerate(choices) if c is not None]
    from socalign.metrics.similarity import similarity_from_embeddings

    sim = similarity_from_embeddings(emb, "cosine")
    assert ooo_accuracy(sim, judged.triplets[made], np.array([choices[i] for i in made]),
                        rule="argmax").accuracy == 1.0


def test_model_choices_tie_is_no_choice(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    emb = np.ones((len(bench.videos), 3))  # every pair equally similar
    assert stimuli.model_choices(bench, emb, np.array([[0, 1, 2]]), "all") == [None]


def test_gallery_shares_and_choices_equal_the_benchmark_and_the_rule(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    rng = np.random.default_rng(1)
    models = {"a": rng.normal(size=(len(bench.videos), 4)),
              "b": rng.normal(size=(len(bench.videos), 4))}
    gallery = stimuli.triplet_gallery(bench, models, n=3, split="all")
    judged = stimuli.judged_triplets(bench, "all")
    index = {tuple(t): c for t, c in zip(judged.triplets.tolist(), judged.counts.tolist(), strict=True)}
    rows = bench.videos.index_of
    for record in gallery.records:
        triplet = rows(np.array(record["videos"]))
        assert record["counts"] == index[tuple(triplet.tolist())]
        for name, emb in models.items():
            assert record["models"][name] == brute_force_choice(emb, triplet)
        assert [c.video_id for c in record["clips"]] == record["videos"]
    page = gallery._repr_html_()
    assert page.count("<img") == 9
    first = gallery.records[0]
    n = sum(first["counts"])
    assert f"({first['counts'][0]} of {n})" in page
    assert f"{first['counts'][0] / n:.0%}" in page
    assert "triplet 1" in repr(gallery)


def test_gallery_can_show_captions_instead_of_clips(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    gallery = stimuli.triplet_gallery(bench, n=2, split="all", clips=False)
    assert "<img" not in gallery._repr_html_() and gallery.nbytes == 0
    assert gallery.records[0]["captions"][0] in gallery._repr_html_()


def test_gallery_without_videos_refuses_clips(tiny_benchmark_dir: Path) -> None:
    with pytest.raises(ValueError, match="no video files"):
        stimuli.triplet_gallery(load_dataset(tiny_benchmark_dir), clips=True)


def test_gallery_without_videos_shows_the_captions(tiny_benchmark_dir: Path) -> None:
    bench = load_dataset(tiny_benchmark_dir)
    assert not bench.videos.has_files
    gallery = stimuli.triplet_gallery(bench, {"m": np.eye(len(bench.videos))}, n=2, split="all")
    page = gallery._repr_html_()
    assert "<img" not in page and gallery.nbytes == 0
    for record in gallery.records:
        rows = bench.videos.index_of(np.array(record["videos"]))
        for row, caption in zip(rows, record["captions"], strict=True):
            assert caption == bench.videos.captions[row][0]
            assert caption in page and caption in repr(gallery)


# --- be the participant ---------------------------------------------------------------------


trial_strategy = st.fixed_dictionaries({
    "counts": st.lists(st.integers(0, 9), min_size=3, max_size=3).filter(lambda c: sum(c) > 0),
    "models": st.fixed_dictionaries({"m1": st.sampled_from([0, 1, 2, None]),
                                     "m2": st.sampled_from([0, 1, 2, None])}),
})


@given(data=st.data(), trials=st.lists(trial_strategy, min_size=1, max_size=25))
@settings(max_examples=150, deadline=None)
def test_participant_agreement_against_expanded_judgments(data, trials) -> None:
    choices = data.draw(st.lists(st.sampled_from([0, 1, 2, None]), min_size=len(trials),
                                 max_size=len(trials)))
    score = stimuli.participant_agreement(trials, choices)
    assert set(score) == {"people", "majority", "m1", "m2"}
    assert all(0.0 <= v <= 1.0 for v in score.values())
    # people: each trial's judgments one by one, scored by sklearn, averaged over trials
    per_trial = []
    for trial, choice in zip(trials, choices, strict=True):
        judgments = np.repeat([0, 1, 2], trial["counts"])
        per_trial.append(accuracy_score(judgments, np.full(len(judgments), -1 if choice is None else choice)))
    assert score["people"] == pytest.approx(np.mean(per_trial), abs=1e-12)
    mine = [-1 if c is None else c for c in choices]
    for name in ("m1", "m2"):  # a model's tie (None) agrees with nobody, nor a reader's
        theirs = [-2 if t["models"][name] is None else t["models"][name] for t in trials]
        assert score[name] == pytest.approx(accuracy_score(theirs, mine), abs=1e-12)
    majority = [c is not None and t["counts"][c] == max(t["counts"]) for t, c in zip(trials, choices, strict=True)]
    assert score["majority"] == pytest.approx(np.mean(majority), abs=1e-12)


@given(trials=st.lists(trial_strategy, min_size=1, max_size=10))
def test_agreeing_with_a_model_everywhere_scores_one(trials) -> None:
    made = [t for t in trials if t["models"]["m1"] is not None]
    if made:
        assert stimuli.participant_agreement(made, [t["models"]["m1"] for t in made])["m1"] == 1.0


@pytest.mark.parametrize(("choices", "match"), [([0], "1 choices for 2 trials"),
                                                ([0, 3], "must be 0, 1, 2 or None"),
                                                ([True, 0], "must be 0, 1, 2 or None")])
def test_participant_agreement_refuses_bad_choices(choices, match) -> None:
    trials = [{"counts": [1, 0, 0], "models": {}}] * 2
    with pytest.raises(ValueError, match=match):
        stimuli.participant_agreement(trials, choices)


def test_participant_trials_are_json_with_clips_and_the_models_reference(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    rng = np.random.default_rng(2)
    models = {"caption": rng.normal(size=(len(bench.videos), 4))}
    data = stimuli.participant_trials(bench, models, n=5, split="all")
    assert json.loads(json.dumps(data)) == data
    assert len(data["trials"]) == 5 and data["models"] == ["caption"]
    for trial in data["trials"]:
        assert all(str(v) in data["clips"] for v in trial["videos"])
    choices = [t["models"]["caption"] for t in data["trials"]]
    assert data["reference"]["caption"] == stimuli.participant_agreement(data["trials"], choices)


def test_participant_trials_need_videos(tiny_benchmark_dir: Path) -> None:
    with pytest.raises(ValueError, match="no video files"):
        stimuli.participant_trials(load_dataset(tiny_benchmark_dir), {})


def test_participant_widget_is_self_contained(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    data = stimuli.participant_trials(bench, {"m": np.eye(len(bench.videos))[:, :4] + 1}, n=3,
                                      split="all")
    script = stimuli.participant_script(ROOT)
    assert script is not None and "socalignParticipant" in script
    page = stimuli.participant_widget(data, script=script)._repr_html_()
    found = re.search(r'<script type="application/json" class="socalign-participant-data">(.*?)'
                      r"</script>", page, re.S)
    assert json.loads(found.group(1)) == data
    assert "<script>" in page and "src=" not in page.split("socalign-participant-data")[0]
    assert not re.search(r"\bfetch\(|XMLHttpRequest|sendBeacon|WebSocket|localStorage|document\.cookie",
                         script)  # nothing is sent or stored
    tricky = dataclasses.replace(stimuli.participant_widget(data, script=script),
                                 data={**data, "benchmark": "</script><b>"})
    assert "</script><b>" not in tricky._repr_html_()
    remote = stimuli.ParticipantWidget(data=data, script=None)._repr_html_()
    assert f'<script src="{stimuli.PARTICIPANT_SCRIPT_URL}">' in remote
    assert "3 odd-one-out trials" in repr(stimuli.participant_widget(data, script=script))


def test_participant_page_weight_is_measured(bench_dir: Path) -> None:
    bench = load_dataset(bench_dir)
    data = stimuli.participant_trials(bench, {}, n=4, split="all")
    widget = stimuli.participant_widget(data, script="/* */")
    assert widget.nbytes == len(widget._repr_html_().encode())
    assert pd.Series([len(u) for u in data["clips"].values()]).max() < 20_000
