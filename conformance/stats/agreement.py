"""Agreement between raters: Cohen's kappa (two raters) and Fleiss' kappa (several).

Kappa corrects raw agreement for the agreement expected by chance: 1 is perfect agreement, 0 is
what chance gives. Both are computed from the category counts, exactly as the textbook formulas
(Cohen 1960; Fleiss 1971); the tests compare them with scikit-learn and statsmodels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def cohen_kappa(first: Sequence[object], second: Sequence[object]) -> float | None:
    """Cohen's kappa of two raters over the same items; None when there are no items, 1.0 when
    both raters used a single identical category throughout (chance agreement is then 1)."""
    if len(first) != len(second):
        raise ValueError("both raters must rate the same items")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second)) / n
    left, right = Counter(first), Counter(second)
    expected = sum(left[c] * right[c] for c in left.keys() | right.keys()) / (n * n)
    if expected == 1:
        return 1.0 if observed == 1 else 0.0
    return (observed - expected) / (1 - expected)


def fleiss_kappa(ratings: Sequence[Sequence[object]]) -> float | None:
    """Fleiss' kappa: ``ratings[i]`` holds the categories the raters gave item ``i`` (the same
    number of raters for every item). None with fewer than one item or two raters."""
    if not ratings:
        return None
    raters = len(ratings[0])
    if raters < 2 or any(len(r) != raters for r in ratings):
        raise ValueError("Fleiss' kappa needs the same number (>= 2) of ratings for every item")
    n = len(ratings)
    totals: Counter = Counter()
    agreement = 0.0
    for row in ratings:
        counts = Counter(row)
        totals.update(counts)
        agreement += (sum(c * c for c in counts.values()) - raters) / (raters * (raters - 1))
    p_bar = agreement / n
    p_e = sum((t / (n * raters)) ** 2 for t in totals.values())
    if p_e == 1:
        return 1.0 if p_bar == 1 else 0.0
    return (p_bar - p_e) / (1 - p_e)
