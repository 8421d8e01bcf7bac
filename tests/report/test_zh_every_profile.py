"""Every shipped profile, rendered in Chinese, reads in Chinese: no sentence of English is left.

One audit runs every tabular profile on the demo's model and data, another every generative
profile on the demo's recorded responses. Each is rendered in zh as Markdown, HTML, JUnit and the
terminal summary; what is left after removing code, ids, options, citations and the data's own
names (columns, groups, the system's name) must hold no run of three English words.
"""

from __future__ import annotations

import html
import re

import pytest
from rich.console import Console

from conformance.result import AuditResult, Format

GENERATIVE = ("tc260-003", "gb-t-45654-2025", "nist-ai-600-1", "ai-verify-genai", "eu-ai-act-gpai")
from tests.english import english_runs


def _shipped() -> list[str]:
    from conformance.profiles.loader import shipped_profiles

    return sorted(name for name in shipped_profiles() if not name.startswith("_"))


@pytest.fixture(scope="session")
def every_tabular_profile(tmp_path_factory) -> AuditResult:
    from conformance import api

    folder = tmp_path_factory.mktemp("every-tabular")
    _, config = api.run_demo(folder, seed=0)
    tabular = [p for p in _shipped() if p not in GENERATIVE]
    return api.run_audit(config.model_copy(update={"profiles": tabular}))


@pytest.fixture(scope="session")
def every_generative_profile(tmp_path_factory) -> AuditResult:
    from conformance import api
    from conformance.config import RunConfig
    from conformance.datasets import genai_demo

    folder = tmp_path_factory.mktemp("every-generative")
    bank, responses, annotations = genai_demo.write_inputs(folder / "inputs")
    config = RunConfig(banks=[bank], responses=responses, annotations=annotations, profiles=list(GENERATIVE),
                       output=folder, seed=0)
    return api.run_audit(config)


def _scope_attributes(profile_ids) -> set[str]:
    from conformance.profiles.loader import load_profile

    return {a for pid in profile_ids for r in load_profile(pid).candidates
            for a in getattr(getattr(r, "threshold", None), "scope_attributes", [])}


def visible_text(result: AuditResult, fmt: str) -> str:
    """What a reader of the zh rendering sees, as plain text (HTML tags, styles, scripts and code removed)."""
    from conformance.report import RENDERERS
    from conformance.report.terminal import render_terminal

    if fmt == "terminal":
        console = Console(record=True, width=200, force_terminal=False)
        render_terminal(result, console, ["report.json"], lang="zh", verbose=True)
        return console.export_text()
    text = RENDERERS[Format(fmt)](result, lang="zh")
    if fmt == "junit":  # a CI dashboard shows the attributes (message=…) as well as the text
        import xml.etree.ElementTree as ET

        return "\n".join(part for e in ET.fromstring(text).iter() for part in (*e.attrib.values(), e.text or ""))
    if fmt == "html":
        text = re.sub(r"<(script|style|code)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", text)
        text = html.unescape(text)
    return text


def english_left(result: AuditResult, text: str) -> list[str]:
    """Runs of three or more English words outside code, ids, citations and the data's own names."""
    ev = result.evidence
    given = {p.source for p in ev.profiles} | {r.clause for r in ev.requirements}
    given |= {ev.subject.system or "", ev.subject.model, *ev.subject.features, *ev.subject.sensitive}
    given |= {g.group for c in ev.checks for m in c.measurements for g in m.groups}
    given |= set(ev.manifest.packages)  # the packages the manifest lists, by name
    given |= _scope_attributes(p.id for p in ev.profiles)  # attribute names a source's number covers
    if ev.generative is not None:
        given |= {ev.generative.model}
    for name in sorted((g for g in given if g), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text)
    return english_runs(text)


@pytest.mark.parametrize("fmt", ["md", "html", "junit", "terminal"])
@pytest.mark.parametrize("which", ["every_tabular_profile", "every_generative_profile"])
def test_every_shipped_profile_reads_in_chinese(request, which, fmt):
    result = request.getfixturevalue(which)
    assert {p.id for p in result.evidence.profiles} == ({*_shipped()} - set(GENERATIVE) if which == "every_tabular_profile" else set(GENERATIVE))
    text = visible_text(result, fmt)
    assert "符合" in text or "待答复" in text or "尚未答复" in text  # the rendering is in Chinese at all
    left = english_left(result, text)
    assert left == [], f"{len(left)} English runs in the zh {fmt} rendering:\n" + "\n".join(left)


def test_the_detector_finds_english():
    """The scan itself: it flags an English sentence and passes ids, options, code and Chinese."""
    text = "不符合：`fairness.selection_rate` --fail-on major 影响比 0.80; the model fails without it"
    assert english_runs(text) == ["the model fails without it"]
    assert english_runs("模型 SHA-256 与 data.completeness 一致") == []
