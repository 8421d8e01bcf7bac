"""Turn a DataFrame and the user's column choices into validated audit inputs.

Every way a dataset can be unfit for an audit (a misspelt column, a missing target value, a
positive label that never occurs, a sensitive attribute with one group) stops here with one line.
Values of the data are never printed, except the labels of the target and predictions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from conformance.errors import DataError, did_you_mean
from conformance.paths import shown

BINARY_DEFAULT_POSITIVES = ({0, 1}, {False, True})


@dataclass
class AuditData:
    """The evaluation data with its roles resolved: target, sensitive attributes, features."""

    frame: pd.DataFrame
    target: str
    task: str  # "binary" or "regression"
    y_true: np.ndarray  # 0/1 for binary, float for regression
    positive_label: Any | None
    sensitive: list[str]
    features: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.frame)


def require_columns(frame: pd.DataFrame, columns: dict[str, str | None]) -> None:
    """Fail on the first column (by its role) that the data does not have."""
    for role, column in columns.items():
        if column is not None and column not in frame.columns:
            raise DataError(
                f"column '{shown(column)}' (given as {role}) is not in the data",
                did_you_mean(shown(column), map(str, frame.columns)),
            )


def _no_missing(values: pd.Series, what: str) -> None:
    missing = int(values.isna().sum())
    if missing:
        raise DataError(
            f"{what} has {missing} missing value{'s' if missing != 1 else ''}",
            "drop or fill those rows before the audit",
        )


def _label_text(values: list[Any]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def resolve_positive(values: pd.Series, positive_label: str | None, what: str) -> Any | None:
    """The target value that counts as positive, or None when the target is not categorical."""
    labels = sorted(pd.unique(values), key=str)
    if positive_label is not None:
        for label in labels:
            if str(label) == positive_label or (
                isinstance(label, (int, float, np.number)) and _same_number(label, positive_label)
            ):
                return label
        raise DataError(
            f"positive label '{positive_label}' does not occur in {what} (labels: {_label_text(labels[:10])})",
            did_you_mean(positive_label, map(str, labels)) if len(labels) <= 50 else "check --positive-label",
        )
    if len(labels) <= 2 and set(labels) <= {0, 1}:
        return 1
    if len(labels) == 2:
        raise DataError(
            f"{what} has labels {_label_text(labels)}: which one is the favourable outcome?",
            f"pass --positive-label (e.g. --positive-label '{labels[-1]}')",
        )
    return None


def _same_number(label: Any, text: str) -> bool:
    try:
        return float(label) == float(text)
    except ValueError:
        return False


def prepare(
    frame: pd.DataFrame,
    *,
    target: str,
    sensitive: list[str],
    positive_label: str | None = None,
    features: list[str] | None = None,
    exclude: list[str] | None = None,
    task: str = "auto",
) -> AuditData:
    """Validate roles and encode the target. ``exclude`` names output columns (predictions, scores)."""
    if frame.empty:
        raise DataError("the dataset has no rows", "an audit needs data")
    require_columns(frame, {"--target": target})
    for column in sensitive:
        require_columns(frame, {"--sensitive": column})
    for column in features or []:
        require_columns(frame, {"a feature": column})
    target_values = frame[target]
    _no_missing(target_values, f"target '{target}'")
    for column in sensitive:
        groups = frame[column].nunique(dropna=False)
        if groups < 2:
            raise DataError(
                f"sensitive column '{column}' has a single group",
                "fairness compares groups: pick a column with at least two, or drop this --sensitive",
            )

    notes: list[str] = []
    positive = None
    if task in ("auto", "binary"):
        positive = resolve_positive(target_values, positive_label, f"target '{target}'")
    if positive is not None:
        resolved = "binary"
        y_true = (target_values == positive).to_numpy(dtype=np.int8)
        classes = target_values.nunique()
        if classes > 2:
            notes.append(f"target has {classes} classes: audited one-vs-rest with '{positive}' as positive")
    elif task == "binary" or not pd.api.types.is_numeric_dtype(target_values):
        labels = sorted(pd.unique(target_values), key=str)
        raise DataError(
            f"target '{target}' has {len(labels)} classes where a binary target is needed",
            "pass --positive-label to audit one class against the rest",
        )
    else:
        resolved = "regression"
        y_true = target_values.to_numpy(dtype=float)

    excluded = {target, *(exclude or [])}
    chosen = list(features) if features else [c for c in map(str, frame.columns) if c not in excluded]
    return AuditData(
        frame=frame,
        target=target,
        task=resolved,
        y_true=y_true,
        positive_label=positive,
        sensitive=list(sensitive),
        features=chosen,
        notes=notes,
    )


def encode_predictions(data: AuditData, predicted: np.ndarray | pd.Series, what: str) -> np.ndarray:
    """Predicted labels as 0/1 (binary) or floats (regression), refusing labels the target lacks."""
    series = pd.Series(np.asarray(predicted))
    _no_missing(series, what)
    if len(series) != data.rows:
        raise DataError(f"{what} has {len(series)} values for {data.rows} rows")
    if data.task == "regression":
        if not pd.api.types.is_numeric_dtype(series):
            raise DataError(f"{what} is not numeric but the target is a regression target")
        return series.to_numpy(dtype=float)
    known = {str(value) for value in pd.unique(data.frame[data.target])}
    unknown = sorted({str(value) for value in pd.unique(series)} - known)
    if unknown and len(known) == 1:
        raise DataError(
            f"target '{shown(data.target)}' has a single value ('{shown(next(iter(known)), 40)}'), "
            f"so {what} ({_label_text(unknown[:5])}) cannot be compared with it",
            "check --target names the outcome column, and that the data holds both outcomes",
        )
    if unknown:
        raise DataError(
            f"{what} has labels the target does not: {_label_text(unknown[:5])}",
            f"predictions must use the target's labels ({_label_text(sorted(known)[:5])})",
        )
    return (series.astype(str) == str(data.positive_label)).to_numpy(dtype=np.int8)


def encode_scores(values: np.ndarray | pd.Series, rows: int, what: str, hint: str | None = None) -> np.ndarray:
    """Scores as probabilities of the positive label; missing, non-numeric or out-of-[0, 1] scores are refused.

    A score outside [0, 1] (a margin, a log-odds, a rank) is not a probability: calibration and
    AUC-based checks would judge a number that means something else, so the audit stops.
    """
    series = pd.Series(np.asarray(values))
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(f"{what} is not numeric", "scores are the model's probability for the positive label")
    _no_missing(series, what)
    if len(series) != rows:
        raise DataError(f"{what} has {len(series)} values for {rows} rows")
    scores = series.to_numpy(dtype=float)
    outside = ~((scores >= 0) & (scores <= 1))
    if outside.any():
        raise DataError(
            f"{what}: {int(outside.sum())} of {rows} scores lie outside [0, 1] "
            f"(from {np.nanmin(scores):.4g} to {np.nanmax(scores):.4g}), so they are not probabilities",
            hint or "give the probability of the positive label (e.g. a sigmoid of the score), or leave out --scores",
        )
    return scores
