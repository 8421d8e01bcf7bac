"""The HTML report: self-contained, escaped, accessible charts, the certificate's evidence hash."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from html.parser import HTMLParser

from conformance.report.html import render_html
from conformance.report.json_report import render_json
from conformance.report.words import VERDICT_ORDER

HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>'


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


def test_self_contained_no_script_no_external_reference(hostile_result):
    page = Page(render_html(hostile_result))
    names = {t for t, _ in page.tags}
    assert not names & {"script", "link", "iframe", "object", "embed", "img"}, names
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster"):
                assert value.startswith("#"), (tag, name, value)
    css = "".join(t for t in page.text if "{" in t)
    assert "@import" not in css and "url(" not in css


def test_every_free_text_is_escaped(hostile_result):
    html = render_html(hostile_result)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(" in html
    assert "onerror=alert(1)&gt;" in html  # the attribute survives only as text
    assert any(HOSTILE in t for t in Page(html).text)  # and reads back as the same text


def test_ids_are_unique_and_charts_are_labelled(hostile_result):
    page = Page(render_html(hostile_result))
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert not [i for i, n in Counter(ids).items() if n > 1]
    svgs = page.all("svg")
    assert svgs
    for svg in svgs:
        assert svg["role"] == "img"
        title, desc = svg["aria-labelledby"].split()
        assert title in ids and desc in ids


def test_a_chart_for_every_measurement_with_groups(demo_result):
    html = render_html(demo_result)
    charts = html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"')
    distinct = {
        (c.key, m.attribute, tuple((g.group, g.value) for g in m.groups))
        for c in demo_result.evidence.checks for m in c.measurements
        if m.groups and m.metric not in ("mean_predicted", "observed_rate")
    }
    assert charts == len(distinct) + 1  # the calibration curve draws mean_predicted against observed_rate
    assert "Calibration curve" in html  # reliability.calibration has mean_predicted and observed_rate per bin


def test_importance_chart_shows_the_largest_values_first(hostile_result):
    html = render_html(hostile_result)
    assert "mean_abs_shap: the 15 largest values" in html
    chart = html[html.index("mean_abs_shap: the 15 largest values"):]
    chart = chart[: chart.index("</svg>")]
    order = [int(n) for n in re.findall(r"feature_(\d+)", chart.split("<desc")[1])]
    assert order[:3] == [0, 1, 2] and 15 not in order


def test_negative_values_and_missing_groups_are_drawn(hostile_result):
    html = render_html(hostile_result)
    desc = html[html.index("mean_error by sex"):]
    desc = desc[desc.index("<desc"): desc.index("</desc>")]
    assert "a: -2.500 [-3.000, -2.000] n=10" in desc and "c: — n=1" in desc


def test_verdicts_are_words_not_only_colour(demo_result):
    html = render_html(demo_result)
    for v in {r.verdict for r in demo_result.evidence.requirements}:
        words = {"pass": "pass", "fail": "FAIL", "inconclusive": "inconclusive", "pending": "pending",
                 "not_applicable": "n/a", "error": "ERROR"}[v]
        assert re.search(rf'<span class="verdict v-{v}"><span aria-hidden="true">[^<]+</span>{re.escape(words)}</span>', html)
    assert set(VERDICT_ORDER) >= {r.verdict for r in demo_result.evidence.requirements}


def test_certificate_shows_the_hash_of_the_canonical_evidence(demo_result):
    data = json.loads(render_json(demo_result))
    canonical = json.dumps(data["evidence"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(canonical).hexdigest()
    html = render_html(demo_result)
    assert f"<code>{digest}</code>" in html
    assert "not signed" in html
    for p in demo_result.evidence.profiles:
        assert p.title in html
    assert "@media print" in html


def test_every_requirement_is_in_the_table_with_its_threshold_origin(demo_result):
    html = render_html(demo_result)
    for r in demo_result.evidence.requirements:
        assert f"<code>{r.id}</code>" in html
    assert "tool default (not a number the source sets)" in html


def test_checklist_answers_overrides_and_waivers_are_shown(hostile_result):
    html = render_html(hostile_result)
    for heading in ("Checklist answers", "Overrides", "Waivers"):
        assert f">{heading}<" in html
    assert "risk.pdf" in html and "ab" * 32 in html
    assert "QA lead" in html
