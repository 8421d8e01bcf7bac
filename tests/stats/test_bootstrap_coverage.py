"""Bootstrap intervals from count tables: shape, determinism, and coverage of a known disparity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext
from conformance.io.dataset import prepare
from conformance.stats import confusion as cm
from conformance.stats.bootstrap import percentile_interval, resample_tables
from conformance.stats.disparity import difference_and_ratio


def test_resamples_keep_the_total_and_the_shape():
    table = np.array([[5, 1, 2, 7], [3, 0, 4, 1]])
    draws = resample_tables(table, 200, np.random.default_rng(0))
    assert draws.shape == (200, 2, 4)
    assert (draws.sum(axis=(1, 2)) == table.sum()).all()
    assert (draws[:, 1, 1] == 0).all()  # an empty cell stays empty
    assert resample_tables(table, 0, np.random.default_rng(0)).shape == (0, 2, 4)


def test_interval_is_none_when_most_resamples_are_undefined():
    samples = np.array([0.1, np.nan, np.nan, np.nan])
    assert percentile_interval(samples, 0.9) == (None, None)
    low, high = percentile_interval(np.linspace(0, 1, 101), 0.9)
    assert (low, high) == pytest.approx((0.05, 0.95))


def test_coverage_of_a_known_disparity_from_count_tables():
    """90% intervals of a selection-rate difference of 0.10 cover it in about 90% of 400 samples."""
    rng = np.random.default_rng(2024)
    sizes, rates = np.array([400, 250]), np.array([0.45, 0.35])
    truth = 0.10
    covered = 0
    reps = 400
    for _ in range(reps):
        selected = rng.binomial(sizes, rates)
        table = np.zeros((2, 4), dtype=np.int64)
        table[:, 0], table[:, 1] = sizes - selected, selected  # all truth negative: tn, fp
        resampled = resample_tables(table, 1000, rng)
        diff, _ = difference_and_ratio(cm.selection_rate(resampled))
        low, high = percentile_interval(diff, 0.9)
        covered += low <= truth <= high
    assert 0.85 <= covered / reps <= 0.95


def test_coverage_through_the_check_on_synthetic_rows():
    """End to end: 200 synthetic audits with a true TPR gap of 0.15; the 90% CI covers it ~90% of the time."""
    rng = np.random.default_rng(7)
    check = REGISTRY["fairness.equal_opportunity"]
    params = check.params(n_boot=1000, ci_level=0.9, intersections=False)
    n, truth, covered, reps = 1200, 0.15, 0, 200
    for rep in range(reps):
        group = rng.choice(["a", "b"], n)
        y = rng.integers(0, 2, n)
        tpr = np.where(group == "a", 0.70, 0.55)
        pred = np.where(y == 1, rng.random(n) < tpr, rng.random(n) < 0.2).astype(int)
        data = prepare(pd.DataFrame({"g": group, "y": y}), target="y", sensitive=["g"])
        (diff, _) = check.measure(AuditContext(data=data, y_pred=pred, scores=None, seed=rep), params)
        covered += diff.ci.low <= truth <= diff.ci.high
    assert 0.82 <= covered / reps <= 0.97
