"""Benchmark the transparency checks on a 20-feature gradient-boosted model.

    python benchmarks/bench_transparency.py [--rows 1000000] [--seed 0] [--agnostic-rows 40]

A synthetic credit-like table: 18 numeric features (5 informative), a 6-level categorical
feature and a numeric proxy of the sensitive attribute (20 model inputs), a binary target, and a
sensitive attribute ``group`` that is not a model input. The model is a scikit-learn pipeline
(one-hot encoder + ``HistGradientBoostingClassifier``, 100 iterations) trained on 20 000 rows.

Three figures:

1. tree path: cost per explained row of ``TreeExplainer`` through the pipeline (500 rows);
2. model-agnostic path: cost per explained row of the permutation explainer (the same model
   explained as a black box over the original columns, 100 background rows);
3. the full transparency section on ``--rows`` rows through the library's front door
   (``conformance.api.audit``): load-free, but predictions on every row, SHAP on a seeded
   sample of 500 rows shared by the four explainability checks, proxies on 200 000 rows, the
   model card check; each check's time and the total.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from conformance import api
from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext
from conformance.checks.runner import run_check
from conformance.checks.shap_values import explain
from conformance.io.dataset import encode_predictions, prepare
from conformance.io.models import wrap_estimator

PROFILE = """\
id: bench-transparency
title: Transparency section (benchmark)
version: "1"
source: {title: benchmark, citation: benchmark}
requirements:
  - {id: importance, clause: "13", title: importance, principle: transparency, check: explainability.global_importance,
     metric: top_feature_share, threshold: {max: 0.8, origin: tool-default}}
  - {id: reliance, clause: "10", title: reliance, principle: fairness, check: explainability.sensitive_reliance,
     metric: total_share, threshold: {max: 0.1, origin: tool-default}}
  - {id: stability, clause: "15", title: stability, principle: transparency, check: explainability.stability,
     metric: rank_correlation, threshold: {min: 0.8, origin: tool-default}}
  - {id: reasons, clause: "86", title: reasons, principle: transparency, check: explainability.reason_codes,
     metric: sensitive_reason_rate, threshold: {max: 0.0, origin: tool-default}}
  - {id: proxies, clause: "10", title: proxies, principle: fairness, check: fairness.proxy_detection,
     metric: important_proxies, threshold: {max: 0, origin: tool-default}}
  - {id: card, clause: "IV", title: card, principle: transparency, check: documentation.model_card,
     metric: completeness, threshold: {min: 1.0, origin: tool-default}}
"""


def synthetic(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {f"x{i:02d}": rng.normal(size=rows).astype(np.float32) for i in range(18)}
    frame = pd.DataFrame(data)
    group = rng.choice(np.array(["a", "b"]), rows, p=[0.4, 0.6])
    frame["region"] = rng.choice(np.array(["n", "s", "e", "w", "c", "x"]), rows)
    frame["proxy"] = (group == "a") + rng.normal(scale=0.4, size=rows)
    logit = 1.5 * frame.x00 - frame.x01 + 0.8 * frame.x02 + 0.5 * frame.x03 * frame.x04 + 0.6 * frame.proxy
    logit += np.where(frame.region == "s", 0.7, 0.0)
    frame["y"] = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    frame["group"] = group
    return frame


def model_for(train: pd.DataFrame):
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    features = [c for c in train.columns if c not in ("y", "group")]
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["region"]), remainder="passthrough"),
        HistGradientBoostingClassifier(max_iter=100, random_state=0),
    )
    return model.fit(train[features], train.y), features


def context(frame: pd.DataFrame, model, features: list[str]) -> AuditContext:
    data = prepare(frame, target="y", sensitive=["group"])
    predictor = wrap_estimator(model)
    y_pred = encode_predictions(data, predictor.predict(frame[features]), "predictions")
    return AuditContext(data=data, y_pred=y_pred, scores=None, seed=0, predictor=predictor, model_features=features)


def per_row(ctx: AuditContext, rows: int, agnostic: bool) -> tuple[float, str]:
    import conformance.checks.shap_values as sv

    original = sv._split_pipeline
    if agnostic:  # explain the whole pipeline as a black box
        sv._split_pipeline = lambda *a: (None, None, None, None)
    try:
        explain(ctx, rows, 100, 1e9)  # warm-up (numba compilation of the permutation explainer)
        start = time.perf_counter()
        explained = explain(ctx, rows, 100, 1e9)
        elapsed = time.perf_counter() - start
    finally:
        sv._split_pipeline = original
    return elapsed / len(explained.rows), explained.explainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--agnostic-rows", type=int, default=40)
    args = parser.parse_args()

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, load average {load}")
    start = time.perf_counter()
    train = synthetic(20_000, args.seed + 1)
    model, features = model_for(train)
    print(f"model: {len(features)} inputs, HistGradientBoostingClassifier(100) in a pipeline; trained in {time.perf_counter() - start:.1f} s")

    small = synthetic(5_000, args.seed + 2)
    ctx = context(small, model, features)
    tree, name = per_row(ctx, 500, agnostic=False)
    print(f"tree path       ({name}, 500 rows):  {tree * 1e3:8.3f} ms per explained row")
    agnostic, name = per_row(ctx, args.agnostic_rows, agnostic=True)
    print(f"agnostic path   ({name}, {args.agnostic_rows} rows, 100 background): {agnostic * 1e3:8.1f} ms per explained row")

    frame = synthetic(args.rows, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "bench.yaml"
        profile.write_text(PROFILE)
        card = {"model_name": "bench", "version": "1"}
        start = time.perf_counter()
        result = api.audit(frame, target="y", sensitive=["group"], model=model, profiles=[str(profile)], model_card=card)
        total = time.perf_counter() - start
    print(f"full transparency section on {args.rows:,} rows: {total:.1f} s (api.audit: predictions, 6 checks, judging)")
    for outcome in result.evidence.checks:
        values = ", ".join(f"{m.metric}{'[' + m.attribute + ']' if m.attribute else ''}={m.value:.3g}"
                           for m in outcome.measurements if m.value is not None)
        print(f"  {outcome.check:36s} {outcome.status:14s} {values[:110]}")

    print("breakdown (a fresh context, checks in plan order; SHAP is computed by the first that needs it):")
    start = time.perf_counter()
    ctx = context(frame, model, features)
    ctx.model_card = card
    print(f"  {'predictions on every row':36s} {time.perf_counter() - start:6.2f} s")
    for outcome in result.evidence.checks:
        check = REGISTRY[outcome.check]
        start = time.perf_counter()
        run_check(outcome.key, check, check.params(**outcome.params), ctx)
        print(f"  {outcome.check:36s} {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    main()
