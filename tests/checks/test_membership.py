"""privacy.membership_inference against scikit-learn's ROC curve; data.overlap finds planted shared rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, NotApplicable
from conformance.checks.privacy import advantage
from conformance.io.dataset import encode_predictions, prepare
from conformance.io.models import wrap_estimator


def measure(check_id, ctx, **params):
    check = REGISTRY[check_id]
    return {m.metric: m for m in check.measure(ctx, check.params(**params))}


def context(test, model=None, train=None, seed=0):
    data = prepare(test, target="y", sensitive=[])
    ref = prepare(train, target="y", sensitive=[], features=data.features) if train is not None else None
    if model is None:
        return AuditContext(data=data, y_pred=None, scores=None, seed=seed, reference=ref)
    predictor = wrap_estimator(model)
    features = data.features
    y_pred = encode_predictions(data, predictor.predict(test[features]), "p")
    scores = predictor.predict_scores(test[features], data.positive_label)
    return AuditContext(data=data, y_pred=y_pred, scores=scores, seed=seed, predictor=predictor,
                        model_features=features, reference=ref)


def noisy_data(n, seed):
    """Five features, labels with 25 % noise: a tree that memorises them is confident and often wrong on new rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    flip = rng.random(n) < 0.25
    y[flip] = 1 - y[flip]
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(5)]).assign(y=y)


@pytest.fixture(scope="module")
def split():
    return noisy_data(8000, 0), noisy_data(8000, 1)


def test_advantage_is_near_zero_for_a_regularised_model(split):
    train, test = split
    model = LogisticRegression(C=0.1).fit(train.drop(columns="y"), train["y"])
    out = measure("privacy.membership_inference", context(test, model, train), n_boot=300)
    assert out["advantage"].value < 0.03
    assert abs(out["attack_auc"].value - 0.5) < 0.02
    assert out["advantage"].ci.low < 0.03
    assert "chance alone reaches an advantage of about 0.021" in out["advantage"].note


def test_advantage_is_clearly_positive_for_a_memorising_tree(split):
    train, test = split
    tree = DecisionTreeClassifier(random_state=0).fit(train.drop(columns="y"), train["y"])
    out = measure("privacy.membership_inference", context(test, tree, train), n_boot=300)
    # every member gets confidence 1; a non-member only when the tree is right (about 61 % here)
    test_accuracy = (tree.predict(test.drop(columns="y")) == test["y"]).mean()
    assert out["advantage"].value == pytest.approx(1 - test_accuracy, abs=1e-9)
    assert out["advantage"].value > 0.3
    assert out["advantage"].ci.low > 0.25
    assert out["attack_auc"].value > 0.6
    assert "confidence ≥ 1.000 finds 100.0% of members" in out["advantage"].driver


def test_advantage_and_auc_match_scikit_learn_on_the_same_rows():
    train, test = noisy_data(1500, 2), noisy_data(1200, 3)
    model = LogisticRegression(C=100).fit(train.drop(columns="y"), train["y"])
    out = measure("privacy.membership_inference", context(test, model, train), n_boot=0)
    p_train = model.predict_proba(train.drop(columns="y"))[:, 1]
    p_test = model.predict_proba(test.drop(columns="y"))[:, 1]
    confidence = np.concatenate([np.where(train["y"] == 1, p_train, 1 - p_train), np.where(test["y"] == 1, p_test, 1 - p_test)])
    member = np.r_[np.ones(len(train)), np.zeros(len(test))]
    fpr, tpr, _ = roc_curve(member, confidence)
    assert out["advantage"].value == pytest.approx(max(0.0, np.max(tpr - fpr)), abs=1e-12)
    assert out["attack_auc"].value == pytest.approx(roc_auc_score(member, confidence), abs=1e-12)
    assert out["advantage"].ci is None


def test_advantage_of_hand_made_histograms():
    # non-members then members per confidence bin (low to high)
    assert advantage(np.array([[5, 5], [0, 10]])) == pytest.approx(0.5)  # threshold at the top bin: TPR 1, FPR 0.5
    assert advantage(np.array([[0, 10], [10, 0]])) == 0.0  # members less confident: no advantage
    assert advantage(np.array([[10, 0], [0, 10]])) == 1.0


def test_membership_inference_is_seeded_and_samples(split):
    train, test = split
    tree = DecisionTreeClassifier(max_depth=6, random_state=0).fit(train.drop(columns="y"), train["y"])
    a = measure("privacy.membership_inference", context(test, tree, train, seed=4), sample_size=1000, n_boot=100)
    b = measure("privacy.membership_inference", context(test, tree, train, seed=4), sample_size=1000, n_boot=100)
    assert a == b
    assert "members: 1,000 of 8,000 reference rows; non-members: 1,000 of 8,000 evaluation rows" in a["advantage"].note


def test_membership_inference_needs_reference_model_and_probabilities(split):
    train, test = split
    model = LogisticRegression().fit(train.drop(columns="y"), train["y"])
    with pytest.raises(NotApplicable, match="--reference"):
        measure("privacy.membership_inference", context(test, model))
    with pytest.raises(NotApplicable, match="predictions-only"):
        measure("privacy.membership_inference", context(test, None, train))
    svm = LinearSVC().fit(train.drop(columns="y"), train["y"])
    with pytest.raises(NotApplicable, match="predict_proba"):
        measure("privacy.membership_inference", context(test, svm, train))


# --- data.overlap -----------------------------------------------------------------------------


def test_overlap_finds_planted_shared_rows_whatever_the_dtypes():
    rng = np.random.default_rng(0)
    n = 1000
    test = pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "city": rng.choice(["north", "south", None], n),
        "score": rng.normal(size=n).round(3),
        "y": rng.integers(0, 2, n),
    })
    train = pd.DataFrame({
        "age": rng.integers(18, 80, 3000).astype(float),  # floats here, integers there: equal values still match
        "city": rng.choice(["east", "west"], 3000),
        "score": rng.normal(size=3000).round(3) + 10,
        "y": rng.integers(0, 2, 3000),
    })
    planted = test.iloc[rng.choice(n, 37, replace=False)].copy()
    planted["y"] = 1 - planted["y"]  # a different label: still the same person
    planted["age"] = planted["age"].astype(float)
    train = pd.concat([train, planted, planted.iloc[:5]], ignore_index=True)  # five copied twice
    out = measure("data.overlap", context(test, train=train))
    assert out["overlap_rows"].value == 37
    assert out["overlap_rate"].value == pytest.approx(37 / n)
    assert "37 evaluation rows repeat 42 reference rows" in out["overlap_rows"].driver
    assert "compared on 3 features" in out["overlap_rows"].note
    clean = measure("data.overlap", context(test, train=train.iloc[:3000]))
    assert clean["overlap_rows"].value == 0 and clean["overlap_rows"].driver is None
    # ignoring a column can only find more
    wider = measure("data.overlap", context(test, train=train), ignore_columns=["score"])
    assert wider["overlap_rows"].value >= 37


def test_overlap_needs_reference_data_and_handles_all_missing_columns():
    test = pd.DataFrame({"a": [1.0, 2.0, 3.0], "empty": [np.nan] * 3, "y": [0, 1, 0]})
    train = pd.DataFrame({"a": [3.0, 4.0], "empty": [np.nan] * 2, "y": [1, 1]})
    assert measure("data.overlap", context(test, train=train))["overlap_rows"].value == 1
    with pytest.raises(NotApplicable, match="--reference"):
        measure("data.overlap", context(test))
