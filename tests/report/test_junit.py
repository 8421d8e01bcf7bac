"""JUnit XML: one test case per requirement, failures and errors carry the verdict's reason."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.report.junit import render_junit


def test_one_testcase_per_requirement_with_profile_as_classname(demo_result):
    root = ET.fromstring(render_junit(demo_result))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(demo_result.evidence.requirements)
    assert [c.get("classname") for c in cases] == [r.profile for r in demo_result.evidence.requirements]
    assert [s.find("properties/property[@name='profile']").get("value") for s in root.findall("testsuite")] == [
        p.id for p in demo_result.evidence.profiles
    ]


RANK = {"critical": 3, "major": 2, "minor": 1}


def test_only_what_gates_fails_the_rest_is_skipped_with_its_verdict(demo_result):
    """Without a recorded gate, --fail-on major: fail/error at major or above fail; inconclusive never does."""
    root = ET.fromstring(render_junit(demo_result))
    by_name = {c.get("name"): c for c in root.iter("testcase")}
    gates = [r for r in demo_result.evidence.requirements if r.verdict in ("fail", "error") and RANK[r.severity] >= 2]
    for r in demo_result.evidence.requirements:
        case = by_name[f"{r.id} [{r.clause}]"]
        props = {p.get("name"): p.get("value") for p in case.findall("properties/property")}
        assert props["verdict"] == r.verdict and props["severity"] == r.severity
        if r in gates:
            node = case.find("error" if r.verdict == "error" else "failure")
        elif r.verdict == "pass":
            assert case.find("failure") is None and case.find("error") is None and case.find("skipped") is None
            continue
        else:
            assert case.find("failure") is None
            node = case.find("skipped")
        assert node is not None, (r.id, r.verdict)
        assert r.reason in node.get("message")
    counts = {k: int(root.get(k)) for k in ("tests", "failures", "errors", "skipped")}
    verdicts = [r.verdict for r in demo_result.evidence.requirements]
    assert counts == {
        "tests": len(verdicts),
        "failures": sum(r.verdict == "fail" for r in gates),
        "errors": sum(r.verdict == "error" for r in gates),
        "skipped": sum(v != "pass" for v in verdicts) - len(gates),
    }
    assert any(r.verdict == "inconclusive" for r in demo_result.evidence.requirements)


def test_junit_fails_exactly_what_the_recorded_gate_failed(demo_result):
    from conformance import api
    from conformance.choices import Severity

    for fail_on in (Severity.minor, Severity.critical):
        gate = api.gate(demo_result, fail_on)
        result = demo_result.model_copy(update={"run": demo_result.run.model_copy(update={"gate": gate})})
        root = ET.fromstring(render_junit(result))
        failed = {c.get("name").split(" [")[0] for c in root.iter("testcase") if c.find("failure") is not None or c.find("error") is not None}
        assert failed == {f.requirement for f in gate.failed}
        assert (int(root.get("failures")) + int(root.get("errors")) > 0) == (gate.code == 1)


def test_markup_in_reasons_stays_text(hostile_result):
    """XML special characters in a reason are escaped: the file parses and the reason reads back intact."""
    root = ET.fromstring(render_junit(hostile_result))
    first = hostile_result.evidence.requirements[0]
    case = next(c for c in root.iter("testcase") if c.get("name").startswith(first.id + " "))
    assert first.reason in (case.find("system-out").text or "")


def test_chinese_junit_uses_the_chinese_catalogue(demo_result):
    text = render_junit(demo_result, lang="zh")
    root = ET.fromstring(text)
    assert root.get("name") == "合规性报告"
    failing = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert failing and all(c.find("failure").get("message").split("：")[0] == "不符合" for c in failing)
