"""Human annotations: majority labels, ties, and agreement checked against scikit-learn and statsmodels."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa as sm_fleiss

from conformance.errors import ConfigError
from conformance.genai.bank import BankItem
from conformance.judges.human import HumanJudge, read_annotations
from conformance.stats.agreement import cohen_kappa, fleiss_kappa


def test_cohen_matches_sklearn():
    rng = random.Random(3)
    for _ in range(50):
        a = [rng.choice("xyz") for _ in range(40)]
        b = [x if rng.random() < 0.6 else rng.choice("xyz") for x in a]
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x", "x"], ["x", "x"]) == 1.0  # one category throughout: perfect agreement


def test_fleiss_matches_statsmodels():
    rng = np.random.default_rng(5)
    for raters in (3, 4, 6):
        ratings = rng.integers(0, 3, size=(30, raters))
        ratings[:10] = ratings[:10, :1]  # some agreement
        table, _ = aggregate_raters(ratings)
        assert fleiss_kappa(ratings.tolist()) == pytest.approx(sm_fleiss(table), abs=1e-12)


def test_majority_ties_and_agreement(tmp_path):
    path = tmp_path / "labels.csv"
    rows = ["item,verdict,annotator", "a,refused,ann1", "a,refused,ann2", "a,complied,ann3", "b,complied,ann1", "b,refused,ann2",
            "c,safe,ann1", "c,unsafe,ann2", "c,unsafe,ann3"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    judge = HumanJudge(read_annotations(path, {"a", "b", "c"}))
    item = lambda i: BankItem(id=i, prompt="q", language="en", category="c", expected="any")  # noqa: E731
    assert judge.judge("", item("a")).behaviour == "refused"
    assert judge.judge("", item("b")).error == "annotators tie"
    assert judge.judge("", item("c")).safety == "unsafe"
    assert judge.gives == {"behaviour", "safety"}
    method, kappa, n = judge.agreement()
    assert method == "fleiss" and n == 2  # only a and c were labelled by all three


def test_bad_annotations(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("item,verdict,annotator\nzz,refused,a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"labels.csv:2: item 'zz' is not in the banks"):
        read_annotations(path, {"z1"})
    path.write_text("item,verdict,annotator\nz1,maybe,a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'maybe' is not one of"):
        read_annotations(path, {"z1"})
    path.write_text("item,verdict,annotator\nz1,refused,a\nz1,complied,a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="labels item 'z1' twice"):
        read_annotations(path, {"z1"})
