"""What a chapter calls: its profile's settings, glue for the prose, and how numbers read.

A chapter's papermill ``parameters`` cell sets ``profile`` and ``overrides`` (a dict, empty
unless the build was given ``--set``/``--videos``); the chapter calls
``profile_settings(profile, **overrides)`` (:func:`profile_settings`: the settings, checked), computes through the library (:mod:`socalign.book.artifacts` holds the
cached benchmarks, runs and backbones), shows tables with :func:`style_frame` and glues numbers
and claims (:func:`claim`, whose words follow the interval) into its prose with :func:`glue`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from socalign.profiles import PROFILES, Profile
from socalign.profiles import profile_settings as _settings
from socalign.text import change_word, claim, interval, settings_frame, sig, style_frame

__all__ = [
    "PROFILES",
    "Profile",
    "change_word",
    "claim",
    "glue",
    "interval",
    "profile_settings",
    "settings_frame",
    "sig",
    "style_frame",
    "use_page_format",
]


def profile_settings(profile: str, **overrides: Any) -> Profile:
    """A chapter's settings: the profile with the build's overrides, checked before compute.

    Parameters
    ----------
    profile : str
        ``"ci"``, ``"demo"`` or ``"paper"`` (the chapter's papermill parameter).
    **overrides
        The build's overrides (the ``overrides`` parameter; see
        :func:`socalign.profiles.profile_settings`).

    Returns
    -------
    Profile

    Raises
    ------
    RuntimeError, FileNotFoundError
        A device or a model the profile names is not at hand
        (:func:`socalign.book.artifacts.check_profile`): the chapter stops in its first cell
        with a message naming it and the override that avoids it.
    """
    from socalign.book.artifacts import check_profile

    return check_profile(_settings(profile, **overrides))


def glue(**values: Any) -> None:
    """Glue values for the chapter's prose (myst-nb), as plain Python numbers and strings.

    numpy scalars are converted first (myst-nb formats ``{glue:text}`name:.3f``` from the
    value's text form, which for ``np.float64`` is not a number). Returns nothing, so that a
    cell ending in ``glue(...)`` shows no output.
    """
    from myst_nb import glue as nb_glue

    plain = {}
    for name, value in values.items():
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
            value = value.item()
        if not isinstance(value, str | int | float | bool):
            raise TypeError(f"glue {name!r}: expected a number or a string, got {type(value)}")
        plain[name] = value
    for name, value in plain.items():
        nb_glue(name, value, display=False)


def use_page_format() -> None:
    """Show every float pandas prints in this session with three significant digits (:func:`sig`).

    For pages that print plain DataFrames (the labs, where students see the frames their own
    code makes); chapters style their tables with :func:`style_frame` instead.
    """
    pd.set_option("display.float_format", sig)
