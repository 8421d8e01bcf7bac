"""Benchmark the checks that run the model again, and the reference-data checks, on a large audit.

    python benchmarks/bench_robustness.py [--rows 1000000] [--features 20] [--seed 0] [--threads N]

A synthetic credit-like table: ``--features`` model inputs (four categorical, ``sex`` among them,
the rest numeric, a few with missing values), a binary target, and reference (training) data of
the same size with a drifted feature. The model is a scikit-learn pipeline (ordinal encoding +
``HistGradientBoostingClassifier``, 100 trees) fitted on 200,000 reference rows. Timed with
default parameters (sample sizes 10,000):

1. the model's predictions on all rows (done once per audit, shared by every check: not part
   of the section);
2. each check of the section: robustness.noise, robustness.missing_values,
   robustness.counterfactual_flip, reliability.determinism, reliability.distribution_shift,
   privacy.membership_inference, data.overlap; and their total (the budget: 60 s).

``--threads N`` limits the model's native thread pools (OpenMP, BLAS) with threadpoolctl: on a
machine whose cores are busy with other work, OpenMP's waiting threads can make each
prediction many times slower than one thread would.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext
from conformance.io.dataset import encode_predictions, encode_scores, prepare
from conformance.io.models import wrap_estimator

SECTION = (
    "robustness.noise",
    "robustness.missing_values",
    "robustness.counterfactual_flip",
    "reliability.determinism",
    "reliability.distribution_shift",
    "privacy.membership_inference",
    "data.overlap",
)


def synthetic(rows: int, features: int, seed: int, drift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    numeric = features - 4
    x = rng.normal(size=(rows, numeric))
    x[:, 0] += drift
    frame = pd.DataFrame(x, columns=[f"num_{i:02d}" for i in range(numeric)])
    frame["sex"] = rng.choice(np.array(["female", "male"]), rows)
    frame["region"] = rng.choice(np.array(["north", "south", "east", "west", "centre"]), rows)
    frame["product"] = rng.choice(np.array([f"p{i}" for i in range(12)]), rows)
    frame["channel"] = rng.choice(np.array(["web", "branch", "phone"]), rows, p=[0.6, 0.3, 0.1])
    latent = x[:, :5].sum(axis=1) * 0.6 + (frame["sex"] == "male") * 0.3 + (frame["region"] == "north") * 0.4
    frame["y"] = (latent + rng.normal(0, 1.0, rows) > 0.3).astype(np.int8)
    for i in range(3):  # some missing values, as real inputs have
        frame.loc[rng.random(rows) < 0.02, f"num_{i:02d}"] = np.nan
    return frame


def train_model(frame: pd.DataFrame, seed: int):
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    categorical = [c for c in frame.columns if c != "y" and not pd.api.types.is_numeric_dtype(frame[c])]
    model = make_pipeline(
        make_column_transformer(
            (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1), categorical),
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=100, random_state=seed),
    )
    return model.fit(frame.drop(columns="y"), frame["y"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="limit native thread pools (default: no limit)")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, threads: {args.threads or 'no limit'}")
    start = time.perf_counter()
    reference = synthetic(args.rows, args.features, args.seed)
    current = synthetic(args.rows, args.features, args.seed + 1, drift=0.3)
    model = train_model(reference.iloc[:200_000], args.seed)
    print(f"data and model: {args.rows:,} rows × {args.features} inputs, each side ({time.perf_counter() - start:.1f} s)")

    start = time.perf_counter()
    data = prepare(current, target="y", sensitive=["sex"])
    ref = prepare(reference, target="y", sensitive=["sex"], features=data.features)
    predictor = wrap_estimator(model)
    inputs = current[predictor.feature_names]
    y_pred = encode_predictions(data, predictor.predict(inputs), "predictions")
    scores = encode_scores(predictor.predict_scores(inputs, data.positive_label), data.rows, "scores")
    baseline = time.perf_counter() - start
    print(f"{'predictions on all rows (once per audit)':45s} {baseline:7.2f} s")
    ctx = AuditContext(
        data=data, y_pred=y_pred, scores=scores, seed=args.seed, predictor=predictor,
        model_features=predictor.feature_names, reference=ref,
    )

    total = 0.0
    for check_id in SECTION:
        check = REGISTRY[check_id]
        start = time.perf_counter()
        measurements = check.measure(ctx, check.params())
        took = time.perf_counter() - start
        total += took
        first = measurements[0]
        print(f"{check_id:45s} {took:7.2f} s   {first.metric} = {first.value:.4g}")
    print(f"{'section total':45s} {total:7.2f} s   (budget 60 s)")


if __name__ == "__main__":
    main()
