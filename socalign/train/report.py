"""A finished run's report (``report.json``), typed: :class:`FinetuneReport`.

Importing this module does not import torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from socalign.train.checkpoint import read_json
from socalign.train.runfiles import (
    REPORT_FIELDS,
    REPORT_FILE,
    RUN_RECORD,
    Which,
    check_identity_fields,
    check_which,
)

if TYPE_CHECKING:
    from socalign.metrics import Interval
    from socalign.scoring import Comparison, Evaluation


@dataclass(frozen=True)
class FinetuneReport:
    """Held-out alignment before and after fine-tuning, the gain, and the training summary.

    The fields hold ``report.json`` as written (and as ``socalign finetune --json`` prints it):
    ``before`` / ``after`` are :meth:`socalign.scoring.Evaluation.to_dict` dicts (R², OOO
    accuracy under both rules, bootstrap CIs); ``gain`` holds paired bootstraps of after -
    before (Spearman and R² resampling videos, OOO accuracy resampling trials), i.e. a
    :class:`socalign.scoring.Comparison` without its ``split`` and ``difference`` entries,
    empty when the run had no bootstrap. The typed views are :meth:`evaluation`,
    :meth:`comparison` and :meth:`gain_of`.
    """

    dataset: str
    backbone: str
    split: str
    config: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    gain: dict[str, Any]
    training: dict[str, Any]
    identity: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``report.json``'s content (the public JSON format; ``identity`` when recorded)."""
        out = {
            "dataset": self.dataset, "backbone": self.backbone, "split": self.split,
            "config": self.config, "before": self.before, "after": self.after,
            "gain": self.gain, "training": self.training,
        }
        if self.identity:
            out[RUN_RECORD] = self.identity
        return out

    def evaluation(self, which: Which) -> Evaluation:
        """The held-out evaluation before or after fine-tuning, typed.

        Parameters
        ----------
        which
            ``"before"`` (the pretrained backbone) or ``"after"`` (the fine-tuned model).

        Returns
        -------
        socalign.scoring.Evaluation
            Its values are the report's (per-trial scores and bootstrap samples are not stored).

        Raises
        ------
        ValueError
            An unknown ``which``, or a report without evaluations (a non-main process's).
        """
        from socalign.scoring import Evaluation

        data = self.before if check_which(which) == "before" else self.after
        if not data:
            raise ValueError(f"this report holds no {which!r} evaluation")
        return Evaluation.from_dict(data)

    def comparison(self) -> Comparison:
        """The gain (after - before) as a :class:`socalign.scoring.Comparison`.

        Raises
        ------
        ValueError
            When the run had no bootstrap (``n_boot=0``), so the report holds no gain.
        """
        from socalign.scoring import Comparison

        if not self.gain:
            raise ValueError("this report holds no gain (the run had no bootstrap, n_boot=0)")
        return Comparison.from_dict(self.gain, split=self.split)

    def gain_of(self, statistic: str, rule: str | None = None) -> Interval:
        """One statistic's gain with its paired interval.

        Parameters
        ----------
        statistic
            ``"r2"``, ``"spearman"`` or ``"ooo_accuracy"``.
        rule
            With ``"ooo_accuracy"``: ``"argmax"`` or ``"pair"``.

        Returns
        -------
        socalign.metrics.Interval
            The estimate (after - before), its interval, unit, resamples and p-value.

        Raises
        ------
        ValueError
            An unknown statistic or rule, or a report without a gain.
        """
        comparison = self.comparison()
        if statistic == "ooo_accuracy":
            if rule not in comparison.ooo_accuracy:
                raise ValueError(f"ooo_accuracy needs rule= one of "
                                 f"{sorted(comparison.ooo_accuracy)}, got {rule!r}")
            return comparison.ooo_accuracy[rule]
        if statistic not in ("r2", "spearman") or rule is not None:
            raise ValueError(f"gain_of: statistic must be 'r2', 'spearman' or 'ooo_accuracy' "
                             f"(rule only with ooo_accuracy), got {statistic!r}, rule={rule!r}")
        return getattr(comparison, statistic)

    @property
    def best_epoch(self) -> int:
        """The epoch whose weights were kept."""
        return int(self.training["best_epoch"])

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic: before, after, gain and the gain's interval."""
        rows = []
        for stat in ("r2", "spearman"):
            g = self.gain[stat]
            rows.append({"statistic": stat, "before": self.before[stat],
                         "after": self.after[stat], "gain": g["estimate"], "gain_low": g["low"],
                         "gain_high": g["high"], "unit": g["unit"], "n_boot": g["n_boot"]})
        for rule, acc in self.after["ooo_accuracy"].items():
            g = self.gain["ooo_accuracy"][rule]
            rows.append({"statistic": f"ooo_accuracy ({rule})",
                         "before": self.before["ooo_accuracy"][rule], "after": acc,
                         "gain": g["estimate"], "gain_low": g["low"], "gain_high": g["high"],
                         "unit": g["unit"], "n_boot": g["n_boot"]})
        return pd.DataFrame(rows)

    @classmethod
    def read(cls, out: Path | str) -> FinetuneReport:
        """Read ``out/report.json`` (``out`` a finished run folder; see
        :attr:`socalign.train.runs.Run.report`).

        Raises
        ------
        FileNotFoundError, RunFileError
            As :func:`socalign.train.checkpoint.read_json` (the file named; a field missing or of another type).
        """
        path = Path(out) / REPORT_FILE
        data = read_json(path, REPORT_FIELDS)
        if RUN_RECORD in data:
            check_identity_fields(data[RUN_RECORD], path)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
