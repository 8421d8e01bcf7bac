"""What the fairness, data, proxy, performance and documentation checks write reads in every language.

Each check runs on data built to reach its notes, drivers, groups left out and not-applicable
reasons. Every such text must come with its catalogue messages, the messages' English must be the
stored text exactly, and the Chinese rendering must hold no run of three English words once the
data's own names (columns, groups, fields) and code are removed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext
from conformance.checks.runner import run_check
from conformance.engine.tables import SufficientStats
from conformance.io.dataset import encode_predictions, prepare
from conformance.locale import Words
from conformance.result import CheckOutcome
from conformance.stats import bootstrap
from conformance.stats import confusion as cm
from conformance.stats.scores import label_histogram
from tests.english import english_runs

EN, ZH = Words("en"), Words("zh")


def _frame(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Two sensitive attributes (one with missing values, one with a small and a single-class group),
    a near copy of the sex column (a proxy), missing values, an exact duplicate block."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.4, 0.6]).astype(object)
    sex[rng.random(n) < 0.05] = None
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.55, 0.3, 0.14, 0.01])
    y = rng.integers(0, 2, n)
    y[region == "west"] = 1  # a group with no actual negatives: its FPR is undefined
    frame = pd.DataFrame({
        "age": rng.integers(18, 80, n).astype(float),
        "income": rng.normal(50, 10, n),
        "zip_area": np.where(sex == "female", 1.0, 0.0) + rng.normal(scale=0.2, size=n),
        "sex": sex,
        "region": region,
        "y": y,
    })
    frame.loc[rng.random(n) < 0.1, "age"] = np.nan
    frame.iloc[-20:] = frame.iloc[:20].to_numpy()
    return frame


def _context(frame: pd.DataFrame, sensitive=("sex", "region"), scores: np.ndarray | None = None,
             with_predictions: bool = True, **extra) -> AuditContext:
    data = prepare(frame, target="y", sensitive=list(sensitive))
    rng = np.random.default_rng(1)
    if scores is None and data.task == "binary":
        scores = np.clip(0.3 * data.y_true + 0.7 * rng.random(data.rows), 0, 1)
    y_pred = None
    if with_predictions:
        y_pred = (scores > 0.5).astype(np.int8) if data.task == "binary" else data.y_true + rng.normal(size=data.rows)
    return AuditContext(data=data, y_pred=y_pred, scores=scores if data.task == "binary" else None, seed=0, **extra)


def _run(check_id: str, ctx: AuditContext, **params) -> CheckOutcome:
    check = REGISTRY[check_id]
    return run_check(check_id, check, check.params(**params), ctx)


def _english_left(text: str, names: set[str]) -> list[str]:
    for name in sorted((n for n in names if n), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text)
    return english_runs(text)


def _assert_said(outcome: CheckOutcome, names: set[str]) -> list[str]:
    """Every text of the outcome has its messages, their English is the text, their Chinese has no English.
    Returns the English texts seen (so a scenario can say which sentence it reached)."""
    seen = []
    names = names | {g.group for m in outcome.measurements for g in m.groups}
    if outcome.reason:
        assert outcome.reason_parts, f"{outcome.check}: reason without messages: {outcome.reason}"
        assert EN.parts(outcome.reason_parts) == outcome.reason
        assert _english_left(ZH.check_reason(outcome), names) == [], ZH.check_reason(outcome)
        seen.append(outcome.reason)
    for m in outcome.measurements:
        for text, said in ((m.note, m.note_parts), (m.driver, m.driver_parts)):
            if text is None:
                assert not said
                continue
            assert said, f"{m.check} {m.metric}: text without messages: {text}"
            assert EN.parts(said) == text
            assert _english_left(ZH.parts(said), names) == [], ZH.parts(said)
            seen.append(text)
        assert len(m.excluded_parts) == len(m.excluded_groups), f"{m.check} {m.metric}: {m.excluded_groups}"
        for text, part in zip(m.excluded_groups, m.excluded_parts):
            assert EN.message(part) == text
            assert _english_left(ZH.message(part), names) == [], ZH.message(part)
            seen.append(text)
        seen += m.permitted_exclusions  # English: the judge matches them against excluded_groups
    return seen


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _frame()


def _names(frame: pd.DataFrame) -> set[str]:
    return {*map(str, frame.columns), *(str(v) for c in ("sex", "region") for v in frame[c].dropna().unique())}


FAIRNESS = [
    ("fairness.demographic_parity", {"n_boot": 20, "min_group_size": 100}),
    ("fairness.demographic_parity", {"n_boot": 0, "reference_group": "north"}),
    ("fairness.demographic_parity", {"n_boot": 0, "reference_group": "west", "min_group_size": 100}),
    ("fairness.demographic_parity", {"n_boot": 0, "reference_group": "North"}),
    ("fairness.demographic_parity", {"n_boot": 0, "reference_group": "nowhere"}),
    ("fairness.equalized_odds", {"n_boot": 20, "min_group_size": 1}),
    ("fairness.fpr_parity", {"n_boot": 0, "min_group_size": 1, "intersections": False}),
    ("fairness.disparate_impact", {"n_boot": 0, "reference_group": "south"}),
    ("fairness.group_rates", {"n_boot": 0}),
    ("fairness.ll144_impact_ratio", {"n_boot": 20, "use_scores": True, "exclude_below_share": 0.02}),
    ("fairness.ll144_impact_ratio", {"n_boot": 0}),
    ("fairness.auc_parity", {"n_boot": 20, "max_bins": 16, "min_group_size": 1}),
    ("fairness.calibration_parity", {"n_boot": 20}),
    ("data.completeness", {}),
    ("data.missingness_by_group", {"n_boot": 20}),
    ("data.missingness_by_group", {"n_boot": 0, "min_group_size": 5000}),
    ("data.representation", {}),
    ("data.representation", {"target_population": {"sex": {"female": 0.5}}}),
    ("data.leakage", {}),
    ("data.label_balance", {}),
    ("data.duplicates", {}),
    ("performance.classification", {"n_boot": 20}),
    ("performance.worst_slice", {"n_boot": 20, "metric": "fpr", "min_group_size": 100}),
    ("performance.worst_slice", {"n_boot": 0, "min_group_size": 5000}),
    ("performance.worst_slice", {"n_boot": 0, "metric": "fpr", "min_group_size": 1, "intersections": False}),
    ("reliability.calibration", {"n_boot": 20, "n_bins": 100}),
    ("fairness.proxy_detection", {}),
]


@pytest.mark.parametrize(("check_id", "params"), FAIRNESS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(FAIRNESS)])
def test_every_text_of_a_check_is_a_message(frame, check_id, params):
    outcome = _run(check_id, _context(frame), **params)
    assert outcome.status in ("ok", "not_applicable"), outcome.reason
    _assert_said(outcome, _names(frame))


def test_the_texts_reached_cover_the_sentences_of_the_fairness_checks(frame):
    """The scenarios above reach the sentences they are meant to (not a test of nothing)."""
    seen = []
    for check_id, params in FAIRNESS:
        seen += _assert_said(_run(check_id, _context(frame), **params), _names(frame))
    text = "\n".join(seen)
    for expected in ("n=", "rate undefined (zero denominator) [fpr]", "lowest selection_rate: ", "reference north selection_rate",
                     "undefined: the reference group 'west' is left out (n=", "did you mean 'north'?", "valid names: ",
                     "is not a group of sex: highest and lowest compared", "smallest group: ", "exclude_below_share 2.00%",
                     "unknown category: ", "scoring rate: ", "auc undefined (a single class in the group)",
                     "computed on 16 quantile bins of the scores", "worst calibrated: ", "most missing: age",
                     "missing values of the attribute", "sex: missing for ", "compared with the target population declared in the check's",
                     "groups in the data but not in the declaration: male", "largest gap: female", "no target population declared for region",
                     "most predictive single feature: ", "worst fpr: ", "fpr undefined (zero denominator)",
                     "undefined: no slice has 5000 rows and a defined accuracy", "largest gap in bin ",
                     "single-feature AUCs on 1,200 rows", "strongest proxy: zip_area", "strong proxies: zip_area (AUC ",
                     "importance unavailable: "):
        assert expected in text, expected


def test_not_applicable_reasons_are_messages(frame):
    names = _names(frame)
    no_sensitive = _context(frame, sensitive=())
    no_scores = _context(frame)
    no_scores.scores = None
    outside = _context(frame, scores=np.linspace(-1, 2, len(frame)))
    single = frame.assign(y=1)
    reasons = []
    for check_id, ctx, params in (
        ("fairness.demographic_parity", no_sensitive, {}),
        ("fairness.proxy_detection", no_sensitive, {}),
        ("data.representation", no_sensitive, {}),
        ("data.missingness_by_group", no_sensitive, {}),
        ("performance.worst_slice", no_sensitive, {}),
        ("fairness.ll144_impact_ratio", no_scores, {"use_scores": True}),
        ("fairness.auc_parity", no_scores, {}),
        ("fairness.calibration_parity", no_scores, {}),
        ("reliability.calibration", no_scores, {}),
        ("fairness.calibration_parity", outside, {}),
        ("reliability.calibration", _context(frame, scores=np.full(len(frame), np.nan)), {}),
        ("data.leakage", _context(single), {}),
        ("data.completeness", _context(frame), {"ignore_columns": list(frame.columns)}),
        ("documentation.model_card", _context(frame), {}),
    ):
        outcome = _run(check_id, ctx, **params)
        assert outcome.status == "not_applicable", (check_id, outcome.status)
        reasons += _assert_said(outcome, names)
    assert "no sensitive attribute given (--sensitive COLUMN)" in reasons
    assert "the scores are not probabilities: some lie outside [0, 1]" in reasons
    assert "the scores have missing or infinite values" in reasons
    assert len(set(reasons)) >= 9


def test_performance_edge_notes(frame, monkeypatch):
    names = _names(frame)
    outside = _context(frame, scores=np.linspace(-1, 2, len(frame)))
    texts = _assert_said(_run("performance.classification", outside, n_boot=0), names)
    assert "omitted: the scores are not probabilities: some lie outside [0, 1]" in texts
    assert "undefined: the data has a single class" in _assert_said(_run("performance.classification", _context(frame.assign(y=1)), n_boot=0), names)
    none_selected = _context(frame, scores=np.zeros(len(frame)))
    assert "undefined: its denominator is zero on this data" in _assert_said(_run("performance.classification", none_selected, n_boot=0), names)
    tied = _context(frame, scores=np.repeat([0.2, 0.8], len(frame) // 2))
    tied_params = {"n_bins": 100}
    texts = _assert_said(_run("reliability.calibration", tied, n_boot=0, **tied_params), names)
    assert "98 of 100 equal-width bins hold no scores" in texts
    assert any("equal-mass bins empty" in t for t in texts)
    regression = frame.assign(y=np.random.default_rng(2).normal(size=len(frame)))
    monkeypatch.setattr(bootstrap, "BOOTSTRAP_MAX_ROWS", 1000)
    texts = _assert_said(_run("performance.regression", _context(regression), n_boot=20), names)
    texts += _assert_said(_run("fairness.regression_parity", _context(regression), n_boot=20), names)
    assert sum("Poisson bootstrap resamples of a seeded subsample of 1,000 of the 1,200 rows" in t for t in texts) >= 2
    constant = _context(regression.assign(y=1.5))
    assert "undefined: the target is constant on this data" in _assert_said(_run("performance.regression", constant, n_boot=0), names)
    no_predictions = _context(regression, with_predictions=False)
    assert _run("fairness.regression_parity", no_predictions).reason == "no predictions: give a model or a predictions column"


def test_representation_and_overlap_notes(frame):
    names = _names(frame)
    reference = prepare(frame.iloc[:300], target="y", sensitive=["sex", "region"])
    texts = _assert_said(_run("data.overlap", _context(frame, reference=reference)), names)
    assert "compared on 5 features; reference: 300 rows, evaluation: 1,200 rows" in texts
    assert any(t.endswith("reference rows") for t in texts)
    card = {"model_name": "m", "version": "1"}
    texts = _assert_said(_run("documentation.model_card", _context(frame, model_card=card),
                              required_fields=["model_name", "version", "owner"]), names | {"owner"})
    assert texts == ["missing or unfilled: owner"] * 2
    texts = _assert_said(_run("documentation.model_card", _context(frame, model_card=card), required_fields=["model_name"]), names)
    assert texts == ["every required field is filled"] * 2
    texts = _assert_said(_run("data.label_balance", _context(frame.assign(y=0))), names)
    assert "the data has a single class" in texts


def test_score_histogram_notes_with_statistics_over_all_rows(frame):
    """With count tables over all rows, AUC is computed on equal-width bins and says so; a sample says so too."""
    ctx = _context(frame)
    bins = np.minimum((ctx.scores * 64).astype(np.int64), 63)
    grouping = ctx.groupings(False)[0]
    ctx.stats = SufficientStats(
        rows=4 * len(frame), positive_label=1, labels={grouping.attribute: grouping.labels},
        tables={grouping.attribute: cm.confusion_table(grouping.codes, grouping.size, ctx.data.y_true, ctx.y_pred)},
        overall=cm.confusion_table(np.zeros(len(frame), dtype=np.int64), 1, ctx.data.y_true, ctx.y_pred),
        histograms={grouping.attribute: label_histogram(bins, 64, ctx.data.y_true, grouping.codes, grouping.size)},
        overall_histogram=label_histogram(bins, 64, ctx.data.y_true), sample=frame,
    )
    texts = _assert_said(_run("performance.classification", ctx, n_boot=0), _names(frame))
    assert "computed on 64 equal-width bins of the scores over all 4800 rows" in texts
    ctx.stats.histograms = None
    texts = _assert_said(_run("fairness.auc_parity", ctx, n_boot=0, max_bins=16, intersections=False), _names(frame))
    assert any("computed on 16 quantile bins of the scores; on a seeded sample of 1200 of 4800 rows" in t for t in texts)


def test_proxy_importance_with_a_model(frame):
    """With the model, the important proxies are listed in the reader's language, with commas between them."""
    pytest.importorskip("shap")
    from sklearn.linear_model import LogisticRegression

    from conformance.io.models import wrap_estimator

    features = ["income", "zip_area"]
    train = frame.assign(y=(frame.zip_area + 0.02 * frame.income > 1.5).astype(int))
    model = LogisticRegression().fit(train[features], train.y)
    predictor = wrap_estimator(model)
    data = prepare(train.drop(columns=["age"]), target="y", sensitive=["sex", "region"])
    y_pred = encode_predictions(data, predictor.predict(train[features]), "predictions")
    ctx = AuditContext(data=data, y_pred=y_pred, scores=predictor.predict_scores(train[features], data.positive_label),
                       seed=0, predictor=predictor, model_features=features)
    outcome = _run("fairness.proxy_detection", ctx, proxy_auc=0.51, importance_share=0.0)
    texts = _assert_said(outcome, _names(frame))
    important = next(t for t in texts if t.startswith("important proxies: "))
    assert re.fullmatch(r"important proxies: \w+ \(AUC \d\.\d\d, \d+% of attribution\)(, \w+ \(AUC \d\.\d\d, \d+% of attribution\))*", important)
    m = next(m for m in outcome.measurements if m.metric == "important_proxies" and m.attribute == "sex")
    if m.value and m.value > 1:
        assert "，" in ZH.note(m)
