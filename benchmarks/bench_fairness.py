"""Benchmark the fairness engine against fairlearn's MetricFrame on the same per-group metrics.

    python benchmarks/bench_fairness.py [--rows 1000000] [--seed 0] [--skip-fairlearn]

A synthetic audit table: two sensitive attributes (sex: 2 groups, race: 5 groups, so 10
intersectional groups), a binary target, scores and binary predictions. Three timings:

1. point metrics: every per-group rate (n, share, base rate, selection rate, TPR, FPR, FNR, TNR,
   PPV, NPV, accuracy) for sex, race and sex × race, from the raw columns (group encoding
   included): the ``fairness.group_rates`` check without resamples;
2. fairlearn: ``MetricFrame`` over the same metrics and the same three groupings;
3. confidence intervals: every fairness check with 1000 resamples, minus the same checks
   without resamples (the added cost of the intervals), and the total.

The engine's figures are the best of ``--repeat`` runs; fairlearn's is one run (it is slow).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from conformance.checks.base import AuditContext
from conformance.checks.fairness import CHECKS
from conformance.io.dataset import prepare


def synthetic(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The audit table, the predictions and the scores; the positive rate differs by group."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["female", "male"]), rows, p=[0.45, 0.55])
    race = rng.choice(np.array(["asian", "black", "hispanic", "other", "white"]), rows, p=[0.1, 0.15, 0.2, 0.05, 0.5])
    shift = (sex == "male") * 0.3 + (race == "white") * 0.4
    latent = rng.normal(shift, 1.0)
    y = (latent + rng.normal(0, 1.0, rows) > 0.5).astype(np.int8)
    scores = 1 / (1 + np.exp(-(latent - 0.3)))
    y_pred = (scores > 0.5).astype(np.int8)
    return pd.DataFrame({"sex": sex, "race": race, "y": y}), y_pred, scores


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def fresh_context(frame: pd.DataFrame, y_pred: np.ndarray, scores: np.ndarray) -> AuditContext:
    data = prepare(frame, target="y", sensitive=["sex", "race"])
    return AuditContext(data=data, y_pred=y_pred, scores=scores, seed=0)


def engine_point(frame: pd.DataFrame, y_pred: np.ndarray, scores: np.ndarray) -> None:
    ctx = fresh_context(frame, y_pred, scores)  # groups are encoded inside the timing
    check = next(c for c in CHECKS if c.id == "fairness.group_rates")
    check.measure(ctx, check.params(n_boot=0))


def fairlearn_point(frame: pd.DataFrame, y_pred: np.ndarray) -> None:
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    def base_rate(y_true, y_pred):
        return np.mean(y_true)

    def ppv(y_true, y_pred):
        return precision_score(y_true, y_pred, zero_division=np.nan)

    def npv(y_true, y_pred):
        return precision_score(1 - np.asarray(y_true), 1 - np.asarray(y_pred), zero_division=np.nan)

    metrics = {
        "n": count,
        "base_rate": base_rate,
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "tnr": true_negative_rate,
        "ppv": ppv,
        "npv": npv,
        "accuracy": accuracy_score,
    }
    for columns in (["sex"], ["race"], ["sex", "race"]):
        frame_ = MetricFrame(metrics=metrics, y_true=frame["y"], y_pred=y_pred, sensitive_features=frame[columns])
        frame_.by_group  # noqa: B018 (computed in the constructor; touched to be explicit)


def engine_all_checks(ctx: AuditContext, n_boot: int) -> None:
    for check in CHECKS:
        params = {"n_boot": n_boot}
        if check.id == "fairness.ll144_impact_ratio":
            params["use_scores"] = True
        check.measure(ctx, check.params(**params))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-fairlearn", action="store_true", help="time only this engine")
    args = parser.parse_args()

    frame, y_pred, scores = synthetic(args.rows, args.seed)
    print(f"rows: {args.rows:,}; groups: sex 2, race 5, sex × race 10; checks: {len(CHECKS)}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")

    point = best_of(args.repeat, lambda: engine_point(frame, y_pred, scores))
    print(f"engine, all point metrics for all groups (incl. group encoding): {point:.3f} s")

    if not args.skip_fairlearn:
        import fairlearn

        fl = best_of(1, lambda: fairlearn_point(frame, y_pred))
        print(f"fairlearn {fairlearn.__version__} MetricFrame, same metrics and groups: {fl:.2f} s")
        print(f"speed-up: {fl / point:.0f}x")

    ctx = fresh_context(frame, y_pred, scores)
    ctx.groupings(True)  # encode once, as a run does before its checks
    without = best_of(args.repeat, lambda: engine_all_checks(ctx, 0))
    with_ci = best_of(args.repeat, lambda: engine_all_checks(ctx, 1000))
    print(f"all {len(CHECKS)} fairness checks, no resamples: {without:.3f} s")
    print(f"all {len(CHECKS)} fairness checks, 1000-resample CIs on every metric and group: {with_ci:.3f} s "
          f"(intervals add {with_ci - without:.3f} s)")


if __name__ == "__main__":
    main()
