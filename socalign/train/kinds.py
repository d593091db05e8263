"""The loss kinds of fine-tuning, one table: the paper's hybrid, its ablations and controls.

Imports no torch, so that the command line can list them (``socalign finetune --loss``);
:mod:`socalign.train.losses` re-exports :data:`LOSSES` and :class:`LossKind`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LOSSES", "LossKind"]


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
