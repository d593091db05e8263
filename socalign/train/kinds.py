"""The loss kinds of fine-tuning, one table: the paper's hybrid, its ablations and controls.

Imports no torch, so that the command line can list them (``socalign finetune --loss``);
:mod:`socalign.train.losses` re-exports :data:`LOSSES` and :class:`LossKind`.

Adding a loss kind is one entry in :data:`LOSSES`: the command line's ``--loss`` choices and
help, the configuration's check (:class:`socalign.train.losses.LossConfig`), both trainers
(which branch on a kind's ``triplet``, ``rsa``, ``hard`` and ``targets``, never on its name),
the book's chapter 3 and its leaderboard all read the table.

A loss of your own is :func:`register_loss`: it adds a kind whose triplet and/or RSA term is a
function you wrote (the book's lab 3 writes both), and returns the name to train it with.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from socalign.cache import content_key

__all__ = ["DEFAULT_LOSS", "LOSSES", "TARGETS", "USER_NAME", "LossKind", "kinds_where",
           "register_loss"]

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
    triplet_fn, rsa_fn : callable or None
        A user's function in place of socalign's triplet or RSA term (see
        :func:`register_loss` for what each is called with); None: socalign's own.
    """

    name: str
    label: str
    description: str
    triplet: bool
    rsa: bool
    hard: bool = False
    targets: str = "people"
    triplet_fn: Callable[..., Any] | None = field(default=None, repr=False)
    rsa_fn: Callable[..., Any] | None = field(default=None, repr=False)

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
        if self.triplet_fn is not None and not self.triplet:
            raise ValueError(f"loss kind {self.name!r}: a triplet function needs the triplet term")
        if self.rsa_fn is not None and not self.rsa:
            raise ValueError(f"loss kind {self.name!r}: an RSA function needs the RSA term")

    @property
    def user(self) -> bool:
        """True for a kind added by :func:`register_loss` (a term is a user's function)."""
        return self.triplet_fn is not None or self.rsa_fn is not None


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


USER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
"""What the name given to :func:`register_loss` may be (the digest is appended to it)."""


def _code_parts(fn: Callable[..., Any]) -> list[bytes]:
    """A function's code (bytecode, names, constants, nested code) and defaults, as bytes."""
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        raise TypeError(f"register_loss takes plain functions (def or lambda), got {fn!r}")
    parts: list[bytes] = []

    def feed(c: types.CodeType) -> None:
        parts.append(c.co_code)
        parts.append(repr((c.co_names, c.co_varnames, c.co_argcount)).encode())
        for const in c.co_consts:
            if isinstance(const, types.CodeType):
                feed(const)
            else:
                parts.append(repr(const).encode())

    feed(code)
    parts.append(repr((fn.__defaults__, fn.__kwdefaults__)).encode())
    return parts


def register_loss(
    name: str,
    *,
    triplet: Callable[..., Any] | None = None,
    rsa: Callable[..., Any] | None = None,
    base: str = DEFAULT_LOSS,
    label: str | None = None,
) -> str:
    """Add a loss kind whose triplet and/or RSA term is your own function; return its name.

    The one way to train with a loss of your own: the new kind is ``base`` (by default the
    paper's hybrid: its weights, schedule, targets and steps on either trainer) with the given
    term(s) replaced. Train it as any kind, e.g. ``TrainConfig().with_changes(loss_kind=kind)``
    or ``profile.train_config(loss_kind=kind)`` passed to :func:`socalign.train.run.finetune`.

    * ``triplet(kept, odd, margin)`` gets two (n,) tensors, each triplet's cosine distance
      between the two videos people kept together (anchor and positive) and between the anchor
      and the odd one, and the configuration's ``margin``; socalign's own is
      :func:`socalign.train.losses.margin_hinge`. Only with ``LossConfig.triplet="margin"``.
    * ``rsa(model_distance, human_dissimilarity)`` gets two (n,) tensors over the observed
      pairs of a step, the model's cosine distance and people's dissimilarity (1 - judged
      similarity); socalign's own is :func:`socalign.train.losses.rsa_loss_pairs`.

    Each must return a scalar tensor to minimise, differentiable in its first argument.

    The returned name is ``name`` and a digest of the functions' code and defaults
    (``"mine-1a2b3c4d5e"``): the run's configuration (config.json, and so its identity and
    resume check) records it, so a run cannot be resumed with another loss, nor in a process
    where the same functions were not registered (the kind is unknown there). The digest
    covers the functions' own code, not the globals or closures they read. Registering the
    same functions again returns the same name.

    Parameters
    ----------
    name : str
        A name for the loss: a letter, then letters, digits or underscores.
    triplet, rsa : callable or None
        Plain functions (``def`` or ``lambda``) for the terms they replace; at least one.
    base : str, default DEFAULT_LOSS
        The built-in kind whose terms, weights and targets the new kind keeps; it must have
        each term given (``triplet`` needs a kind with the triplet term, ``rsa`` one with RSA)
        and no hard triplets.
    label : str or None
        What tables call the loss (default: ``name``).

    Returns
    -------
    str
        The kind's name in :data:`LOSSES`.

    Raises
    ------
    ValueError
        For a malformed name, an unknown or user base, a base without a given term, the
        budget-matched base, or no function at all.
    TypeError
        For a callable that is not a plain function.
    """
    if not isinstance(name, str) or not USER_NAME.fullmatch(name):
        raise ValueError(f"a loss name is a letter, then letters, digits or underscores; "
                         f"got {name!r}")
    if triplet is None and rsa is None:
        raise ValueError("register_loss needs a triplet function, an RSA function or both")
    if base not in LOSSES or LOSSES[base].user:
        builtin = [k for k, v in LOSSES.items() if not v.user]
        raise ValueError(f"unknown base loss {base!r}; choose one of {builtin}")
    spec = LOSSES[base]
    if spec.hard:
        raise ValueError(f"base {base!r} mines hard triplets with socalign's own margin loss; "
                         "choose a base without them")
    items: list[Any] = [name]
    for part, fn in (("triplet", triplet), ("rsa", rsa)):
        items.append(part)
        if fn is not None:
            items.extend(_code_parts(fn))
    full = f"{name}-{content_key(*items)[:10]}"
    if full not in LOSSES:
        what = " and ".join(t for t, f in (("triplet", triplet), ("RSA", rsa)) if f is not None)
        LOSSES[full] = LossKind(full, label or name,
                                f"{spec.label} with a user's {what} term ({name})",
                                triplet=spec.triplet, rsa=spec.rsa, targets=spec.targets,
                                triplet_fn=triplet, rsa_fn=rsa)
    return full
