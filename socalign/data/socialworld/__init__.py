"""SocialWorld: a procedural benchmark of two-agent social interaction videos (runs offline).

Modules, in pipeline order: ``scenes`` (kinematics per interaction type), ``attributes`` (social
attributes computed from the motion), ``render`` (nuisance appearance, frames, the clips' frame
rate; :func:`socalign.video.write_video` writes them),
``captions``, ``observers`` (trial schedule and simulated OOO judgments), ``synth`` (writes the
benchmark), ``scenefile`` (per-frame object boxes), ``features`` (oracle and pixel baselines),
``calibration`` (measured targets; its caption encoder comes from the caller, so nothing here
imports ``socalign.models``), ``actions`` (the action-recognition pretraining set),
``generator`` (the generator's version and seeded streams, shared by ``synth`` and
``calibration``) and ``dataset`` (SocialWorld in the dataset registry: default backbone, latent
truth).
"""


from socalign.data.socialworld.actions import (
    ACTION_LABELS,
    ActionSet,
    read_action_set,
    synthesize_actions,
)
from socalign.data.socialworld.features import oracle_features, pixel_features
from socalign.data.socialworld.scenefile import SceneBoxes, read_scene_boxes
from socalign.data.socialworld.scenes import INTERACTION_TYPES
from socalign.data.socialworld.synth import SynthResult, synthesize

__all__ = [
    "ACTION_LABELS",
    "INTERACTION_TYPES",
    "ActionSet",
    "SceneBoxes",
    "SynthResult",
    "oracle_features",
    "pixel_features",
    "read_action_set",
    "read_scene_boxes",
    "synthesize",
    "synthesize_actions",
]
