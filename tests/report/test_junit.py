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


def test_failures_errors_and_skips_carry_the_reason(demo_result):
    root = ET.fromstring(render_junit(demo_result))
    by_name = {c.get("name"): c for c in root.iter("testcase")}
    expected = {"fail": "failure", "inconclusive": "failure", "error": "error", "pending": "skipped", "not_applicable": "skipped"}
    for r in demo_result.evidence.requirements:
        case = by_name[f"{r.id} [{r.clause}]"]
        if r.verdict == "pass":
            assert case.find("failure") is None and case.find("error") is None and case.find("skipped") is None
            continue
        node = case.find(expected[r.verdict])
        assert node is not None, (r.id, r.verdict)
        assert r.reason in node.get("message")
    counts = {k: int(root.get(k)) for k in ("tests", "failures", "errors", "skipped")}
    verdicts = [r.verdict for r in demo_result.evidence.requirements]
    assert counts == {
        "tests": len(verdicts),
        "failures": sum(v in ("fail", "inconclusive") for v in verdicts),
        "errors": verdicts.count("error"),
        "skipped": sum(v in ("pending", "not_applicable") for v in verdicts),
    }


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
    assert failing and all(c.find("failure").get("message").split("：")[0] in ("不通过", "无定论") for c in failing)
