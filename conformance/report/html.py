"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external request).

Readable on screen and in print (the PDF is this page printed by a headless browser). Every
value is escaped by Jinja2's autoescaping; charts are built in :mod:`conformance.report.charts`
with every text escaped there.
"""

from __future__ import annotations

from collections import Counter
from importlib import resources

from jinja2 import Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from conformance.report.charts import charts_for
from conformance.report.clauses import conformity_rows, shared_measurements
from conformance.report.generative import html_context, model_name
from conformance.locale import DEFAULT, Words
from conformance.report.words import FINDINGS, VERDICT_ORDER, by_seriousness, ci_text, fmt, observed
from conformance.result import AuditResult, RequirementResult, evidence_sha256

SYMBOLS = {"pass": "✓", "fail": "✗", "error": "!", "inconclusive": "?", "pending": "…", "not_applicable": "–"}
LANG_TAGS = {"en": "en", "zh": "zh-Hans"}


def _environment() -> tuple[Environment, str]:
    template = (resources.files("conformance.report") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["fmt"] = fmt
    env.globals["ci_text"] = ci_text
    env.globals["symbols"] = SYMBOLS
    return env, template


def _observed(r: RequirementResult, t: Words) -> list[str]:
    if r.kind == "checklist":
        return [t(f"answer.{r.answer.answer}") if r.answer else t("text.unanswered")]
    parts = []
    for o in r.observations:
        text = observed(o.value, o.ci is not None and o.ci.low is not None)
        if o.ci is not None and o.ci.low is not None:
            text += " " + ci_text(o.ci.low, o.ci.high)
        parts.append(f"{o.attribute}: {text}" if o.attribute else text)
    return parts or ["—"]


def render_html(result: AuditResult, lang: str = DEFAULT, unfolded: bool = False) -> str:
    """The report page; measurement sections fold (``<details>``) on screen, ``unfolded`` for print."""
    t = Words(lang)
    env, source = _environment()
    ev = result.evidence
    profiles = []
    for p in ev.profiles:
        clause_counts = Counter(c.status for c in p.clauses)
        profiles.append({
            "summary": p,
            "title": t.profile_title(p),
            "requirements": [r for r in ev.requirements if r.profile == p.id],
            "verdicts": [(v, p.verdicts.get(v, 0)) for v in VERDICT_ORDER if p.verdicts.get(v, 0)],
            "clauses": [(s, clause_counts[s]) for s in ("satisfied", "failed", "open", "not_applicable") if clause_counts[s]],
        })
    checks = []
    for index, outcome in enumerate(ev.checks):
        limits = {(r.metric, None): (r.threshold.min, r.threshold.max) for r in ev.requirements
                  if r.check_key == outcome.key and r.metric and r.threshold is not None}
        charts = charts_for(f"c{index}", list(outcome.measurements), t, limits) if outcome.status == "ok" else []
        checks.append({"outcome": outcome, "anchor": f"check-{index}", "charts": [(caption, Markup(svg)) for caption, svg in charts]})
    anchors = {c["outcome"].key: c["anchor"] for c in checks}
    return env.from_string(source).render(
        t=t,
        lang=LANG_TAGS.get(lang, lang),
        result=result,
        ev=ev,
        profiles=profiles,
        checks=checks,
        anchors=anchors,
        observed=lambda r: _observed(r, t),
        question_text=t.question_text,
        findings=by_seriousness(r for r in ev.requirements if r.verdict in FINDINGS),
        checklist=[r for r in ev.requirements if r.kind == "checklist"],
        origins=sorted({r.threshold.origin for r in ev.requirements if r.threshold}),
        evidence_hash=evidence_sha256(ev),
        hashes={i.role: i.sha256 for i in ev.manifest.inputs},
        unfolded=unfolded,
        gen=html_context(result, t),
        subject_model=model_name(t, ev.subject),
        conformity=[(t.profile_title(p), conformity_rows(result, p, t)) for p in ev.profiles if p.clause_vocabulary == "conformity"],
        shared=shared_measurements(result, t),
    )
