"""Where this build's result differs from the paper's, said where it happens.

A page that sets a result beside the paper's calls :func:`divergence` with both: the paper's
figure and this build's, each with what decides the comparison (a direction, an ordering, a
winner). Whether they differ is decided here, by code, from the values (never typed into the
prose); when they do, the page shows a warning box that states the paper's figure, this
build's, and what is known of why. Every call glues ``divergence_<key>`` (True when the box is
shown), so that a test can check that each glued comparison with the paper renders its box.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from socalign.text import Direction, direction

__all__ = [
    "BOX_CLASS",
    "Divergence",
    "direction_differs",
    "divergence",
    "ordering_differs",
    "start_against_paper",
    "winner_differs",
]

BOX_CLASS = "socalign-divergence"
"""The HTML class of the box (the browser check and the book tests look for it)."""


def _sign(value: float) -> Direction:
    return "up" if value > 0 else "down" if value < 0 else "none"


def direction_differs(paper_change: float, low: float, high: float) -> bool:
    """True when this build's change (interval ``[low, high]``) does not go the paper's way.

    The paper's direction is the sign of its reported change; this build's is
    :func:`socalign.text.direction` of the interval (an interval that holds 0 has none), so a
    change the paper reports as a rise and this build cannot detect differs.

    Parameters
    ----------
    paper_change : float
        The paper's change (after minus before).
    low, high : float
        This build's interval of the same change.

    Returns
    -------
    bool
    """
    return direction(low, high) != _sign(float(paper_change))


def winner_differs(paper: Mapping[str, float], build: Mapping[str, float]) -> bool:
    """True when the highest-scoring entry differs between the paper and this build.

    Parameters
    ----------
    paper, build : mapping of str to float
        Scores by the same names (higher is better); only shared names are compared.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        Fewer than two shared names.
    """
    shared = [k for k in paper if k in build]
    if len(shared) < 2:
        raise ValueError(f"need two or more shared entries to compare, got {shared}")
    return max(shared, key=lambda k: paper[k]) != max(shared, key=lambda k: build[k])


def start_against_paper(share: float, paper_share: float) -> str:
    """Where the pretrained video model starts against its caption model, beside the paper's.

    Parameters
    ----------
    share : float
        This build's pretrained video R² over its best caption model's R² (test videos).
    paper_share : float
        The paper's (pretrained TimeSformer over MPNet).

    Returns
    -------
    str
        A clause for the page, three significant digits: whether the build's video model
        starts further below its caption model than the paper's did (one known reason for it
        to end below), no further below, or above it.
    """
    measured = f"the pretrained toy starts at {share:.3g} of its caption model's R²"
    if share < paper_share:
        return (f"{measured}, further below it than the paper's TimeSformer ({paper_share:.3g}), "
                "one known reason why it may end below it")
    if share > 1:
        return f"{measured}, above it (the paper's TimeSformer started at {paper_share:.3g})"
    return f"{measured}, no further below it than the paper's TimeSformer ({paper_share:.3g})"


def ordering_differs(paper: Mapping[str, float], build: Mapping[str, float]) -> bool:
    """True when the shared entries are ranked differently (higher first) in the two.

    Parameters
    ----------
    paper, build : mapping of str to float
        Scores by the same names; only shared names are compared.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        Fewer than two shared names.
    """
    shared = [k for k in paper if k in build]
    if len(shared) < 2:
        raise ValueError(f"need two or more shared entries to compare, got {shared}")
    return sorted(shared, key=lambda k: -paper[k]) != sorted(shared, key=lambda k: -build[k])


@dataclass(frozen=True)
class Divergence:
    """One comparison with the paper: what it is about, both results, and why they may differ."""

    key: str
    topic: str
    paper: str
    build: str
    why: str
    differs: bool

    def html(self) -> str:
        """The box as HTML (empty when the results agree)."""
        if not self.differs:
            return ""
        return (
            f'<div class="admonition warning {BOX_CLASS}" id="divergence-{escape(self.key)}">'
            f'<p class="admonition-title">Differs from the paper: {escape(self.topic)}</p>'
            f"<p><strong>Paper:</strong> {escape(self.paper)}</p>"
            f"<p><strong>This build:</strong> {escape(self.build)}</p>"
            f"<p><strong>What is known of why:</strong> {escape(self.why)}</p></div>")

    def _ipython_display_(self) -> None:
        """Show the box in a notebook; show nothing when the results agree."""
        if self.differs:
            from IPython.display import HTML, display

            display(HTML(self.html()))


def divergence(key: str, *, topic: str, paper: str, build: str, why: str, differs: bool) -> Any:
    """Glue whether a comparison with the paper diverges, and return its box for display.

    Parameters
    ----------
    key : str
        A short identifier (letters, digits, ``_``): glued as ``divergence_<key>``, and the
        box's HTML id is ``divergence-<key>``.
    topic : str
        What is compared (``"R² after fine-tuning"``).
    paper, build : str
        The paper's figure and this build's, as sentences with their numbers.
    why : str
        What is known of why they differ.
    differs : bool
        Whether they differ: from :func:`direction_differs`, :func:`winner_differs` or
        :func:`ordering_differs` on the values, never typed.

    Returns
    -------
    Divergence
        Shows as a warning box when ``differs`` (and as nothing otherwise) when it is the
        last expression of a cell.
    """
    from socalign.book.chapter import glue

    if not key.replace("_", "").isalnum():
        raise ValueError(f"divergence key must be letters, digits and _, got {key!r}")
    glue(**{f"divergence_{key}": bool(differs)})
    return Divergence(key, topic, paper, build, why, bool(differs))
