"""Frame sampling, decoding (PyAV and decord), errors naming the file, the decoded-clip cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from socalign import video
from socalign.video import (
    VideoDecodeError,
    cached_clip,
    decode_clips,
    load_clips,
    read_clip,
    sample_frame_indices,
    write_video,
)


def ramp_frames(n: int = 12, size: int = 32, shift: int = 0) -> np.ndarray:
    """Frames whose red channel encodes the frame number (20 * i), with a moving green square."""
    frames = np.zeros((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        frames[i, ..., 0] = (20 * i + shift) % 256
        frames[i, i : i + 8, i : i + 8, 1] = 255
    return frames


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOCALIGN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_sample_frame_indices_hand_computed() -> None:
    # 12 frames, 4 segments of 3: centres 1.5, 4.5, 7.5, 10.5 -> floor 1, 4, 7, 10
    assert sample_frame_indices(12, 4).tolist() == [1, 4, 7, 10]
    assert sample_frame_indices(10, 1).tolist() == [5]
    assert sample_frame_indices(8, 8).tolist() == list(range(8))
    # fewer frames than requested: frames repeat, in order
    assert sample_frame_indices(2, 4).tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize(("n_total", "n_frames"), [(0, 4), (5, 0)])
def test_sample_frame_indices_rejects_bad_counts(n_total: int, n_frames: int) -> None:
    with pytest.raises(ValueError, match="must be >= 1"):
        sample_frame_indices(n_total, n_frames)


def test_read_clip_pyav_picks_the_sampled_frames(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.mp4", ramp_frames(12))
    clip = read_clip(path, 4, backend="pyav")
    assert clip.shape == (4, 32, 32, 3)
    assert clip.dtype == np.uint8
    # red channel of frame i is 20*i; the sampled frames are 1, 4, 7, 10 (lossy codec: +-6)
    red = clip[:, 20:, :8, 0].astype(float).mean(axis=(1, 2))
    np.testing.assert_allclose(red, [20, 80, 140, 200], atol=6)


def test_decord_and_pyav_give_the_same_frames(tmp_path: Path) -> None:
    pytest.importorskip("decord")
    path = write_video(tmp_path / "a.mp4", ramp_frames(16))
    for n in (4, 7, 16):
        a = read_clip(path, n, backend="pyav")
        b = read_clip(path, n, backend="decord")
        np.testing.assert_array_equal(a, b)


def test_missing_and_corrupt_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError, match=r"nope\.mp4.*file not found"):
        read_clip(tmp_path / "nope.mp4", 4, backend="pyav")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video" * 10)
    with pytest.raises(VideoDecodeError, match=r"bad\.mp4: cannot decode"):
        read_clip(bad, 4, backend="pyav")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoDecodeError, match=r"empty\.mp4.*empty"):
        read_clip(empty, 4)


def test_auto_falls_back_to_pyav_where_decord_fails(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("decord")
    import warnings

    import socalign.video.decode

    path = write_video(tmp_path / "small.mp4", ramp_frames(8, size=16))  # decord 0.6 fails at 16 px
    with pytest.raises(VideoDecodeError, match="small.mp4"):
        read_clip(path, 4, backend="decord")
    with warnings.catch_warnings():  # narrow files go to PyAV directly: no failed decord attempt
        warnings.simplefilter("error")
        quiet = read_clip(path, 4, backend="auto")
    np.testing.assert_array_equal(quiet, read_clip(path, 4, backend="pyav"))
    monkeypatch.setattr(socalign.video.decode, "_decord_reads", lambda p: True)  # the fallback
    with pytest.warns(RuntimeWarning, match="PyAV used instead"):
        clip = read_clip(path, 4, backend="auto")
    np.testing.assert_array_equal(clip, read_clip(path, 4, backend="pyav"))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 10)
    with pytest.raises(VideoDecodeError, match=r"bad\.mp4"):
        read_clip(bad, 4, backend="auto")


def test_corrupt_file_named_by_decord(tmp_path: Path) -> None:
    pytest.importorskip("decord")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video" * 10)
    with pytest.raises(VideoDecodeError, match=r"bad\.mp4: cannot decode"):
        read_clip(bad, 4, backend="decord")


def test_unknown_backend_is_rejected(tmp_path: Path) -> None:
    path = write_video(tmp_path / "a.mp4", ramp_frames(4))
    with pytest.raises(ValueError, match="backend must be one of"):
        read_clip(path, 2, backend="opencv")  # type: ignore[arg-type]


def test_cache_keyed_by_content_not_name(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "a.mp4"
    write_video(path, ramp_frames(8))
    first, hit1 = cached_clip(path, 4, backend="pyav")
    second, hit2 = cached_clip(path, 4, backend="pyav")
    assert (hit1, hit2) == (False, True)
    np.testing.assert_array_equal(first, second)
    # other sampling settings: a different entry
    _, hit3 = cached_clip(path, 2, backend="pyav")
    assert hit3 is False
    # same name, new content: not served from the cache
    write_video(path, ramp_frames(8, shift=100))
    third, hit4 = cached_clip(path, 4, backend="pyav")
    assert hit4 is False
    assert abs(int(third[0, 20:, :8, 0].mean()) - int(first[0, 20:, :8, 0].mean())) > 50
    assert len(list((cache / "clips").glob("*.npy"))) == 3


def test_cache_does_not_decode_again(tmp_path: Path, cache: Path, monkeypatch) -> None:
    path = write_video(tmp_path / "a.mp4", ramp_frames(8))
    cached_clip(path, 4, backend="pyav")

    def fail(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(video.clips, "read_clip", fail)
    clip, hit = cached_clip(path, 4, backend="pyav")
    assert hit and clip.shape == (4, 32, 32, 3)


def test_load_clips_stacks_and_decode_clips_skips_and_reports(tmp_path: Path, cache: Path) -> None:
    good = [write_video(tmp_path / f"v{i}.mp4", ramp_frames(8, shift=i)) for i in range(2)]
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 64)
    clips = load_clips(good, 4, backend="pyav")
    assert clips.shape == (2, 4, 32, 32, 3)
    with pytest.raises(VideoDecodeError, match="broken.mp4"):
        load_clips([good[0], bad, good[1]], 4, backend="pyav")
    out = decode_clips([good[0], bad, None, good[1]], 4, backend="pyav", on_error="skip")
    assert out.indices.tolist() == [0, 3]
    assert out.clips.shape == (2, 4, 32, 32, 3)
    assert [f for f, _ in out.failures] == [str(bad), "<video 2>"]
    assert out.n_cached == 2  # both good files were decoded by load_clips above
    assert out.to_dict()["n_decoded"] == 2


def test_load_clips_names_files_of_different_sizes(tmp_path: Path, cache: Path) -> None:
    a = write_video(tmp_path / "small.mp4", ramp_frames(4, size=32))
    b = write_video(tmp_path / "big.mp4", ramp_frames(4, size=48))
    with pytest.raises(ValueError, match=r"small\.mp4.*big\.mp4"):
        load_clips([a, b], 2, backend="pyav")


def test_write_video_rejects_bad_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uint8"):
        write_video(tmp_path / "x.mp4", np.zeros((2, 8, 8, 3), dtype=float))
    with pytest.raises(ValueError, match="even"):
        write_video(tmp_path / "x.mp4", np.zeros((2, 7, 8, 3), dtype=np.uint8))
    assert not (tmp_path / "x.mp4").exists()


def test_write_video_is_a_fixed_function_of_the_frames_in_both_modes(tmp_path: Path) -> None:
    """The one mp4 writer: the same frames give the same bytes (crf, and qp=0 as SocialWorld
    writes), qp=0 decodes closer to the frames than the default crf, and a Fraction rate sets
    the clip's duration."""
    from fractions import Fraction

    import av

    frames = ramp_frames(8)
    crf = [write_video(tmp_path / f"crf{i}.mp4", frames).read_bytes() for i in range(2)]
    qp = [write_video(tmp_path / f"qp{i}.mp4", frames, fps=Fraction(8, 3), qp=0) for i in range(2)]
    assert crf[0] == crf[1] and qp[0].read_bytes() == qp[1].read_bytes()
    error = {name: np.abs(read_clip(path, 8, backend="pyav").astype(int) - frames).mean()
             for name, path in (("crf", tmp_path / "crf0.mp4"), ("qp", qp[0]))}
    assert error["qp"] <= error["crf"], error
    with av.open(str(qp[0])) as container:
        stream = container.streams.video[0]
        assert float(stream.frames / stream.average_rate) == pytest.approx(3.0)


def test_the_backend_choice_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    import socalign.video.decode

    monkeypatch.setattr(socalign.video.decode, "_REPORTED", set())
    monkeypatch.setattr(socalign.video.decode, "decord_available", lambda: False)
    with caplog.at_level(logging.INFO, logger="socalign"):
        assert socalign.video.resolve_backend("auto") == "pyav"
        assert socalign.video.resolve_backend("auto") == "pyav"
        assert socalign.video.resolve_backend("pyav") == "pyav"
    messages = [r.getMessage() for r in caplog.records if r.name == "socalign.video.decode"]
    assert messages == ["video decoding: pyav (auto: decord is not installed)",
                        "video decoding: pyav (as requested)"]


@pytest.mark.parametrize("backend", ["auto", "pyav"])
def test_a_bad_video_leaves_stderr_to_the_one_error_line(tmp_path, capfd, backend) -> None:
    """What FFmpeg or decord print on file descriptor 2 goes to the debug log, not stderr."""
    from socalign.video.decode import VideoDecodeError, read_clip

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 20)
    with pytest.raises(VideoDecodeError):
        read_clip(bad, 4, backend=backend)
    assert capfd.readouterr().err == ""
    os.write(2, b"still here\n")  # the process's stderr is restored
    assert capfd.readouterr().err == "still here\n"
