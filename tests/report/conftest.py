"""Report fixtures: the demo's result computed once, and a result full of hostile strings."""

from __future__ import annotations

import os
import shutil

import pytest

from conformance.result import (
    AuditResult,
    ChecklistAnswer,
    CheckOutcome,
    EvidenceRef,
    GroupValue,
    Interval,
    Measurement,
    OverrideRecord,
    WaiverRecord,
)

HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>'


def browser_or_skip() -> str:
    """The Chromium binary; skips when there is none, unless CONFORMANCE_REQUIRE_BROWSER=1 (CI) demands one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CONFORMANCE_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required (CONFORMANCE_REQUIRE_BROWSER=1) but not installed")
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium fonts-noto-cjk poppler-utils)")


@pytest.fixture(scope="session")
def demo_result(tmp_path_factory) -> AuditResult:
    from conformance import api

    result, _ = api.run_demo(tmp_path_factory.mktemp("demo"), seed=0)
    return result


@pytest.fixture(scope="session")
def hostile_result(demo_result) -> AuditResult:
    """The demo result with markup in every free-text place a renderer shows, plus the optional parts:
    feature importance, a checklist answer with evidence, an override and a waiver."""
    ev = demo_result.evidence
    importance = CheckOutcome(
        key="explainability.global_importance", check="explainability.global_importance", title=f"Importance {HOSTILE}",
        params={"top_k": 3}, status="ok",
        measurements=[Measurement(
            check="explainability.global_importance", metric="mean_abs_shap", value=1.0,
            groups=[GroupValue(group=f"feature_{i}{HOSTILE if i == 0 else ''}", n=300, value=1 / (i + 1)) for i in range(20)],
            note=HOSTILE,
        )],
    )
    regression = CheckOutcome(
        key="x.negative", check="x.negative", title="Signed values", params={}, status="ok",
        measurements=[Measurement(
            check="x.negative", metric="mean_error", attribute="sex", value=-2.0,
            groups=[GroupValue(group="a", n=10, value=-2.5, ci=Interval(low=-3.0, high=-2.0, level=0.95)),
                    GroupValue(group="b", n=12, value=4.0, ci=Interval(low=3.0, high=5.5, level=0.95)),
                    GroupValue(group="c", n=1, value=None)],
        )],
    )
    requirements = list(ev.requirements)
    checklist = next(i for i, r in enumerate(requirements) if r.kind == "checklist")
    requirements[checklist] = requirements[checklist].model_copy(update={
        "verdict": "pass",
        "answer": ChecklistAnswer(answer="yes", justification=HOSTILE, answered_by=HOSTILE, answered_at="2026-01-01",
                                  evidence=[EvidenceRef(ref="risk.pdf", sha256="ab" * 32), EvidenceRef(ref="https://example.org/x")]),
    })
    requirements[0] = requirements[0].model_copy(update={"reason": HOSTILE, "title": f"Title {HOSTILE}"})
    subject = ev.subject.model_copy(update={"model": f"Model {HOSTILE}"})
    evidence = ev.model_copy(update={
        "subject": subject,
        "checks": [*ev.checks, importance, regression],
        "requirements": requirements,
        "overrides": [OverrideRecord(profile=ev.profiles[0].id, requirement=requirements[0].id, field="threshold.min",
                                     old=0.8, new=0.85, source="--set", justification=HOSTILE)],
        "waivers": [WaiverRecord(profile=ev.profiles[0].id, requirement="gone", clause="Art. 0", title=HOSTILE,
                                 justification=HOSTILE, approved_by="QA lead", source="profile:x")],
    })
    return demo_result.model_copy(update={"evidence": evidence})
