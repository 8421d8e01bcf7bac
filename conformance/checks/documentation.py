"""Documentation checks: is the model card complete?

A model card is a YAML mapping supplied with ``--model-card FILE`` (``conformance card init``
writes a template). The check measures which of the fields a profile requires are filled in; a
field counts as filled when it is present, not empty, and not a template placeholder (text
beginning ``FILL IN``, or the common ``TODO``). Nested fields are named with dots (``training_data.source``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from conformance.checks.base import AuditContext, Check, CheckParams, NotApplicable
from conformance.errors import InputError
from conformance.yamlfile import read_yaml
from conformance.result import GroupValue, Measurement

DEFAULT_REQUIRED_FIELDS = (
    "model_name",
    "version",
    "owner",
    "contact",
    "intended_use",
    "out_of_scope_uses",
    "training_data",
    "evaluation_data",
    "metrics",
    "limitations",
    "ethical_considerations",
)
"""The issue's minimum, after EU AI Act Annex IV §1–3 and Mitchell et al., 'Model Cards for Model Reporting' (2019)."""

PLACEHOLDERS = ("FILL IN", "TODO")
"""Text a field starts with while it still awaits its answer (case-insensitive)."""

CARD_TEMPLATE = """\
# Model card: fill in every field; `conformance run --model-card model-card.yaml` checks it.
# Fields follow EU AI Act Annex IV (technical documentation) and "Model Cards for Model
# Reporting" (Mitchell et al., 2019). A field still starting with FILL IN counts as missing.

model_name: FILL IN — name of the model or AI system
version: FILL IN — version of the model (and of the system it is part of)
date: FILL IN — date of this version (YYYY-MM-DD)
owner: FILL IN — provider (organisation) responsible for the model
contact: FILL IN — contact point for questions and complaints (email or URL)
license: FILL IN — licence or terms of use

intended_use: FILL IN — the intended purpose, the decisions it supports, its users and the people affected (Annex IV 1(a))
out_of_scope_uses: FILL IN — uses the model is not designed or validated for, and foreseeable misuse (Annex IV 1, Art. 13(3)(b)(iii))

model_details:
  architecture: FILL IN — kind of model, its inputs and outputs (Annex IV 2(b))
  features: FILL IN — the input features and why each is needed
  training_procedure: FILL IN — training method, hyper-parameters and how they were chosen

training_data:
  source: FILL IN — provenance of the training data, its collection and period (Annex IV 2(d))
  preparation: FILL IN — labelling, cleaning, enrichment and aggregation
  representativeness: FILL IN — who is represented and who is under-represented (Art. 10(3))

evaluation_data:
  source: FILL IN — the test data and how it relates to the intended use (Annex IV 2(g))
  size: FILL IN — number of rows, and of each group compared

metrics: FILL IN — the metrics used, why they fit the purpose, and the levels achieved (Annex IV 3, 4; Art. 15)
limitations: FILL IN — known limitations, conditions of degraded performance, groups it serves worse (Annex IV 3)
ethical_considerations: FILL IN — risks to health, safety and fundamental rights, and the mitigations (Annex IV 5)

human_oversight: FILL IN — oversight measures and how users can interpret the outputs (Art. 14, Annex IV 2(e))
risk_management: FILL IN — the risk management system and its results (Art. 9, Annex IV 5)
post_market_monitoring: FILL IN — how the model is monitored in use (Art. 72, Annex IV 9)
standards_applied: FILL IN — harmonised standards or specifications applied (Annex IV 7)
changes: FILL IN — changes made to the model over its lifecycle (Annex IV 6)
"""


def load_model_card(path: Path) -> dict:
    """Read a model card YAML file; a missing or malformed file is an InputError (exit 2)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"model card not found: {path}", "check the path given to --model-card, or write one with: conformance card init")
    _, loaded = read_yaml(path, "model card", InputError)
    if not isinstance(loaded, dict):
        raise InputError(f"model card {path} must be a mapping of field: value", "start from: conformance card init")
    return loaded


def _lookup(card: dict, dotted: str) -> tuple[bool, Any]:
    value: Any = card
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def filled(value: Any) -> bool:
    """Present, not empty and not a template placeholder (at any depth of a nested field)."""
    if value is None:
        return False
    if isinstance(value, str):
        text = value.strip()
        return bool(text) and not text.upper().startswith(PLACEHOLDERS)
    if isinstance(value, dict):
        return bool(value) and all(filled(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return bool(value) and all(filled(v) for v in value)
    return True


class CardParams(CheckParams):
    required_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REQUIRED_FIELDS),
        min_length=1,
        description="Fields the card must fill (dots for nested fields, e.g. training_data.source).",
    )


def model_card(ctx: AuditContext, params: CardParams) -> list[Measurement]:
    """Completeness of the model card against the fields the profile requires.

    Why: technical documentation (EU AI Act Art. 11 and Annex IV; ISO/IEC 42001 A.6.2.7) must
    state the intended purpose, the data, the metrics and the limitations before a system is put
    on the market. ``completeness`` is the share of required fields filled in, ``missing_fields``
    their count; the groups list each field (1 filled, 0 missing). A nested field is filled when
    every entry under it is. Not applicable when no card was given (``--model-card FILE``).
    """
    if ctx.model_card is None:
        raise NotApplicable("no model card given: pass --model-card FILE (conformance card init writes a template)")
    check = "documentation.model_card"
    status = {name: filled(_lookup(ctx.model_card, name)[1]) for name in dict.fromkeys(params.required_fields)}
    missing = [name for name, ok in status.items() if not ok]
    note = ("missing or unfilled: " + ", ".join(missing)) if missing else "every required field is filled"
    groups = [GroupValue(group=name, n=1, value=1.0 if ok else 0.0) for name, ok in status.items()]
    return [
        Measurement(check=check, metric="completeness", value=1 - len(missing) / len(status), groups=groups, note=note),
        Measurement(check=check, metric="missing_fields", value=float(len(missing)), note=note),
    ]


CHECKS = [
    Check(
        id="documentation.model_card",
        title="Model card completeness",
        measure=model_card,
        params=CardParams,
        metrics=("completeness", "missing_fields"),
        tasks=frozenset({"binary", "regression"}),
        remediation=(
            "Fill in the missing fields of the model card (conformance card init writes a template "
            "with every Annex IV field) and pass it with --model-card."
        ),
    ),
]
