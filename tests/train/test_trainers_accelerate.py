"""Two CPU processes (DDP over gloo, through ``accelerate launch``) match one process.

Tolerance: 1e-4 absolute on every epoch's mean loss and validation Spearman (dropout off; the
only difference is the order of floating-point reductions).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("accelerate")

from tests.helpers.training import loop_config, loss_trace, run_loop  # noqa: E402

TESTS = Path(__file__).resolve().parents[2]  # the repository, from which tests.helpers imports
TOLERANCE = 1e-4

SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})  # the repository
import torch
torch.set_num_threads(1)
from pathlib import Path
import torch.distributed as dist
from tests.helpers.training import loop_config, loss_trace, run_loop  # noqa: E402
out = Path(sys.argv[1])
for trainer in ("fast", "paper"):
    config = loop_config(trainer=trainer, epochs=2, lora_dropout=0.0, head_dropout=0.0)
    result, _, _ = run_loop(out / trainer, config)  # fit's own default Accelerator
    assert dist.is_initialized() and dist.get_world_size() == 2
    if dist.get_rank() == 0:
        (out / (trainer + ".json")).write_text(json.dumps(loss_trace(result)))
"""


@pytest.mark.slow
def test_two_processes_match_one(tmp_path) -> None:
    """Both trainers in one launch (process start-up dominates the time)."""
    launcher = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    if launcher is None:
        pytest.skip("the accelerate launcher is not installed beside this python")
    script = tmp_path / "job.py"
    script.write_text(SCRIPT.format(tests=str(TESTS)))
    out = tmp_path / "two"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [launcher, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no", str(script), str(out)],
        env=env, check=True, capture_output=True, timeout=300,
    )
    torch.set_num_threads(1)
    for trainer in ("fast", "paper"):
        two = json.loads((out / f"{trainer}.json").read_text())
        one, _, _ = run_loop(tmp_path / "one" / trainer,
                         loop_config(trainer=trainer, epochs=2, lora_dropout=0.0, head_dropout=0.0))
        assert len(two) == len(loss_trace(one)) == 2
        for (loss_2, rho_2), (loss_1, rho_1) in zip(two, loss_trace(one), strict=True):
            assert loss_2 == pytest.approx(loss_1, abs=TOLERANCE), trainer
            assert rho_2 == pytest.approx(rho_1, abs=TOLERANCE), trainer
