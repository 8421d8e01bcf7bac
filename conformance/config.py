"""What a user supplies for one audit: the run configuration, from CLI flags or a run file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from conformance.choices import Severity
from conformance.errors import ConfigError, InputError
from conformance.result import Format
from conformance.yamlfile import read_yaml


Task = Literal["auto", "binary", "regression"]
Engine = Literal["memory", "stream", "dask"]


class RunConfig(BaseModel):
    """Everything one audit needs. Every CLI option of ``conformance run`` has a field here."""

    model_config = ConfigDict(extra="forbid")

    data: Path = Field(description="Evaluation data: a CSV or Parquet file.")
    target: str = Field(description="Column holding the true outcome.")
    profiles: list[str] = Field(min_length=1, description="Profile ids or YAML paths.")
    sensitive: list[str] = Field(default_factory=list, description="Sensitive attribute columns.")
    model: Path | None = Field(default=None, description="Model file (.skops, .onnx, .pkl/.joblib, XGBoost .ubj/.json, LightGBM .txt/.lgb) or package.module:function.")
    predictions: str | None = Field(default=None, description="Column of model predictions.")
    scores: str | None = Field(default=None, description="Column of model scores (probability of the positive label).")
    reference: Path | None = Field(default=None, description="Reference (training) data, CSV or Parquet, with the same columns.")
    features: list[str] | None = Field(default=None, description="Model input columns; default: what the model declares, else every other column.")
    positive_label: str | None = Field(default=None, description="The favourable label of the target.")
    task: Task = "auto"
    declared: dict[str, float] = Field(
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
    formats: list[Format] = Field(default_factory=lambda: [Format.json, Format.md, Format.html])
    fail_on: Severity = Severity.major
    seed: int = 0
    engine: Engine = Field(default="memory", description="memory (pandas), stream (record batches, bounded memory) or dask (a cluster).")
    scheduler: str | None = Field(default=None, description="Dask scheduler address for --engine dask (default: a local cluster).")
    sample_rows: int = Field(default=200_000, ge=1, description="Rows of the seeded sample that row-based checks use with --engine stream or dask.")
    lang: Literal["en", "zh"] = Field(default="en", description="Language of the terminal summary and the reports.")
    sign_key: Path | None = Field(default=None, description="Ed25519 private key (PEM) to sign the report with.")
    system_name: str | None = Field(default=None, description="Name of the audited system on the certificate (default: the model card's model_name).")
    baseline: Path | None = Field(default=None, description="An earlier report.json to compare with (for --fail-on regression).")

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
    if not path.is_file():
        raise InputError(f"run file not found: {path}", "check the path given to --config")
    _, loaded = read_yaml(path, "run file", ConfigError)
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"run file {path} must be a mapping of option: value")
    base = path.parent
    for key in ("data", "model", "output", "reference", "checklist", "model_card", "sign_key", "baseline"):
        if key == "model" and isinstance(loaded.get(key), str) and _CALLABLE.match(loaded[key]):
            continue  # package.module:function, not a path
        if isinstance(loaded.get(key), str) and not Path(loaded[key]).is_absolute():
            loaded[key] = str(base / loaded[key])
    profiles = loaded.get("profiles")
    if isinstance(profiles, list):
        loaded["profiles"] = [
            str(base / p) if isinstance(p, str) and p.endswith((".yaml", ".yml")) and not Path(p).is_absolute() else p
            for p in profiles
        ]
    return loaded


def build_config(options: dict) -> RunConfig:
    """Validate merged options into a RunConfig, turning pydantic errors into one clear line."""
    try:
        return RunConfig.model_validate(options)
    except ValidationError as exc:
        errors = exc.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        where = ".".join(str(part) for part in first["loc"]) or "run configuration"
        hint = None
        if first["type"] == "extra_forbidden":
            from conformance.errors import did_you_mean

            hint = did_you_mean(str(first["loc"][-1]), RunConfig.model_fields)
        elif first["type"] == "missing":
            hint = f"give --{where.replace('_', '-')} or set '{where}' in the run file"
        raise ConfigError(f"invalid option '{where}': {first['msg']}", hint) from exc
