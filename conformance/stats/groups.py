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

    @property
    def size(self) -> int:
        return len(self.labels)

    def counts(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=self.size)


def encode(values: pd.Series, attribute: str | None = None) -> Grouping:
    """One group per distinct value, sorted by label; missing values form the group 'unknown'."""
    text = values.astype("string").fillna(UNKNOWN).to_numpy(dtype=object)
    labels, codes = np.unique(text, return_inverse=True)
    return Grouping(attribute or str(values.name), tuple(str(x) for x in labels), codes.astype(np.int64))


def intersect(groupings: list[Grouping]) -> Grouping:
    """The intersection of several groupings; only combinations that occur become groups."""
    combined = reduce(lambda acc, g: acc * g.size + g.codes, groupings[1:], groupings[0].codes)
    present, codes = np.unique(combined, return_inverse=True)
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
