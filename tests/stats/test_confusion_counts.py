"""Per-group confusion counts from one bincount, and the rates they define (NaN, never 0, when undefined)."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.stats import confusion as cm


def test_counts_by_hand():
    codes = np.array([0, 0, 0, 1, 1, 2])
    y_true = np.array([0, 1, 1, 0, 0, 1])
    y_pred = np.array([1, 1, 0, 0, 1, 1])
    table = cm.confusion_table(codes, 4, y_true, y_pred)
    #                      tn fp fn tp
    assert table.tolist() == [[0, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]


@pytest.mark.parametrize("seed", range(4))
def test_counts_match_a_loop_over_groups(seed):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 7, 5000)
    y_true, y_pred = rng.integers(0, 2, 5000), rng.integers(0, 2, 5000)
    table = cm.confusion_table(codes, 7, y_true, y_pred)
    for g in range(7):
        rows = codes == g
        t, p = y_true[rows], y_pred[rows]
        expected = [((t == 0) & (p == 0)).sum(), ((t == 0) & (p == 1)).sum(), ((t == 1) & (p == 0)).sum(), ((t == 1) & (p == 1)).sum()]
        assert table[g].tolist() == expected


def test_rates_by_hand_and_undefined_is_nan():
    table = np.array([[2, 1, 1, 3], [4, 2, 0, 0], [0, 0, 0, 0]])
    assert cm.selection_rate(table)[:2] == pytest.approx([4 / 7, 2 / 6])
    assert cm.true_positive_rate(table)[0] == pytest.approx(3 / 4)
    assert np.isnan(cm.true_positive_rate(table)[1])  # no positives: undefined, not 0
    assert cm.false_positive_rate(table)[1] == pytest.approx(2 / 6)
    assert cm.precision(table)[1] == 0.0  # positives predicted, none right: defined and 0
    assert cm.negative_predictive_value(table)[1] == 1.0
    assert all(np.isnan(rate(table)[2]) for rate in cm.RATES.values())  # an empty group


def test_rates_broadcast_over_resample_axes():
    rng = np.random.default_rng(0)
    tables = rng.integers(0, 20, (5, 3, 4))
    for rate in cm.RATES.values():
        stacked = rate(tables)
        assert stacked.shape == (5, 3)
        for b in range(5):
            np.testing.assert_array_equal(stacked[b], rate(tables[b]))
