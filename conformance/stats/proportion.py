"""Confidence intervals of a binomial proportion: exact (Clopper–Pearson) and Wilson score.

Clopper–Pearson inverts two one-sided binomial tests through the beta distribution: it never
covers less than its level, which is why a certification rate on a few hundred sampled items
uses it by default. Wilson is narrower and close to its level on average.
"""

from __future__ import annotations

import math
from typing import Literal

IntervalMethod = Literal["clopper-pearson", "wilson"]


def clopper_pearson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact interval: the ``alpha/2`` quantile of Beta(k, n-k+1) and the ``1-alpha/2`` of Beta(k+1, n-k)."""
    from scipy.stats import beta

    alpha = 1.0 - level
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, n - successes + 1))
    high = 1.0 if successes == n else float(beta.ppf(1 - alpha / 2, successes + 1, n - successes))
    return low, high


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (without continuity correction)."""
    from scipy.stats import norm

    z = float(norm.ppf(1 - (1 - level) / 2))
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_interval(successes: int, n: int, level: float = 0.95,
                        method: IntervalMethod = "clopper-pearson") -> tuple[float, float] | None:
    """The interval of ``successes / n``; None when ``n`` is 0 (no items, no rate)."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    return clopper_pearson(successes, n, level) if method == "clopper-pearson" else wilson(successes, n, level)
