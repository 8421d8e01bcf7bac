"""What a user supplies for one audit: the run configuration, from CLI flags or a run file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from conformance.choices import Severity
from conformance.errors import ConfigError, InputError
from conformance.paths import require_input, shown
from conformance.result import Format
from conformance.yamlfile import read_yaml


Task = Literal["auto", "binary", "regression"]
Engine = Literal["memory", "stream", "dask"]


class RunConfig(BaseModel):
    """Everything one audit needs. Every CLI option of ``conformance run`` has a field here."""

    model_config = ConfigDict(extra="forbid")

    data: Path | None = Field(default=None, description="Evaluation data: a CSV or Parquet file (a tabular audit).")
    target: str | None = Field(default=None, description="Column holding the true outcome (a tabular audit).")
    profiles: list[str] = Field(min_length=1, description="Profile ids or YAML paths.")
    sensitive: list[str] = Field(default_factory=list, description="Sensitive attribute columns.")
    model: Path | None = Field(default=None, description="Model file (.skops, .onnx, .pkl/.joblib, XGBoost .ubj/.json, LightGBM .txt/.lgb) or package.module:function.")
    predictions: str | None = Field(default=None, description="Column of model predictions.")
    scores: str | None = Field(default=None, description="Column of model scores (probability of the positive label).")
    reference: Path | None = Field(default=None, description="Reference (training) data, CSV or Parquet, with the same columns.")
    features: list[str] | None = Field(default=None, description="Model input columns; default: what the model declares, else every other column.")
    positive_label: str | None = Field(default=None, description="The favourable label of the target.")
    task: Task = "auto"
    declared: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict,
        description="Performance levels the provider declares (EU AI Act 13(3)(b)(ii)), e.g. {balanced_accuracy: 0.72}.",
    )
    adopt_defaults: bool = Field(
        default=False,
        description="Adopt the tool's default thresholds: their failures count against conformity (recorded in the report).",
    )
    checklist: Path | None = Field(default=None, description="Checklist answers (YAML) from `conformance checklist init`.")
    sets: list[str] = Field(
        default_factory=list, description="Overrides [PROFILE/]REQUIREMENT.FIELD=VALUE, e.g. four-fifths.threshold.min=0.85."
    )
    model_card: Path | None = Field(default=None, description="Model card (YAML) from `conformance card init`, for documentation checks.")
    trust_types: list[str] = Field(default_factory=list, description="Types (skops) or imports (pickle) trusted for loading.")
    trust_model: bool = Field(default=False, description="Trust the model (needed for pickle, joblib and callables).")
    output: Path = Path("reports/run")
    formats: list[Format] = Field(default_factory=lambda: [Format.json, Format.md, Format.html], min_length=1)
    fail_on: Severity = Severity.major
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="Seed of every random step (0 to 2**32 - 1).")
    engine: Engine = Field(default="memory", description="memory (pandas), stream (record batches, bounded memory) or dask (a cluster).")
    scheduler: str | None = Field(default=None, description="Dask scheduler address for --engine dask (default: a local cluster).")
    sample_rows: int = Field(default=200_000, ge=1, description="Rows of the seeded sample that row-based checks use with --engine stream or dask.")
    lang: Literal["en", "zh"] = Field(default="en", description="Language of the terminal summary and the reports.")
    sign_key: Path | None = Field(default=None, description="Ed25519 private key (PEM) to sign the report with.")
    system_name: str | None = Field(default=None, description="Name of the audited system on the certificate (default: the model card's model_name).")
    baseline: Path | None = Field(default=None, description="An earlier report.json to compare with (for --fail-on regression).")

    _run_file: Path | None = PrivateAttr(default=None)
    _from_file: frozenset[str] = PrivateAttr(default=frozenset())

    def option(self, field: str) -> str:
        """How the user gave ``field``: its flag (``--sample-rows``), or ``run file PATH: sample_rows``."""
        return option_name(field, self._run_file if field in self._from_file else None)

    # --- a generative subject: question banks asked of an endpoint, a callable, or recorded responses ---
    banks: list[Path] = Field(default_factory=list, description="Question banks (JSONL, CSV, YAML): their presence makes the audit generative.")
    endpoint: str | None = Field(default=None, description="OpenAI-compatible chat-completions endpoint, e.g. http://127.0.0.1:8000/v1.")
    endpoint_model: str | None = Field(default=None, description="Model name sent to the endpoint.")
    api_key_env: str = Field(default="CONFORMANCE_API_KEY", description="Environment variable holding the endpoint's API key (the key is never recorded).")
    system_prompt: str | None = Field(default=None, description="System prompt sent before every item (its hash is recorded).")
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature sent to the endpoint.")
    max_tokens: int | None = Field(default=None, ge=1, description="Maximum tokens of each answer.")
    endpoint_seed: int | None = Field(default=None, description="Seed sent to the endpoint (where it supports one).")
    concurrency: int = Field(default=8, ge=1, le=1024, description="Requests in flight at once.")
    rate_limit: float | None = Field(default=None, gt=0, description="At most this many requests per second.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for one answer.")
    retries: int = Field(default=6, ge=1, le=50, description="Attempts per item on 429, 5xx and timeouts (with backoff).")
    responses: Path | None = Field(default=None, description="Recorded responses (JSONL or CSV: id, response[, prompt, epoch]).")
    journal: Path | None = Field(default=None, description="Journal of answers (default: journal.jsonl in the output folder); resumes where it stopped.")
    sample: int | None = Field(default=None, ge=1, description="Items drawn per bank (seeded; stratified by category when a profile asks for per-category minimums).")
    keywords: Path | None = Field(default=None, description="Keyword library: a term per line, or CSV term,category[,updated].")
    annotations: Path | None = Field(default=None, description="Human annotations (CSV or JSONL: item, verdict, annotator[, epoch]).")
    judge_endpoint: str | None = Field(default=None, description="OpenAI-compatible endpoint of the model judge.")
    judge_model: str | None = Field(default=None, description="Model name of the model judge.")
    judge_api_key_env: str = Field(default="CONFORMANCE_API_KEY", description="Environment variable holding the judge endpoint's API key.")
    show_responses: bool = Field(default=False, description="Show excerpts of responses in the report (default: item ids only).")
    audit_date: str | None = Field(default=None, description="The audit's date (YYYY-MM-DD) for freshness; default today.")
    # --- an annotated training-corpus sample (genai.corpus_sample) ---
    corpus_sample: Path | None = Field(default=None, description="Annotated corpus sample (CSV/JSONL: id, source, kind manual|technical, verdict qualified|unqualified[, category]).")
    corpus_size: int | None = Field(default=None, ge=1, description="Items in the whole training corpus (for the share the technical sample covers).")

    @property
    def generative(self) -> bool:
        """A generative subject: banks, an endpoint or recorded responses were given."""
        return bool(self.banks or self.endpoint or self.responses)

    @model_validator(mode="after")
    def _subject(self) -> "RunConfig":
        if self.generative:
            return self
        for name in ("data", "target"):
            if getattr(self, name) is None:
                raise ValueError(f"a tabular audit needs --{name} (or give --bank for a generative one)")
        return self

    @field_validator("positive_label", mode="before")
    @classmethod
    def _label_as_text(cls, value: object) -> object:
        return None if value is None else str(value)

    @field_validator("declared", mode="before")
    @classmethod
    def _declared_pairs(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):  # --declare NAME=VALUE, repeatable
            pairs = {}
            for item in value:
                name, sep, level = str(item).partition("=")
                if not sep or not name.strip():
                    raise ValueError(f"'{item}' is not NAME=VALUE (e.g. balanced_accuracy=0.72)")
                pairs[name.strip()] = level.strip()
            return pairs
        return value

    @field_validator("formats", mode="before")
    @classmethod
    def _split_formats(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


_CALLABLE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def load_run_file(path: Path) -> dict:
    """Read a run YAML file into a dict of options (validated later, with CLI flags merged in)."""
    require_input(path, "--config")
    _, loaded = read_yaml(path, "run file", ConfigError)
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"run file {path} must be a mapping of option: value")
    base = path.parent
    for key in ("data", "model", "output", "reference", "checklist", "model_card", "sign_key", "baseline",
                "responses", "journal", "keywords", "annotations", "corpus_sample"):
        if key == "model" and isinstance(loaded.get(key), str) and _CALLABLE.match(loaded[key]):
            continue  # package.module:function, not a path
        if isinstance(loaded.get(key), str) and not Path(loaded[key]).is_absolute():
            loaded[key] = str(base / loaded[key])
    if isinstance(loaded.get("banks"), list):
        loaded["banks"] = [str(base / b) if isinstance(b, str) and not Path(b).is_absolute() else b for b in loaded["banks"]]
    profiles = loaded.get("profiles")
    if isinstance(profiles, list):
        loaded["profiles"] = [
            str(base / p) if isinstance(p, str) and p.endswith((".yaml", ".yml")) and not Path(p).is_absolute() else p
            for p in profiles
        ]
    return loaded


# Fields whose flag is not ``--`` + the field name with dashes.
FLAGS = {
    "profiles": "--profile", "features": "--feature", "trust_types": "--trust-type", "declared": "--declare",
    "sets": "--set", "formats": "--format", "banks": "--bank",
}
PATH_FIELDS = ("data", "reference", "model", "checklist", "model_card", "sign_key", "baseline", "banks", "responses",
               "keywords", "annotations", "corpus_sample")


def option_name(field: str, run_file: Path | None = None) -> str:
    """The option as the user wrote it: a flag, or the key in the run file it came from."""
    if run_file is not None:
        return f"run file {shown(run_file)}: {field}"
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def _value(options: dict, loc: tuple, fallback: object) -> object:
    value = options.get(loc[0], fallback) if loc else fallback
    if isinstance(value, dict) and len(loc) > 1 and loc[1] in value:
        return f"{loc[1]}={value[loc[1]]}"
    if isinstance(value, (list, tuple)) and len(loc) > 1 and not isinstance(options.get(loc[0]), str):
        index = loc[1]
        value = value[index] if isinstance(index, int) and index < len(value) else value
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value


def _message(field: str, error: dict) -> tuple[str, str | None]:
    """The problem and the fix for one pydantic error, in the user's words."""
    kind, given = error["type"], error.get("input")
    if field == "formats":
        if kind == "too_short":
            return "names no report format", "give one or more of: " + ", ".join(f.value for f in Format)
        return f"'{shown(given, 20)}' is not a report format", "give one or more of: " + ", ".join(f.value for f in Format)
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return error["msg"].lower().replace("input ", "it ", 1), None
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"is not one of {expected}", None
    if kind == "path_type":
        return "is not a file path", None
    if kind in ("int_parsing", "float_parsing", "int_from_float", "bool_parsing", "finite_number"):
        return error["msg"].lower().replace("input ", "it ", 1), None
    message = error["msg"].removeprefix("Value error, ")
    return message[0].lower() + message[1:], None


def build_config(options: dict, run_file: Path | None = None, from_file: set[str] | frozenset[str] = frozenset()) -> RunConfig:
    """Validate merged options into a RunConfig, turning pydantic errors into one clear line.

    The line names the option as the user gave it (``--format``, or the run file's key) and the
    value, never pydantic's internal location (``formats.1``).
    """
    try:
        config = RunConfig.model_validate(options)
    except ValidationError as exc:
        errors = exc.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        if not first["loc"]:  # a rule across options
            raise ConfigError(str(first["msg"]).removeprefix("Value error, ")) from exc
        field = str(first["loc"][0])
        label = option_name(field, run_file if field in from_file else None) if field else "run configuration"
        if first["type"] == "extra_forbidden":
            from conformance.errors import did_you_mean

            where = f"run file {shown(run_file)}" if run_file is not None else "run configuration"
            raise ConfigError(f"{where}: unknown option '{shown(field)}'", did_you_mean(field, RunConfig.model_fields)) from exc
        if first["type"] == "missing":
            raise ConfigError(
                f"{option_name(field)} is required",
                f"give {option_name(field)} or set '{field}' in the run file",
            ) from exc
        problem, hint = _message(field, first)
        raise ConfigError(f"{label} {shown(_value(options, tuple(first['loc']), first.get('input')))}: {problem}", hint) from exc
    config._run_file, config._from_file = run_file, frozenset(from_file)
    _check_combination(config)
    return config


def _check_combination(config: RunConfig) -> None:
    """Options that are valid alone but not together: stop before anything runs."""
    if config.model is not None and config.predictions is not None:
        raise ConfigError(
            f"{config.option('model')} and {config.option('predictions')} cannot be used together",
            "give --model to compute predictions, or --predictions to read them from the data",
        )
    if config.target in config.sensitive:
        raise ConfigError(
            f"{config.option('sensitive')} {shown(config.target)}: is the target column",
            "a sensitive attribute must be another column than --target",
        )


def check_inputs(config: RunConfig) -> None:
    """Every input path names a file (or, for data, a folder of Parquet files): before anything is read."""
    for field in PATH_FIELDS:
        for value in getattr(config, field) if field == "banks" else [getattr(config, field)]:
            if value is None or (field == "model" and _CALLABLE.match(str(value)) and not Path(value).exists()):
                continue
            require_input(value, config.option(field), folder=field in ("data", "reference"))
