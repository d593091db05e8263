"""What a chapter calls: its profile's settings, glue for the prose, and how numbers read.

A chapter's papermill ``parameters`` cell sets ``profile`` and ``overrides`` (a dict, empty
unless the build was given ``--set``/``--videos``); the chapter calls
``profile_settings(profile, **overrides)`` (:func:`profile_settings`: the settings, checked), computes through the library (:mod:`socalign.book.artifacts` holds the
cached benchmarks, runs and backbones), shows tables with :func:`style_frame` and glues numbers
and claims (:func:`claim`, whose words follow the interval) into its prose with :func:`glue`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from socalign.profiles import PROFILES, Profile
from socalign.profiles import profile_settings as _settings
from socalign.text import change_word, interval, settings_frame, sig, style_frame
from socalign.text import claim as _claim

__all__ = [
    "PROFILES",
    "Profile",
    "change_word",
    "claim",
    "data_caption",
    "data_line",
    "dataset_label",
    "glue",
    "interval",
    "profile_settings",
    "seed_claims",
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
    from socalign import plots
    from socalign.book.artifacts import check_profile

    plots.use_book_style()  # figure text readable at page width (every chapter starts here)
    return check_profile(_settings(profile, **overrides))


def claim(
    estimate: float, low: float, high: float, *, baseline: float | None = None,
    level: float = 0.95, **words: Any,
) -> str:
    """A page's verdict on a change: words that follow the interval, with size and power.

    :func:`socalign.text.claim`, with two additions a reader needs to weigh the verdict: the
    change relative to ``baseline`` when one is given, and, when the interval holds 0, the
    smallest change the test could have detected at alpha 0.05 with 80% power (from the
    interval's width, :func:`socalign.metrics.detectable.detectable_change`; not stated for an
    interval of zero width, whose resamples never varied).

    Parameters
    ----------
    estimate, low, high : float
        The change and its interval at ``level``.
    baseline : float, optional
        The value the change starts from (the "before").
    level : float, default 0.95
        Coverage of the interval.
    **words
        Passed to :func:`socalign.text.claim` (``unit``, ``p_value``, ``up``, ``down``,
        ``none``, ``digits``).

    Returns
    -------
    str

    Examples
    --------
    >>> claim(-0.132, -0.30, 0.03, baseline=0.421, unit="test clips")  # doctest: +ELLIPSIS
    'did not change detectably (-0.132; ...; −31.4% of the baseline 0.421; the smallest change this test could detect: 0.236)'
    """
    from socalign.metrics.detectable import detectable_change, se_from_interval

    # an interval of no width (resamples that never varied) says nothing about power
    detectable = detectable_change(se_from_interval(low, high, level)) if (
        pd.notna(low) and pd.notna(high) and low < high) else None
    return _claim(estimate, low, high, level=level, baseline=baseline, detectable=detectable,
                  **words)


DATASET_KINDS = {
    "socialworld": "synthetic: generated scenes and simulated participants",
    "garcia2025": "the paper's real judgments, captions and ratings",
    "socialworld_transfer": "synthetic: SocialWorld's transfer set, a held-out seed and look, "
                            "labelled by latent valence",
    "phase": "PHASE's published trajectories and people's labels, rendered here",
    "other": "your own benchmark",
}
"""How a page names each kind of dataset beside its name (one owner for every chapter)."""


def dataset_label(benchmark: Any) -> str:
    """A benchmark's name with what it is: ``"SocialWorld (synthetic: ...)"``.

    Parameters
    ----------
    benchmark : Benchmark
        A loaded benchmark.

    Returns
    -------
    str
    """
    from socalign.analyses.gap import is_socialworld
    from socalign.data.socialworld.transfer import METADATA_KEY

    metadata = getattr(benchmark, "metadata", None) or {}
    if METADATA_KEY in metadata:
        return f"SocialWorld transfer set ({DATASET_KINDS['socialworld_transfer']})"
    if "phase" in metadata:
        return f"PHASE ({DATASET_KINDS['phase']})"
    if is_socialworld(benchmark):
        return f"SocialWorld ({DATASET_KINDS['socialworld']})"
    if "garcia2025" in str(benchmark.name).lower():
        videos = "" if benchmark.videos.has_files else "; no videos"
        return f"garcia2025 ({DATASET_KINDS['garcia2025']}{videos})"
    return f"{benchmark.name} ({DATASET_KINDS['other']})"


def data_line(benchmarks: Mapping[str, Any] | Iterable[Any], what: str = "") -> Any:
    """The visible line that opens a page's results: which data it ran on.

    Parameters
    ----------
    benchmarks : mapping of name to Benchmark, or iterable of Benchmark or str
        The benchmarks the page reports on (side by side when there are two); a str is a label
        written as given, for data no benchmark folder holds (a page that simulates its own).
    what : str, optional
        What the page does on them (e.g. ``"fine-tuning and every score below"``).

    Returns
    -------
    IPython.display.HTML
        A paragraph of class ``socalign-data`` (the browser check looks for it).
    """
    from html import escape

    from IPython.display import HTML

    found = list(benchmarks.values()) if isinstance(benchmarks, Mapping) else list(benchmarks)
    names = " and ".join(f"<strong>{escape(b if isinstance(b, str) else dataset_label(b))}</strong>"
                         for b in found)
    tail = f" ({escape(what)})" if what else ""
    return HTML(f'<p class="socalign-data">Data on this page{tail}: {names}.</p>')


def glue(**values: Any) -> None:
    """Glue values for the chapter's prose (myst-nb), as plain Python numbers and strings.

    numpy scalars are converted first (myst-nb formats ``{glue:text}`name:.3f``` from the
    value's text form, which for ``np.float64`` is not a number). Returns nothing, so that a
    cell whose last line glues values shows no output.
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


def data_caption(benchmarks: Mapping[str, Any] | Iterable[Any], what: str = "") -> str:
    """A table's caption naming its data: ``"SocialWorld (synthetic: ...): what"``.

    Parameters
    ----------
    benchmarks : mapping of name to Benchmark, or iterable of Benchmark
        The benchmarks the table holds (both named when there are two).
    what : str, optional
        What the table shows.

    Returns
    -------
    str
    """
    found = list(benchmarks.values()) if isinstance(benchmarks, Mapping) else list(benchmarks)
    names = " and ".join(dataset_label(b) for b in found)
    return f"{names}: {what}" if what else names


def seed_claims(gains: Any) -> str:
    """Each seed's gain as a :func:`claim` against the mean before score, ``"seed 0: ..."``.

    Parameters
    ----------
    gains : socalign.analyses.ablation.SeedGains
        The per-seed gains of one loss in one statistic.

    Returns
    -------
    str
    """
    return "; ".join(
        f"seed {s}: {claim(g, lo, hi, baseline=gains.before)}"
        for s, g, lo, hi in zip(gains.seeds, gains.gains, gains.lows, gains.highs, strict=True))
