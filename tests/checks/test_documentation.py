"""The model card: its template, its completeness check, and how the CLI reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext
from conformance.checks.documentation import CARD_TEMPLATE, DEFAULT_REQUIRED_FIELDS, filled, load_model_card
from conformance.checks.runner import run_check
from conformance.errors import InputError
from conformance.io.dataset import prepare

DEMO_TRUST = ["--trust-type", "sklearn.tree._tree.Tree"]

PROFILE = """\
id: transparency-test
title: Transparency test profile
version: "1"
source: {title: test, citation: test}
requirements:
  - id: card-complete
    clause: "Annex IV"
    title: The model card is complete
    principle: transparency
    check: documentation.model_card
    metric: completeness
    threshold: {min: 1.0, origin: tool-default}
  - id: importance
    clause: "Art. 13"
    title: What drives the model is shown
    principle: transparency
    check: explainability.global_importance
    params: {sample_size: 100}
    metric: top_feature_share
    threshold: {max: 0.9, origin: tool-default}
"""


def _ctx(card) -> AuditContext:
    import pandas as pd

    frame = pd.DataFrame({"y": [0, 1, 0, 1], "x": [1, 2, 3, 4]})
    return AuditContext(data=prepare(frame, target="y", sensitive=[]), y_pred=None, scores=None, seed=0, model_card=card)


def _measure(card, **params):
    check = REGISTRY["documentation.model_card"]
    return run_check("card", check, check.params(**params), _ctx(card))


def _complete_card() -> dict:
    return {name: f"a real answer for {name}" for name in DEFAULT_REQUIRED_FIELDS} | {
        "training_data": {"source": "loan book 2015-2020", "preparation": "deduplicated"}
    }


def test_template_parses_and_counts_as_empty():
    card = yaml.safe_load(CARD_TEMPLATE)
    assert set(DEFAULT_REQUIRED_FIELDS) <= set(card)
    outcome = _measure(card)
    values = {m.metric: m.value for m in outcome.measurements}
    assert values == {"completeness": 0.0, "missing_fields": float(len(DEFAULT_REQUIRED_FIELDS))}


def test_completeness_counts_filled_fields_and_names_the_missing_ones():
    card = _complete_card()
    assert _measure(card).measurements[0].value == 1.0
    del card["limitations"]
    card["metrics"] = "TODO later"
    card["training_data"]["preparation"] = ""
    outcome = _measure(card)
    completeness = outcome.measurements[0]
    assert completeness.value == pytest.approx(1 - 3 / len(DEFAULT_REQUIRED_FIELDS))
    assert "limitations" in completeness.note and "metrics" in completeness.note and "training_data" in completeness.note
    assert {g.group: g.value for g in completeness.groups}["owner"] == 1.0
    assert outcome.measurements[1].value == 3.0


def test_nested_required_fields_and_custom_lists():
    card = _complete_card()
    outcome = _measure(card, required_fields=["training_data.source", "training_data.representativeness", "owner"])
    assert outcome.measurements[0].value == pytest.approx(2 / 3)
    assert "training_data.representativeness" in outcome.measurements[0].note


def test_filled_refuses_placeholders_and_empties():
    assert not filled(None) and not filled("") and not filled("  ") and not filled([]) and not filled({})
    assert not filled("FILL IN — say") and not filled("TODO: say") and not filled(["ok", "todo"]) and not filled({"a": "ok", "b": None})
    assert filled("text") and filled(0) and filled(["a"]) and filled({"a": "b"})


def test_no_card_is_not_applicable():
    outcome = _measure(None)
    assert outcome.status == "not_applicable"
    assert "--model-card" in outcome.reason


@pytest.mark.parametrize(
    ("text", "message"),
    [("a: [unclosed", "malformed YAML"), ("- just\n- a list\n", "must be a mapping"), ("plain words", "must be a mapping")],
)
def test_malformed_cards_are_input_errors(tmp_path, text, message):
    path = tmp_path / "card.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_model_card(path)
    with pytest.raises(InputError, match="not found"):
        load_model_card(tmp_path / "missing.yaml")


def test_card_init_writes_the_template_and_refuses_to_overwrite(cli, tmp_path):
    target = tmp_path / "docs" / "model-card.yaml"
    ran = cli("card", "init", "--output", target)
    assert ran.code == 0 and target.read_text() == CARD_TEMPLATE
    again = cli("card", "init", "--output", target)
    assert again.code == 2 and "already exists" in again.err
    assert cli("card", "init", "--output", target, "--force").code == 0


def test_run_with_a_model_card_hashes_it_and_checks_it(cli, demo_files, tmp_path):
    model, data = demo_files
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE)
    card = tmp_path / "card.yaml"
    card.write_text(yaml.safe_dump(_complete_card()))
    out = tmp_path / "out"
    ran = cli("run", "--model", model, "--data", data, "--target", "risk", "--sensitive", "sex", *DEMO_TRUST,
              "--profile", profile, "--model-card", card, "--output", out, "--format", "json")
    assert ran.code in (0, 1), ran.err
    report = json.loads(next(Path(out).glob("*.json")).read_text())
    roles = {i["role"] for i in report["evidence"]["manifest"]["inputs"]}
    assert "model_card" in roles
    checks = {c["check"]: c for c in report["evidence"]["checks"]}
    assert checks["documentation.model_card"]["status"] == "ok"
    assert checks["explainability.global_importance"]["status"] == "ok"
    verdicts = {r["id"]: r["verdict"] for r in report["evidence"]["requirements"]}
    assert verdicts["card-complete"] == "pass"


def test_run_with_a_malformed_model_card_exits_2(cli, demo_files, tmp_path):
    model, data = demo_files
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE)
    card = tmp_path / "card.yaml"
    card.write_text("intended_use: [oops")
    ran = cli("run", "--model", model, "--data", data, "--target", "risk", *DEMO_TRUST,
              "--profile", profile, "--model-card", card, "--output", tmp_path / "out")
    assert ran.code == 2
    assert "model card" in ran.err and "malformed YAML" in ran.err
    assert "Traceback" not in ran.err


def test_run_without_a_model_card_is_not_applicable(cli, demo_files, tmp_path):
    model, data = demo_files
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE)
    out = tmp_path / "out"
    ran = cli("run", "--model", model, "--data", data, "--target", "risk", *DEMO_TRUST,
              "--profile", profile, "--output", out, "--format", "json")
    assert ran.code in (0, 1), ran.err
    report = json.loads(next(Path(out).glob("*.json")).read_text())
    verdicts = {r["id"]: r["verdict"] for r in report["evidence"]["requirements"]}
    assert verdicts["card-complete"] == "not_applicable"


def test_the_template_covers_every_point_of_annex_iv():
    """`card init` claims Annex IV: points 1 to 9 and the elements of point 2 are each asked for."""
    import re

    cited = set(re.findall(r"Annex IV (\d)(?:\(([a-h])\))?", CARD_TEMPLATE))
    assert {point for point, _ in cited} == {str(n) for n in range(1, 10)}
    assert {letter for point, letter in cited if point == "2"} >= set("abcdefgh")
    card = yaml.safe_load(CARD_TEMPLATE)
    for field in ("cybersecurity", "declaration_of_conformity", "post_market_monitoring"):
        assert field in card
    assert "Annex IV 2(c)" in card["model_details"]["architecture"]
