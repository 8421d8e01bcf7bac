"""The library's front door: run an audit, write its reports, list checks and profiles.

The CLI is a thin layer over these functions; notebooks and pipelines call them directly.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from conformance import __version__
from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, Check
from conformance.checks.runner import run_check
from conformance.config import RunConfig, Severity, build_config, load_run_file
from conformance.errors import DataError
from conformance.evidence.manifest import build_manifest, hash_input
from conformance.io.dataset import AuditData, encode_predictions, encode_scores, prepare, require_columns
from conformance.io.models import Predictor, load_model, wrap_estimator
from conformance.io.tables import read_table
from conformance.profiles.judge import SEVERITY_OF_VERDICT, judge, overall_outcome
from conformance.profiles.loader import LoadedProfile, load_profile, parse_profile, shipped_profiles
from conformance.profiles.plan import Plan, build_plan
from conformance.report.json_report import result_schema
from conformance.report.writer import write_reports
from conformance.result import (
    AuditResult,
    Evidence,
    Format,
    InputFile,
    ProfileSummary,
    RunInfo,
    Subject,
)

Progress = Callable[[str, int, int], None]

__all__ = [
    "audit",
    "run_audit",
    "save_reports",
    "parse_formats",
    "run_demo",
    "exit_code",
    "config_from",
    "plan_for",
    "checks",
    "checks_markdown",
    "profiles",
    "profile_source",
    "validate_profile",
    "result_schema",
    "profile_schema",
]


def config_from(run_file: Path | None, flags: dict[str, Any]) -> RunConfig:
    """Merge a run file (if any) with CLI flags (flags win, unset flags do not) and validate."""
    options = load_run_file(run_file) if run_file else {}
    options.update({k: v for k, v in flags.items() if v not in (None, [], ())})
    return build_config(options)


def plan_for(profile_refs: Sequence[str]) -> Plan:
    """Load and validate profiles, and plan the checks they need (each computed once)."""
    return build_plan([load_profile(ref) for ref in dict.fromkeys(profile_refs)])


def _model_features(data: AuditData, predictor: Predictor) -> list[str]:
    """The columns the model is fed: what it declares, else the data's features."""
    expected = predictor.feature_names
    features = expected or data.features
    require_columns(data.frame, {f"a model input ({'declared by the model' if expected else 'feature'})": c for c in features})
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
        y_score = encode_scores(data.frame[scores], data.rows, f"scores column '{scores}'") if scores else None
        return y_pred, y_score
    inputs = data.frame[_model_features(data, predictor)]
    y_pred = encode_predictions(data, predictor.predict(inputs), "the model's predictions")
    y_score = None
    if data.task == "binary":
        y_score = predictor.predict_scores(inputs, data.positive_label)
        if y_score is not None:
            y_score = encode_scores(y_score, data.rows, "the model's scores")
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


def _audit(
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
) -> AuditResult:
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if predictor is None and predictions is None:
        raise DataError("nothing to audit: no model and no predictions", "give --model FILE or --predictions COLUMN")
    require_columns(frame, {"--predictions": predictions, "--scores": scores})
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
    y_pred, y_score = _predictions(data, predictor, predictions, scores)
    ctx = AuditContext(
        data=data,
        y_pred=y_pred,
        scores=y_score,
        seed=seed,
        predictor=predictor,
        model_features=_model_features(data, predictor) if predictor else [],
        reference=_reference(reference, data, predictor) if reference is not None else None,
    )

    outcomes = {}
    for index, (key, task_) in enumerate(plan.tasks.items()):
        if progress:
            progress(task_.check.id, index, len(plan.tasks))
        outcomes[key] = run_check(key, task_.check, task_.params, ctx)
    if progress:
        progress("done", len(plan.tasks), len(plan.tasks))

    requirements = [
        judge(loaded.profile.id, requirement, outcomes[key], REGISTRY[requirement.check].remediation)
        for loaded, requirement, key in plan.cited
    ]
    summaries = []
    for loaded in plan.profiles:
        counts = Counter(r.verdict for r in requirements if r.profile == loaded.profile.id)
        summaries.append(
            ProfileSummary(
                id=loaded.profile.id,
                title=loaded.profile.title,
                version=loaded.profile.version,
                source=loaded.profile.source.citation,
                verdicts={v: counts.get(v, 0) for v in SEVERITY_OF_VERDICT},
            )
        )
    subject = Subject(
        model=predictor.description if predictor else "predictions supplied in the data",
        task=data.task,
        rows=data.rows,
        target=target,
        positive_label=None if data.positive_label is None else str(data.positive_label),
        sensitive=list(sensitive),
        features=list(predictor.feature_names or data.features) if predictor else data.features,
        predictions_only=predictor is None,
    )
    profile_inputs = [hash_input(f"profile:{p.profile.id}", p.path) for p in plan.profiles]
    evidence = Evidence(
        subject=subject,
        profiles=summaries,
        checks=list(outcomes.values()),
        requirements=requirements,
        outcome=overall_outcome(requirements),
        manifest=build_manifest(__version__, seed, command, [*inputs, *profile_inputs]),
    )
    run = RunInfo(started_at=started_at, duration_seconds=round(time.perf_counter() - started, 3))
    return AuditResult(evidence=evidence, run=run)


def run_audit(config: RunConfig, command: list[str] | None = None, progress: Progress | None = None) -> AuditResult:
    """Run the audit a RunConfig describes: profiles first (fail fast), then data, model, checks."""
    plan = plan_for(config.profiles)
    frame = read_table(config.data)
    predictor = None
    inputs = [hash_input("data", config.data)]
    reference = None
    if config.reference is not None:
        reference = read_table(config.reference)
        inputs.append(hash_input("reference", config.reference))
    if config.model is not None:
        predictor = load_model(config.model, config.trust_types, config.trust_model)
        inputs.insert(0, hash_input("model", config.model))
    elif config.predictions is None:
        raise DataError("nothing to audit: no model and no predictions", "give --model FILE or --predictions COLUMN")
    return _audit(
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
        command=command if command is not None else ["conformance", *sys.argv[1:]],
        progress=progress,
        reference=reference,
    )


def audit(
    data: pd.DataFrame,
    *,
    target: str,
    profiles: Sequence[str],
    sensitive: Sequence[str] = (),
    model: Any | None = None,
    predictions: str | None = None,
    scores: str | None = None,
    positive_label: str | int | None = None,
    features: Sequence[str] | None = None,
    task: str = "auto",
    seed: int = 0,
    reference: pd.DataFrame | None = None,
) -> AuditResult:
    """Audit a fitted model (or predictions in ``data``) on a DataFrame against profiles.

    >>> result = audit(df, target="approved", sensitive=["sex"], model=clf,
    ...                profiles=["eu-ai-act-high-risk"])              # doctest: +SKIP
    >>> result.evidence.outcome                                        # doctest: +SKIP
    'non_conformant'
    """
    return _audit(
        data,
        plan_for(profiles),
        target=target,
        sensitive=sensitive,
        predictor=wrap_estimator(model) if model is not None else None,
        predictions=predictions,
        scores=scores,
        positive_label=None if positive_label is None else str(positive_label),
        features=features,
        task=task,
        seed=seed,
        inputs=[],
        command=["conformance.audit()"],
        progress=None,
        reference=reference,
    )


def exit_code(result: AuditResult, fail_on: Severity) -> int:
    """1 when a requirement at or above ``fail_on`` failed or could not be checked; else 0."""
    for r in result.evidence.requirements:
        if r.verdict in ("fail", "error") and Severity(r.severity).rank >= fail_on.rank:
            return 1
    return 0


def parse_formats(text: str) -> list[Format]:
    """Formats from a comma-separated list, refusing unknown names."""
    return build_config({"data": ".", "target": ".", "profiles": ["."], "formats": text}).formats


def save_reports(result: AuditResult, output: Path, formats: list[Format]) -> list[Path]:
    """Write the requested report formats atomically under ``output``."""
    return write_reports(result, output, formats)


def checks() -> list[Check]:
    """Every registered check, by id."""
    return [REGISTRY[key] for key in sorted(REGISTRY)]


def checks_markdown() -> str:
    """The docs page of checks, generated from the registry."""
    from conformance.checks.catalogue import catalogue_markdown

    return catalogue_markdown(checks())


def profiles() -> list[LoadedProfile]:
    """Every shipped profile, resolved."""
    return [load_profile(ref) for ref in sorted(shipped_profiles())]


def profile_source(ref: str) -> str:
    """The YAML text of a shipped profile (or a profile file)."""
    return load_profile(ref).path.read_text(encoding="utf-8")


def validate_profile(path: Path) -> LoadedProfile:
    """Parse and fully resolve a profile file; raises ProfileError naming the first problem."""
    parse_profile(path)
    return load_profile(str(path))


def profile_schema() -> str:
    import json

    from conformance.profiles.schema import Profile

    return json.dumps(Profile.model_json_schema(), indent=2, sort_keys=True) + "\n"


def run_demo(output: Path, seed: int = 0, progress: Progress | None = None) -> tuple[AuditResult, RunConfig]:
    """Train the demo model on shipped German Credit data, save it beside its test data, audit it."""
    from conformance.datasets import demo

    model_path, data_path = demo.write_demo_inputs(Path(output) / "inputs", seed)
    config = RunConfig(
        model=model_path,
        data=data_path,
        target=demo.TARGET,
        sensitive=demo.SENSITIVE,
        profiles=demo.PROFILES,
        trust_types=demo.TRUSTED_TYPES,
        output=Path(output),
        seed=seed,
    )
    return run_audit(config, command=["conformance", "demo", "--output", str(output), "--seed", str(seed)], progress=progress), config
