"""Shared fixtures: a tiny benchmark in the socalign layout, and the real data when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from socalign.data.layout import write_benchmark
from tests.helpers.tables import garcia_path, make_tables


@pytest.fixture
def garcia_root() -> Path:
    """The real garcia2025 copy; skips the test when it is absent."""
    root = garcia_path()
    if root is None:
        pytest.skip("garcia2025 data not available (../shared/data/garcia2025)")
    return root




@pytest.fixture(scope="session")
def rated_world(tmp_path_factory: pytest.TempPathFactory):
    """A small uncalibrated SocialWorld (24 videos, seed 2) that rates the social attributes and
    has several captions a video, loaded; shared by the tests that only read it."""
    from socalign.data import load_dataset
    from socalign.data.socialworld import synthesize

    out = tmp_path_factory.mktemp("rated") / "sw"
    synthesize(out, n_videos=24, seed=2, n_frames=4, size=16, n_participants=6, progress=False, calibrate=False)
    return load_dataset(out)


@pytest.fixture
def tiny_benchmark_dir(tmp_path: Path) -> Path:
    """A valid 12-video benchmark in the socalign layout."""
    videos, trials, captions = make_tables()
    return write_benchmark(tmp_path / "tiny", videos, trials, captions, {"name": "tiny"})

from tests.helpers.fixtures import bench_dir, cache, serve, video_benchmark  # noqa: E402, F401  (registered)


@pytest.fixture(autouse=True)
def _user_loss_kinds_stay_in_their_test():
    """A loss a test (or a lab it grades) registers is forgotten when the test ends."""
    from socalign.train.kinds import LOSSES

    before = dict(LOSSES)
    yield
    LOSSES.clear()
    LOSSES.update(before)
