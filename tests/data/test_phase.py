"""PHASE: the safe trajectory reader, the pinned download, labels and agreement, the rendering,
and the real copy when it is here."""

from __future__ import annotations

import builtins
import collections
import hashlib
import itertools
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from socalign.data import BenchmarkError, load_dataset, phase
from socalign.data.phase import ratings
from socalign.data.phase.benchmark import render_benchmark, video_labels
from socalign.data.phase.pins import GENERALIZATION_FILE, RESPONSE_FILES
from socalign.data.phase.render import (
    entity_colours,
    frame_rate,
    pixel_position,
    pixels_per_unit,
    render_frames,
)
from socalign.data.phase.source import (
    ALLOWED_GLOBALS,
    read_trajectory_file,
    unpickle_trajectories,
)
from socalign.data.pinned import file_pin
from tests.helpers.phase import (
    catch_ratings,
    colour_centroid,
    entry,
    phase_root,  # noqa: F401  (a fixture)
    session,
    use_copy,
    write_copy,
    write_pickle,
)

# ------------------------------------------------------------------------ the safe unpickler


def test_the_reader_loads_the_published_structure(tmp_path: Path) -> None:
    videos = [entry("a.mp4", "friendly", 7, seed=1, object_steps=11),
              entry("b.mp4", "neutral", 5, seed=2)]
    path = write_pickle(tmp_path / "Videos", videos)
    got = read_trajectory_file(path)
    assert [v.name for v in got] == ["a.mp4", "b.mp4"]
    assert [v.label for v in got] == ["friendly", "neutral"]
    assert got[0].n_steps == 7 and len(got[0].positions[2]) == 11
    np.testing.assert_array_equal(got[0].positions[1], videos[0]["trajectories"][1][:, :2])
    np.testing.assert_array_equal(got[1].walls, np.asarray(videos[1]["wall_segs"], float))
    assert got[0].colour_code == {0: 0, 1: 1, 3: 3, 4: 2}
    # an entity whose trajectory ended stays where it was
    np.testing.assert_array_equal(got[1].positions_at(np.array([9]))[0, 0], got[1].positions[0][-1])


def test_both_spellings_of_numpys_reconstruct_are_accepted() -> None:
    data = pickle.dumps([np.arange(6.0).reshape(2, 3)], protocol=3)
    spellings = [b"numpy._core.multiarray", b"numpy.core.multiarray"]
    present = next(s for s in spellings if s + b"\n_reconstruct" in data)
    for spelling in spellings:
        value = unpickle_trajectories(data.replace(present, spelling), "x")
        np.testing.assert_array_equal(value[0], np.arange(6.0).reshape(2, 3))


class _System:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Eval:
    def __reduce__(self):
        return (builtins.eval, ("1 + 1",))


class _Array:
    """A pickle that calls numpy.ndarray itself (an array of any shape, not from the file)."""

    def __reduce__(self):
        return (np.ndarray, ((1000, 1000),))


@pytest.mark.parametrize("payload, named", [
    ("system", "refused the global posix.system"),
    (_Eval(), "refused the global builtins.eval"),
    (collections.OrderedDict(a=1), "refused the global collections.OrderedDict"),
    (_Array(), "not a readable PHASE trajectory file"),
    (b"bytes under protocol 2", "refused the global _codecs.encode"),
])
def test_the_reader_refuses_every_other_global(tmp_path: Path, payload, named) -> None:
    marker = tmp_path / "ran"
    if payload == "system":
        payload, named = _System(f"touch {marker}"), f"refused the global {os.name}.system"
    # the published file's protocol (3); bytes under protocol 2 need another global
    data = pickle.dumps([payload], protocol=2 if isinstance(payload, bytes) else 3)
    path = tmp_path / "Videos_Test_humanratings"
    path.write_bytes(data)
    with pytest.raises(BenchmarkError, match=named) as info:
        read_trajectory_file(path)
    assert str(path) in str(info.value)
    assert not marker.exists()  # nothing ran
    assert all(g in str(info.value) for g in ALLOWED_GLOBALS) or "readable" in named


@pytest.mark.parametrize("data, named", [
    # BUILD: setting the state of what an allowed global resolves to
    (b"\x80\x03cnumpy\nndarray\n}X\x01\x00\x00\x00xK\x01sb.", "has no attribute '__dict__'"),
    (b"\x80\x03cnumpy.core.multiarray\n_reconstruct\n}X\x01\x00\x00\x00xK\x01sb.",
     "has no attribute '__dict__'"),
    (b"\x80\x03cnumpy\ndtype\n}X\x01\x00\x00\x00xK\x01sb.", "descriptor '__setstate__'"),
    # _reconstruct asked for an array of a million bytes that the file does not hold
    (b"\x80\x03cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nJ@B\x0f\x00\x85C\x01b"
     b"\x87R.", "is not how numpy pickles an array"),
])
def test_the_allowed_globals_cannot_be_misused(data: bytes, named: str) -> None:
    with pytest.raises(BenchmarkError, match=named):
        unpickle_trajectories(data, "Videos")
    assert not hasattr(np.dtype, "x")


def test_a_malformed_entry_is_named(tmp_path: Path) -> None:
    bad = entry("a.mp4", "friendly")
    bad["social_goals"] = "hostile"
    with pytest.raises(BenchmarkError, match=r"video 0 \(a.mp4\): social_goals 'hostile'"):
        read_trajectory_file(write_pickle(tmp_path / "V", [bad]))
    worse = entry("../a.mp4", "friendly")
    with pytest.raises(BenchmarkError, match="is not a file name"):
        read_trajectory_file(write_pickle(tmp_path / "W", [worse]))


# ------------------------------------------------------------------------ the pinned download




def _git_blob(data: bytes) -> str:
    return "git-blob:" + hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_a_git_blob_pin_is_what_git_computes(tmp_path: Path) -> None:
    import shutil
    import subprocess

    path = tmp_path / "f"
    path.write_bytes(b"some\x00bytes\n" * 1000)
    assert file_pin(path, "git-blob:") == _git_blob(path.read_bytes())
    if shutil.which("git"):
        computed = subprocess.run(["git", "hash-object", str(path)], capture_output=True,
                                  text=True, check=True).stdout.strip()
        assert file_pin(path, "git-blob:", "pickle") == f"git-blob:{computed}"


def test_fetch_verifies_sha256_and_git_blob_pins(tmp_path: Path, serve) -> None:
    site = tmp_path / "site"
    write_copy(site)
    rels = ["PHASE/Videos_Test_humanratings", "PHASE/Videos_humanratings",
            "PHASE/Human_Experiment_Files/responses/p0_2021-09-01.txt"]
    files = {rels[0]: hashlib.sha256((site / rels[0]).read_bytes()).hexdigest(),
             rels[1]: _git_blob((site / rels[1]).read_bytes()),
             rels[2]: hashlib.sha256((site / rels[2]).read_bytes()).hexdigest()}
    url = serve(site)
    dest = phase.fetch(tmp_path / "dest", base_url=url, files=files)
    for rel in rels:
        assert (dest / rel).read_bytes() == (site / rel).read_bytes()
        assert file_pin(dest / rel, files[rel]) == files[rel]
    assert phase.fetch(dest, base_url=url, files=files) == dest  # present and right: kept
    # the main set's file changed on the server: its git blob id no longer matches
    (site / rels[1]).write_bytes(b"another pickle")
    (dest / rels[1]).unlink()
    with pytest.raises(ValueError, match="git blob .* does not match the pinned"):
        phase.fetch(dest, base_url=url, files=files)
    assert not (dest / rels[1]).exists()
    # a changed sha256-pinned file is refused too (pooch's check)
    (site / rels[2]).write_text("changed\n")
    (dest / rels[2]).unlink()
    with pytest.raises(ValueError, match="(?i)hash"):
        phase.fetch(dest, base_url=url, files={rels[2]: files[rels[2]]})


def test_fetch_never_downloads_over_a_present_file(tmp_path: Path, serve) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "m").write_bytes(b"pinned")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "m").write_bytes(b"the user's own")
    with pytest.raises(FileExistsError, match="git blob id differs"):
        phase.fetch(dest, base_url=serve(site), files={"m": _git_blob(b"pinned")})
    assert (dest / "m").read_bytes() == b"the user's own"


def test_offline_fetch_names_the_url_and_the_way_out(tmp_path: Path) -> None:
    from socalign.data.pinned import FetchError

    with pytest.raises(FetchError, match=r"\$SOCALIGN_DATA .* socialgnn-phase") as info:
        phase.fetch(tmp_path / "new" / "phase", base_url="http://127.0.0.1:9/",
                    files={GENERALIZATION_FILE: "0" * 64})
    assert info.value.where == f"http://127.0.0.1:9/{GENERALIZATION_FILE}"
    assert not (tmp_path / "new").exists()


def test_locate_reads_only_socalign_data_when_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOCALIGN_DATA", str(tmp_path / "none"))
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(BenchmarkError, match=r"\$SOCALIGN_DATA=.*none: no local copy of phase"):
        phase.locate(download=False)
    monkeypatch.delenv("SOCALIGN_DATA")
    assert phase.available() is None
    write_copy(tmp_path / "data" / "socialgnn-phase")
    monkeypatch.setenv("SOCALIGN_DATA", str(tmp_path / "data"))
    with pytest.raises(BenchmarkError, match=r"the local copy of phase there is wrong: .*sha256"):
        phase.locate(download=False)  # a made-up copy is not the published data


# ------------------------------------------------------------------- labels and agreement


def _ratings(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["video", "participant", "label"])


def test_majority_label_ties_go_to_the_alphabetically_first_as_the_authors() -> None:
    table = _ratings([("v1", "a", "friendly"), ("v1", "b", "adversarial"), ("v1", "c", "neutral"),
                      ("v2", "a", "neutral"), ("v2", "b", "friendly"), ("v2", "c", "friendly"),
                      ("v3", "a", "neutral"), ("v3", "b", "friendly")])
    labels = ratings.majority_labels(table)
    assert labels.to_dict() == {"v1": "adversarial", "v2": "friendly", "v3": "friendly"}
    assert labels.attrs["n_ties"] == 2
    # the authors' own rule, pandas' mode, is the peer
    rng = np.random.default_rng(0)
    many = _ratings([(f"v{rng.integers(30)}", f"p{k}", str(rng.choice(phase.LABELS)))
                     for k in range(400)])
    theirs = many.groupby("video")["label"].agg(lambda x: x.mode().iloc[0])
    pd.testing.assert_series_equal(ratings.majority_labels(many), theirs.rename("label"),
                                   check_names=False, check_index_type=False)


def _loo_by_hand(table: pd.DataFrame) -> dict[str, float]:
    """The leave-one-out agreement written as a loop (the peer of the vectorised one)."""
    scores: dict[str, list[float]] = collections.defaultdict(list)
    for row in table.itertuples():
        others = table[(table.video == row.video) & (table.participant != row.participant)]
        if others.empty:
            continue
        counts = others.label.value_counts()
        tied = set(counts[counts == counts.max()].index)
        scores[row.video].append((row.label in tied) / len(tied))
    return {v: float(np.mean(s)) for v, s in scores.items()}


def test_leave_one_out_agreement_by_hand_and_against_a_loop() -> None:
    table = _ratings([("v1", "a", "friendly"), ("v1", "b", "friendly"), ("v1", "c", "neutral"),
                      ("v2", "a", "neutral"), ("v2", "b", "adversarial"),
                      ("v3", "a", "friendly")])
    got = ratings.leave_one_out_agreement(table)
    # v1: a and b agree with the other's friendly+neutral tie (1/2 each), c disagrees with
    # friendly: (0.5 + 0.5 + 0) / 3; v2: each against the other's one label: 0; v3: no other
    assert got.to_dict() == pytest.approx({"v1": 1 / 3, "v2": 0.0})
    assert got.attrs["n_ratings"] == 5
    rng = np.random.default_rng(1)
    rows = [(f"v{rng.integers(12)}", f"p{rng.integers(15)}",
             str(rng.choice(phase.LABELS, p=[0.5, 0.3, 0.2]))) for _ in range(300)]
    rows += rows[:20]  # a participant rating a video twice: their own ratings never vote
    many = _ratings(rows)
    assert ratings.leave_one_out_agreement(many).to_dict() == pytest.approx(_loo_by_hand(many))


def test_agreement_interval_is_a_percentile_bootstrap_over_videos() -> None:
    rng = np.random.default_rng(2)
    table = _ratings([(f"v{v}", f"p{p}", str(rng.choice(phase.LABELS, p=[0.7, 0.2, 0.1])))
                      for v in range(40) for p in range(8)])
    result = ratings.agreement(table, n_boot=400, seed=3)
    per_video = ratings.leave_one_out_agreement(table).to_numpy()
    peer = scipy.stats.bootstrap((per_video,), np.mean, n_resamples=400, method="percentile",
                                 rng=np.random.default_rng(3))
    assert result.interval.estimate == pytest.approx(per_video.mean())
    assert (result.interval.low, result.interval.high) == pytest.approx(
        tuple(peer.confidence_interval))
    assert result.to_dict()["unit"] == "videos" and result.to_dict()["n_videos"] == 40


def test_sessions_are_excluded_as_the_authors_did(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    videos = ["m1.mp4", "m2.mp4"]
    rated = dict.fromkeys(videos, "friendly")
    (folder / "good.txt").write_text(session("g", {**rated, **catch_ratings()}))
    (folder / "misses.txt").write_text(session("m", {**dict.fromkeys(videos, "neutral"),
                                                     **catch_ratings(correct=False)}))
    (folder / "short.txt").write_text(session("s", {"m1.mp4": "neutral", **catch_ratings()}))
    (folder / "nodemo.txt").write_text(session("n", {**dict.fromkeys(videos, "neutral"),
                                                     **catch_ratings()}, demographics=False))
    responses = ratings.read_responses(tmp_path, [f"r/{n}" for n in
                                                  ("good.txt", "misses.txt", "short.txt", "nodemo.txt")])
    complete = dict(zip(responses.sessions.file, responses.sessions.complete, strict=True))
    assert complete == {"good.txt": False, "misses.txt": False, "short.txt": False,
                        "nodemo.txt": False}  # 5 ratings, not the 23 of a real session
    patched = responses.sessions.assign(complete=[True, True, False, False])
    kept = ratings.keep_ratings(ratings.Responses(responses.ratings, patched))
    assert kept.counts == {"n_files": 4, "n_incomplete_files": 2, "n_failed_catch_files": 1,
                           "n_files_kept": 1, "n_participants": 1, "n_ratings": 2, "n_videos": 2}
    assert set(kept.ratings.participant) == {"g"}
    everyone = ratings.keep_ratings(responses, exclusions=False)
    assert everyone.counts["n_ratings"] == 7 and not everyone.ratings.video.str.endswith("_mm.mp4").any()


def test_a_bad_rating_line_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text(session("p", {"m1.mp4": "friendly"}).replace("friendly", "hostile"))
    with pytest.raises(BenchmarkError, match=r"p.txt, line 2: label 'hostile' is not one of"):
        ratings.read_response_file(path)
    path.write_text("not json\n")
    with pytest.raises(BenchmarkError, match=r"p.txt, line 1: not a JSON line"):
        ratings.read_response_file(path)


def test_a_made_up_copy_loads_with_its_labels(tmp_path: Path, monkeypatch) -> None:
    written = write_copy(tmp_path / "copy", n_main=5, n_generalization=3)
    use_copy(monkeypatch, tmp_path / "copy")
    bench = load_dataset(tmp_path / "copy")
    assert bench.name == "phase" and len(bench.videos) == 8 and len(bench.trials) == 0
    labels = video_labels(bench)
    assert list(labels.set) == ["main"] * 5 + ["generalization"] * 3
    assert list(labels.split) == ["train"] * 5 + ["test"] * 3
    assert list(zip(labels.name, labels.label, strict=True)) == [*written["main"],
                                                                 *written["generalization"]]
    info = phase.summary(bench, n_boot=50)
    assert info["counts"]["main"] == {"adversarial": 2, "friendly": 2, "neutral": 1}
    assert info["ratings"]["n_participants"] == 4 and info["n_ties"] == 0
    # three of four participants give each video its label: each of them agrees with the
    # others' majority, the fourth does not
    assert info["agreement"]["estimate"] == pytest.approx(0.75)
    assert info["n_main_labels_differ_from_social_goals"] == 0


# ------------------------------------------------------------------------------- rendering


def _check_centres(frames: np.ndarray, video: phase.source.PhaseVideo, steps: np.ndarray,
                   size: int, tolerance: float) -> int:
    """Each agent's drawn centre (centroid of its colour's pixels) against its trajectory,
    on the frames where the two agents do not touch; returns how many were checked."""
    colours = entity_colours(video.colour_code)
    positions = video.positions_at(steps)
    expected = pixel_position(positions, size)
    checked = 0
    for k in range(len(steps)):
        gap = np.linalg.norm(positions[k, 0] - positions[k, 1]) - video.sizes[:2].sum()
        if gap < 2 / pixels_per_unit(size):
            continue
        for agent in (0, 1):
            centre, n = colour_centroid(frames[k], colours[agent])
            assert n > 0, (k, agent)
            assert np.abs(centre - expected[k, agent]).max() <= tolerance, (k, agent, centre,
                                                                            expected[k, agent])
            checked += 1
    return checked


@pytest.mark.parametrize("size", [64, 112])
def test_drawn_agents_sit_on_their_trajectories(tmp_path: Path, size: int) -> None:
    from socalign.video import read_clip, write_video

    videos = read_trajectory_file(write_pickle(tmp_path / "V", [
        entry("a.mp4", "friendly", 14, seed=3),
        entry("b.mp4", "neutral", 9, seed=4, colour_code={0: 1, 1: 3, 2: 2})]))
    for video in videos:
        frames = render_frames(video, size)
        assert frames.shape == (video.n_steps, size, size, 3) and frames.dtype == np.uint8
        steps = np.arange(video.n_steps)
        assert _check_centres(frames, video, steps, size, 0.5) == 2 * video.n_steps
        path = write_video(tmp_path / video.name, frames, fps=frame_rate(video))
        decoded = read_clip(path, video.n_steps)  # what a model sees, after H.264
        sampled = np.arange(0, video.n_steps, 3)
        assert _check_centres(decoded[sampled], video, sampled, size, 1.0) == 2 * len(sampled)
    # colours follow SocialGNN's reading of entity_color_code: the second video swaps both pairs
    assert entity_colours(videos[1].colour_code) == ((0, 255, 0), (255, 0, 0), (255, 153, 153),
                                                     (117, 216, 230))


def test_frames_option_samples_the_steps_and_keeps_the_duration(tmp_path: Path) -> None:
    video = read_trajectory_file(write_pickle(tmp_path / "V", [entry("a.mp4", "friendly", 20)]))[0]
    frames = render_frames(video, 32, n_frames=8)
    assert frames.shape == (8, 32, 32, 3)
    assert float(len(frames) / frame_rate(video, 8)) == pytest.approx(20 / 4)
    with pytest.raises(ValueError, match="even"):
        render_frames(video, 33)


def test_the_rendered_folder_loads_with_labels_and_refuses_overwrites(tmp_path: Path,
                                                                      monkeypatch) -> None:
    written = write_copy(tmp_path / "copy", n_main=3, n_generalization=2)
    use_copy(monkeypatch, tmp_path / "copy")
    result = render_benchmark(tmp_path / "copy", tmp_path / "bench", size=32, n_boot=20)
    assert result["sets"] == {"main": 3, "generalization": 2} and result["absent_sets"] == []
    bench = load_dataset(tmp_path / "bench")
    assert len(bench.videos) == 5 and len(bench.trials) == 0 and bench.videos.has_files
    frame = pd.read_csv(tmp_path / "bench" / "videos.csv")
    assert list(frame.columns) == ["video_id", "name", "file", "set", "split", "label"]
    labels = video_labels(bench)
    assert list(zip(labels.name, labels.label, strict=True)) == [*written["main"],
                                                                 *written["generalization"]]
    assert all(Path(f).is_file() for f in bench.videos.files)
    before = (tmp_path / "bench" / "videos.csv").read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        render_benchmark(tmp_path / "copy", tmp_path / "bench", size=32)
    assert (tmp_path / "bench" / "videos.csv").read_bytes() == before
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="did not write"):
        render_benchmark(tmp_path / "copy", tmp_path / "notes", size=32)
    assert (tmp_path / "notes" / "mine.txt").read_text() == "mine"


def test_without_the_main_trajectories_only_the_generalization_set_is_rendered(
        tmp_path: Path, monkeypatch) -> None:
    write_copy(tmp_path / "copy", n_main=3, n_generalization=2, main_trajectories=False)
    use_copy(monkeypatch, tmp_path / "copy")
    result = render_benchmark(tmp_path / "copy", tmp_path / "bench", size=32, n_boot=20)
    assert result["absent_sets"] == ["main"] and result["n_videos"] == 2
    assert set(video_labels(load_dataset(tmp_path / "bench")).set) == {"generalization"}


def test_original_videos_are_copied_instead(tmp_path: Path, monkeypatch) -> None:
    written = write_copy(tmp_path / "copy", n_main=2, n_generalization=2)
    use_copy(monkeypatch, tmp_path / "copy")
    originals = tmp_path / "originals"
    originals.mkdir()
    names = [n for n, _ in itertools.chain(written["main"], written["generalization"])]
    for k, name in enumerate(names[:-1]):
        (originals / name).write_bytes(b"video %d" % k)
    with pytest.raises(BenchmarkError, match=r"1 of the 4 PHASE videos are not in the video folder"):
        render_benchmark(tmp_path / "copy", tmp_path / "bench", videos_dir=originals)
    assert not (tmp_path / "bench").exists()
    (originals / names[-1]).write_bytes(b"video 3")
    with pytest.raises(BenchmarkError, match="--size and --frames apply to rendered videos"):
        render_benchmark(tmp_path / "copy", tmp_path / "bench", size=32, videos_dir=originals)
    result = render_benchmark(tmp_path / "copy", tmp_path / "bench", videos_dir=originals,
                              n_boot=20)
    assert result["videos"] == "original"
    assert (tmp_path / "bench" / names[0]).read_bytes() == b"video 0"


# ------------------------------------------------------------------------- the real copy


def test_the_real_copy_is_the_pinned_data(phase_root: Path) -> None:  # noqa: F811
    assert phase.verify(phase_root) == phase_root
    assert set(RESPONSE_FILES) <= {p.relative_to(phase_root).as_posix()
                                   for p in phase_root.rglob("*.txt")}


def test_the_real_copy_loads_100_labelled_generalization_videos(phase_root: Path) -> None:  # noqa: F811
    videos = phase.read_set(phase_root, "generalization")
    assert len(videos) == 100
    assert collections.Counter(v.label for v in videos) == {
        "friendly": 37, "adversarial": 36, "neutral": 27}
    bench = load_dataset(phase_root)
    labels = video_labels(bench)
    generalization = labels[labels.set == "generalization"]
    assert len(generalization) == 100 and set(generalization.split) == {"test"}
    assert generalization.label.value_counts().to_dict() == {
        "friendly": 37, "adversarial": 36, "neutral": 27}
    main = labels[labels.set == "main"]
    assert len(main) == 400 and set(main.split) == {"train"}
    assert main.label.value_counts().to_dict() == {"friendly": 161, "adversarial": 154,
                                                   "neutral": 85}


def test_the_real_ratings_as_the_authors_counted_them(phase_root: Path) -> None:  # noqa: F811
    kept = ratings.keep_ratings(ratings.read_responses(phase_root))
    assert kept.counts == {"n_files": 326, "n_incomplete_files": 28, "n_failed_catch_files": 57,
                           "n_files_kept": 241, "n_participants": 241, "n_ratings": 4820,
                           "n_videos": 400}
    assert ratings.majority_labels(kept.ratings).attrs["n_ties"] == 7
    result = ratings.agreement(kept.ratings, n_boot=200)
    assert 0.7 < result.interval.low < result.interval.estimate < result.interval.high < 0.85


def test_the_real_trajectories_are_drawn_where_they_are(phase_root: Path) -> None:  # noqa: F811
    videos = phase.read_set(phase_root, "generalization")
    size, checked = 112, 0
    for video in videos[::10]:
        steps = np.arange(0, video.n_steps, 5)
        frames = render_frames(video, size)[steps]
        checked += _check_centres(frames, video, steps, size, 0.5)
    assert checked > 100
