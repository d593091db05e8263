"""The loss kinds of fine-tuning, one table: the paper's hybrid, its ablations and controls.

Imports no torch, so that the command line can list them (``socalign finetune --loss``);
:mod:`socalign.train.losses` re-exports :data:`LOSSES` and :class:`LossKind`.

Adding a loss kind is one entry in :data:`LOSSES`: the command line's ``--loss`` choices and
help, the configuration's check (:class:`socalign.train.losses.LossConfig`), both trainers
(which branch on a kind's ``triplet``, ``rsa``, ``hard`` and ``targets``, never on its name),
the book's chapter 3 and its leaderboard all read the table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LOSS", "LOSSES", "TARGETS", "LossKind", "kinds_where"]

TARGETS = ("people", "captions")
"""Whose judgments a kind's targets are (:attr:`LossKind.targets`)."""


@dataclass(frozen=True)
class LossKind:
    """One loss kind: which terms it trains, and whose judgments its targets come from.

    Attributes
    ----------
    name : str
        The name a configuration and the command line use (``--loss NAME``).
    label : str
        What the paper calls it (e.g. "budget-matched triplet").
    description : str
        One line on what it trains, for help texts and tables.
    triplet : bool
        The triplet term on the training triplets is on.
    rsa : bool
        The RSA term is on.
    hard : bool
        Hard triplets mined from the similarity targets take the RSA term's place (the
        budget-matched control).
    targets : str
        ``"people"``: the triplets' odd ones and the similarity targets are people's
        judgments; ``"captions"``: both come from a caption model's geometry instead
        (:func:`socalign.train.data.language_targets`).
    """

    name: str
    label: str
    description: str
    triplet: bool
    rsa: bool
    hard: bool = False
    targets: str = "people"

    def __post_init__(self) -> None:
        if not self.name.strip() or self.name != self.name.strip():
            raise ValueError(f"a loss kind needs a name without outer spaces, got {self.name!r}")
        if not (self.triplet or self.rsa or self.hard):
            raise ValueError(f"loss kind {self.name!r} trains nothing: set triplet, rsa or hard")
        if self.hard and self.rsa:
            raise ValueError(f"loss kind {self.name!r}: hard triplets take the RSA term's place, "
                             "so hard and rsa cannot both be on")
        if self.targets not in TARGETS:
            raise ValueError(f"loss kind {self.name!r}: targets must be one of {list(TARGETS)}, "
                             f"got {self.targets!r}")


#: The loss kinds by name, in the order the command line lists them. ``budget`` and
#: ``distilled`` are the paper's (v2) controls; both run on the same trainer, steps and
#: embedded videos as ``hybrid``.
LOSSES: dict[str, LossKind] = {
    kind.name: kind
    for kind in (
        LossKind("hybrid", "hybrid", "triplet + RSA on people's judgments (the paper's loss)",
                 triplet=True, rsa=True),
        LossKind("triplet", "triplet-only", "the triplet term alone (ablation)",
                 triplet=True, rsa=False),
        LossKind("rsa", "RSA-only", "the RSA term alone (ablation)", triplet=False, rsa=True),
        LossKind("budget", "budget-matched triplet",
                 "triplet-only with hybrid's budget: each RSA term replaced by hard triplets "
                 "mined among the same videos", triplet=True, rsa=False, hard=True),
        LossKind("distilled", "language-distilled",
                 "hybrid's terms, budget and schedule, with a caption model's odd ones and "
                 "similarity in place of people's", triplet=True, rsa=True, targets="captions"),
    )
}

DEFAULT_LOSS = "hybrid"
"""The kind a configuration and ``socalign finetune --loss`` use unless told otherwise."""


def kinds_where(**fields: object) -> tuple[str, ...]:
    """The names of the kinds in :data:`LOSSES` whose fields have the given values.

    Parameters
    ----------
    **fields : object
        :class:`LossKind` fields and the values asked for (e.g. ``targets="captions"``).

    Returns
    -------
    tuple of str
        The matching kinds' names, in the table's order.

    Raises
    ------
    TypeError
        For a name that is not a field of :class:`LossKind`.
    """
    known = set(LossKind.__dataclass_fields__)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"not a field of LossKind: {unknown}")
    return tuple(name for name, kind in LOSSES.items()
                 if all(getattr(kind, key) == value for key, value in fields.items()))
