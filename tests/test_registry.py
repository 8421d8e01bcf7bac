"""Registry invariants, shipped profiles, report formats, schemas and import layering."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from conformance import api
from conformance.checks import REGISTRY
from conformance.checks.base import ID_PATTERN
from conformance.profiles.loader import load_profile, shipped_profiles
from conformance.report import FILE_NAMES, RENDERERS
from conformance.result import AuditResult, Format

ROOT = Path(__file__).resolve().parents[1]


def test_check_ids_are_stable_dotted_and_documented():
    assert REGISTRY, "no checks registered"
    for check_id, check in REGISTRY.items():
        assert ID_PATTERN.match(check_id)
        assert check.description and check.summary, f"{check_id} has no docstring"
        assert check.metrics, f"{check_id} declares no metrics"
        assert check.remediation, f"{check_id} says nothing about remediation"


@pytest.mark.parametrize("profile_id", sorted(shipped_profiles()))
def test_shipped_profiles_validate_and_cite_registered_checks(profile_id):
    loaded = load_profile(profile_id)
    assert loaded.profile.id == profile_id
    for item in loaded.checklist:
        assert item.question in loaded.questions, f"{profile_id}/{item.id} asks an unknown question"
    for requirement in (r for r in loaded.candidates if r.kind == "automated"):
        check = REGISTRY[requirement.check]
        assert requirement.metric in check.metrics
        check.params.model_validate(requirement.params)
        if requirement.threshold.origin in ("standard", "regulation"):
            assert requirement.threshold.note, f"{profile_id}/{requirement.id}: say where the number is stated"


def test_every_format_has_a_renderer_and_a_file_name():
    assert set(RENDERERS) == set(Format) == set(FILE_NAMES)


def test_shipped_schemas_match_the_models():
    shipped = resources.files("conformance") / "schemas"
    assert json.loads((shipped / "audit-result.schema.json").read_text()) == json.loads(api.result_schema())
    assert json.loads((shipped / "profile.schema.json").read_text()) == json.loads(api.profile_schema())


def test_import_layers_hold():
    import sys

    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    assert lint, "import-linter is a test dependency"
    ran = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_cli_start_up_does_not_import_heavy_libraries():
    import sys

    code = (
        "import sys; import conformance.cli; "
        "heavy = [m for m in ('sklearn', 'skops', 'pandas', 'scipy', 'pyarrow') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    ran = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "", f"imported at start-up: {ran.stdout.strip()}"


def test_report_round_trips_through_json(tmp_path, predictions_frame):
    result = api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision",
                       scores="score", sensitive=["sex"], profiles=["eu-ai-act-high-risk"])
    written = api.save_reports(result, tmp_path, [Format.json, Format.md])
    assert [p.name for p in written] == ["report.json", "report.md"]
    assert AuditResult.model_validate_json((tmp_path / "report.json").read_text()) == result
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_python_api_with_a_fitted_model(demo_model):
    model, _, test = demo_model
    result = api.audit(test, target="risk", sensitive=["sex", "age_group"], model=model,
                       profiles=["eeoc-four-fifths", "eu-ai-act-high-risk"])
    ev = result.evidence
    assert ev.subject.model == "Pipeline" and not ev.subject.predictions_only
    assert "age_group" not in ev.subject.features  # the model declares its own inputs
    # test once, comply many: the selection-rate check is cited by both profiles, computed once
    dp = [c for c in ev.checks if c.check == "fairness.demographic_parity"]
    assert len(dp) == 1
    citing = {r.profile for r in ev.requirements if r.check_key == dp[0].key}
    assert citing == {"eeoc-four-fifths", "eu-ai-act-high-risk"}


def test_failed_render_writes_nothing(tmp_path, predictions_frame, monkeypatch):
    from conformance import report

    result = api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision",
                       sensitive=["sex"], profiles=["base"])
    api.save_reports(result, tmp_path, [Format.json])
    before = (tmp_path / "report.json").read_bytes()

    def broken(*_, **__):  # a renderer is render(result, lang=...)
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(report.RENDERERS, Format.md, broken)
    with pytest.raises(RuntimeError):
        api.save_reports(result.model_copy(update={"schema_version": "x"}), tmp_path, [Format.json, Format.md])
    assert (tmp_path / "report.json").read_bytes() == before
    assert not (tmp_path / "report.md").exists()
