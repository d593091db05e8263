"""PHASE (Netanyahu et al., AAAI 2021) as a socalign dataset: labelled 2-D animations of agents.

Two agents and two objects move in a walled room with four coloured landmarks; people labelled
each video's relationship friendly, neutral or adversarial. The paper's second version tests
whether what a video model learns from people's judgments transfers to these abstract
animations (a linear probe trained on the 400 main-set videos, tested on the 100
generalization-set videos). The videos are distributed on request; the trajectories and
people's labels are public (MIT licence) in ``Isik-lab/SocialGNN``, which socalign fetches at a
pinned commit (``socalign data fetch phase``) or reads from a local copy (``$SOCALIGN_DATA``).

* :mod:`~socalign.data.phase.pins`: the pinned commit and every file's hash;
* :mod:`~socalign.data.phase.source`: verification, location, the download, and the restricted
  unpickler of the trajectory files;
* :mod:`~socalign.data.phase.ratings`: the raw responses, majority labels and people's
  leave-one-out agreement;
* :mod:`~socalign.data.phase.render`: frames drawn from the trajectories;
* :mod:`~socalign.data.phase.benchmark`: a copy as a benchmark, labels, the summary, and the
  rendered benchmark folder (``socalign data render phase --out DIR``), whose ``videos.csv``
  has a ``label`` column (friendly / neutral / adversarial) and a ``set`` column (``main`` /
  ``generalization``; splits ``train`` / ``test``);
* :mod:`~socalign.data.phase.dataset`: the registry entry.
"""

from socalign.data.phase.benchmark import (
    SET_COLUMN,
    render_benchmark,
    summary,
    video_labels,
)
from socalign.data.phase.pins import COMMIT, FILES, NAME, REPOSITORY
from socalign.data.phase.ratings import agreement, leave_one_out_agreement, majority_labels
from socalign.data.phase.source import (
    LABELS,
    SETS,
    available,
    fetch,
    locate,
    read_set,
    read_trajectory_file,
    verify,
)

__all__ = [
    "COMMIT",
    "FILES",
    "LABELS",
    "NAME",
    "REPOSITORY",
    "SETS",
    "SET_COLUMN",
    "agreement",
    "available",
    "fetch",
    "leave_one_out_agreement",
    "locate",
    "majority_labels",
    "read_set",
    "read_trajectory_file",
    "render_benchmark",
    "summary",
    "verify",
    "video_labels",
]
