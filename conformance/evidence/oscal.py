"""OSCAL exports: a report as ``assessment-results``, a profile's requirements as a ``catalog``.

Documents are built as plain JSON and then validated against the official OSCAL models of
compliance-trestle (the ``oscal`` extra) before they are returned, so nothing invalid leaves.
UUIDs are derived (uuid5) from the evidence hash and the ids, so one report always exports to the
same bytes. Verdicts map to OSCAL's finding states: ``pass`` is ``satisfied``; ``fail`` is
``not-satisfied`` with reason ``fail``; every other verdict is ``not-satisfied`` with reason
``other`` and the verdict kept in a ``verdict`` property in our namespace.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from conformance.errors import ConfigError
from conformance.result import AuditResult

NS = "https://conformance.readthedocs.io/oscal"
_ROOT = uuid.UUID("6f1c1c8e-4d0b-5c55-9a55-0e6c1d7c2a10")


def _trestle():
    try:
        import trestle.oscal.assessment_results as assessment_results
        import trestle.oscal.catalog as catalog
    except ImportError as exc:
        raise ConfigError("OSCAL export needs the 'oscal' extra (compliance-trestle is missing)",
                          "pip install 'conformance[oscal]'") from exc
    return assessment_results, catalog


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ROOT, "\x1f".join(parts)))


def _prop(name: str, value: object) -> dict:
    return {"name": name, "ns": NS, "value": str(value)}


def _time(text: str | None) -> str:
    """An OSCAL date-time (with a zone) from a report's ISO time."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        moment = datetime(1970, 1, 1, tzinfo=timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _token(text: str) -> str:
    """An OSCAL token (letters, digits, '.', '-', '_'; starting with a letter or '_')."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in text)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"_{cleaned}"


def _dump(model, key: str) -> str:
    data = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return json.dumps({key: data}, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def assessment_results(result: AuditResult, evidence_sha256: str) -> str:
    """The report as an OSCAL assessment-results document (JSON)."""
    ar, _ = _trestle()
    ev = result.evidence
    seed = evidence_sha256
    when = _time(result.signature.signed_at if result.signature else result.run.started_at)
    observations, findings = [], []
    for check in ev.checks:
        props = [_prop("check", check.check), _prop("status", check.status)]
        props += [_prop(f"measured.{_token(m.metric)}" + (f".{_token(m.attribute)}" if m.attribute else ""), m.value)
                  for m in check.measurements if m.value is not None]
        observations.append({
            "uuid": _uuid(seed, "observation", check.key), "title": check.title,
            "description": f"{check.title}: {check.key}" + (f" ({check.reason})" if check.reason else ""),
            "props": props, "methods": ["TEST"], "types": ["finding"], "collected": when,
        })
    answered = {}
    for r in ev.requirements:
        if r.kind == "checklist" and r.question and r.question not in answered:
            answered[r.question] = _uuid(seed, "observation", f"question:{r.question}")
            evidence = [{"href": e.ref if "://" in e.ref else f"#{e.sha256 or e.ref}", "description":
                         f"{e.ref}" + (f" (SHA-256 {e.sha256})" if e.sha256 else "")} for e in (r.answer.evidence if r.answer else [])]
            observation = {"uuid": answered[r.question], "title": r.question_text or r.question,
                           "description": r.reason, "methods": ["INTERVIEW" if r.answer else "UNKNOWN"],
                           "collected": _time(r.answer.answered_at if r.answer and r.answer.answered_at else None) if r.answer else when}
            if evidence:
                observation["relevant-evidence"] = evidence
            observations.append(observation)
    for r in ev.requirements:
        state = "satisfied" if r.verdict == "pass" else "not-satisfied"
        status = {"state": state}
        if r.verdict != "pass":
            status["reason"] = "fail" if r.verdict == "fail" else "other"
        props = [_prop("profile", r.profile), _prop("clause", r.clause), _prop("verdict", r.verdict), _prop("severity", r.severity)]
        if r.threshold is not None:
            props.append(_prop("threshold-origin", r.threshold.origin))
        related = _uuid(seed, "observation", r.check_key) if r.check_key else answered.get(r.question or "")
        finding = {
            "uuid": _uuid(seed, "finding", r.profile, r.id), "title": r.title, "description": r.reason or r.verdict,
            "props": props,
            "target": {"type": "objective-id", "target-id": _token(f"{r.profile}.{r.id}"), "title": f"{r.profile} {r.clause}",
                       "status": status},
        }
        if related:
            finding["related-observations"] = [{"observation-uuid": related}]
        findings.append(finding)
    document = {
        "uuid": _uuid(seed, "assessment-results"),
        "metadata": {"title": f"Conformance assessment of {ev.subject.model}", "last-modified": when,
                     "version": evidence_sha256[:12], "oscal-version": ar.OSCAL_VERSION,
                     "props": [_prop("evidence-sha256", evidence_sha256), _prop("outcome", ev.outcome),
                               _prop("tool-version", ev.manifest.tool_version)]},
        "import-ap": {"href": "#assessment-plan-not-published",
                      "remarks": "The assessment plan is the profiles listed in the results; no separate OSCAL plan is published."},
        "results": [{
            "uuid": _uuid(seed, "result"), "title": f"Outcome: {ev.outcome}",
            "description": "Profiles: " + ", ".join(f"{p.id} {p.version}" for p in ev.profiles),
            "start": _time(result.run.started_at),
            "props": [_prop("outcome", ev.outcome)],
            "reviewed-controls": {"control-selections": [{"include-all": {}}]},
            "observations": observations, "findings": findings,
        }],
    }
    return _dump(ar.AssessmentResults.model_validate(document), "assessment-results")


def catalog(profile: dict, requirements: list[dict]) -> str:
    """A profile's requirements as OSCAL controls, grouped by clause (JSON).

    ``profile`` has id, title, version, source; each requirement id, clause, title, and optionally
    principle, severity, check, metric, threshold (min, max, origin), question.
    """
    _, cat = _trestle()
    seed = f"{profile['id']}@{profile['version']}"
    groups: dict[str, list[dict]] = {}
    for r in requirements:
        props = [_prop("clause", r["clause"])]
        props += [_prop(name, r[name]) for name in ("principle", "severity", "check", "metric", "question") if r.get(name)]
        threshold = r.get("threshold") or {}
        props += [_prop(f"threshold-{k}", v) for k, v in threshold.items() if v is not None]
        prose = r["title"] + (f" — {r['question_text']}" if r.get("question_text") else "")
        groups.setdefault(r["clause"], []).append({
            "id": _token(r["id"]), "title": r["title"], "props": props,
            "parts": [{"id": _token(f"{r['id']}_smt"), "name": "statement", "prose": prose}],
        })
    document = {
        "uuid": _uuid(seed, "catalog"),
        "metadata": {"title": profile["title"], "last-modified": "2000-01-01T00:00:00+00:00", "version": str(profile["version"]),
                     "oscal-version": cat.OSCAL_VERSION, "props": [_prop("profile", profile["id"]), _prop("source", profile["source"])]},
        "groups": [{"id": _token(f"clause-{i}"), "title": clause, "controls": controls}
                   for i, (clause, controls) in enumerate(groups.items(), start=1)],
    }
    return _dump(cat.Catalog.model_validate(document), "catalog")
