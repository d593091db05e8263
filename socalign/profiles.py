"""The profiles: every setting a run of socalign takes from its name (``ci``, ``demo``, ``paper``).

One table, :data:`PROFILES`, read by the book (a chapter's papermill ``parameters`` cell sets
``profile`` and ``overrides``) and by the command line (``socalign finetune --profile``). A
profile's ``train`` holds :class:`socalign.train.config.TrainConfig`'s own option names. Nothing
here computes or caches: the artefacts the chapters share are built by
:mod:`socalign.book.artifacts`.

Overrides change a profile's settings for one build without a new table entry:
``profile_settings("paper", video_model="/models/tiny", device="cpu", train={"epochs": 1})``,
or on the command line ``socalign book --profile paper --set video_model=DIR --set
train.epochs=1 --videos DIR`` (:func:`parse_override`). The changed values are the settings
(and are also listed under ``overrides``), so they enter :meth:`Profile.to_dict` and with it
every cache key the book derives from the settings.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from socalign.train.config import TrainConfig


@dataclass(frozen=True)
class Profile:
    """Settings of one book profile.

    socialworld: arguments of ``socalign.data.socialworld.synthesize`` (n_videos, seed,
    n_frames, size); garcia2025: "off" (never), "auto" (when a local copy exists) or
    "required" (fail without it); video_model: "toy" (or another toy of
    ``socalign.models.toy.TOYS``, e.g. "toy-clip") or a Hugging Face checkpoint;
    other_video_models: further backbones of other families that the book also fine-tunes
    (hybrid and language-distilled) and sets beside ``video_model`` (the paper v2 shows four
    families); toy:
    "default" or "tiny" (the toy backbone's size, see ``socalign.models.toy``);
    language_models: caption encoders for the modality gap; train: the fine-tuning options
    that differ from :class:`socalign.train.config.TrainConfig`'s defaults, in its own names
    (:meth:`train_config` builds the configuration; ``socalign finetune --profile`` runs the
    same); trainer_train: training options for one trainer only, applied over ``train`` when
    that trainer runs (e.g. each trainer's own learning rate, chosen on validation by
    ``benchmarks/finetune.py --mode lrs``); an override of ``train`` wins over them; seeds:
    training seeds; n_boot / n_perm: resampling counts; videos: a folder of the garcia2025
    videos under their ``video_mapping.csv`` names (None: ``$SOCALIGN_GARCIA2025_VIDEOS`` when
    set, else no videos); overrides: the settings changed from the table's entry
    (:func:`profile_settings`), recorded so that a build shows what it changed.
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
    other_video_models: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    trainer_train: dict[str, dict[str, Any]] = field(default_factory=dict)
    videos: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able settings (used in the build's cache key and summary)."""
        out = asdict(self)
        out["language_models"] = list(self.language_models)
        out["seeds"] = list(self.seeds)
        out["other_video_models"] = list(self.other_video_models)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The settings as a two-column table (setting, value) for the book."""
        from socalign.text import settings_frame

        return settings_frame({k: v for k, v in self.to_dict().items()
                               if k not in ("name", "extra", "overrides")}).reset_index()

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

        trainer = changes.get("trainer", self.train.get("trainer", TrainConfig.trainer))
        overridden = self.overrides.get("train") or {}
        own = {k: v for k, v in self.trainer_train.get(trainer, {}).items() if k not in overridden}
        return TrainConfig().with_changes(**{**self.train, **own, **changes})

    def check(self) -> Profile:
        """This profile, after checking that every trainer's configuration is valid.

        Returns
        -------
        Profile
            ``self``.

        Raises
        ------
        ValueError
            An unknown trainer in ``trainer_train``, or an unknown or invalid option.
        """
        from socalign.train.config import TRAINERS

        unknown = sorted(set(self.trainer_train) - set(TRAINERS))
        if unknown:
            raise ValueError(f"profile {self.name!r}: trainer_train names unknown trainer(s) "
                             f"{unknown}; trainers: {list(TRAINERS)}")
        for trainer in TRAINERS:
            self.train_config(trainer=trainer)
        return self


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
        # a few minutes on 2 CPU cores with the toy backbone on SocialWorld (16 epochs: measured
        # with 3 seeds against 8, whose best epoch was the last). Each trainer at its own rate,
        # the one of 1e-3, 2e-3 and 4e-3 with the highest mean best validation Spearman over 3
        # seeds (benchmarks/finetune.py --mode lrs): fast 4e-3 (0.273 against 0.257 at 2e-3),
        # paper 1e-3 (0.152 against 0.148 at 2e-3 and 0.119 at 4e-3)
        # distill_model: the caption model of the language-distilled control (--loss distilled)
        train={"trainer": "fast", "epochs": 16, "lr": 4e-3, "batch_videos": 16,
               "max_steps_per_epoch": 40, "patience": 4, "lora_r": 4, "lora_alpha": 8,
               "distill_model": "minilm"},
        trainer_train={"paper": {"lr": 1e-3}},
        seeds=(0, 1, 2),
        n_boot=1000,
        n_perm=1000,
        probe_folds=5,
        action_videos=200,
        # the second family (joint space-time attention, VideoMAE-style), its weights shipped;
        # toy-clip (frame-wise) is not listed: its vocabulary recipe did not learn (see
        # socalign.models.toy.TOYS) and pretraining it here would add minutes to a cold build
        other_video_models=("toy-videomae",),
    ),
    "paper": Profile(
        name="paper",
        description="GPU: the paper's data and videos, TimeSformer checkpoint, language models "
        "and released training protocol",
        device="cuda",
        socialworld={"n_videos": 250, "seed": 0, "n_frames": 16, "size": 64},
        garcia2025="required",
        video_model="facebook/timesformer-base-finetuned-k400",
        # the paper's caption encoders (sentence-transformers, from the Hugging Face Hub): its
        # best, multilingual MPNet, then all-mpnet-base-v2 and all-MiniLM-L6-v2 (bundled)
        language_models=("sentence-transformers/paraphrase-multilingual-mpnet-base-v2",
                         "sentence-transformers/all-mpnet-base-v2", "minilm"),
        # the released protocol, spelled out (not left to TrainConfig's defaults): the paper's
        # trainer, AdamW at 1e-4, LoRA r = 8, alpha 16, dropout 0.1 on the four TimeSformer
        # targets (the backbone's spec), early stopping with patience 5, 16 frames per clip
        # (the k400 checkpoint's own is 8; its time embeddings are interpolated to 16). The
        # pretrained embeddings of the modality gap and of chapter 5 take the same 16 frames.
        # The language-distilled control distils the paper's best caption model.
        train={"trainer": "paper", "epochs": 50, "lr": 1e-4, "weight_decay": 0.01,
               "patience": 5, "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.1,
               "n_frames": 16,
               "distill_model": "sentence-transformers/paraphrase-multilingual-mpnet-base-v2",
               # the paper trains under bf16 autocast (auto: fp16 with loss scaling on a GPU
               # without bf16); batch auto lowers the 4 triplets per step to what fits the GPU
               # (socalign.train.memory), e.g. a free Colab T4's 16 GB
               "precision": "auto", "batch": "auto"},
        seeds=(0, 1, 2, 3, 4),
        n_boot=1000,
        n_perm=10000,
        probe_folds=5,
        action_videos=400,
    ),
}

#: Settings that take a mapping: an override changes the keys it names and keeps the others.
_MAPPINGS = ("socialworld", "train", "extra", "trainer_train")
#: Settings that take a sequence: an override replaces it (a string is split at commas).
_SEQUENCES = ("language_models", "seeds", "other_video_models")
#: Sequences an override may empty (``--set other_video_models=[]``: the profile's backbone only).
_MAY_BE_EMPTY = ("other_video_models",)
_CHOICES = {"garcia2025": ("off", "auto", "required"), "toy": ("default", "tiny")}
_COUNTS = ("n_boot", "n_perm", "probe_folds", "action_videos")
#: Arguments of ``socalign.data.socialworld.synthesize`` that are not settings.
_NOT_SOCIALWORLD = ("out", "observer", "progress", "caption_encoder")


class SettingError(ValueError):
    """A profile override of the wrong kind; ``key`` is the setting (``"train.epochs"``).

    Parameters
    ----------
    key : str
        The setting as ``--set`` names it.
    message : str
        What it takes and what it got (after ``profile setting 'KEY'``).
    whole : bool, default False
        ``message`` is the whole message.
    """

    def __init__(self, key: str, message: str, whole: bool = False) -> None:
        self.key = key
        super().__init__(message if whole else f"profile setting {key!r} {message}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_finite(key: str, value: Any) -> None:
    """Refuse NaN and infinite numbers anywhere in ``value`` (e.g. JSON ``1e400``, ``NaN``)."""
    stack = [(key, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise SettingError(where, f"takes finite numbers, got {item!r}")
        if isinstance(item, dict):
            stack.extend((f"{where}.{k}", v) for k, v in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((where, v) for v in item)


def _check_simple(key: str, annotation: str, value: Any) -> None:
    """Check ``value`` against a field annotation built of int, float, str, bool and None."""
    names = [part.strip() for part in str(annotation).split("|")]
    kinds = {"int": _is_int, "float": lambda v: _is_int(v) or isinstance(v, float),
             "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
             "None": lambda v: v is None}
    if not all(name in kinds for name in names):
        raise SettingError(key, "cannot be set from the command line")
    if not any(kinds[name](value) for name in names):
        wanted = " or ".join({"int": "an integer", "float": "a number", "str": "a string",
                              "bool": "true or false", "None": "null"}[n] for n in names)
        raise SettingError(key, f"takes {wanted}, got {value!r}")


def _check_train(key: str, options: Any) -> None:
    """Check training options against :class:`socalign.train.config.TrainConfig`'s fields."""
    from socalign.train.config import TrainConfig

    if not isinstance(options, dict):
        raise SettingError(key, f"takes a mapping of training options, got {options!r}")
    known = {f.name: f for f in fields(TrainConfig)}
    for name, value in options.items():
        where = f"{key}.{name}"
        if name not in known:
            raise SettingError(where, f"is an unknown training option; options: {sorted(known)}")
        if name == "loss":
            raise SettingError(where, "cannot be set in a profile (the book runs each loss)")
        _check_simple(where, known[name].type, value)
        _check_finite(where, value)


def _check_socialworld(key: str, values: dict[str, Any]) -> None:
    """Check SocialWorld options against ``synthesize``'s arguments (their annotations)."""
    import inspect

    from socalign.data.socialworld.synth import synthesize

    params = {name: param for name, param in inspect.signature(synthesize).parameters.items()
              if name not in _NOT_SOCIALWORLD}
    for name, value in values.items():
        where = f"{key}.{name}"
        if name not in params:
            raise SettingError(where, f"is not a SocialWorld option; options: {sorted(params)}")
        _check_simple(where, params[name].annotation, value)
        _check_finite(where, value)


def _sequence(key: str, value: Any) -> tuple[Any, ...]:
    """A sequence setting's value: names, or integers for ``seeds`` (checked, no coercion)."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or (not value and key not in _MAY_BE_EMPTY):
        raise SettingError(key, f"takes a non-empty list, got {value!r}")
    if key == "seeds":
        out = []
        for item in value:
            if isinstance(item, str) and re.fullmatch(r"[+-]?\d+", item.strip()):
                item = int(item)
            if not _is_int(item) or item < 0:
                raise SettingError(key, f"takes a list of integers >= 0, got {item!r}")
            out.append(item)
        return tuple(out)
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise SettingError(key, f"takes a list of names, got {item!r}")
    return tuple(value)


def _checked(key: str, value: Any, current: Any) -> Any:
    """One override of setting ``key``, checked against the setting's kind (SettingError)."""
    if key in _MAPPINGS:
        if not isinstance(value, dict):
            raise SettingError(key, f"takes a mapping (e.g. --set {key}.NAME=VALUE), got "
                               f"{value!r}")
        if key == "train":
            _check_train(key, value)
        elif key == "trainer_train":
            for trainer, options in value.items():
                _check_train(f"{key}.{trainer}", options)
            return {**current, **{t: {**current.get(t, {}), **o} for t, o in value.items()}}
        elif key == "socialworld":
            _check_socialworld(key, value)
        _check_finite(key, value)
        return {**current, **value}
    if key in _SEQUENCES:
        return _sequence(key, value)
    if key in _COUNTS:
        if not _is_int(value) or value < 0:
            raise SettingError(key, f"takes an integer >= 0, got {value!r}")
        return value
    if key == "videos":
        if value is not None and not isinstance(value, str):
            raise SettingError(key, f"takes a folder, got {value!r}")
        return None if value in (None, "") else value
    if not isinstance(value, str):
        raise SettingError(key, f"takes a string, got {value!r}")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise SettingError(key, f"must be one of {list(_CHOICES[key])}, got {value!r}")
    return value


def _changed(base: Profile, overrides: dict[str, Any]) -> Profile:
    """``base`` with ``overrides`` applied and checked (ValueError naming the setting)."""
    known = {f.name for f in fields(Profile) if f.name not in ("name", "overrides")}
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in known:
            raise SettingError(key, f"unknown profile setting {key!r}; settings: "
                               f"{sorted(known)}", whole=True)
        values[key] = _checked(key, value, getattr(base, key))
    changed = replace(base, **values, overrides={**base.overrides, **overrides})
    try:
        return changed.check()  # unknown or invalid training options fail here, not mid-build
    except TypeError as err:  # a value of another type than a check compares it with
        raise ValueError(f"profile {base.name!r}: {err}") from None


def profile_settings(profile: str, **overrides: Any) -> Profile:
    """The settings of ``profile`` (one of :data:`PROFILES`), with ``overrides`` applied.

    Parameters
    ----------
    profile : str
        ``"ci"``, ``"demo"`` or ``"paper"``.
    **overrides
        Settings to change, by :class:`Profile` field name: ``video_model="DIR"``,
        ``device="cpu"``, ``videos="DIR"``, ``n_boot=50``, ``language_models=["minilm"]``;
        a mapping setting (``train``, ``socialworld``, ``extra``) changes only the keys given
        (``train={"epochs": 1}``). The result records them in ``overrides``.

    Returns
    -------
    Profile

    Raises
    ------
    ValueError
        An unknown profile, an unknown setting or training option, or a value of the wrong
        kind (:class:`SettingError`, whose ``key`` names the setting): integers where integers
        are meant, finite numbers, lists of names or of integers; the message names it.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    base = PROFILES[profile]
    return _changed(base, overrides) if overrides else base


def parse_override(text: str) -> dict[str, Any]:
    """One ``--set KEY=VALUE`` as keyword arguments of :func:`profile_settings`.

    ``KEY`` is a :class:`Profile` field, or ``FIELD.NAME`` for a key of a mapping setting
    (``train.epochs=1``); ``VALUE`` is read as JSON when it parses (numbers, ``null``, lists
    such as ``["minilm","tfidf"]``), else kept as text (``video_model=/models/tiny``; a list
    setting also takes ``minilm,tfidf``).

    Parameters
    ----------
    text : str
        ``KEY=VALUE``.

    Returns
    -------
    dict
        ``{KEY: VALUE}``, ``{FIELD: {NAME: VALUE}}`` or, deeper, ``{FIELD: {A: {B: VALUE}}}``
        (``trainer_train.paper.lr=1e-3``).

    Raises
    ------
    ValueError
        Text without ``=`` or with an empty key.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ValueError(f"--set expects KEY=VALUE (e.g. video_model=DIR, train.epochs=1), "
                         f"got {text!r}")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    parts = key.split(".")
    if any(not part.strip() for part in parts):
        raise ValueError(f"--set {text!r}: an empty name in {key!r}")
    for part in reversed(parts[1:]):  # FIELD.A.B=V -> {FIELD: {A: {B: V}}}
        value = {part.strip(): value}
    return {parts[0].strip(): value}


def merge_overrides(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Several :func:`parse_override` results as one mapping (mapping settings merged)."""
    def merged(old: Any, new: Any) -> Any:
        if isinstance(old, dict) and isinstance(new, dict):
            return {**old, **{k: merged(old.get(k), v) for k, v in new.items()}}
        return new

    out: dict[str, Any] = {}
    for item in items:
        out = merged(out, item)
    return out


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
