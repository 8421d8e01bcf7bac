"""The library's front door: run an audit, write its reports, list checks and profiles.

The CLI is a thin layer over these functions; notebooks and pipelines call them directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from conformance import __version__
from conformance.checks import REGISTRY
from conformance.checks.base import Check
from conformance.checks.documentation import CARD_TEMPLATE, load_model_card
from conformance.config import RunConfig, Severity, build_config, check_inputs, load_run_file
from conformance.evidence.manifest import build_manifest, hash_input
from conformance.io.models import wrap_estimator
from conformance.profiles.assess import customisations
from conformance.profiles.checklist import Answers, answer_template, parse_answers
from conformance.profiles.crosswalk import RENDERERS as CROSSWALK_RENDERERS
from conformance.profiles.crosswalk import Crosswalk, build_crosswalk
from conformance.profiles.judge import binding, overall_outcome
from conformance.profiles.loader import LoadedProfile, load_profile, parse_profile, question_bank, shipped_profiles
from conformance.profiles.plan import Plan, build_plan
from conformance.profiles.sets import apply_sets
from conformance.report.json_report import result_schema
from conformance.report.writer import write_reports
from conformance.result import (
    AuditResult,
    Evidence,
    Format,
    Gate,
    GateFailure,
    InputFile,
    RunInfo,
)

Progress = Callable[[str, int, int], None]

__all__ = [
    "audit",
    "run_audit",
    "save_reports",
    "parse_formats",
    "run_demo",
    "run_command",
    "exit_code",
    "gate",
    "config_from",
    "plan_for",
    "checks",
    "checks_markdown",
    "profiles",
    "profile_source",
    "validate_profile",
    "result_schema",
    "card_template",
    "write_card_template",
    "profile_schema",
    "checklist_template",
    "write_checklist",
    "crosswalk",
    "crosswalk_text",
    "run_gated",
    "sign_result",
    "generate_keys",
    "verify_report",
    "diff_reports",
    "render_report",
    "bundle_report",
    "verify_bundle",
    "rejudge_bundle",
    "load_trust",
    "export_oscal",
    "export_oscal_catalog",
    "bundle_crosswalk",
    "registry_serve",
    "registry_token",
    "registry_submit",
    "registry_status",
]


def config_from(run_file: Path | None, flags: dict[str, Any]) -> RunConfig:
    """Merge a run file (if any) with CLI flags (flags win, unset flags do not) and validate."""
    options = load_run_file(run_file) if run_file else {}
    given = {k: v for k, v in flags.items() if v not in (None, [], ())}
    from_file = set(options) - set(given)
    options.update(given)
    config = build_config(options, run_file, from_file)
    check_inputs(config)
    return config


def plan_for(profile_refs: Sequence[str], sets: Sequence[str] = ()) -> Plan:
    """Load and validate profiles, apply ``--set`` overrides, and plan the checks they need (each
    computed once) and the questions they ask (each asked once)."""
    loaded = [load_profile(ref) for ref in dict.fromkeys(profile_refs)]
    return build_plan(apply_sets(loaded, list(sets)) if sets else loaded)


def _answers(path: Path | None, plan: Plan) -> tuple[Answers | None, list[InputFile], dict[str, str]]:
    """Checklist answers validated against the plan's questions, and their evidence files hashed."""
    if path is None:
        return None, [], {}
    answers = parse_answers(path, {**question_bank(), **plan.questions})
    inputs = [hash_input("checklist", answers.path)]
    hashes: dict[str, str] = {}
    for question_id, files in answers.files.items():
        for ref, file in files:
            item = hash_input(f"evidence:{question_id}", file)
            inputs.append(item)
            hashes[ref] = item.sha256
    return answers, inputs, hashes


def run_audit(config: RunConfig, command: list[str] | None = None, progress: Progress | None = None) -> AuditResult:
    """Run the audit a RunConfig describes: profiles first (fail fast), then the pipeline of the
    subject's kind (``conformance.tabular`` or ``conformance.genai.pipeline``)."""
    plan = plan_for(config.profiles, config.sets)
    if config.generative:
        return _generative(config, plan, command, progress)
    from conformance.tabular import run_tabular

    return run_tabular(config, plan, command if command is not None else run_command(config), progress,
                       _answers(config.checklist, plan), tool_version=__version__)


def _generative(config: RunConfig, plan: Plan, command: list[str] | None, progress: Progress | None) -> AuditResult:
    """A generative subject (banks asked of an endpoint, a callable, or recorded responses): its own pipeline."""
    from conformance.genai.pipeline import run_generative

    answers, answer_inputs, evidence_hashes = _answers(config.checklist, plan)
    return run_generative(config, plan, command if command is not None else run_command(config), progress,
                          answers, answer_inputs, evidence_hashes, tool_version=__version__)


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
    checklist: str | Path | None = None,
    sets: Sequence[str] = (),
    model_card: dict | str | Path | None = None,
    declared: dict[str, float] | None = None,
    adopt_defaults: bool = False,
) -> AuditResult:
    """Audit a fitted model (or predictions in ``data``) on a DataFrame against profiles.

    ``checklist`` is an answer file (``checklist_template``); ``sets`` are ``--set`` overrides
    (``"eeoc-four-fifths/four-fifths.threshold.min=0.85"``); ``declared`` are the performance
    levels the provider declares (``{"balanced_accuracy": 0.72}``), judged by requirements whose
    threshold says ``min_declared``; ``adopt_defaults`` makes failures against the tool's default
    thresholds count against conformity (otherwise they are observations).

    >>> result = audit(df, target="approved", sensitive=["sex"], model=clf,
    ...                profiles=["eu-ai-act-high-risk"])              # doctest: +SKIP
    >>> result.evidence.outcome                                        # doctest: +SKIP
    'non_conformant'
    """
    from conformance.tabular import audit_frame

    plan = plan_for(profiles, sets)
    return audit_frame(
        data,
        plan,
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
        answers=_answers(Path(checklist) if checklist is not None else None, plan),
        model_card=model_card if isinstance(model_card, dict) or model_card is None else load_model_card(Path(model_card)),
        declared=declared,
        adopt_defaults=adopt_defaults,
        tool_version=__version__,
    )


def exit_code(result: AuditResult, fail_on: Severity, baseline_diff: Any = None) -> int:
    """1 when a requirement at or above ``fail_on`` failed or could not be checked; else 0.

    With ``fail_on`` = ``regression``, 1 only when ``baseline_diff`` (a ReportDiff against the
    baseline report) holds a regression. ``gate`` says why.
    """
    return gate(result, fail_on, baseline_diff).code


def gate(result: AuditResult, fail_on: Severity, baseline_diff: Any = None) -> Gate:
    """The exit code and the requirements behind it, each with its severity and threshold origin.

    The code follows ``--fail-on`` whatever the origin (a CI gate fails on what it was told to);
    ``binding`` on each failure says whether it also counts against conformity, so a gate line
    can tell a regulation's failure from a tool-default observation.
    """
    adopt = result.evidence.defaults_adopted
    by_id = {(r.profile, r.id): r for r in result.evidence.requirements}

    def failure(r: Any, verdict: str) -> GateFailure:
        origin = r.threshold.origin if r.threshold is not None else ("checklist" if r.kind == "checklist" else None)
        return GateFailure(profile=r.profile, requirement=r.id, clause=r.clause, severity=r.severity,
                           verdict=verdict, origin=origin, binding=binding(r, adopt))

    if fail_on == Severity.regression:
        failed = []
        for change in baseline_diff.regressions if baseline_diff is not None else []:
            r = by_id.get((change.profile, change.requirement))
            if r is not None:
                failed.append(failure(r, change.new or r.verdict))
        code = 1 if baseline_diff is not None and baseline_diff.regressions else 0
    else:
        failed = [failure(r, r.verdict) for r in result.evidence.requirements
                  if r.verdict in ("fail", "error") and Severity(r.severity).rank >= fail_on.rank]
        code = 1 if failed else 0
    return Gate(code=code, fail_on=fail_on.value, failed=failed, defaults_adopted=adopt)


def parse_formats(text: str) -> list[Format]:
    """Formats from a comma-separated list, refusing unknown names."""
    return build_config({"data": ".", "target": ".", "profiles": ["."], "formats": text}).formats


def save_reports(result: AuditResult, output: Path, formats: list[Format], lang: str = "en") -> list[Path]:
    """Write the requested report formats atomically under ``output`` (all rendered before any is written)."""
    from conformance.errors import ReportError
    from conformance.report.pdf import PdfError

    try:
        return write_reports(result, output, formats, lang)
    except PdfError as exc:
        raise ReportError(exc.message, exc.hint) from exc


def check_pdf_fonts(lang: str) -> None:
    """Stop (exit 2) when the PDF in ``lang`` needs a font the system lacks."""
    from conformance.errors import ReportError
    from conformance.report.pdf import PdfError, check_fonts

    try:
        check_fonts(lang)
    except PdfError as exc:
        raise ReportError(exc.message, exc.hint) from exc


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


def checklist_template(profile_refs: Sequence[str], sets: Sequence[str] = (), lang: str = "en") -> str:
    """One answer file (YAML) for every process question of the profiles, each question once."""
    return answer_template(plan_for(profile_refs, sets), __version__, lang)


def write_checklist(profile_refs: Sequence[str], output: Path, force: bool = False, lang: str = "en") -> int:
    """Write the answer file; refuses to overwrite answers unless ``force``. Returns the number of questions."""
    from conformance.errors import InputError

    from conformance.paths import require_output_file

    output = require_output_file(output)
    plan = plan_for(profile_refs)
    if output.exists() and not force:
        raise InputError(f"{output} exists: it may hold answers", "pass --force to overwrite it, or choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.tmp")
    temporary.write_text(answer_template(plan, __version__, lang), encoding="utf-8")
    temporary.replace(output)
    return len(plan.questions)


def card_template() -> str:
    """The model card template (YAML) that ``documentation.model_card`` checks."""
    return CARD_TEMPLATE


def write_card_template(output: Path, force: bool = False) -> Path:
    """Write the model card template; refuses to overwrite a file unless ``force``."""
    from conformance.errors import InputError

    from conformance.paths import require_output_file

    output = require_output_file(output)
    if output.exists() and not force:
        raise InputError(f"{output} already exists", "pass --force to overwrite it, or choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.tmp")
    temporary.write_text(CARD_TEMPLATE, encoding="utf-8")
    temporary.replace(output)
    return output


def crosswalk(profile_refs: Sequence[str], sets: Sequence[str] = ()) -> Crosswalk:
    """Which checks and checklist questions serve which clauses of each profile (from the plan)."""
    return build_crosswalk(plan_for(profile_refs, sets))


def annex_iii_sets(profile_refs: Sequence[str], use_cases: Sequence[str]) -> list[str]:
    """``--set`` options selecting EU AI Act Annex III use cases in every EU AI Act profile of the list."""
    if not use_cases:
        return []
    from conformance.errors import ConfigError

    eu = [ref for ref in profile_refs if "eu-ai-act-high-risk" in load_profile(ref).chain]
    if not eu:
        raise ConfigError("--annex-iii selects use cases of the EU AI Act", "add --profile eu-ai-act-high-risk")
    return [f"{load_profile(ref).profile.id}/annex_iii={','.join(use_cases)}" for ref in eu]


def crosswalk_text(profile_refs: Sequence[str], fmt: str = "md", sets: Sequence[str] = ()) -> str:
    """The crosswalk as Markdown, CSV or JSON."""
    from conformance.errors import ConfigError, did_you_mean

    if fmt not in CROSSWALK_RENDERERS:
        raise ConfigError(f"unknown crosswalk format '{fmt}'", did_you_mean(fmt, [*CROSSWALK_RENDERERS, "table"]))
    return CROSSWALK_RENDERERS[fmt](crosswalk(profile_refs, sets))


def profile_schema() -> str:
    import json

    from conformance.profiles.schema import Profile

    return json.dumps(Profile.model_json_schema(), indent=2, sort_keys=True) + "\n"


def run_demo(output: Path, seed: int = 0, progress: Progress | None = None) -> tuple[AuditResult, RunConfig]:
    """Train the demo model on shipped German Credit data, save it beside its data and card, audit it.

    The manifest records the ``conformance run`` command that reproduces the audit from the
    saved inputs, so ``conformance verify --rerun`` treats a demo report like any other.
    """
    from conformance.datasets import demo
    from conformance.paths import require_output_folder

    folder = require_output_folder(output) / "inputs"
    model_path, data_path = demo.write_demo_inputs(folder, seed)
    config = RunConfig(
        model=model_path,
        data=data_path,
        reference=folder / demo.TRAIN_FILE,
        model_card=folder / demo.CARD_FILE,
        target=demo.TARGET,
        sensitive=demo.SENSITIVE,
        profiles=demo.PROFILES,
        trust_types=demo.TRUSTED_TYPES,
        output=Path(output),
        seed=seed,
    )
    return run_audit(config, command=run_command(config), progress=progress), config


def run_genai_demo(output: Path, seed: int = 0, progress: Progress | None = None) -> tuple[AuditResult, RunConfig, int]:
    """The generative demo: real recorded responses replayed over HTTP on 127.0.0.1, audited as an endpoint.

    Returns the result, its configuration and how many requests the replay server answered.
    """
    from conformance.datasets import genai_demo as demo
    from conformance.genai.replay import ReplayServer

    output = Path(output)
    bank, responses, annotations = demo.write_inputs(output / "inputs")
    journal = output / "journal.jsonl"
    if journal.exists():
        journal.unlink()  # the demo's own folder: each demo collects afresh from a new server
    server = ReplayServer(demo.recorded_answers(bank, responses), demo.MODEL)
    with server as url:
        config = RunConfig(banks=[bank], endpoint=url, endpoint_model=demo.MODEL, api_key_env="none",
                           annotations=annotations, profiles=demo.PROFILES, output=output, seed=seed, journal=journal)
        from conformance.genai.pipeline import run_generative

        plan = plan_for(config.profiles)
        result = run_generative(config, plan, run_command(config), progress, notes=["replay"], tool_version=__version__)
    return result, config, server.served


def run_command(config: RunConfig) -> list[str]:
    """The ``conformance run`` command line that reproduces a configuration's audit."""
    if config.generative:
        from conformance.genai.pipeline import generative_command

        return generative_command(config)
    args = ["conformance", "run"]
    for name in ("model", "data", "reference", "model_card", "checklist", "target", "predictions", "scores",
                 "positive_label", "task", "system_name"):
        value = getattr(config, name)
        if value is not None and not (name == "task" and value == "auto"):
            args += [f"--{name.replace('_', '-')}", str(value)]
    for name, flag in (("sensitive", "--sensitive"), ("profiles", "--profile"), ("features", "--feature"),
                       ("trust_types", "--trust-type"), ("sets", "--set")):
        for value in getattr(config, name) or []:
            args += [flag, str(value)]
    for name, value in config.declared.items():
        args += ["--declare", f"{name}={value:g}"]
    if config.trust_model:
        args.append("--trust-model")
    if config.adopt_defaults:
        args.append("--adopt-defaults")
    if config.engine != "memory":
        args += ["--engine", config.engine, "--sample-rows", str(config.sample_rows)]
    return [*args, "--seed", str(config.seed)]


# --- evidence: signing, verification, baselines, re-rendering --------------------------------------


def sign_result(result: AuditResult, key: Path) -> AuditResult:
    """The result signed with an Ed25519 private key (PEM): see ``conformance.evidence.signing``."""
    from conformance.evidence.signing import sign

    return sign(result, key)


def generate_keys(output: Path, force: bool = False) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair (private key 0600) into ``output``; returns (private, public)."""
    from conformance.evidence.signing import generate_keys as generate
    from conformance.paths import require_output_folder

    return generate(require_output_folder(output), force)


def load_report(path: Path) -> AuditResult:
    """Read a report.json; raises InputError (exit 2) for anything that is not one."""
    from conformance.evidence.verify import load_report as load

    return load(path)


def run_gated(config: RunConfig, progress: Progress | None = None) -> tuple[AuditResult, Any]:
    """``conformance run``: check the baseline and key first, audit, sign; returns (result, diff or None)."""
    from conformance.errors import ConfigError

    from conformance.paths import require_output_folder

    require_output_folder(config.output, config.option("output"))  # before the audit, not after it ran
    if config.fail_on == Severity.regression and config.baseline is None:
        raise ConfigError("--fail-on regression needs a baseline", "give --baseline OLD_REPORT.json")
    baseline = load_report(config.baseline) if config.baseline is not None else None
    if config.sign_key is not None:
        from conformance.evidence.signing import load_private_key

        load_private_key(config.sign_key)  # a bad key stops the run before the audit, not after
    if Format.pdf in config.formats:
        check_pdf_fonts(config.lang)  # a missing font too
    result = run_audit(config, progress=progress)
    diff = diff_reports(baseline, result) if baseline is not None else None
    checked = gate(result, config.fail_on, diff)  # recorded so the JUnit report fails exactly what the exit code does
    result = result.model_copy(update={"run": result.run.model_copy(update={"gate": checked})})
    if config.sign_key is not None:
        result = sign_result(result, config.sign_key)
    return result, diff


def diff_reports(old: AuditResult | Path, new: AuditResult | Path) -> Any:
    """Verdict changes and metric moves beyond their CIs from ``old`` (the baseline) to ``new``."""
    from conformance.evidence.diff import diff_reports as compare

    old = old if isinstance(old, AuditResult) else load_report(old)
    new = new if isinstance(new, AuditResult) else load_report(new)
    return compare(old, new)


def diff_text(old: Path, new: Path, fmt: str = "text", lang: str = "en") -> tuple[str, Any]:
    """The diff as text, Markdown or JSON, and the diff itself."""
    from conformance.errors import ConfigError, did_you_mean

    if fmt not in ("text", "md", "json"):
        raise ConfigError(f"unknown diff format '{fmt}'", did_you_mean(fmt, ["text", "md", "json"]))
    diff = diff_reports(old, new)
    return describe_diff(diff, fmt, lang), diff


def describe_diff(diff: Any, fmt: str = "text", lang: str = "en") -> str:
    """A ReportDiff as text (terminal), ``md`` (pull-request comment) or ``json``, in ``lang``."""
    from conformance.evidence.diff import diff_text as text
    from conformance.locale import Words

    return diff.to_json() if fmt == "json" else text(diff, Words(lang), markdown=fmt == "md")


def rerun_arguments(result: AuditResult, trust_model: bool = False, trust_types: Sequence[str] = ()) -> list[str]:
    """The `conformance run` arguments that reproduce a report, with the verifier's trust, never the report's."""
    from conformance.evidence.verify import rerun_arguments as arguments

    return arguments(list(result.evidence.manifest.command), trust_model, trust_types)


def verify_report(
    report: Path,
    public_key: Path | None = None,
    rerun: bool = False,
    trust: Path | None = None,
    trust_model: bool = False,
    trust_types: Sequence[str] = (),
) -> Any:
    """Check a report's integrity and signature; with ``rerun``, check its inputs' hashes and re-run it.
    A bundle (``NAME.bundle``) is checked by :func:`verify_bundle`.

    The re-run trusts the model only as far as ``trust_model``/``trust_types`` (the verifier's own
    flags) say, whatever the report's command recorded. Returns a ``Verification`` (``.ok``,
    ``.findings``); bad input raises InputError (exit 2).
    """
    from conformance.evidence import verify

    if is_bundle(report):
        if public_key is not None:
            from conformance.errors import ConfigError

            raise ConfigError("--public-key applies to a report.json", "check a bundle's signer with --trust TRUST.yaml")
        return verify_bundle(report, trust, rerun, trust_model, trust_types).verification
    if trust is not None:
        from conformance.errors import ConfigError

        raise ConfigError("--trust applies to a bundle", "check a report.json's signer with --public-key SIGNER.pub")

    result, stored = verify.load_stored(report)
    checked = verify.Verification(str(report))
    verify.verify_layout(report, result, checked, stored)
    verify.verify_integrity(result, checked, public_key, rerun, stored)
    if rerun:
        args = rerun_arguments(result, trust_model, trust_types)
        verify.note_trust(list(result.evidence.manifest.command), trust_model, trust_types, checked)
        if verify.verify_inputs(result, checked, locate=_shipped_profile):
            verify.rerun(result, args, checked)
    return checked


def _shipped_profile(item: InputFile) -> Path | None:
    """A shipped profile recorded under another installation's path: this installation's copy."""
    profile_id = item.role.removeprefix("profile:")
    if not item.role.startswith("profile:") or profile_id not in shipped_profiles():
        return None
    return load_profile(profile_id).path


def render_report(report: Path, formats: list[Format], output: Path | None = None, lang: str = "en") -> list[Path]:
    """Re-render a saved report.json in other formats or another language, without re-running."""
    from conformance.paths import require_output_folder

    folder = require_output_folder(Path(output) if output is not None else Path(report).parent)
    result = load_report(report)
    return save_reports(result, folder, formats, lang)


# --- question banks (generative audits) -------------------------------------------------------------


def bank_schema() -> str:
    """The JSON Schema of a bank item."""
    from conformance.genai.bank import bank_schema as schema

    return schema()


def bank_stats(paths: Sequence[Path], profile_refs: Sequence[str] = ()) -> Any:
    """Validate banks (categories against the profiles' taxonomies) and describe them: size,
    per-category counts against the profiles' minimums, duplicates, languages, freshness."""
    from conformance.genai.bank import Bank, check_categories, read_banks
    from conformance.genai.bankstats import bank_stats as describe
    from conformance.genai.pipeline import bank_minimums, taxonomy_codes

    banks = read_banks(paths)
    codes, minimums = None, []
    if profile_refs:
        plan = plan_for(profile_refs)
        codes, taxonomy = taxonomy_codes(plan)
        if codes is not None:
            check_categories([Bank(b.path, tuple(i for i in b.items if i.expected != "answer")) for b in banks], codes, taxonomy or "")
        minimums = bank_minimums(plan)
    return describe(banks, minimums, codes)


def import_bank(source: Path, output: Path, mapping: Sequence[str] = (), values: Sequence[str] = (), force: bool = False) -> int:
    """Convert a public bank (Moonshot dataset JSON, or CSV/JSONL with ``--map field=column``) to a JSONL bank."""
    from conformance.errors import InputError
    from conformance.genai.bank import write_jsonl
    from conformance.genai.importers import import_moonshot, import_table, parse_pairs

    output = Path(output)
    if output.exists() and not force:
        raise InputError(f"{output} already exists", "pass --force to overwrite it, or choose another --output")
    columns, fixed = parse_pairs(list(mapping), "--map"), parse_pairs(list(values), "--set")
    source = Path(source)
    items = import_moonshot(source, fixed, columns) if source.suffix.lower() == ".json" else import_table(source, columns, fixed)
    return write_jsonl(items, output)



# --- evidence bundles, re-judging, exchange formats -------------------------------------------------


def is_bundle(path: Path) -> bool:
    """A bundle file: a zip (``conformance bundle`` writes one), whatever its name."""
    import zipfile

    return Path(path).is_file() and zipfile.is_zipfile(path)


def bundle_report(report_dir: Path, output: Path, include_inputs: bool = False, sign_key: Path | None = None) -> Any:
    """Pack a report folder into a signed evidence bundle (see ``conformance.evidence.bundle``)."""
    from conformance.evidence.bundle import build_bundle

    return build_bundle(report_dir, output, include_inputs, sign_key)


def load_trust(path: Path | None) -> Any:
    """A trust list of certification bodies (``conformance.evidence.trust``), or None."""
    from conformance.evidence.trust import load_trust_list

    return None if path is None else load_trust_list(path)


def verify_bundle(
    bundle: Path, trust: Path | Any = None, rerun: bool = False, trust_model: bool = False, trust_types: Sequence[str] = ()
) -> Any:
    """Integrity, DSSE signature, signer in the trust list, and with ``rerun`` the audit re-run from
    the bundled inputs, trusting the model only as far as the verifier's own ``trust_model`` and
    ``trust_types`` say. Returns a ``BundleCheck`` (``.ok``, ``.verification.findings``)."""
    from conformance.evidence.bundle_verify import verify_bundle as check

    trusted = load_trust(trust) if isinstance(trust, (str, Path)) else trust
    return check(bundle, trusted, rerun, trust_model=trust_model, trust_types=trust_types)


def rejudge_bundle(bundle: Path, profile_refs: Sequence[str], sets: Sequence[str] = (), trust: Path | None = None) -> AuditResult:
    """Judge a bundle's recorded measurements under other profiles (or ``--set`` thresholds), without
    model or data. The bundle must verify first; a requirement whose check (with its parameters)
    was not measured is ``pending``. The result names whose evidence it rests on."""
    from conformance.errors import InputError
    from conformance.evidence.signing import stored_evidence_sha256
    from conformance.profiles.rejudge import rejudge
    from conformance.result import RejudgedFrom

    checked = verify_bundle(bundle, trust)
    if not checked.ok:
        failed = next(f.message for f in checked.verification.findings if not f.ok)
        raise InputError(f"{bundle} does not verify: {failed}", "re-judge only evidence that verifies (conformance verify)")
    original = checked.result
    started = time.perf_counter()
    plan = plan_for(profile_refs, sets)
    ev = original.evidence
    requirements, summaries = rejudge(plan, ev.checks, ev.requirements, dict(ev.subject.declared))
    overrides, waivers = customisations(plan)
    used = {r.check_key for r in requirements if r.check_key}
    body = checked.body
    evidence = Evidence(
        subject=ev.subject,
        profiles=summaries,
        checks=[c for c in ev.checks if c.key in used],
        requirements=requirements,
        outcome=overall_outcome(requirements),
        manifest=build_manifest(__version__, ev.manifest.seed, ["conformance", "rejudge", str(bundle), *(
            a for ref in profile_refs for a in ("--profile", ref)), *(a for s_ in sets for a in ("--set", s_))],
            [hash_input("bundle", Path(bundle)), *(hash_input(f"profile:{p.profile.id}", p.path) for p in plan.profiles)]),
        overrides=overrides,
        waivers=waivers,
        rejudged_from=RejudgedFrom(
            bundle_sha256=checked.digest, evidence_sha256=stored_evidence_sha256(checked.stored),
            signer_fingerprint=checked.signer, signer_name=body.name if body else None,
            signer_jurisdiction=body.jurisdiction if body else None,
            original_profiles=[p.id for p in ev.profiles], original_outcome=ev.outcome,
        ),
    )
    run = RunInfo(started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  duration_seconds=round(time.perf_counter() - started, 3))
    return AuditResult(evidence=evidence, run=run)


def _report_or_bundle(path: Path) -> tuple[AuditResult, str]:
    """A report (or a bundle's report) with its evidence hash as stored."""
    from conformance.evidence.signing import stored_evidence_sha256

    if is_bundle(path):
        from conformance.evidence.bundle import open_bundle

        opened = open_bundle(path)
        try:
            result, stored, _ = opened.report()
        finally:
            opened.close()
        return result, stored_evidence_sha256(stored)
    from conformance.evidence.verify import load_stored

    result, stored = load_stored(path)
    return result, stored_evidence_sha256(stored)


def export_oscal(report: Path | None) -> str:
    """A report (or a bundle's report) as OSCAL assessment-results JSON (needs the ``oscal`` extra)."""
    from conformance.errors import ConfigError
    from conformance.evidence.oscal import assessment_results

    if report is None:
        raise ConfigError("--format oscal exports a report", "give the report.json (or a bundle) to export")
    result, evidence_hash = _report_or_bundle(report)
    return assessment_results(result, evidence_hash)


def export_oscal_catalog(profile_ref: str | None) -> str:
    """A profile's requirements (after extends) as an OSCAL catalog of controls (needs the ``oscal`` extra)."""
    from conformance.errors import ConfigError
    from conformance.evidence.oscal import catalog
    from conformance.profiles.schema import ChecklistItem

    if not profile_ref:
        raise ConfigError("--format oscal-catalog exports a profile", "give --profile ID (conformance profiles list)")
    loaded = load_profile(profile_ref)
    plan = plan_for([profile_ref])
    p = loaded.profile
    requirements = []
    for r in loaded.requirements:
        entry = {"id": r.id, "clause": r.clause, "title": r.title, "principle": r.principle, "severity": r.severity}
        if isinstance(r, ChecklistItem):
            entry |= {"question": r.question, "question_text": plan.questions[r.question].text}
        else:
            entry |= {"check": r.check, "metric": r.metric,
                      "threshold": {"min": r.threshold.min, "max": r.threshold.max, "origin": r.threshold.origin}}
        requirements.append(entry)
    return catalog({"id": p.id, "title": p.title, "version": p.version, "source": p.source.citation}, requirements)


def write_text_atomically(path: Path, text: str) -> Path:
    """Write a text file through a temporary file and a rename: never half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path


def bundle_crosswalk(bundle: Path, profile_refs: Sequence[str], trust: Path | None = None) -> list[dict]:
    """Which clauses of which frameworks a bundle's evidence already covers: one row per clause of
    each profile, with its status when re-judged from the bundle (satisfied, failed, open,
    not_applicable) and whether the bundle holds evidence for every requirement citing it."""
    from conformance.profiles.rejudge import NOT_MEASURED

    result = rejudge_bundle(bundle, profile_refs, (), trust)
    unmeasured = NOT_MEASURED.split("{", 1)[0]
    rows = []
    for summary in result.evidence.profiles:
        mine = {r.id: r for r in result.evidence.requirements if r.profile == summary.id}
        for clause in summary.clauses:
            missing = [rid for rid in clause.requirements if mine[rid].reason.startswith(unmeasured)
                       or (mine[rid].kind == "checklist" and mine[rid].answer is None)]
            rows.append({"profile": summary.id, "clause": clause.clause, "status": clause.status,
                         "covered": not missing, "requirements": clause.requirements, "without_evidence": missing})
    return rows


# --- the certificate registry ------------------------------------------------------------------------


def registry_serve(database: str, trust: Path, host: str = "127.0.0.1", port: int = 8765,
                   announce: Callable[[], None] | None = None) -> None:
    """Migrate the database and serve the registry (blocks until stopped); ``announce`` runs once it is ready to serve."""
    from conformance.registry.serve import serve

    serve(database, trust, host, port, announce)


def registry_token(database: str, trust: Path, body: str) -> str:
    """A new API token for a body of the trust list (printed once; only its hash is stored)."""
    from conformance.errors import ConfigError
    from conformance.registry.serve import open_registry
    from conformance.registry.service import Refused

    registry = open_registry(database, trust)
    try:
        return registry.issue_token(body)
    except Refused as exc:
        raise ConfigError(exc.reason, "the name must be a body's name in the trust list") from exc
    finally:
        registry.close()


def registry_submit(bundle: Path, url: str, token: str) -> dict:
    """Submit a bundle to a registry; returns the certificate (JSON)."""
    from conformance.registry.client import submit

    return submit(bundle, url, token)


def registry_status(certificate: str, status: str, reason: str, url: str, token: str) -> dict:
    """Suspend, reinstate or revoke a certificate (the issuing body's token)."""
    from conformance.registry.client import change_status

    return change_status(certificate, status, reason, url, token)
