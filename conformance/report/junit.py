"""JUnit XML for CI dashboards: one test suite per profile, one test case per requirement.

``classname`` is the profile id and ``name`` the requirement id with its clause. The JUnit
report tells the exit code's story: a ``<failure>`` (``<error>`` for an error verdict) only for
a requirement that gates under the run's ``--fail-on`` (recorded in ``result.run.gate``; a report
without one is read with the default, major). Every other verdict that is not a pass is
``<skipped>`` with its verdict and reason, an inconclusive one included: it does not fail the
run. Each test case carries its verdict, severity and threshold origin as properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.locale import DEFAULT, Words
from conformance.result import AuditResult, RequirementResult, evidence_sha256

DEFAULT_FAIL_ON = "major"
RANK = {"critical": 3, "major": 2, "minor": 1}


def gating(result: AuditResult) -> set[tuple[str, str]]:
    """(profile, requirement) of every requirement that makes the run fail."""
    if result.run.gate is not None:
        return {(f.profile, f.requirement) for f in result.run.gate.failed}
    floor = RANK[DEFAULT_FAIL_ON]
    return {(r.profile, r.id) for r in result.evidence.requirements
            if r.verdict in ("fail", "error") and RANK.get(r.severity, 0) >= floor}


def _details(r: RequirementResult, t: Words) -> str:
    lines = [f"{t('column.clause')}{t('sep.colon')}{r.clause}", f"{t('column.severity')}{t('sep.colon')}{t.severity(r.severity)}"]
    if r.metric:
        lines.append(f"{t('column.metric')}{t('sep.colon')}{r.metric}")
    if r.threshold is not None:
        lines.append(f"{t('column.threshold')}{t('sep.colon')}{t.threshold(r.threshold.min, r.threshold.max)} ({t.origin(r.threshold.origin)})")
    lines.append(t.reason(r))
    if r.remediation:
        lines.append(f"{t('text.to_fix')}{t('sep.colon')}{t.remediation(r)}")
    return "\n".join(lines)


def render_junit(result: AuditResult, lang: str = DEFAULT) -> str:
    t = Words(lang)
    ev = result.evidence
    root = ET.Element("testsuites", name=t("title.report"))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    gates = gating(result)
    for profile in ev.profiles:
        requirements = [r for r in ev.requirements if r.profile == profile.id]
        suite = ET.SubElement(
            root, "testsuite",
            name=t("junit.suite", profile=t.profile_title(profile), version=profile.version),
            timestamp=result.run.started_at,
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (("profile", profile.id), ("source", profile.source), ("outcome", ev.outcome),
                            ("evidence_sha256", evidence_sha256(ev))):
            ET.SubElement(properties, "property", name=name, value=value)
        counts = {"tests": len(requirements), "failures": 0, "errors": 0, "skipped": 0}
        for r in requirements:
            case = ET.SubElement(suite, "testcase", classname=profile.id, name=f"{r.id} [{r.clause}]", time="0")
            props = ET.SubElement(case, "properties")
            for name, value in (("verdict", r.verdict), ("severity", r.severity),
                                ("threshold_origin", r.threshold.origin if r.threshold else None)):
                if value is not None:
                    ET.SubElement(props, "property", name=name, value=value)
            message = t("junit.failure", verdict=t.verdict(r.verdict), reason=t.reason(r))
            if (r.profile, r.id) in gates:
                kind = "error" if r.verdict == "error" else "failure"
                node = ET.SubElement(case, kind, message=message, type=r.verdict)
                node.text = _details(r, t)
                counts["errors" if kind == "error" else "failures"] += 1
            elif r.verdict != "pass":
                ET.SubElement(case, "skipped", message=t("junit.skipped", verdict=t.verdict(r.verdict), reason=t.reason(r)))
                counts["skipped"] += 1
            ET.SubElement(case, "system-out").text = _details(r, t)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{result.run.duration_seconds:g}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
