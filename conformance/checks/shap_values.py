"""SHAP values of the audited model, computed once per audit and shared by the transparency checks.

Explanations are the most expensive step of an audit, so every check that needs them
(global importance, reliance on sensitive attributes, stability, reason codes, proxies) reads one
:class:`Explanation` per audit, memoised on the audit context and keyed by the sampling
parameters. The sample is seeded, so the same inputs and seed explain the same rows.

The explainer is chosen from the model:

- a tree ensemble (scikit-learn, XGBoost, LightGBM) → ``shap.TreeExplainer``, exact, in the
  model's raw output space (log-odds for boosted classifiers, probability for forests);
- a linear model (``sklearn.linear_model``) → ``shap.LinearExplainer`` against a background
  sample (log-odds for classifiers);
- anything else → ``shap.PermutationExplainer`` on the probability of the positive label, with a
  bounded background sample, over the *original* columns (categorical values are masked whole).

For a scikit-learn ``Pipeline`` the final estimator is explained on the transformed matrix and the
attributions of the transformed columns are summed back onto the original columns (the one-hot
columns of a categorical feature add up to that feature's attribution). A pipeline whose columns
cannot be mapped back is explained as a whole, model-agnostically.
"""

from __future__ import annotations

import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, CheckParams, NotApplicable
from conformance.errors import ModelError
from conformance.messages import english, say
from conformance.result import Message

INSTALL_PACKAGE = "conformance-audit[explain]"
PERMUTATIONS = 3
"""Antithetic permutations per explained row on the model-agnostic path (exact up to pairwise interactions)."""
_AGNOSTIC_CHUNK = 25  # rows explained between two looks at the clock on the model-agnostic path
_TREE_MODULES = ("sklearn.ensemble", "sklearn.tree", "xgboost", "lightgbm", "catboost")


class ExplainParams(CheckParams):
    """How the SHAP values are computed; checks citing equal values share one computation."""

    sample_size: int = Field(
        500,
        ge=10,
        le=1_000_000,
        description=(
            "Rows explained (a seeded sample). A sample larger than the data explains every row, "
            "with a note. 500 rows put a feature's mean |SHAP| within a few per cent."
        ),
    )
    background_size: int = Field(
        100, ge=10, le=10_000, description="Background rows of the linear and model-agnostic explainers (a seeded sample)."
    )
    time_budget_s: float = Field(
        60.0,
        gt=0,
        description=(
            "Seconds the model-agnostic explainer may take; it stops at the budget and explains the "
            "rows done so far, with a note (the result then depends on the machine's speed)."
        ),
    )


@dataclass(frozen=True)
class Explanation:
    """Attributions of the original columns for a sample of rows, and how they were computed."""

    values: np.ndarray  # (rows, features): attribution of each original column, positive-label output
    base_value: float
    output: np.ndarray | None  # the model's own output for the rows, in the explainer's space
    rows: np.ndarray  # positions of the explained rows in the audit data
    features: list[str]
    explainer: str
    output_space: Message  # what the attributions explain (probability, log-odds of the positive label, prediction)
    notes: list[Message] = field(default_factory=list)

    @property
    def importance(self) -> np.ndarray:
        """Mean |SHAP| of each original column over the explained rows."""
        return np.abs(self.values).mean(axis=0)

    @property
    def shares(self) -> np.ndarray:
        """Each column's share of the total mean |SHAP| (all zero when the model is constant)."""
        importance = self.importance
        total = importance.sum()
        return importance / total if total > 0 else np.zeros_like(importance)

    @property
    def additivity_error(self) -> float | None:
        """Largest |base + Σ attributions − model output| over the explained rows."""
        if self.output is None:
            return None
        return float(np.max(np.abs(self.base_value + self.values.sum(axis=1) - self.output)))

    def said(self, total_rows: int) -> list[Message]:
        """The explainer, the output space, the sample and how it was explained, as catalogue messages."""
        text = say("note.explainability.explained", explainer=self.explainer, rows=f"{len(self.rows):,}",
                   total=f"{total_rows:,}", space=self.output_space)
        return [text, *self.notes]

    def describe(self, total_rows: int) -> str:
        return english(self.said(total_rows))


# --- memo on the audit context ------------------------------------------------------------------

_MEMO: dict[int, dict[tuple, Any]] = {}
T = TypeVar("T")


def memo(ctx: AuditContext, key: tuple, compute: Callable[[], T]) -> T:
    """Compute once per audit context and key; a failure is remembered and raised again."""
    store = _MEMO.get(id(ctx))
    if store is None:
        store = _MEMO[id(ctx)] = {}
        weakref.finalize(ctx, _MEMO.pop, id(ctx), None)
    if key not in store:
        try:
            store[key] = ("ok", compute())
        except Exception as exc:
            store[key] = ("raised", exc)
    kind, value = store[key]
    if kind == "raised":
        raise value
    return value


def explanation(ctx: AuditContext, params: ExplainParams) -> Explanation:
    """The audit's SHAP values for these sampling parameters, computed once."""
    key = ("shap", params.sample_size, params.background_size, params.time_budget_s)
    return memo(ctx, key, lambda: explain(ctx, params.sample_size, params.background_size, params.time_budget_s))


# --- the computation ------------------------------------------------------------------------------


def _import_shap():
    try:
        import shap
    except ImportError as exc:
        raise NotApplicable(say("note.explainability.shap_missing", package=INSTALL_PACKAGE)) from exc
    return shap


def explain(ctx: AuditContext, sample_size: int, background_size: int, time_budget_s: float) -> Explanation:
    """SHAP values of a seeded sample of the audit's rows (see the module docstring)."""
    predictor = ctx.require_model()
    shap = _import_shap()
    n = ctx.data.rows
    rng = ctx.rng("explainability.sample")
    notes = []
    m = min(sample_size, n)
    if sample_size > n:
        notes.append(say("note.explainability.sample_exceeds", size=f"{sample_size:,}", rows=f"{n:,}"))
    rows = np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)
    background_rows = np.sort(rng.choice(n, size=min(background_size, n), replace=False))
    features = list(ctx.model_features)
    frame = ctx.data.frame
    sample, background = frame.iloc[rows][features], frame.iloc[background_rows][features]
    positive = ctx.data.positive_label if ctx.data.task == "binary" else None

    estimator = predictor.estimator
    final, matrix, columns, why = _split_pipeline(estimator, features, sample, background)
    if why:
        notes.append(why)
    if final is not None:
        z_sample, z_background = matrix
        explainer = _tree_or_linear(shap, final, z_background, background_size, notes)
        if explainer is not None:
            name, values, base, output, space = _run_native(explainer, final, z_sample, positive)
            mapped = _sum_columns(values, columns, features)
            return Explanation(mapped, base, output, rows, features, name, space, notes)
    values, base, output, done, space = _run_agnostic(
        shap, estimator, sample, background, positive, ctx.seed, time_budget_s, notes
    )
    return Explanation(values, base, output, rows[:done], features, "PermutationExplainer", space, notes)


def _class_index(estimator: Any, positive: Any) -> int:
    classes = [str(c) for c in getattr(estimator, "classes_", [])]
    if str(positive) not in classes:
        raise NotApplicable(say("note.explainability.positive_not_a_class", label=str(positive)))
    return classes.index(str(positive))


def _dense(matrix: Any) -> np.ndarray:
    matrix = matrix.toarray() if hasattr(matrix, "toarray") else matrix
    return np.asarray(matrix, dtype=float)


def _split_pipeline(estimator: Any, features: list[str], sample: pd.DataFrame, background: pd.DataFrame):
    """(final estimator, (transformed sample, background), original column of each transformed column, note).

    The final estimator is None when the model is explained whole (model-agnostically): a pipeline
    whose transformed columns cannot be mapped back, or a model that is not a pipeline and takes
    non-numeric columns.
    """
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        pre, final = estimator[:-1], estimator[-1]
        try:
            z_sample, z_background = _dense(pre.transform(sample)), _dense(pre.transform(background))
        except Exception as exc:  # the preprocessing is user code
            error = f"{type(exc).__name__}: {exc}"
            said = say("note.explainability.preprocessing_failed", error=error)
            raise ModelError(english([said]), said=said) from exc
        columns = column_map(pre, features, z_sample.shape[1])
        if columns is None:
            return None, None, None, say("note.explainability.pipeline_unmapped")
        return final, (z_sample, z_background), columns, None
    numeric = all(pd.api.types.is_numeric_dtype(sample[c]) and not pd.api.types.is_bool_dtype(sample[c]) for c in features)
    if not numeric:
        return None, None, None, None
    return estimator, (sample.to_numpy(dtype=float), background.to_numpy(dtype=float)), list(features), None


def _resolve(columns: Any, names: list[str]) -> list[str]:
    """The column names a ColumnTransformer entry selects (names, positions, a slice or a mask)."""
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, slice):
        return names[columns]
    columns = list(columns)
    if columns and isinstance(columns[0], (bool, np.bool_)):
        return [n for n, keep in zip(names, columns) if keep]
    return [names[c] if isinstance(c, (int, np.integer)) else str(c) for c in columns]


def _by_prefix(outputs: list[str], inputs: list[str]) -> list[str] | None:
    """Map output names (``col``, ``col_level``) to the longest input column they start with."""
    mapped = []
    for out in outputs:
        out = out.split("__", 1)[-1]
        matches = [c for c in inputs if out == c or out.startswith(f"{c}_")]
        if not matches:
            return None
        mapped.append(max(matches, key=len))
    return mapped


def _transformer_map(transformer: Any, inputs: list[str], width: int) -> list[str] | None:
    if len(inputs) == 1:
        return inputs * width
    if width == len(inputs):
        return list(inputs)
    try:
        names = [str(n) for n in transformer.get_feature_names_out(inputs)]
    except Exception:  # not every transformer can name its outputs
        return None
    return _by_prefix(names, inputs) if len(names) == width else None


def column_map(pre: Any, features: list[str], width: int) -> list[str] | None:
    """The original column behind each column the preprocessing outputs, or None when unknown.

    Handles a ColumnTransformer (each entry's outputs belong to its input columns: one column →
    all of them; one-hot encoders by their output names; one-to-one transformers by position)
    followed by steps that keep the number of columns, and chains of one-to-one steps.
    """
    from sklearn.compose import ColumnTransformer

    steps = [step for _, step in getattr(pre, "steps", [("only", pre)]) if step not in (None, "passthrough")]
    mapped: list[str] | None = list(features)
    for step in steps:
        if isinstance(step, ColumnTransformer):
            names_in = [str(n) for n in getattr(step, "feature_names_in_", mapped or [])]
            result: list[str | None] = [None] * sum(s.stop - s.start for s in step.output_indices_.values())
            for name, transformer, columns in step.transformers_:
                piece = step.output_indices_.get(name)
                if piece is None or piece.stop == piece.start or transformer == "drop":
                    continue
                inputs = _resolve(columns, names_in)
                sub = _transformer_map(transformer, inputs, piece.stop - piece.start)
                if sub is None:
                    return None
                result[piece] = sub
            if any(r is None for r in result):
                return None
            # the ColumnTransformer's inputs are the (mapped) previous columns
            previous = dict(zip(names_in, mapped)) if mapped and len(mapped) == len(names_in) else {}
            mapped = [previous.get(r, r) for r in result]  # type: ignore[arg-type]
        else:
            try:
                count = len(step.get_feature_names_out())
            except Exception:
                count = getattr(step, "n_features_in_", None)  # assume one-to-one when it cannot say
            if mapped is None or count != len(mapped):
                return None
    if mapped is None or len(mapped) != width:
        return None
    return mapped


def _sum_columns(values: np.ndarray, columns: list[str], features: list[str]) -> np.ndarray:
    """Add the attributions of transformed columns onto their original columns (order of ``features``)."""
    index = {name: i for i, name in enumerate(features)}
    target = np.array([index[c] for c in columns])
    out = np.zeros((values.shape[0], len(features)))
    np.add.at(out.T, target, values.T)
    return out


def _is_tree(estimator: Any) -> bool:
    module = type(estimator).__module__
    return module.startswith(_TREE_MODULES)


def _is_linear(estimator: Any) -> bool:
    return type(estimator).__module__.startswith("sklearn.linear_model") and hasattr(estimator, "coef_")


def _tree_or_linear(shap, final: Any, background: np.ndarray, background_size: int, notes: list[str]):
    """A native explainer for the final estimator, or None (model-agnostic instead, with a note)."""
    if _is_tree(final):
        try:
            return shap.TreeExplainer(final)
        except Exception as exc:  # shap cannot read every tree model (AdaBoost, custom losses)
            notes.append(say("note.explainability.tree_unreadable", model=type(final).__name__, error=type(exc).__name__))
            return None
    if _is_linear(final):
        coef = np.asarray(final.coef_)
        if coef.ndim == 2 and coef.shape[0] > 1:
            notes.append(say("note.explainability.multiclass_linear"))
            return None
        return shap.LinearExplainer(final, shap.maskers.Independent(background, max_samples=background_size))
    return None


def _raw_output(final: Any, matrix: np.ndarray, per_class: bool, index: int | None) -> np.ndarray | None:
    """The model's own output in the explainer's space (for the additivity check)."""
    if index is None:
        return np.asarray(final.predict(matrix), dtype=float)
    if per_class:
        return np.asarray(final.predict_proba(matrix))[:, index]
    if hasattr(final, "decision_function"):
        return np.asarray(final.decision_function(matrix), dtype=float).ravel()
    module = type(final).__module__
    if module.startswith("xgboost"):
        return np.asarray(final.predict(matrix, output_margin=True), dtype=float)
    if module.startswith("lightgbm"):
        return np.asarray(final.predict(matrix, raw_score=True), dtype=float)
    return None


def _run_native(explainer, final: Any, matrix: np.ndarray, positive: Any):
    """(name, values, base value, model output, output space) for the positive label's output."""
    name = "TreeExplainer" if _is_tree(final) else "LinearExplainer"
    index = _class_index(final, positive) if positive is not None else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. sklearn on arrays for a model fitted on named columns
            result = explainer(matrix)
            values, base = np.asarray(result.values, dtype=float), np.asarray(result.base_values, dtype=float)
            per_class = values.ndim == 3
            output = _raw_output(final, matrix, per_class, index)
    except Exception as exc:  # unsupported inputs and additivity failures are findings, not crashes
        said = say("note.explainability.explainer_failed", explainer=name,
                   error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        raise ModelError(english([said]), said=said) from exc
    if per_class:
        values, base = values[:, :, index], base[:, index] if base.ndim == 2 else base[index]
    flip = index is not None and not per_class and index == 0  # one output: the score of classes_[1]
    if flip:
        values, base = -values, -base
        output = None if output is None else -output
    if index is None:
        space = say("note.explainability.space_prediction")
    elif per_class:
        space = say("note.explainability.space_probability", label=str(positive))
    else:
        space = say("note.explainability.space_log_odds", label=str(positive))
    return name, values, float(np.mean(base)), output, space


class _Coded:
    """The model as a function of a numeric matrix: categorical columns as integer codes."""

    def __init__(self, estimator: Any, frame: pd.DataFrame, positive: Any, index: int | None) -> None:
        self.estimator, self.index, self.columns = estimator, index, list(frame.columns)
        self.dtypes = frame.dtypes
        self.levels: dict[str, np.ndarray] = {}
        for column in self.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
                self.levels[column] = pd.unique(frame[column].dropna())

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns)))
        for j, column in enumerate(self.columns):
            if column in self.levels:
                codes = pd.Categorical(frame[column], categories=self.levels[column]).codes
                out[:, j] = codes  # -1: missing
            else:
                out[:, j] = frame[column].to_numpy(dtype=float)
        return out

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, column in enumerate(self.columns):
            if column in self.levels:
                codes = matrix[:, j].astype(int)
                values = pd.Series(self.levels[column]).reindex(codes).to_numpy()
                data[column] = pd.Series(values, dtype=self.dtypes[column])
            else:
                values = matrix[:, j]
                dtype = self.dtypes[column]
                data[column] = values.astype(dtype) if pd.api.types.is_integer_dtype(dtype) else values
        return pd.DataFrame(data)

    def __call__(self, matrix: np.ndarray) -> np.ndarray:
        frame = self.decode(np.asarray(matrix))
        if self.index is None:
            return np.asarray(self.estimator.predict(frame), dtype=float)
        return np.asarray(self.estimator.predict_proba(frame))[:, self.index]


def _run_agnostic(shap, estimator: Any, sample: pd.DataFrame, background: pd.DataFrame, positive: Any,
                  seed: int, time_budget_s: float, notes: list[str]):
    """Permutation SHAP over the original columns, in chunks of rows until the time budget is spent."""
    index = None
    if positive is not None:
        if not hasattr(estimator, "predict_proba"):
            raise NotApplicable(say("note.explainability.needs_predict_proba"))
        index = _class_index(estimator, positive)
    model = _Coded(estimator, pd.concat([sample, background]), positive, index)
    x, bg = model.encode(sample), model.encode(background)
    explainer = shap.PermutationExplainer(model, shap.maskers.Independent(bg, max_samples=len(bg)), seed=seed)
    max_evals = PERMUTATIONS * (2 * x.shape[1] + 1)
    started = time.perf_counter()
    values, bases = [], []
    done = 0
    try:
        while done < len(x):
            chunk = x[done : done + _AGNOSTIC_CHUNK]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = explainer(chunk, max_evals=max_evals, batch_size=max(10, len(bg)), silent=True)
            values.append(np.asarray(result.values, dtype=float))
            bases.append(np.asarray(result.base_values, dtype=float).ravel())
            done += len(chunk)
            if time.perf_counter() - started > time_budget_s and done < len(x):
                notes.append(say("note.explainability.time_budget", budget=f"{time_budget_s:g}", done=f"{done:,}", total=f"{len(x):,}"))
                break
    except ModelError:
        raise
    except Exception as exc:  # the model is user code
        said = say("note.explainability.agnostic_failed", error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        raise ModelError(english([said]), said=said) from exc
    phi = np.concatenate(values)
    output = model(x[:done])
    space = say("note.explainability.space_prediction") if index is None else say("note.explainability.space_probability", label=str(positive))
    notes.append(say("note.explainability.permutations", permutations=str(PERMUTATIONS), background=str(len(bg))))
    return phi, float(np.mean(np.concatenate(bases))), output, done, space
