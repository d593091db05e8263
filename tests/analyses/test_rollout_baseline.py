"""The rollout mass change carries the baseline it is relative to."""

from __future__ import annotations

import numpy as np
import pytest

from socalign.analyses.rollout import summarise_rollout


def test_mass_change_reports_the_first_models_mean_share_as_its_baseline() -> None:
    rng = np.random.default_rng(3)
    pre = rng.uniform(0.5, 1.0, size=(10, 1, 2, 2))
    ft = pre.copy()
    ft[:, :, 1, 1] *= 2.0
    mask = np.zeros((1, 2, 2), bool)
    mask[0, 1, 1] = True
    result = summarise_rollout({"pre": pre, "ft": ft}, [{"agents": mask}] * 10)
    change = result.mass_change("agents", n_boot=50, seed=0)
    share = pre[:, 0, 1, 1] / pre.reshape(10, -1).sum(axis=1)
    assert change["baseline"] == pytest.approx(float(share.mean()))
    assert change["baseline"] == pytest.approx(result.regions["pre"]["agents"]["mass"])
