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
from conformance.messages import say
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
# Fields follow EU AI Act Annex IV (technical documentation), points 1 to 9, and "Model Cards
# for Model Reporting" (Mitchell et al., 2019). A field still starting with FILL IN counts as
# missing. Where a point does not apply, say why instead of leaving it blank.

# --- Annex IV point 1: general description ---------------------------------------------------
model_name: FILL IN — name of the model or AI system (Annex IV 1(a))
version: FILL IN — version of the model and of the system it is part of (Annex IV 1(a), 1(c))
date: FILL IN — date of this version (YYYY-MM-DD)
owner: FILL IN — provider (organisation) responsible for the model (Annex IV 1(a))
contact: FILL IN — contact point for questions and complaints (email or URL)
license: FILL IN — licence or terms of use
intended_use: FILL IN — the intended purpose, the decisions it supports, its users and the people affected (Annex IV 1(a))
out_of_scope_uses: FILL IN — uses the model is not designed or validated for, and foreseeable misuse (Annex IV 1, Art. 13(3)(b)(iii))
system_context:
  interactions: FILL IN — hardware, software and other AI systems it interacts with (Annex IV 1(b))
  software_versions: FILL IN — versions of the software and firmware it relies on, and update requirements (Annex IV 1(c))
  forms_and_hardware: FILL IN — the forms in which it is placed on the market and the hardware it runs on (Annex IV 1(d)–(f))
  user_interface: FILL IN — the user interface given to deployers (Annex IV 1(g))
  instructions_for_use: FILL IN — where the instructions for use are (Annex IV 1(h), Art. 13)

# --- Annex IV point 2: elements of the system and its development ----------------------------
model_details:
  development_methods: FILL IN — methods and steps of development, pre-trained systems and third-party tools used (Annex IV 2(a))
  design_choices: FILL IN — general logic, key design choices and their rationale, what it optimises, trade-offs (Annex IV 2(b))
  architecture: FILL IN — system architecture, how its software components feed each other, computing resources (Annex IV 2(c))
  features: FILL IN — the input features and why each is needed
  training_procedure: FILL IN — training method, hyper-parameters and how they were chosen (Annex IV 2(a)–(b))
training_data:
  source: FILL IN — provenance of the training data, its collection and period (Annex IV 2(d))
  preparation: FILL IN — labelling, cleaning, enrichment and aggregation (Annex IV 2(d))
  representativeness: FILL IN — who is represented and who is under-represented (Art. 10(3))
target_population: {}  # optional: share of each group in the population served, e.g. {sex: {female: 0.5, male: 0.5}}; Art. 10(3)
human_oversight: FILL IN — oversight measures and the technical means to interpret the outputs (Annex IV 2(e), Art. 14)
predetermined_changes: FILL IN — changes to the system and its performance determined in advance, and how they are kept compliant (Annex IV 2(f)); "none" if it does not learn after release
evaluation_data:
  source: FILL IN — the test data and how it relates to the intended use (Annex IV 2(g))
  size: FILL IN — number of rows, and of each group compared
test_reports: FILL IN — where the dated and signed test logs and reports are (Annex IV 2(g)); this report can be one
cybersecurity: FILL IN — cybersecurity measures against data or model poisoning, adversarial examples and confidentiality attacks (Annex IV 2(h), Art. 15(5))

# --- Annex IV points 3 and 4: monitoring, functioning and control; metrics --------------------
metrics: FILL IN — the metrics used, why they fit the purpose, and the levels achieved (Annex IV 3; why they are appropriate, Annex IV 4; Art. 15)
limitations: FILL IN — known limitations, accuracy for specific groups, conditions of degraded performance (Annex IV 3)
ethical_considerations: FILL IN — foreseeable unintended outcomes and risks to health, safety and fundamental rights (Annex IV 3)

# --- Annex IV points 5 to 9 ---------------------------------------------------------------
risk_management: FILL IN — the risk management system and its results (Annex IV 5, Art. 9)
changes: FILL IN — relevant changes made to the system over its lifecycle (Annex IV 6)
standards_applied: FILL IN — harmonised standards or common specifications applied, or the other solutions used (Annex IV 7)
declaration_of_conformity: FILL IN — a copy of (or a link to) the EU declaration of conformity (Annex IV 8, Art. 47)
post_market_monitoring: FILL IN — the post-market monitoring system and its plan (Annex IV 9, Art. 72(3))
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
        raise NotApplicable(say("note.documentation.no_card"))
    check = "documentation.model_card"
    status = {name: filled(_lookup(ctx.model_card, name)[1]) for name in dict.fromkeys(params.required_fields)}
    missing = [name for name, ok in status.items() if not ok]
    note = [say("note.documentation.missing", fields=", ".join(missing)) if missing else say("note.documentation.complete")]
    groups = [GroupValue(group=name, n=1, value=1.0 if ok else 0.0) for name, ok in status.items()]
    return [
        Measurement(check=check, metric="completeness", value=1 - len(missing) / len(status), groups=groups, note_parts=note),
        Measurement(check=check, metric="missing_fields", value=float(len(missing)), note_parts=note),
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
            "with a field for every point of Annex IV) and pass it with --model-card."
        ),
    ),
]
