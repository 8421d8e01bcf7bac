"""Encode sensitive attributes (and their intersections) as integer group codes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np
import pandas as pd

UNKNOWN = "unknown"
JOIN = " × "


@dataclass(frozen=True)
class Grouping:
    """Rows of the data assigned to the groups of one attribute or intersection of attributes."""

    attribute: str
    labels: tuple[str, ...]
    codes: np.ndarray  # int64, one per row, in range(len(labels))
    totals: np.ndarray | None = None  # rows per group over all the data, when ``codes`` cover a sample

    @property
    def size(self) -> int:
        return len(self.labels)

    def counts(self) -> np.ndarray:
        if self.totals is not None:
            return np.asarray(self.totals)
        return np.bincount(self.codes, minlength=self.size)


def encode(values: pd.Series, attribute: str | None = None) -> Grouping:
    """One group per distinct value, sorted by label; missing values form the group 'unknown'.

    Values are factorised first and only the distinct values are turned into text, so a million
    rows cost a hash pass, not a million string conversions. Distinct values with the same text
    (``1`` and ``"1"`` in an object column) are one group, as are missing values and 'unknown'.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(uniques).astype("string").to_numpy(dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        text = np.append(text, UNKNOWN)  # code -1 indexes this last entry
    labels, remap = np.unique(text.astype(str), return_inverse=True)
    return Grouping(attribute or str(values.name), tuple(str(x) for x in labels), remap.astype(np.int64)[codes])


def _compact(combined: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``combined`` (all in ``range(bound)``), and each row's index among them."""
    if bound <= 4 * combined.size + 1024:  # a lookup table is cheaper than sorting
        present = np.flatnonzero(np.bincount(combined, minlength=bound))
        lookup = np.zeros(bound, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        return present, lookup[combined]
    present, codes = np.unique(combined, return_inverse=True)
    return present, codes


def intersect(groupings: list[Grouping]) -> Grouping:
    """The intersection of several groupings; only combinations that occur become groups."""
    combined = reduce(lambda acc, g: acc * g.size + g.codes, groupings[1:], groupings[0].codes)
    bound = int(np.prod([g.size for g in groupings], dtype=object))
    present, codes = _compact(combined, bound)
    labels = []
    for value in present:
        parts = []
        for grouping in reversed(groupings):
            value, index = divmod(int(value), grouping.size)
            parts.append(grouping.labels[index])
        labels.append(JOIN.join(reversed(parts)))
    return Grouping(JOIN.join(g.attribute for g in groupings), tuple(labels), codes.astype(np.int64))


def groupings_for(frame: pd.DataFrame, sensitive: list[str], intersections: bool = True) -> list[Grouping]:
    """Each sensitive attribute, then their full intersection when there are two or more."""
    single = [encode(frame[column], column) for column in sensitive]
    if intersections and len(single) >= 2:
        return [*single, intersect(single)]
    return single
