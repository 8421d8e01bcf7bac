"""performance.classification against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from conformance.checks.base import AuditContext, BootstrapParams
from conformance.checks.performance import classification
from conformance.io.dataset import prepare


def _measure(y, y_pred, scores=None, n_boot=200):
    data = prepare(pd.DataFrame({"y": y}), target="y", sensitive=[])
    ctx = AuditContext(data=data, y_pred=np.asarray(y_pred, dtype=np.int8), scores=scores, seed=0)
    return {m.metric: m for m in classification(ctx, BootstrapParams(n_boot=n_boot))}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 1500)
    scores = np.clip(0.3 * y + rng.random(1500) * 0.7, 0, 1).round(2)  # rounded: many ties
    y_pred = (scores > 0.5).astype(int)
    out = _measure(y, y_pred, scores)
    expected = {
        "accuracy": metrics.accuracy_score(y, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, y_pred),
        "precision": metrics.precision_score(y, y_pred),
        "recall": metrics.recall_score(y, y_pred),
        "specificity": metrics.recall_score(y, y_pred, pos_label=0),
        "f1": metrics.f1_score(y, y_pred),
        "roc_auc": metrics.roc_auc_score(y, scores),
    }
    for name, value in expected.items():
        assert out[name].value == pytest.approx(value, abs=1e-12), name
        assert out[name].ci.low <= out[name].value <= out[name].ci.high


def test_auc_on_many_distinct_scores_is_close():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 20000)
    scores = 0.2 * y + rng.random(20000)
    out = _measure(y, (scores > 0.6).astype(int), scores, n_boot=0)
    assert out["roc_auc"].value == pytest.approx(metrics.roc_auc_score(y, scores), abs=1e-3)
    assert "quantile bins" in out["roc_auc"].note


def test_undefined_metrics_are_none_not_zero():
    out = _measure([0, 0, 0, 0], [0, 0, 0, 0], np.array([0.1, 0.2, 0.3, 0.4]), n_boot=20)
    assert out["accuracy"].value == 1.0
    assert out["precision"].value is None and out["recall"].value is None
    assert out["roc_auc"].value is None and "single class" in out["roc_auc"].note
