"""The command line: parse, call the api, render, exit. No logic of its own.

Exit codes: 0 conformant under --fail-on · 1 non-conformant · 2 bad input or usage ·
3 internal error (a bug; --debug shows the traceback).
"""

import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from conformance import __version__
from conformance.choices import Format, Severity
from conformance.errors import ConformanceError

def _help_flag_false(option):
    """typer coerces a None flag value through pydantic, which would make every command start
    ~0.1 s slower: the ``--help`` flag defaults to False instead (and shows no placeholder)."""
    if option is not None:
        option.default = False
        option.metavar = ""
    return option


class _Group(TyperGroup):
    def get_help_option(self, ctx):
        return _help_flag_false(super().get_help_option(ctx))


class _Command(TyperCommand):
    def get_help_option(self, ctx):
        return _help_flag_false(super().get_help_option(ctx))


app = typer.Typer(
    cls=_Group,
    name="conformance",
    help="Test AI models for conformance with standards and regulations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
profiles_app = typer.Typer(cls=_Group, help="List, show, validate shipped and custom standard profiles.", no_args_is_help=True)
checks_app = typer.Typer(help="The registered checks.", no_args_is_help=True)
report_app = typer.Typer(help="Report utilities.", no_args_is_help=True)
checklist_app = typer.Typer(help="Process checklists answered by the applicant.", no_args_is_help=True)
app.add_typer(profiles_app, name="profiles")
app.add_typer(checklist_app, name="checklist")
card_app = typer.Typer(help="Model cards: the documentation the documentation checks read.", no_args_is_help=True)
app.add_typer(card_app, name="card")
app.add_typer(checks_app, name="checks")
app.add_typer(report_app, name="report")
keys_app = typer.Typer(help="Ed25519 keys that sign reports.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
bank_app = typer.Typer(help="Question banks of generative audits: validate, describe, import.", no_args_is_help=True)
app.add_typer(bank_app, name="bank")


def _languages() -> dict[str, str]:
    from conformance.locale import languages

    return {lang: lang for lang in languages()}


# Languages of the terminal summary and the reports: every catalogue shipped under
# conformance/report/locales or found in a folder named by CONFORMANCE_LOCALES.
Lang = Enum("Lang", _languages(), type=str)

out = Console()
err = Console(stderr=True)
GENAI = "Generative subject"


@app.callback(epilog="Global options: --version shows the version; --debug shows the traceback of an error.")
def _root() -> None:
    """Test AI models for conformance with standards and regulations."""


def _progress():
    """A transient progress bar on stderr; nothing at all when stderr is not a terminal."""
    import contextlib

    from rich.progress import BarColumn, Progress, TextColumn

    if not err.is_terminal:
        return contextlib.nullcontext(), None

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                   console=err, transient=True)
    task = bar.add_task("loading", total=None, count="")  # the plan's size is known from the first update

    def update(check: str, done: int, total: int) -> None:
        bar.update(task, description=f"measuring {check}" if check != "done" else "done", completed=done, total=total,
                   count=f"{done}/{total}")

    return bar, update


def _show(result, output: Path, formats: list[Format], lang: str = "en", verbose: bool = False) -> None:
    """Write the reports (atomically, all or none), then print the summary."""
    from conformance import api
    from conformance.report.terminal import render_terminal

    written = api.save_reports(result, output, formats, lang)
    render_terminal(result, out, [str(p) for p in written], lang=lang, verbose=verbose)


@app.command()
def demo(
    output: Annotated[Path, typer.Option(help="Folder for the reports (and the demo's model and data).")] = Path("reports/demo"),
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
    format: Annotated[str, typer.Option("--format", help="Report formats, comma-separated: json,md,html,pdf,junit.")] = "json,md,html",
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the summary and the reports.")] = Lang.en,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print the full table of requirements too.")] = False,
    genai: Annotated[bool, typer.Option("--genai", help="The generative demo: a chat model's recorded answers, replayed over HTTP on 127.0.0.1.")] = False,
) -> None:
    """Audit a credit model trained on real data shipped with the package (UCI German Credit).

    With --genai: audit a chat model's real recorded answers to a public, human-labelled set of
    requests (a replay over local HTTP, no model runs) under the generative profiles.
    Always exits 0 when the audit ran: the demo shows a verdict, it does not gate anything.
    """
    from conformance import api

    if genai:
        _demo_genai(Path("reports/demo-genai") if output == Path("reports/demo") else output, seed, format, lang.value)
        return

    formats = api.parse_formats(format)
    bar, update = _progress()
    with bar:
        result, config = api.run_demo(output, seed, progress=update)
    _show(result, output, formats, lang.value, verbose)
    from conformance.locale import Words

    command = " ".join(api.run_command(config)[:-2])  # the demo's own audit, minus the seed
    out.print(Words(lang.value)("text.try_your_own", command=command), style="dim", markup=False, highlight=False,
              soft_wrap=True)  # a command to copy: never broken across lines


def _demo_genai(output: Path, seed: int, format: str, lang: str) -> None:
    from conformance import api
    from conformance.locale import Words

    formats = api.parse_formats(format)
    bar, update = _progress()
    with bar:
        result, _, served = api.run_genai_demo(output, seed, progress=update)
    words = Words(lang)
    out.print(words("genai.demo_replay", served=served), style="dim", markup=False, highlight=False)
    _show(result, output, formats, lang)


@app.command()
def run(
    config: Annotated[Optional[Path], typer.Option("--config", help="Run file (YAML) with any of these options.")] = None,
    model: Annotated[Optional[Path], typer.Option(help="Model: .skops, .onnx, .pkl/.joblib (with --trust-model), XGBoost .ubj/.json, LightGBM .txt/.lgb, or package.module:function (with --trust-model).")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Evaluation data (.csv or .parquet).")] = None,
    target: Annotated[Optional[str], typer.Option(help="Column with the true outcome.")] = None,
    sensitive: Annotated[Optional[list[str]], typer.Option("--sensitive", help="Sensitive attribute column (repeatable).")] = None,
    profile: Annotated[Optional[list[str]], typer.Option("--profile", help="Profile id or YAML path (repeatable).")] = None,
    predictions: Annotated[Optional[str], typer.Option(help="Column with the model's predictions (no --model needed).")] = None,
    scores: Annotated[Optional[str], typer.Option(help="Column with the model's scores for the positive label.")] = None,
    positive_label: Annotated[Optional[str], typer.Option(help="The favourable value of the target.")] = None,
    reference: Annotated[Optional[Path], typer.Option(help="Reference (training) data with the same columns, for shift and privacy checks.")] = None,
    feature: Annotated[Optional[list[str]], typer.Option("--feature", help="Model input column (repeatable); default: what the model declares.")] = None,
    task: Annotated[Optional[str], typer.Option(help="auto, binary or regression.")] = None,
    output: Annotated[Optional[Path], typer.Option(help="Folder for the reports.")] = None,
    format: Annotated[Optional[str], typer.Option("--format", help="Report formats, comma-separated: json,md,html,pdf,junit.")] = None,
    fail_on: Annotated[Optional[Severity], typer.Option(help="Lowest severity whose failure exits 1: critical, major or minor; 'regression' (with --baseline): only a verdict worse than the baseline's.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed of every random step.")] = None,
    trust_type: Annotated[Optional[list[str]], typer.Option("--trust-type", help="A type (skops) or import (pickle) in the model file you trust (repeatable).")] = None,
    trust_model: Annotated[bool, typer.Option("--trust-model", help="Trust the model: needed for pickle, joblib and callables; trusts every skops type.")] = False,
    checklist: Annotated[Optional[Path], typer.Option("--checklist", help="Checklist answers (YAML) from `conformance checklist init`.")] = None,
    model_card: Annotated[Optional[Path], typer.Option("--model-card", help="Model card (YAML) from `conformance card init`.")] = None,
    declare: Annotated[Optional[list[str]], typer.Option("--declare", help="A performance level you declare, NAME=VALUE (repeatable), e.g. balanced_accuracy=0.72.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a profile's value (repeatable): REQUIREMENT.FIELD=VALUE, optionally PROFILE/ first, e.g. four-fifths.threshold.min=0.85.")] = None,
    adopt_defaults: Annotated[bool, typer.Option("--adopt-defaults", help="Adopt the tool's default thresholds: their failures then count against conformity, not as observations.")] = False,
    lang: Annotated[Optional[Lang], typer.Option("--lang", help="Language of the summary and the reports.")] = None,
    sign_key: Annotated[Optional[Path], typer.Option("--sign-key", help="Ed25519 private key (from `conformance keys generate`) to sign the report.")] = None,
    baseline: Annotated[Optional[Path], typer.Option("--baseline", help="An earlier report.json: list verdict changes and metric moves against it.")] = None,
    engine: Annotated[Optional[str], typer.Option("--engine", help="memory, stream (Parquet/CSV in record batches, bounded memory) or dask.")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address for --engine dask (default: a local cluster).")] = None,
    sample_rows: Annotated[Optional[int], typer.Option("--sample-rows", help="Rows of the seeded sample for row-based checks with --engine stream or dask.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print the full table of requirements too.")] = False,
    system_name: Annotated[Optional[str], typer.Option("--system-name", help="Name of the audited system on the certificate (default: the model card's model_name).")] = None,
    # --- generative subject: question banks asked of an endpoint, a callable (--model pkg.mod:fn) or recorded responses ---
    bank: Annotated[Optional[list[Path]], typer.Option("--bank", help="Question bank, JSONL/CSV/YAML (repeatable): makes the audit generative.", rich_help_panel=GENAI)] = None,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="OpenAI-compatible chat endpoint, e.g. http://127.0.0.1:8000/v1.", rich_help_panel=GENAI)] = None,
    endpoint_model: Annotated[Optional[str], typer.Option("--endpoint-model", help="Model name the endpoint serves.", rich_help_panel=GENAI)] = None,
    api_key_env: Annotated[Optional[str], typer.Option("--api-key-env", help="Environment variable holding the API key (default CONFORMANCE_API_KEY; never recorded).", rich_help_panel=GENAI)] = None,
    responses: Annotated[Optional[Path], typer.Option("--responses", help="Recorded responses (JSONL/CSV: id, response[, prompt, epoch]).", rich_help_panel=GENAI)] = None,
    system_prompt: Annotated[Optional[str], typer.Option("--system-prompt", help="System prompt sent before each item (its hash is recorded).", rich_help_panel=GENAI)] = None,
    temperature: Annotated[Optional[float], typer.Option("--temperature", help="Sampling temperature (default 0).", rich_help_panel=GENAI)] = None,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", help="Maximum tokens per answer.", rich_help_panel=GENAI)] = None,
    endpoint_seed: Annotated[Optional[int], typer.Option("--endpoint-seed", help="Seed sent to the endpoint, where it supports one.", rich_help_panel=GENAI)] = None,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", help="Requests in flight at once (default 8).", rich_help_panel=GENAI)] = None,
    rate_limit: Annotated[Optional[float], typer.Option("--rate-limit", help="At most this many requests per second.", rich_help_panel=GENAI)] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="Seconds to wait for one answer (default 60).", rich_help_panel=GENAI)] = None,
    retries: Annotated[Optional[int], typer.Option("--retries", help="Attempts per item on 429, 5xx, timeouts (default 6).", rich_help_panel=GENAI)] = None,
    journal: Annotated[Optional[Path], typer.Option("--journal", help="Journal of answers (default OUTPUT/journal.jsonl); a rerun resumes it.", rich_help_panel=GENAI)] = None,
    sample: Annotated[Optional[int], typer.Option("--sample", help="Items drawn per bank (seeded; stratified when a profile sets per-category minimums).", rich_help_panel=GENAI)] = None,
    keywords: Annotated[Optional[Path], typer.Option("--keywords", help="Keyword library: a term per line, or CSV term,category[,updated].", rich_help_panel=GENAI)] = None,
    annotations: Annotated[Optional[Path], typer.Option("--annotations", help="Human annotations (CSV/JSONL: item, verdict, annotator).", rich_help_panel=GENAI)] = None,
    judge_endpoint: Annotated[Optional[str], typer.Option("--judge-endpoint", help="OpenAI-compatible endpoint of the model judge.", rich_help_panel=GENAI)] = None,
    judge_model: Annotated[Optional[str], typer.Option("--judge-model", help="Model name of the model judge.", rich_help_panel=GENAI)] = None,
    judge_api_key_env: Annotated[Optional[str], typer.Option("--judge-api-key-env", help="Environment variable holding the judge endpoint's key (default CONFORMANCE_API_KEY; 'none': no key).", rich_help_panel=GENAI)] = None,
    show_responses: Annotated[bool, typer.Option("--show-responses", help="Show response excerpts in the report (default: item ids only).", rich_help_panel=GENAI)] = False,
    audit_date: Annotated[Optional[str], typer.Option("--audit-date", help="The audit's date for freshness, YYYY-MM-DD (default today).", rich_help_panel=GENAI)] = None,
    # --- annotated training-corpus sample (genai.corpus_sample) ---
    corpus_sample: Annotated[Optional[Path], typer.Option("--corpus-sample", help="Annotated corpus sample (CSV/JSONL: id, source, kind manual|technical, verdict qualified|unqualified[, category]).", rich_help_panel=GENAI)] = None,
    corpus_size: Annotated[Optional[int], typer.Option("--corpus-size", help="Items in the whole training corpus (share covered by the technical sample).", rich_help_panel=GENAI)] = None,
) -> None:
    """Audit your model (or its predictions) on your data against one or more profiles."""
    from conformance import api

    flags = {
        "model": model, "data": data, "target": target, "sensitive": sensitive, "profiles": profile,
        "predictions": predictions, "scores": scores, "positive_label": positive_label, "features": feature, "reference": reference,
        "task": task, "output": output, "formats": format, "fail_on": fail_on, "seed": seed,
        "trust_types": trust_type, "trust_model": trust_model or None, "checklist": checklist, "sets": set_, "declared": declare,
        "model_card": model_card, "lang": lang.value if lang else None, "sign_key": sign_key, "baseline": baseline,
        "engine": engine, "scheduler": scheduler, "sample_rows": sample_rows, "system_name": system_name,
        "banks": bank, "endpoint": endpoint, "endpoint_model": endpoint_model, "api_key_env": api_key_env, "responses": responses,
        "system_prompt": system_prompt, "temperature": temperature, "max_tokens": max_tokens, "endpoint_seed": endpoint_seed,
        "concurrency": concurrency, "rate_limit": rate_limit, "timeout": timeout, "retries": retries, "journal": journal,
        "sample": sample, "keywords": keywords, "annotations": annotations, "judge_endpoint": judge_endpoint,
        "judge_model": judge_model, "judge_api_key_env": judge_api_key_env, "show_responses": show_responses or None, "audit_date": audit_date,
        "corpus_sample": corpus_sample, "corpus_size": corpus_size,
        "adopt_defaults": adopt_defaults or None,
    }
    cfg = api.config_from(config, flags)
    bar, update = _progress()
    with bar:
        result, diff = api.run_gated(cfg, progress=update)
    _show(result, cfg.output, cfg.formats, cfg.lang, verbose)
    if diff is not None:
        sys.stdout.write(api.describe_diff(diff, lang=cfg.lang))
    from conformance.report.terminal import print_gate

    print_gate(result.run.gate, out, cfg.lang)
    raise typer.Exit(result.run.gate.code)


@checks_app.command("list")
def checks_list(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the docs page of checks (Markdown).")] = False,
) -> None:
    """Every registered check, with its metrics."""
    from rich.table import Table

    from conformance import api

    if markdown:
        sys.stdout.write(api.checks_markdown())
        return

    table = Table("id", "measures", "metrics")
    table.columns[0].no_wrap = True
    for check in api.checks():
        table.add_row(check.id, check.summary, ", ".join(check.metrics))
    out.print(table)


@profiles_app.command("list", cls=_Command)
def profiles_list() -> None:
    """Shipped profiles."""
    from rich.table import Table

    from conformance.profiles.headers import shipped_headers  # a light read: listing starts fast

    table = Table("id", "title", "version", "requirements", "source")
    table.columns[0].no_wrap = True
    for header in shipped_headers():
        table.add_row(header.id, header.title, header.version, str(header.requirements), header.citation)
    out.print(table)


@profiles_app.command("show")
def profiles_show(ref: Annotated[str, typer.Argument(help="Profile id or YAML path.")]) -> None:
    """Print a profile's YAML."""
    from conformance import api

    sys.stdout.write(api.profile_source(ref))


@profiles_app.command("validate")
def profiles_validate(path: Annotated[Path, typer.Argument(help="Profile YAML file.")]) -> None:
    """Validate a profile file (schema, checks, parameters, extends); exit 2 on the first problem."""
    from conformance import api

    loaded = api.validate_profile(path)
    sys.stdout.write(f"{path}: valid profile '{loaded.profile.id}' with {len(loaded.requirements)} requirements\n")


@profiles_app.command("schema")
def profiles_schema() -> None:
    """Print the JSON Schema of profiles (for editors)."""
    from conformance import api

    sys.stdout.write(api.profile_schema())


@checklist_app.command("init")
def checklist_init(
    profile: Annotated[list[str], typer.Option("--profile", help="Profile id or YAML path (repeatable).")],
    output: Annotated[Path, typer.Option("--output", help="Answer file to write (YAML).")] = Path("answers.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing answer file.")] = False,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the questions and comments.")] = Lang.en,
) -> None:
    """Write one answer file for the process questions of the profiles, each question once."""
    from conformance import api

    count = api.write_checklist(profile, output, force, lang.value)
    sys.stdout.write(f"wrote {output}: {count} questions to answer, then run with --checklist {output}\n")


@app.command()
def crosswalk(
    profile: Annotated[list[str], typer.Option("--profile", help="Profile id or YAML path (repeatable).")],
    format: Annotated[str, typer.Option("--format", help="table, md, csv or json.")] = "table",
    annex_iii: Annotated[Optional[list[str]], typer.Option("--annex-iii", help="EU AI Act Annex III use case(s) to include, e.g. employment (repeatable).")] = None,
    bundle: Annotated[Optional[Path], typer.Option("--bundle", help="A bundle: which clauses its evidence already covers.")] = None,
    trust: Annotated[Optional[Path], typer.Option("--trust", help="Trust list (YAML) the bundle's signer must be in.")] = None,
) -> None:
    """Which checks and checklist questions serve which clauses of each framework."""
    from conformance import api

    if bundle is not None:
        _bundle_crosswalk(api.bundle_crosswalk(bundle, profile, trust), format)
        return
    sets = api.annex_iii_sets(profile, annex_iii or [])
    if format != "table":
        sys.stdout.write(api.crosswalk_text(profile, format, sets))
        return
    from rich.table import Table

    walk = api.crosswalk(profile, sets)
    table = Table("evidence", *walk.profiles, show_lines=True)
    table.columns[0].overflow = "fold"
    for row in walk.rows:
        name = row.evidence if row.kind == "automated" else f"{row.evidence}\n[dim]{row.title}[/]"
        table.add_row(name, *("\n".join(row.clauses_of(p)) or "—" for p in walk.profiles))
    out.print(table)


def _bundle_crosswalk(rows: list[dict], format: str) -> None:
    """Print the clauses a bundle covers (a thin view of ``api.bundle_crosswalk``)."""
    import json

    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    from rich.table import Table

    table = Table("profile", "clause", "status", "covered by the bundle", "without evidence")
    for row in rows:
        table.add_row(row["profile"], row["clause"], row["status"], "yes" if row["covered"] else "no",
                      ", ".join(row["without_evidence"]) or "—")
    out.print(table)
    covered = sum(r["covered"] for r in rows)
    out.print(f"{covered} of {len(rows)} clauses covered by the bundle's evidence")


@card_app.command("init")
def card_init(
    output: Annotated[Path, typer.Option("--output", help="Model card file to write (YAML).")] = Path("model-card.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a model card template (EU AI Act Annex IV fields) to fill in."""
    from conformance import api

    api.write_card_template(output, force)
    out.print(f"wrote {output}: replace every FILL IN, then run with --model-card {output}")


@report_app.command("schema")
def report_schema() -> None:
    """Print the JSON Schema of the JSON report."""
    from conformance import api

    sys.stdout.write(api.result_schema())


@keys_app.command("generate")
def keys_generate(
    output: Annotated[Path, typer.Option("--output", help="Folder for the key pair.")] = Path("keys"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing key pair.")] = False,
) -> None:
    """Create an Ed25519 key pair: the private key (readable by you only) signs, the public key verifies."""
    from conformance import api

    private, public = api.generate_keys(output, force)
    sys.stdout.write(f"private key (keep it secret, mode 0600): {private}\npublic key (share it with verifiers): {public}\n")


@app.command()
def verify(
    report: Annotated[Path, typer.Argument(help="The report.json or NAME.bundle to verify.")],
    public_key: Annotated[Optional[Path], typer.Option("--public-key", help="The signer's public key: the report must be signed by it.")] = None,
    rerun: Annotated[bool, typer.Option("--rerun", help="Check the inputs' SHA-256, re-run the audit and compare the evidence.")] = False,
    trust: Annotated[Optional[Path], typer.Option("--trust", help="Trust list (YAML) of certification bodies: a bundle's signer must be in it.")] = None,
    trust_model: Annotated[bool, typer.Option("--trust-model", help="With --rerun: trust the model (never taken from the report).")] = False,
    trust_type: Annotated[Optional[list[str]], typer.Option("--trust-type", help="With --rerun: a type or import in the model you trust (repeatable; never taken from the report).")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the findings.")] = Lang.en,
) -> None:
    """Check a report's integrity and signature (and, with --rerun, that it reproduces).

    Exit 0 verified · 1 verification failed (tampered, wrong key, changed input, different evidence)
    · 2 bad input (not a report, a missing key or input file).
    """
    from conformance import api

    checked = api.verify_report(report, public_key, rerun, trust, trust_model, trust_type or [])
    from conformance.locale import Words

    words = Words(lang.value)
    for finding in checked.findings:
        sys.stdout.write(words("verify.ok" if finding.ok else "verify.fail") + finding.text(words) + "\n")
    sys.stdout.write(words("verify.verified" if checked.ok else "verify.not_verified", path=report) + "\n")
    raise typer.Exit(0 if checked.ok else 1)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The baseline report.json.")],
    new: Annotated[Path, typer.Argument(help="The later report.json.")],
    format: Annotated[str, typer.Option("--format", help="text, md or json.")] = "text",
    fail_on_regression: Annotated[bool, typer.Option("--fail-on-regression", help="Exit 1 when a verdict got worse.")] = False,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the text and Markdown diff.")] = Lang.en,
) -> None:
    """Verdict changes and metric moves beyond their confidence intervals between two reports."""
    from conformance import api

    text, changes = api.diff_text(old, new, format, lang.value)
    sys.stdout.write(text)
    raise typer.Exit(1 if fail_on_regression and changes.regressions else 0)


@app.command()
def render(
    report: Annotated[Path, typer.Argument(help="A report.json written by an earlier run.")],
    format: Annotated[str, typer.Option("--format", help="Formats, comma-separated: json,md,html,pdf,junit.")] = "html",
    output: Annotated[Optional[Path], typer.Option("--output", help="Folder for the files (default: the report's folder).")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the reports.")] = Lang.en,
) -> None:
    """Re-render a saved report in other formats or another language, without re-running the audit."""
    from conformance import api

    for path in api.render_report(report, api.parse_formats(format), output, lang.value):
        sys.stdout.write(f"wrote {path}\n")


@bank_app.command("schema")
def bank_schema() -> None:
    """Print the JSON Schema of a bank item."""
    from conformance import api

    sys.stdout.write(api.bank_schema())


@bank_app.command("validate")
def bank_validate(
    files: Annotated[list[Path], typer.Argument(help="Bank files (JSONL, CSV, YAML).")],
    profile: Annotated[Optional[list[str]], typer.Option("--profile", help="Check categories against this profile's taxonomy (repeatable).")] = None,
) -> None:
    """Validate banks: every field of every item (file:line on the first problem, exit 2)."""
    from conformance import api

    stats = api.bank_stats(files, profile or [])
    sys.stdout.write(f"valid: {stats.items} items in {len(files)} bank(s)" + (f"; {len(stats.shortfalls)} categories below a profile's minimum" if stats.shortfalls else "") + "\n")


@bank_app.command("stats")
def bank_stats(
    files: Annotated[list[Path], typer.Argument(help="Bank files (JSONL, CSV, YAML).")],
    profile: Annotated[Optional[list[str]], typer.Option("--profile", help="Compare per-category counts with this profile's minimums (repeatable).")] = None,
) -> None:
    """Size, items per category (against a profile's minimums), duplicates, languages, freshness."""
    from conformance import api

    stats = api.bank_stats(files, profile or [])
    mix = lambda counts: ", ".join(f"{k} {v}" for k, v in counts.items())  # noqa: E731
    lines = [f"items: {stats.items} ({mix(stats.expected)})", f"languages: {mix(stats.languages)}",
             f"categories: {len(stats.categories)} ({mix(stats.categories)})",
             f"exact duplicates: {len(stats.exact_duplicates)} group(s)" + "".join(f"\n  {', '.join(g)}" for g in stats.exact_duplicates[:20]),
             f"near duplicates (case, spacing, punctuation): {len(stats.near_duplicates)} group(s)" + "".join(f"\n  {', '.join(g)}" for g in stats.near_duplicates[:20]),
             "freshness: " + (f"newest {stats.newest}, oldest {stats.oldest}" if stats.newest else "no item is dated") + (f"; {stats.undated} undated" if stats.undated and stats.newest else "")]
    if profile:
        lines.append(f"below a profile's per-category minimum: {len(stats.shortfalls)}" + "".join(
            f"\n  {req}: {code} has {have}, needs {need:g}" for req, code, have, need in stats.shortfalls[:50]))
    sys.stdout.write("\n".join(lines) + "\n")


@bank_app.command("import")
def bank_import(
    source: Annotated[Path, typer.Argument(help="A Moonshot dataset (.json) or a CSV/JSONL file.")],
    output: Annotated[Path, typer.Option("--output", help="The JSONL bank to write.")],
    map_: Annotated[Optional[list[str]], typer.Option("--map", help="FIELD=COLUMN: take a bank field from a column (repeatable), e.g. prompt=goal.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="FIELD=VALUE for every item (repeatable), e.g. language=en, expected=refuse.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Convert a public bank into the tool's JSONL bank format."""
    from conformance import api

    count = api.import_bank(source, output, map_ or [], set_ or [], force)
    sys.stdout.write(f"wrote {output}: {count} items\n")


# --- evidence bundles: pack, re-judge, export --------------------------------------------------------


@app.command()
def bundle(
    report_dir: Annotated[Path, typer.Argument(help="The --output folder of a run (holding report.json).")],
    output: Annotated[Path, typer.Option("--output", help="The bundle file to write, e.g. audit.bundle.")],
    include_inputs: Annotated[bool, typer.Option("--include-inputs", help="Also pack the model and data files (for verify --rerun).")] = False,
    sign_key: Annotated[Optional[Path], typer.Option("--sign-key", help="Ed25519 private key: sign the bundle as an in-toto statement (DSSE).")] = None,
) -> None:
    """Pack a report with its profiles, checklist evidence, model card and journal into a signed bundle."""
    from conformance import api

    built = api.bundle_report(report_dir, output, include_inputs, sign_key)
    signed = f"signed by key {built.signed_by}" if built.signed_by else "UNSIGNED (pass --sign-key to sign it)"
    sys.stdout.write(f"wrote {built.path}: {len(built.members)} files, {signed}\nbundle digest {built.digest}\n")


@app.command()
def rejudge(
    bundle: Annotated[Path, typer.Argument(help="A bundle (from `conformance bundle`).")],
    profile: Annotated[list[str], typer.Option("--profile", help="Profile id or YAML path to judge under (repeatable).")],
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override [PROFILE/]REQUIREMENT.FIELD=VALUE (repeatable).")] = None,
    trust: Annotated[Optional[Path], typer.Option("--trust", help="Trust list (YAML): the bundle's signer must be in it.")] = None,
    output: Annotated[Path, typer.Option("--output", help="Folder for the re-judged reports.")] = Path("reports/rejudged"),
    format: Annotated[str, typer.Option("--format", help="Report formats, comma-separated: json,md,html,pdf,junit.")] = "json",
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the summary and the reports.")] = Lang.en,
) -> None:
    """Judge a bundle's measurements under another profile or thresholds, without model or data.

    A requirement whose check was not measured is pending, never a pass. Exit 1 when a major or
    critical requirement fails.
    """
    from conformance import api

    result = api.rejudge_bundle(bundle, profile, set_ or [], trust)
    _show(result, output, api.parse_formats(format), lang.value)
    from conformance.locale import Words

    out.print(Words(lang.value).rejudged(result.evidence.rejudged_from), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(api.exit_code(result, Severity.major))


class ExportFormat(str, Enum):
    oscal = "oscal"
    oscal_catalog = "oscal-catalog"


@app.command()
def export(
    report: Annotated[Optional[Path], typer.Argument(help="A report.json or bundle (for --format oscal).")] = None,
    format: Annotated[ExportFormat, typer.Option("--format", help="oscal: assessment results of a report; oscal-catalog: a profile's requirements as controls.")] = ExportFormat.oscal,
    profile: Annotated[Optional[str], typer.Option("--profile", help="Profile id or YAML path (for --format oscal-catalog).")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", help="File to write (default: standard output).")] = None,
) -> None:
    """Export in an exchange format: OSCAL assessment results, or a profile as an OSCAL catalog."""
    from conformance import api

    if format == ExportFormat.oscal:
        text = api.export_oscal(report)
    else:
        text = api.export_oscal_catalog(profile)
    if output is None:
        sys.stdout.write(text)
    else:
        api.write_text_atomically(output, text)
        sys.stdout.write(f"wrote {output}\n")


# --- the certificate registry ------------------------------------------------------------------------

registry_app = typer.Typer(help="The certificate registry: serve it, submit bundles, change a certificate's status.",
                           no_args_is_help=True)
app.add_typer(registry_app, name="registry")
DATABASE_HELP = "Database: a SQLite file path, or postgresql://USER@HOST:PORT/DB."


@registry_app.command("serve")
def registry_serve(
    trust: Annotated[Path, typer.Option("--trust", help="Trust list (YAML) of the bodies whose bundles are accepted.")],
    database: Annotated[str, typer.Option("--database", help=DATABASE_HELP)] = "registry.sqlite",
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
) -> None:
    """Serve the registry (REST API and look-up pages); migrates the database first."""
    from conformance import api

    api.registry_serve(database, trust, host, port,
                       announce=lambda: err.print(f"registry on http://{host}:{port} (database {database})", markup=False))


@registry_app.command("token")
def registry_token(
    body: Annotated[str, typer.Argument(help="The body's name, as in the trust list.")],
    trust: Annotated[Path, typer.Option("--trust", help="Trust list (YAML).")],
    database: Annotated[str, typer.Option("--database", help=DATABASE_HELP)] = "registry.sqlite",
) -> None:
    """Create an API token for a body (shown once; the registry keeps only its SHA-256)."""
    from conformance import api

    sys.stdout.write(api.registry_token(database, trust, body) + "\n")


@registry_app.command("submit")
def registry_submit(
    bundle: Annotated[Path, typer.Argument(help="A signed bundle (from `conformance bundle --sign-key`).")],
    url: Annotated[str, typer.Option("--url", help="The registry, e.g. http://127.0.0.1:8765.")],
    token: Annotated[str, typer.Option("--token", envvar="CONFORMANCE_REGISTRY_TOKEN", help="Your API token (or CONFORMANCE_REGISTRY_TOKEN).")],
) -> None:
    """Submit a bundle; prints the certificate id (the same id for the same bundle)."""
    from conformance import api

    cert = api.registry_submit(bundle, url, token)
    note = " (recognised from another jurisdiction)" if cert.get("recognised") else ""
    sys.stdout.write(f"certificate {cert['id']}: {cert['status']}{note}\n{url.rstrip('/')}/certificates/{cert['id']}\n")


@registry_app.command("status")
def registry_status(
    certificate: Annotated[str, typer.Argument(help="The certificate id.")],
    status: Annotated[str, typer.Argument(help="suspended, revoked (final) or valid (reinstate).")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the certificate's history.")],
    url: Annotated[str, typer.Option("--url", help="The registry.")],
    token: Annotated[str, typer.Option("--token", envvar="CONFORMANCE_REGISTRY_TOKEN", help="The issuing body's API token.")],
) -> None:
    """Change a certificate's status; only the body that issued it may."""
    from conformance import api

    cert = api.registry_status(certificate, status, reason, url, token)
    sys.stdout.write(f"certificate {cert['id']}: {cert['status']}\n")


# --- help: options of `run` in panels, with readable placeholders ----------------------------------

RUN_PANELS = {
    "Subject": ("config", "model", "predictions", "scores", "trust_type", "trust_model", "feature", "task", "system_name"),
    "Data": ("data", "target", "sensitive", "positive_label", "reference"),
    "Profiles": ("profile", "set_", "declare", "checklist", "model_card", "adopt_defaults", "fail_on"),
    "Output": ("output", "format", "lang", "verbose"),
    "Evidence": ("seed", "sign_key", "baseline"),
    "Engine": ("engine", "scheduler", "sample_rows"),
}
METAVARS = {
    "config": "PATH", "model": "PATH|MODULE:FN", "data": "PATH", "reference": "PATH", "checklist": "PATH",
    "model_card": "PATH", "sign_key": "PATH", "baseline": "PATH", "output": "PATH", "target": "COLUMN",
    "predictions": "COLUMN", "scores": "COLUMN", "sensitive": "COLUMN", "feature": "COLUMN", "profile": "ID|PATH",
    "positive_label": "LABEL", "trust_type": "TYPE", "declare": "NAME=VALUE", "set_": "OVERRIDE",
    "task": "auto|binary|regression", "format": "FORMATS", "seed": "INTEGER", "engine": "memory|stream|dask",
    "scheduler": "ADDRESS", "fail_on": "SEVERITY", "sample_rows": "ROWS", "system_name": "NAME", "public_key": "PATH",
}
REQUIRED_UNLESS_CONFIG = ("data", "target", "profile")
RUN_DEFAULTS = {  # RunConfig's defaults, shown in help without importing it (a test keeps them equal)
    "output": "reports/run", "format": "json,md,html", "fail_on": "major", "seed": "0", "engine": "memory",
    "lang": "en", "sample_rows": "200000", "task": "auto",
}


def _tidy(command, name: str = "") -> None:
    """Readable help for every command: flags show no placeholder (not ``<bool>``), paths and
    columns say so (not ``<list[str]>``); the options of ``run`` sit in panels."""
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.name in METAVARS and name in ("run", "demo", "render", "verify", "diff") and param.param_type_name == "option":
            param.metavar = METAVARS[param.name]
        if name == "run" and getattr(param, "rich_help_panel", None) is None:
            param.rich_help_panel = next((panel for panel, names in RUN_PANELS.items() if param.name in names), None)
        if name == "run" and param.name in REQUIRED_UNLESS_CONFIG and param.help and "Required" not in param.help:
            param.help += " Required (here or in the --config run file)."
        if name == "run" and param.name in RUN_DEFAULTS and param.help and "(default" not in param.help:
            param.help += f" (default: {RUN_DEFAULTS[param.name]})"
    if type(command) is TyperCommand:  # the help flag of every command: no pydantic, no placeholder
        command.__class__ = _Command
    elif type(command) is TyperGroup:
        command.__class__ = _Group
    for sub_name, sub in getattr(command, "commands", {}).items():
        _tidy(sub, sub_name)


def _one_line(text: str) -> str:
    """A message on one line whatever it quotes: control characters (a newline in a name read from a
    hostile file) are shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors print one line and exit 2; bugs exit 3 (traceback with --debug)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if args[:1] == ["--version"]:  # handled here, not as a typed option: every typed option imports pydantic
        sys.stdout.write(f"conformance {__version__}\n")
        return
    try:
        command = typer.main.get_command(app)
        _tidy(command)
        command(args=args, prog_name="conformance")
    except ConformanceError as exc:
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"error: {_one_line(str(exc))}\n")
        sys.exit(exc.exit_code)
    except RecursionError:  # a file nested deeper than a reader bounds (each reader should refuse it first)
        if debug:
            traceback.print_exc()
        sys.stderr.write("error: an input is nested too deeply to read (rerun with --debug to see which reader)\n")
        sys.exit(2)
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if debug:
            traceback.print_exc()
        else:
            sys.stderr.write(
                f"internal error: {type(exc).__name__}: {exc} (a bug in conformance; rerun with --debug for the traceback)\n"
            )
        sys.exit(3)


if __name__ == "__main__":
    main()
