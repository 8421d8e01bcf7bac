"""Group codes from sensitive columns: sorted labels, 'unknown' for missing, present intersections only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conformance.stats import groups
from conformance.stats.groups import encode, groupings_for, intersect


def test_labels_sorted_and_missing_values_unknown():
    g = encode(pd.Series(["b", None, "a", "b", np.nan]), "col")
    assert g.labels == ("a", "b", "unknown")
    assert g.codes.tolist() == [1, 2, 0, 1, 2]
    assert g.counts().tolist() == [1, 2, 2]


def test_values_with_the_same_text_are_one_group():
    g = encode(pd.Series([1, "1", "unknown", None, 2.5], dtype=object), "col")
    assert g.labels == ("1", "2.5", "unknown")
    assert g.codes.tolist() == [0, 0, 2, 2, 1]


@pytest.mark.parametrize(
    "values",
    [pd.Series([1.0, None, 2.5, 1.0]), pd.Series([True, False, True]), pd.Series(pd.Categorical(["x", None, "y"])),
     pd.Series([3, 10, 2])],
)
def test_labels_are_the_text_of_the_values(values):
    expected = values.astype("string").fillna("unknown").to_numpy(dtype=object)
    g = encode(values, "col")
    assert [g.labels[c] for c in g.codes] == list(expected)
    assert list(g.labels) == sorted(set(expected))


def test_intersection_has_only_combinations_that_occur(monkeypatch):
    frame = pd.DataFrame({"a": ["x", "y", "x", "z"], "b": ["p", "q", "q", "p"]})
    single, other, both = groupings_for(frame, ["a", "b"])
    assert both.attribute == "a × b"
    assert both.labels == ("x × p", "x × q", "y × q", "z × p")
    assert [both.labels[c] for c in both.codes] == ["x × p", "y × q", "x × q", "z × p"]
    # the sorting path for very many combinations gives the same result as the lookup table
    monkeypatch.setattr(groups, "_compact", lambda combined, bound: np.unique(combined, return_inverse=True))
    again = intersect([single, other])
    assert again.labels == both.labels and again.codes.tolist() == both.codes.tolist()


def test_no_intersection_for_one_attribute_or_when_not_asked():
    frame = pd.DataFrame({"a": ["x", "y"], "b": ["p", "q"]})
    assert len(groupings_for(frame, ["a"])) == 1
    assert len(groupings_for(frame, ["a", "b"], intersections=False)) == 2
