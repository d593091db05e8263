"""How large a change a test could have detected: the minimal detectable effect and power.

A page that says "no detectable change" owes the reader the size of change the test could have
seen. Every comparison in the book comes with a (bootstrap) interval; under the normal
approximation its half-width at level ``1 - alpha`` is ``z(1 - alpha/2) * se``, so the standard
error follows from the interval, and with it

* the **minimal detectable effect** (MDE) of a two-sided test at ``alpha`` with ``power``:
  ``(z(1 - alpha/2) + z(power)) * se`` (at alpha 0.05 and 80% power, 2.80 standard errors, or
  0.715 of the 95% interval's width);
* the **power** of that test against a given true change ``d``:
  ``Phi(|d|/se - z(1 - alpha/2)) + Phi(-|d|/se - z(1 - alpha/2))``.

For a comparison of two accuracies on the same ``n`` items (paired binary outcomes) the
standard error also follows from the two accuracies and how often the models disagree
(:func:`paired_accuracy_se`), without an interval.
"""

from __future__ import annotations

import math

from scipy.stats import norm

__all__ = [
    "ALPHA",
    "POWER",
    "detectable_change",
    "paired_accuracy_se",
    "power_at",
    "se_from_interval",
]

ALPHA = 0.05
"""Two-sided significance level of every detectability statement on a page."""

POWER = 0.8
"""Power at which the minimal detectable effect is stated."""


def _check_probability(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")


def se_from_interval(low: float, high: float, level: float = 0.95) -> float:
    """The standard error a two-sided interval at ``level`` implies (normal approximation).

    Parameters
    ----------
    low, high : float
        The interval's bounds (``low <= high``).
    level : float, default 0.95
        Its coverage.

    Returns
    -------
    float
        ``(high - low) / (2 z((1 + level) / 2))``; NaN when a bound is not finite.

    Raises
    ------
    ValueError
        ``level`` outside (0, 1) or ``high < low``.
    """
    _check_probability("level", level)
    if not (math.isfinite(low) and math.isfinite(high)):
        return float("nan")
    if high < low:
        raise ValueError(f"interval bounds out of order: [{low}, {high}]")
    return (float(high) - float(low)) / (2.0 * float(norm.ppf((1.0 + level) / 2.0)))


def detectable_change(se: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true change a two-sided z-test at ``alpha`` detects with ``power``.

    Parameters
    ----------
    se : float
        Standard error of the estimated change (:func:`se_from_interval` from its interval).
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Probability of detecting the change.

    Returns
    -------
    float
        ``(z(1 - alpha/2) + z(power)) * se`` (NaN for a non-finite ``se``).

    Examples
    --------
    >>> round(detectable_change(1.0), 3)
    2.802
    """
    _check_probability("alpha", alpha)
    _check_probability("power", power)
    if not math.isfinite(se):
        return float("nan")
    if se < 0:
        raise ValueError(f"a standard error cannot be negative, got {se}")
    return float((norm.ppf(1.0 - alpha / 2.0) + norm.ppf(power)) * se)


def power_at(effect: float, se: float, alpha: float = ALPHA) -> float:
    """Power of the two-sided z-test at ``alpha`` against a true change ``effect``.

    Parameters
    ----------
    effect : float
        The true change (its sign does not matter).
    se : float
        Standard error of the estimated change.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        Probability that the test's interval excludes 0 (``alpha`` at ``effect`` 0; NaN for a
        non-finite ``se``; 1 for ``se`` 0 and a non-zero effect).
    """
    _check_probability("alpha", alpha)
    if not (math.isfinite(se) and math.isfinite(effect)):
        return float("nan")
    if se < 0:
        raise ValueError(f"a standard error cannot be negative, got {se}")
    if se == 0:
        return 1.0 if effect != 0 else float(alpha)
    z = float(norm.ppf(1.0 - alpha / 2.0))
    shift = abs(float(effect)) / float(se)
    return float(norm.cdf(shift - z) + norm.cdf(-shift - z))


def paired_accuracy_se(p_before: float, p_after: float, discordant: float, n: int) -> float:
    """Standard error of the difference of two accuracies measured on the same ``n`` items.

    With ``discordant`` the share of items on which exactly one of the two is right, the
    variance of the mean paired difference is ``(discordant - (p_after - p_before)**2) / n``
    (the McNemar setting).

    Parameters
    ----------
    p_before, p_after : float
        The two accuracies, in [0, 1].
    discordant : float
        Share of items scored right by one and wrong by the other, in [0, 1]; at least
        ``|p_after - p_before|``.
    n : int
        Number of items (at least 1).

    Returns
    -------
    float
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    for name, value in (("p_before", p_before), ("p_after", p_after), ("discordant", discordant)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    diff = float(p_after) - float(p_before)
    if discordant + 1e-12 < abs(diff):
        raise ValueError(f"discordant share {discordant} is below the accuracy difference {diff}")
    return math.sqrt(max(float(discordant) - diff * diff, 0.0) / n)
