"""Robustness checks: how the model's decisions hold up when its inputs are disturbed.

Each check runs the model again on a seeded sample of the evaluation rows, changed in one
controlled way (noise, a blanked feature, a changed sensitive attribute), and compares the
decisions with the model's decisions on the same rows unchanged. A model that fails on the
changed rows is a finding recorded in the measurement, never the end of the audit. The sample
size is in every measurement's note; the cost is bounded by ``sample_size``, not by the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, BootstrapParams, Check, NotApplicable
from conformance.errors import DataError, ModelError, did_you_mean
from conformance.messages import parts, say
from conformance.result import GroupValue, Interval, Measurement, Message
from conformance.stats.bootstrap import percentile_interval, resample_tables

Level = Annotated[float, Field(ge=0, le=10)]


class SampleParams(BootstrapParams):
    sample_size: int = Field(
        10_000, ge=100, le=10_000_000,
        description="Rows sampled (seeded) from the evaluation data and run through the model for each change; all rows when there are fewer.",
    )


def is_numeric(values: pd.Series) -> bool:
    """Numbers the model reads as numbers (booleans are categories)."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


@dataclass
class _Sample:
    """Sampled rows of the model's inputs, with the truth and the model's outputs on them unchanged."""

    frame: pd.DataFrame
    y_true: np.ndarray
    labels: np.ndarray
    scores: np.ndarray | None
    note: Message  # which rows: the seeded sample or all

    @property
    def n(self) -> int:
        return len(self.frame)


def _sample(ctx: AuditContext, rng: np.random.Generator, size: int) -> _Sample:
    ctx.require_model()
    if not ctx.model_features:
        raise NotApplicable(say("note.robustness.inputs_unknown"))
    n = ctx.data.rows
    frame = ctx.data.frame[ctx.model_features]
    if n > size:
        rows = np.sort(rng.choice(n, size, replace=False))
        frame, y_true = frame.iloc[rows].reset_index(drop=True), ctx.data.y_true[rows]
        note = say("note.robustness.on_sample", n=f"{size:,}", rows=f"{n:,}")
    else:
        frame, y_true = frame.reset_index(drop=True), ctx.data.y_true
        note = say("note.robustness.on_all", rows=f"{n:,}")
    labels, scores = ctx.predict(frame)  # failing on unchanged rows is an error of the check, not a finding
    return _Sample(frame, y_true, labels, scores, note)


@dataclass
class _Effect:
    """How a change moved the decisions of the rows it touched."""

    n: int
    flip_rate: float | None
    flip_ci: Interval | None
    accuracy_drop: float | None
    accuracy_ci: Interval | None
    score_change: float | None


def _effect(
    y_true: np.ndarray, before: np.ndarray, after: np.ndarray, scores_before: np.ndarray | None,
    scores_after: np.ndarray | None, params: BootstrapParams, rng: np.random.Generator,
) -> _Effect:
    """Flip rate and accuracy drop (with bootstrap intervals from their count tables), mean score change."""
    n = len(before)
    if n == 0:
        return _Effect(0, None, None, None, None, None)
    flips = int((before != after).sum())
    right_before, right_after = before == y_true, after == y_true
    # (right before, right after) cells: drop = (right→wrong − wrong→right) / n
    paired = np.bincount(right_before.astype(np.int64) * 2 + right_after, minlength=4)
    flip_ci = accuracy_ci = None
    if params.n_boot:
        flip_draws = resample_tables(np.array([flips, n - flips]), params.n_boot, rng)
        flip_ci = _ci(flip_draws[:, 0] / n, params)
        paired_draws = resample_tables(paired, params.n_boot, rng)
        accuracy_ci = _ci((paired_draws[:, 2] - paired_draws[:, 1]) / n, params)
    change = None
    if scores_before is not None and scores_after is not None:
        change = float(np.mean(np.abs(scores_after - scores_before)))
    return _Effect(n, flips / n, flip_ci, float(paired[2] - paired[1]) / n, accuracy_ci, change)


def _ci(samples: np.ndarray, params: BootstrapParams) -> Interval:
    low, high = percentile_interval(samples, params.ci_level)
    return Interval(low=low, high=high, level=params.ci_level)


def _worst(
    check: str, metric: str, effects: dict[str, _Effect], field: str, ci_field: str | None,
    failures: dict[str, str], note: list[Message], what: str, attribute: str | None = None,
) -> Measurement:
    """The largest of one effect over the changes (``what``: ``level`` or ``input``), each change a group."""
    groups = [
        GroupValue(group=name, n=e.n, value=getattr(e, field), ci=getattr(e, ci_field) if ci_field else None)
        for name, e in effects.items()
    ]
    defined = {name: getattr(e, field) for name, e in effects.items() if getattr(e, field) is not None}
    excluded = [say("note.robustness.model_failed", change=name, error=reason) for name, reason in failures.items()]
    if not defined:
        return Measurement(
            check=check, metric=metric, attribute=attribute, value=None, groups=groups, excluded_parts=excluded,
            note_parts=parts(say(f"note.robustness.failed_every_{what}"), note),
        )
    top = max(defined, key=lambda name: defined[name])
    return Measurement(
        check=check, metric=metric, attribute=attribute, value=defined[top],
        ci=getattr(effects[top], ci_field) if ci_field else None, groups=groups, excluded_parts=excluded,
        driver_parts=[say("note.robustness.largest_at", change=top, value=f"{defined[top]:.3f}")], note_parts=note,
    )


def _check_columns(columns: tuple[str, ...], available: list[str], parameter: str) -> None:
    for column in columns:
        if column not in available:
            hint = did_you_mean(column, available)
            raise DataError(
                f"column '{column}' (in {parameter}) is not a model input", hint,
                said=say("note.robustness.not_a_model_input", column=column, parameter=parameter, hint=hint),
            )


# --- noise ------------------------------------------------------------------------------------


class NoiseParams(SampleParams):
    levels: tuple[Level, ...] = Field(
        (0.1, 0.25, 0.5, 1.0), min_length=1,
        description="Noise levels: the standard deviation of the Gaussian noise added to each numeric input, in units of that input's standard deviation.",
    )
    swap_scale: float = Field(
        0.2, ge=0, le=1,
        description="At level L each categorical input value is swapped to another observed level of its column with probability min(1, swap_scale × L); 0: no swaps.",
    )
    ignore_columns: tuple[str, ...] = Field((), description="Model inputs left unchanged (ids, timestamps).")


@dataclass
class _Column:
    name: str
    numeric: bool
    std: float = 0.0
    levels: np.ndarray | None = None


def _perturbable(ctx: AuditContext, ignore: tuple[str, ...]) -> tuple[list[_Column], list[str]]:
    """Inputs that noise or swaps can change, and those left alone (constant, all missing)."""
    columns, unchanged = [], []
    for name in ctx.model_features:
        if name in ignore:
            continue
        values = ctx.data.frame[name]
        if is_numeric(values):
            std = float(values.astype(float).std())
            if np.isfinite(std) and std > 0:
                columns.append(_Column(name, True, std=std))
                continue
        else:
            levels = pd.unique(values.dropna())
            if len(levels) >= 2:
                columns.append(_Column(name, False, levels=np.asarray(levels, dtype=object)))
                continue
        unchanged.append(name)
    return columns, unchanged


def _perturb(frame: pd.DataFrame, columns: list[_Column], level: float, swap: float, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    n = len(frame)
    for column in columns:
        original = frame[column.name]
        if column.numeric:
            values = original.to_numpy(dtype=float, na_value=np.nan)
            noisy = values + rng.normal(0.0, level * column.std, n)
            if pd.api.types.is_integer_dtype(original.dtype):  # counts stay whole numbers of their type
                out[column.name] = pd.Series(np.round(noisy), index=out.index).astype(original.dtype)
            else:
                out[column.name] = noisy
        else:
            levels = column.levels
            codes = pd.Index(levels).get_indexer(original.astype(object))
            swapped = (rng.random(n) < min(1.0, swap * level)) & (codes >= 0)
            shift = rng.integers(1, len(levels), n)  # to another observed level, uniformly
            values = original.to_numpy(dtype=object, na_value=None).copy()
            values[swapped] = levels[(codes[swapped] + shift[swapped]) % len(levels)]
            out[column.name] = pd.Series(values, index=out.index).astype(original.dtype)
    return out


def noise(ctx: AuditContext, params: NoiseParams) -> list[Measurement]:
    """Prediction flip rate and accuracy drop under Gaussian noise on numeric inputs and random category swaps, per noise level.

    At each level L, every numeric model input gets Gaussian noise with standard deviation L
    times that input's standard deviation (integer inputs are rounded back to integers), and
    each categorical input value is swapped, with probability min(1, swap_scale × L), to
    another level observed in the same column. Constant and all-missing inputs are left
    unchanged. The decisions on the noisy rows are compared with the decisions on the same
    rows unchanged: ``max_flip_rate`` is the largest share of changed decisions over the
    levels, ``max_accuracy_drop`` the largest loss of accuracy (negative when noise helps),
    ``max_mean_score_change`` the largest mean absolute change of the score. The groups of
    each metric are the levels, in order: the robustness curve. Seeded; a level at which
    the model fails is left out with the model's error.

    Why: a system must be resilient to the errors and inconsistencies of real inputs;
    decisions that change under small measurement noise are arbitrary for the people near
    the boundary, and a steep curve shows how little it takes.
    """
    rng = ctx.rng("robustness.noise")
    _check_columns(params.ignore_columns, ctx.model_features, "ignore_columns")
    sample = _sample(ctx, rng, params.sample_size)
    columns, unchanged = _perturbable(ctx, params.ignore_columns)
    if not columns:
        raise NotApplicable(say("note.robustness.nothing_to_perturb"))
    effects: dict[str, _Effect] = {}
    failures: dict[str, str] = {}
    for level in params.levels:
        name = f"level {level:g}"
        noisy = _perturb(sample.frame, columns, level, params.swap_scale, rng)
        try:
            labels, scores = ctx.predict(noisy)
        except ModelError as exc:
            failures[name] = exc.message
            effects[name] = _Effect(sample.n, None, None, None, None, None)
            continue
        effects[name] = _effect(sample.y_true, sample.labels, labels, sample.scores, scores, params, rng)
    numeric = sum(c.numeric for c in columns)
    note = parts(
        sample.note,
        say("note.robustness.noise_on", numeric=str(numeric), categorical=str(len(columns) - numeric)),
        say("note.robustness.left_unchanged", columns=", ".join(unchanged)) if unchanged else None,
    )
    check = "robustness.noise"
    out = [
        _worst(check, "max_flip_rate", effects, "flip_rate", "flip_ci", failures, note, "level"),
        _worst(check, "max_accuracy_drop", effects, "accuracy_drop", "accuracy_ci", failures, note, "level"),
    ]
    if sample.scores is not None:
        out.append(_worst(check, "max_mean_score_change", effects, "score_change", None, failures, note, "level"))
    return out


# --- missing values ---------------------------------------------------------------------------


class MissingParams(SampleParams):
    sample_size: int = Field(
        5_000, ge=100, le=10_000_000,
        description="Rows sampled (seeded) from the evaluation data and run through the model once per input; all rows when there are fewer.",
    )
    columns: tuple[str, ...] = Field((), description="Model inputs blanked one at a time (default: every model input).")


def _blank(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows with one input missing everywhere: NaN for numbers, the dtype's missing value or None otherwise."""
    out = frame.copy()
    original = frame[column]
    if is_numeric(original):
        out[column] = np.full(len(frame), np.nan)
    elif isinstance(original.dtype, pd.CategoricalDtype) or (
        pd.api.types.is_string_dtype(original.dtype) and original.dtype != object
    ):
        out[column] = original.where(np.zeros(len(frame), dtype=bool))
    else:
        out[column] = pd.Series([None] * len(frame), index=out.index, dtype=object)
    return out


def missing_values(ctx: AuditContext, params: MissingParams) -> list[Measurement]:
    """Whether the model still predicts when one input is missing, and how far its decisions move, input by input.

    Each model input in turn is blanked on every sampled row (NaN for numbers, the column's
    missing value, or None, otherwise) and the model is asked again. ``failing_features``
    counts the inputs whose absence makes the model fail (its groups: 1 fails, 0 predicts; the
    driver quotes the first error). ``max_flip_rate`` and ``max_accuracy_drop`` are the largest
    share of changed decisions and loss of accuracy over the inputs the model survives, one
    group per input; an input the model fails on is left out with its error. A row where the
    input was already missing cannot change.

    Why: real inputs arrive incomplete; a system must either decide sensibly without a value
    or refuse in a controlled way. A crash in service, or decisions that swing on one missing
    field, is a robustness failure the provider must handle (imputation, a fallback, a refusal
    path).
    """
    rng = ctx.rng("robustness.missing_values")
    _check_columns(params.columns, ctx.model_features, "columns")
    sample = _sample(ctx, rng, params.sample_size)
    columns = list(params.columns) or list(ctx.model_features)
    effects: dict[str, _Effect] = {}
    failures: dict[str, str] = {}
    for column in columns:
        try:
            labels, scores = ctx.predict(_blank(sample.frame, column))
        except ModelError as exc:
            failures[column] = exc.message
            effects[column] = _Effect(sample.n, None, None, None, None, None)
            continue
        effects[column] = _effect(sample.y_true, sample.labels, labels, sample.scores, scores, params, rng)
    check = "robustness.missing_values"
    note = [sample.note, say("note.robustness.blanked", n=str(len(columns)))]
    failing = [
        GroupValue(group=column, n=sample.n, value=1.0 if column in failures else 0.0) for column in columns
    ]
    driver = []
    if failures:
        first = next(iter(failures))
        driver = [say("note.robustness.fails_without", columns=", ".join(failures), first=first, error=failures[first])]
    return [
        Measurement(check=check, metric="failing_features", value=float(len(failures)), groups=failing, driver_parts=driver,
                    note_parts=note),
        _worst(check, "max_flip_rate", effects, "flip_rate", "flip_ci", failures, note, "input"),
        _worst(check, "max_accuracy_drop", effects, "accuracy_drop", "accuracy_ci", failures, note, "input"),
    ]


# --- counterfactual flip ----------------------------------------------------------------------


class CounterfactualParams(SampleParams):
    max_values: int = Field(
        10, ge=2, le=100,
        description="At most this many values of an attribute are tried: the most frequent levels, or evenly spaced quantiles of a numeric attribute.",
    )
    lawful_inputs: tuple[str, ...] = Field(
        (),
        description=(
            "Sensitive attributes the law allows the model to use as inputs (e.g. age in some insurance pricing): "
            "not tested, with the reason. The model card's lawful_inputs: list is added to these."
        ),
    )


def _lawful_inputs(ctx: AuditContext, params: CounterfactualParams) -> set[str]:
    """Attributes declared lawful inputs: the parameter's and the model card's ``lawful_inputs:``."""
    declared = (ctx.model_card or {}).get("lawful_inputs") or []
    if isinstance(declared, str):
        declared = [declared]
    if not isinstance(declared, list):
        raise DataError("the model card's lawful_inputs must be a list of column names", "write lawful_inputs: [age]",
                        said=say("note.robustness.lawful_inputs_not_a_list"))
    return {*params.lawful_inputs, *map(str, declared)}


def _counterfactual_values(values: pd.Series, limit: int) -> tuple[list, Message | None]:
    observed = values.dropna()
    distinct = observed.nunique()
    if distinct <= limit:
        unique = list(pd.unique(observed))
        try:
            return sorted(unique), None
        except TypeError:  # mixed types: a stable order all the same
            return sorted(unique, key=str), None
    if is_numeric(observed):
        chosen = np.unique(np.quantile(observed.to_numpy(dtype=float), np.linspace(0, 1, limit), method="nearest"))
        return [observed.dtype.type(v) for v in chosen], say("note.robustness.quantiles", n=str(len(chosen)), distinct=str(distinct))
    return list(observed.value_counts().index[:limit]), say("note.robustness.most_frequent", n=str(limit), distinct=str(distinct))


def counterfactual_flip(ctx: AuditContext, params: CounterfactualParams) -> list[Measurement]:
    """Share of decisions that change when only a sensitive attribute is changed, for each sensitive attribute the model reads.

    Each sampled row is given, in turn, every other observed value of the attribute (all
    else unchanged) and the model is asked again. ``flip_rate`` is the share of rows whose
    decision changes for at least one other value, with a bootstrap interval; its groups are
    the values set (``set to female``): the share of changed rows whose decision flips.
    ``mean_score_change`` is the mean absolute score change over all counterfactual rows.
    Not applicable when no sensitive attribute is a model input, or when every one it reads is
    declared a lawful input (``lawful_inputs``, or the model card's ``lawful_inputs:``); 0 then
    does not mean the model is fair: it can still read proxies of the attribute.

    Why: a decision that changes when nothing but a person's sex or age changes is direct
    discrimination on that attribute, unless the law allows its use; this measures it
    directly rather than through group statistics.
    """
    ctx.require_model()
    if not ctx.data.sensitive:
        raise NotApplicable(say("note.robustness.no_sensitive"))
    read = [a for a in ctx.data.sensitive if a in ctx.model_features]
    if not read:
        raise NotApplicable(say("note.robustness.sensitive_not_inputs", attributes=", ".join(ctx.data.sensitive)))
    lawful = _lawful_inputs(ctx, params)
    if lawful and not set(read) - lawful:
        raise NotApplicable(say("note.robustness.all_lawful", attributes=", ".join(read)))
    skipped = [a for a in read if a in lawful]
    read = [a for a in read if a not in lawful]
    rng = ctx.rng("robustness.counterfactual_flip")
    sample = _sample(ctx, rng, params.sample_size)
    check = "robustness.counterfactual_flip"
    out = []
    for attribute in read:
        values, chosen_note = _counterfactual_values(ctx.data.frame[attribute], params.max_values)
        column = sample.frame[attribute]
        any_flip = np.zeros(sample.n, dtype=bool)
        groups, failures = [], []
        changes: list[np.ndarray] = []
        favourable = unfavourable = 0
        for value in values:
            rows = np.flatnonzero((column != value).to_numpy(dtype=bool, na_value=True))
            name = f"set to {value}"
            if not len(rows):
                continue
            changed = sample.frame.iloc[rows].reset_index(drop=True)
            changed[attribute] = pd.Series([value] * len(rows), dtype=column.dtype)
            try:
                labels, scores = ctx.predict(changed)
            except ModelError as exc:
                failures.append(say("note.robustness.model_failed", change=name, error=exc.message))
                groups.append(GroupValue(group=name, n=len(rows), value=None))
                continue
            flipped = labels != sample.labels[rows]
            any_flip[rows[flipped]] = True
            favourable += int((labels[flipped] == 1).sum())
            unfavourable += int((labels[flipped] == 0).sum())
            groups.append(GroupValue(group=name, n=len(rows), value=float(flipped.mean())))
            if scores is not None and sample.scores is not None:
                changes.append(np.abs(scores - sample.scores[rows]))
        note = parts(
            sample.note,
            say("note.robustness.values_tried", how=chosen_note) if chosen_note else None,
            say("note.robustness.lawful_skipped", attributes=", ".join(skipped)) if skipped else None,
        )
        flips = int(any_flip.sum())
        ci = None
        if params.n_boot:
            ci = _ci(resample_tables(np.array([flips, sample.n - flips]), params.n_boot, rng)[:, 0] / sample.n, params)
        driver = []
        if flips:
            driver = [say("note.robustness.flips", flips=str(flips), n=str(sample.n), favourable=str(favourable),
                          unfavourable=str(unfavourable))]
        out.append(
            Measurement(
                check=check, metric="flip_rate", attribute=attribute, value=flips / sample.n, ci=ci, groups=groups,
                excluded_parts=failures, driver_parts=driver, note_parts=note,
            )
        )
        if sample.scores is not None:
            change = float(np.concatenate(changes).mean()) if changes else None
            out.append(Measurement(check=check, metric="mean_score_change", attribute=attribute, value=change, note_parts=note))
    return out


CHECKS = [
    Check(
        id="robustness.noise",
        title="Robustness to input noise",
        measure=noise,
        params=NoiseParams,
        metrics=("max_flip_rate", "max_accuracy_drop", "max_mean_score_change"),
        remediation=(
            "Train with noise or augmentation, regularise, or add features that are measured reliably; "
            "state the input precision the system needs."
        ),
    ),
    Check(
        id="robustness.missing_values",
        title="Robustness to missing inputs",
        measure=missing_values,
        params=MissingParams,
        metrics=("failing_features", "max_flip_rate", "max_accuracy_drop"),
        remediation=(
            "Handle missing inputs explicitly: impute inside the model pipeline, use a model that accepts "
            "missing values, or refuse such inputs with a clear message and a human fallback."
        ),
    ),
    Check(
        id="robustness.counterfactual_flip",
        title="Counterfactual flip on sensitive attributes",
        measure=counterfactual_flip,
        params=CounterfactualParams,
        metrics=("flip_rate", "mean_score_change"),
        needs_sensitive=True,
        remediation=(
            "Remove the sensitive attribute from the model's inputs unless its use is lawful and justified; "
            "then check proxies with the fairness checks."
        ),
    ),
]
