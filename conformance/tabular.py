"""The tabular pipeline: a table's roles, the model's outputs computed once, the checks, the verdicts.

``run_tabular`` reads a RunConfig's files (in memory, or streamed count tables plus a seeded sample
under ``--engine stream|dask``); ``audit_frame`` audits a DataFrame already in hand (the Python API).
The generative pipeline is its sibling, ``conformance.genai.pipeline``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from conformance.checks.base import AuditContext
from conformance.checks.documentation import load_model_card
from conformance.checks.runner import run_all
from conformance.config import RunConfig
from conformance.errors import DataError
from conformance.evidence.manifest import build_manifest, hash_input
from conformance.io.dataset import AuditData, encode_predictions, encode_scores, prepare, require_columns
from conformance.io.models import Predictor, load_model
from conformance.io.tables import read_table
from conformance.profiles.assess import assess, customisations
from conformance.profiles.checklist import Answers
from conformance.profiles.judge import overall_outcome
from conformance.profiles.plan import Plan
from conformance.result import AuditResult, Evidence, InputFile, RunInfo, Subject

Progress = Callable[[str, int, int], None]
# checklist answers validated against the plan, the input files they bring (hashed), evidence hashes by reference
LoadedAnswers = tuple[Answers | None, list[InputFile], dict[str, str]]
NO_ANSWERS: LoadedAnswers = (None, [], {})


def run_tabular(config: RunConfig, plan: Plan, command: list[str], progress: Progress | None = None,
                answers: LoadedAnswers = NO_ANSWERS, tool_version: str = "") -> AuditResult:
    """The audit a RunConfig describes for a model (or predictions) and a table: data, model, checks."""
    stats = None
    if config.engine != "memory":
        early = load_model(config.model, config.trust_types, config.trust_model) if config.model is not None else None
        stats = _engine_stats(config, early)
        frame = stats.sample
    else:
        frame = read_table(config.data, config.option("data"))
    predictor = None
    inputs = [hash_input("data", config.data)]
    reference = None
    if config.reference is not None:
        reference = read_table(config.reference, config.option("reference"))
        inputs.append(hash_input("reference", config.reference))
    model_card = None
    if config.model_card is not None:
        model_card = load_model_card(config.model_card)
        inputs.append(hash_input("model_card", config.model_card))
    if config.model is not None:
        predictor = early if stats is not None else load_model(config.model, config.trust_types, config.trust_model)
        inputs.insert(0, hash_input("model", predictor.source or config.model))  # a callable: its module's file
    elif config.predictions is None:
        raise DataError("nothing to audit: no model and no predictions", "give --model FILE or --predictions COLUMN")
    return audit_frame(
        frame,
        plan,
        target=config.target,
        sensitive=config.sensitive,
        predictor=predictor,
        predictions=config.predictions,
        scores=config.scores,
        positive_label=config.positive_label,
        features=config.features,
        task=config.task,
        seed=config.seed,
        inputs=inputs,
        command=command,
        progress=progress,
        reference=reference,
        answers=answers,
        model_card=model_card,
        declared=config.declared,
        stats=stats,
        system_name=config.system_name,
        adopt_defaults=config.adopt_defaults,
        tool_version=tool_version,
    )


def _model_features(data: AuditData, predictor: Predictor) -> list[str]:
    """The columns the model is fed: what it declares, else the data's features."""
    expected = predictor.feature_names
    features = expected or data.features
    role = f"a model input ({'declared by the model' if expected else 'feature'})"
    for column in features:  # one call per column: a dict keyed by the role would keep only the last
        require_columns(data.frame, {role: column})
    return features


def _predictions(
    data: AuditData,
    predictor: Predictor | None,
    predictions: str | None,
    scores: str | None,
) -> tuple[Any, Any]:
    """The model's outputs: from the model (computed once) or from columns of the data."""
    if predictor is None:
        y_pred = encode_predictions(data, data.frame[predictions], f"predictions column '{predictions}'") if predictions else None
        y_score = encode_scores(data.frame[scores], data.rows, f"--scores column '{scores}'") if scores else None
        return y_pred, y_score
    inputs = data.frame[_model_features(data, predictor)]
    y_pred = encode_predictions(data, predictor.predict(inputs), "the model's predictions")
    y_score = None
    if data.task == "binary":
        y_score = predictor.predict_scores(inputs, data.positive_label)
        if y_score is not None:
            y_score = encode_scores(y_score, data.rows, "the model's predict_proba",
                                    "the model does not give probability scores: audit its labels only with --predictions, or fix the model")
    return y_pred, y_score


def _reference(frame: pd.DataFrame, data: AuditData, predictor: Predictor | None) -> AuditData:
    """Reference (training) data prepared with the evaluation data's roles."""
    try:
        return prepare(
            frame,
            target=data.target,
            sensitive=data.sensitive,
            positive_label=None if data.positive_label is None else str(data.positive_label),
            features=data.features,
            task=data.task,
        )
    except DataError as exc:
        raise DataError(f"reference data: {exc.message}", exc.hint) from exc


def _system(model_card: dict | None, system_name: str | None) -> dict[str, str | None]:
    """The audited system's name (``--system-name``, else the model card's ``model_name``) and version."""

    def card_text(key: str) -> str | None:
        value = (model_card or {}).get(key)
        return str(value) if value not in (None, "") and "FILL IN" not in str(value) else None

    return {"system": system_name or card_text("model_name"), "system_version": card_text("version")}


def _declared_levels(model_card: dict | None, declared: dict[str, float] | None) -> dict[str, float]:
    """Performance levels the provider declares: the model card's ``declared:``, then the run's (which win)."""
    from conformance.errors import ConfigError

    levels: dict[str, float] = {}
    card_levels = (model_card or {}).get("declared") or {}
    import math

    for source, mapping in (("the model card's declared", card_levels), ("--declare", declared or {})):
        if not isinstance(mapping, dict):
            raise ConfigError(f"{source} must map metric names to numbers, e.g. {{balanced_accuracy: 0.72}}")
        for name, value in mapping.items():
            try:
                levels[str(name)] = float(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{source} level '{name}' is not a number: {value!r}") from exc
            if not math.isfinite(levels[str(name)]):
                raise ConfigError(f"{source} level '{name}' is not a finite number: {value!r}")
    return dict(sorted(levels.items()))


def audit_frame(
    frame: pd.DataFrame,
    plan: Plan,
    *,
    target: str,
    sensitive: Sequence[str],
    predictor: Predictor | None,
    predictions: str | None,
    scores: str | None,
    positive_label: str | None,
    features: Sequence[str] | None,
    task: str,
    seed: int,
    inputs: list[InputFile],
    command: list[str],
    progress: Progress | None,
    reference: pd.DataFrame | None = None,
    answers: LoadedAnswers = NO_ANSWERS,
    model_card: dict | None = None,
    declared: dict[str, float] | None = None,
    stats: Any = None,
    system_name: str | None = None,
    adopt_defaults: bool = False,
    tool_version: str = "",
) -> AuditResult:
    """Audit a table: its roles prepared, the model's outputs computed once, every planned check
    measured, every requirement judged, the evidence assembled with its manifest."""
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if predictor is None and predictions is None:
        raise DataError("nothing to audit: no model and no predictions", "give --model FILE or --predictions COLUMN")
    answers, answer_inputs, evidence_hashes = answers
    require_columns(frame, {"--predictions": predictions, "--scores": scores})
    if stats is not None:
        data = _sample_data(stats, target, list(sensitive), features, [c for c in (predictions, scores) if c])
    else:
        data = prepare(
            frame,
            target=target,
            sensitive=list(sensitive),
            positive_label=positive_label,
            features=list(features) if features else None,
            exclude=[c for c in (predictions, scores) if c],
            task=task,
        )
    unfit = sorted({t.check.id for t in plan.tasks.values() if data.task not in t.check.tasks})
    if unfit and len(unfit) == len(plan.tasks):
        raise DataError(
            f"target '{target}' is a {data.task} target, but the checks {', '.join(unfit)} need a binary one",
            "pass --positive-label to audit one class against the rest",
        )
    if stats is not None and predictor is not None:
        from conformance.engine.streaming import PREDICTION, SCORE

        y_pred, y_score = _sample_predictions(data, PREDICTION, SCORE if SCORE in data.frame.columns else None)
        data.frame = data.frame.drop(columns=[c for c in (PREDICTION, SCORE) if c in data.frame.columns])
        data.features = [c for c in data.features if c not in (PREDICTION, SCORE)]
    elif stats is not None:
        y_pred, y_score = _sample_predictions(data, predictions, scores)
    else:
        y_pred, y_score = _predictions(data, predictor, predictions, scores)
    ctx = AuditContext(
        data=data,
        y_pred=y_pred,
        scores=y_score,
        seed=seed,
        predictor=predictor,
        model_features=_model_features(data, predictor) if predictor else [],
        reference=_reference(reference, data, predictor) if reference is not None else None,
        model_card=model_card,
        stats=stats,
    )

    outcomes = run_all(plan.tasks, ctx, progress)

    levels = _declared_levels(model_card, declared)
    requirements, summaries = assess(plan, outcomes, answers, evidence_hashes, levels, adopt_defaults)
    overrides, waivers = customisations(plan)
    subject = Subject(
        model=predictor.description if predictor else "predictions supplied in the data",
        task=data.task,
        rows=ctx.rows,
        target=target,
        positive_label=None if data.positive_label is None else str(data.positive_label),
        sensitive=list(sensitive),
        features=list(predictor.feature_names or data.features) if predictor else data.features,
        predictions_only=predictor is None,
        declared=levels,
        **_system(model_card, system_name),
    )
    profile_inputs = [hash_input(f"profile:{p.profile.id}", p.path) for p in plan.profiles]
    evidence = Evidence(
        subject=subject,
        profiles=summaries,
        checks=list(outcomes.values()),
        requirements=requirements,
        outcome=overall_outcome(requirements, adopt_defaults),
        manifest=build_manifest(tool_version, seed, command, [*inputs, *profile_inputs, *answer_inputs]),
        overrides=overrides,
        waivers=waivers,
        defaults_adopted=adopt_defaults,
    )
    run = RunInfo(started_at=started_at, duration_seconds=round(time.perf_counter() - started, 3))
    return AuditResult(evidence=evidence, run=run)



def _engine_stats(config: RunConfig, predictor: Predictor | None = None) -> Any:
    """Count tables over every row of ``config.data`` and a seeded sample, streamed or on Dask.

    With a model, it runs on each batch (on this machine, or on the Dask workers) and its
    predictions and probabilities join the batch as two extra columns.
    """
    from conformance.errors import ConfigError

    flag = f"--engine {config.engine}"
    if predictor is None and config.predictions is None:
        raise DataError("nothing to audit: no model and no predictions", "give --model FILE or --predictions COLUMN")
    if config.task == "regression":
        raise ConfigError(f"{flag} audits binary targets", "use --engine memory for regression")
    from conformance.engine.streaming import PREDICTION, SCORE, ModelOutputs, schema_names, stream_stats

    names = schema_names(config.data)
    columns = pd.DataFrame(columns=names)
    require_columns(columns, {"--target": config.target, "--predictions": config.predictions, "--scores": config.scores})
    for column in [*config.sensitive, *(config.features or [])]:
        require_columns(columns, {"--sensitive" if column in config.sensitive else "a feature": column})
    transform = None
    predictions, scores = config.predictions, config.scores
    if predictor is not None:
        excluded = {config.target, *(c for c in (config.predictions, config.scores) if c)}
        features = predictor.feature_names or config.features or [c for c in names if c not in excluded]
        role = f"a model input ({'declared by the model' if predictor.feature_names else 'feature'})"
        for column in features:
            require_columns(columns, {role: column})
        positive = config.positive_label
        if positive is None and predictor.classes is not None and {str(c) for c in predictor.classes} <= {"0", "1"}:
            positive = "1"
        transform = ModelOutputs(predictor, features, positive)
        predictions, scores = PREDICTION, SCORE
    options = dict(target=config.target, sensitive=list(config.sensitive), predictions=predictions,
                   scores=scores, positive_label=config.positive_label, seed=config.seed,
                   sample_rows=config.sample_rows, transform=transform)
    if config.engine == "dask":
        from conformance.engine.dask import dask_stats

        return dask_stats(config.data, scheduler=config.scheduler, **options)
    return stream_stats(config.data, **options)


def _sample_data(stats: Any, target: str, sensitive: list[str], features: Sequence[str] | None, exclude: list[str]) -> AuditData:
    """The seeded sample of a streamed audit with its roles (validated over all rows by the engine)."""
    frame = stats.sample
    chosen = list(features) if features else [c for c in map(str, frame.columns) if c not in {target, *exclude}]
    return AuditData(
        frame=frame,
        target=target,
        task="binary",
        y_true=(frame[target] == stats.positive_label).to_numpy(dtype="int8"),
        positive_label=stats.positive_label,
        sensitive=list(sensitive),
        features=chosen,
        notes=list(stats.notes),
    )


def _sample_predictions(data: AuditData, predictions: str | None, scores: str | None) -> tuple[Any, Any]:
    frame = data.frame
    y_pred = (frame[predictions].astype(str) == str(data.positive_label)).to_numpy(dtype="int8") if predictions else None
    y_score = encode_scores(frame[scores], len(frame), "the model's predict_proba" if scores.startswith("__conformance") else f"--scores column '{scores}'") if scores else None
    return y_pred, y_score


