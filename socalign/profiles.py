"""The profiles: every setting a run of socalign takes from its name (``ci``, ``demo``, ``paper``).

One table, :data:`PROFILES`, read by the book (a chapter's papermill ``parameters`` cell sets
``profile``) and by the command line (``socalign finetune --profile``). A profile's ``train``
holds :class:`socalign.train.config.TrainConfig`'s own option names. Nothing here computes or
caches: the artefacts the chapters share are built by :mod:`socalign.book.artifacts`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from socalign.train.config import TrainConfig


@dataclass(frozen=True)
class Profile:
    """Settings of one book profile.

    socialworld: arguments of ``socalign.data.socialworld.synthesize`` (n_videos, seed,
    n_frames, size); garcia2025: "off" (never), "auto" (when a local copy exists) or
    "required" (fail without it); video_model: "toy" or a Hugging Face checkpoint; toy:
    "default" or "tiny" (the toy backbone's size, see ``socalign.models.toy``);
    language_models: caption encoders for the modality gap; train: the fine-tuning options
    that differ from :class:`socalign.train.config.TrainConfig`'s defaults, in its own names
    (:meth:`train_config` builds the configuration; ``socalign finetune --profile`` runs the
    same); seeds: training seeds; n_boot / n_perm: resampling counts.
    """

    name: str
    description: str
    device: str
    socialworld: dict[str, int]
    garcia2025: str
    video_model: str
    language_models: tuple[str, ...]
    train: dict[str, Any]
    seeds: tuple[int, ...]
    n_boot: int
    n_perm: int
    probe_folds: int
    action_videos: int
    toy: str = "default"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able settings (used in the build's cache key and summary)."""
        out = asdict(self)
        out["language_models"] = list(self.language_models)
        out["seeds"] = list(self.seeds)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The settings as a two-column table (setting, value) for the book."""
        from socalign.text import settings_frame

        return settings_frame({k: v for k, v in self.to_dict().items()
                               if k not in ("name", "extra")}).reset_index()

    def train_config(self, **changes: Any) -> TrainConfig:
        """The fine-tuning configuration of this profile, with ``changes`` applied.

        Parameters
        ----------
        **changes
            TrainConfig options to override (``loss_kind`` sets the loss kind).

        Returns
        -------
        socalign.train.config.TrainConfig
        """
        from socalign.train.config import TrainConfig

        return TrainConfig().with_changes(**{**self.train, **changes})


PROFILES: dict[str, Profile] = {
    "ci": Profile(
        name="ci",
        description="tiny settings for the test suite: every chapter runs in seconds",
        device="cpu",
        socialworld={"n_videos": 40, "seed": 0, "n_frames": 8, "size": 32,
                     "n_participants": 30},  # enough trials among the 8 test videos
        garcia2025="off",
        video_model="toy",
        language_models=("minilm", "tfidf"),
        # the test suite's tiny runs (seconds)
        train={"trainer": "fast", "epochs": 1, "lr": 1e-3, "batch_videos": 8, "lora_r": 2,
               "lora_alpha": 4, "val_fraction": 0.4, "max_steps_per_epoch": 5},
        seeds=(0,),
        n_boot=50,
        n_perm=50,
        probe_folds=2,
        action_videos=40,
        toy="tiny",
    ),
    "demo": Profile(
        name="demo",
        description="CPU default: SocialWorld, the toy backbone and MiniLM, plus garcia2025 "
        "when a local copy is found",
        device="cpu",
        socialworld={"n_videos": 250, "seed": 0, "n_frames": 16, "size": 64},
        garcia2025="auto",
        video_model="toy",
        language_models=("minilm", "tfidf"),
        # a few minutes on 2 CPU cores with the toy backbone on SocialWorld (16 epochs at 2e-3:
        # measured with 3 seeds against 8 at 1e-3, whose best epoch was the last)
        train={"trainer": "fast", "epochs": 16, "lr": 2e-3, "batch_videos": 16,
               "max_steps_per_epoch": 40, "patience": 4, "lora_r": 4, "lora_alpha": 8},
        seeds=(0, 1, 2),
        n_boot=1000,
        n_perm=1000,
        probe_folds=5,
        action_videos=200,
    ),
    "paper": Profile(
        name="paper",
        description="GPU: the paper's data, TimeSformer checkpoint and settings",
        device="cuda",
        socialworld={"n_videos": 250, "seed": 0, "n_frames": 16, "size": 64},
        garcia2025="required",
        video_model="facebook/timesformer-base-finetuned-k400",
        language_models=("minilm", "tfidf"),
        # the paper's protocol: AdamW at 1e-4, LoRA r = 8, alpha 16, dropout 0.1, patience 5
        # (TrainConfig's defaults) with the paper's trainer
        train={"trainer": "paper", "epochs": 50, "lr": 1e-4},
        seeds=(0, 1, 2, 3, 4),
        n_boot=1000,
        n_perm=10000,
        probe_folds=5,
        action_videos=400,
    ),
}


def profile_settings(profile: str) -> Profile:
    """The settings of ``profile`` (one of :data:`PROFILES`), with a clear error otherwise.

    Parameters
    ----------
    profile : str
        ``"ci"``, ``"demo"`` or ``"paper"``.

    Returns
    -------
    Profile
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    return PROFILES[profile]


def profile_config(name: str, **changes: Any) -> TrainConfig:
    """The named profile's fine-tuning configuration with ``changes`` applied.

    Parameters
    ----------
    name : str
        ``"ci"``, ``"demo"`` or ``"paper"``.
    **changes
        TrainConfig options to override (``loss_kind`` sets the loss kind).

    Returns
    -------
    socalign.train.config.TrainConfig
    """
    return profile_settings(name).train_config(**changes)
