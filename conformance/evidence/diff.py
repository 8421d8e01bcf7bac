"""Compare two reports: verdict changes, metric moves beyond their confidence intervals, regressions.

A **regression** is a requirement whose verdict got worse: it passed (or did not apply) and now
does not pass, or it was open (inconclusive, pending) and now fails or errors; a requirement new
in the later report counts when it fails or errors. Metric moves are reported, never gating on
their own: a move is *beyond its CI* when the new value lies outside the baseline's interval.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from typing import Any

from conformance.result import AuditResult, Measurement, RequirementResult

RANK = {"pass": 0, "not_applicable": 0, "pending": 1, "inconclusive": 1, "fail": 2, "error": 2}


@dataclass(frozen=True)
class VerdictChange:
    profile: str
    requirement: str
    clause: str
    old: str | None
    new: str | None
    regression: bool
    old_value: float | None = None
    new_value: float | None = None
    old_ci: tuple[float, float] | None = None
    new_ci: tuple[float, float] | None = None
    threshold: str | None = None  # as the later report states it, e.g. ">= 0.8"

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "regression" if self.regression else ("improvement" if RANK[self.new] < RANK[self.old] else "change")


@dataclass(frozen=True)
class MetricMove:
    check: str
    metric: str
    attribute: str | None
    old: float
    new: float
    old_ci: tuple[float, float]

    @property
    def delta(self) -> float:
        return self.new - self.old


@dataclass
class ReportDiff:
    old_outcome: str
    new_outcome: str
    verdicts: list[VerdictChange] = field(default_factory=list)
    moves: list[MetricMove] = field(default_factory=list)
    not_comparable: list[dict] = field(default_factory=list)  # messages: why the audits differ in more than the model's behaviour

    @property
    def regressions(self) -> list[VerdictChange]:
        return [c for c in self.verdicts if c.regression]

    def to_json(self) -> str:
        data = asdict(self)
        data["regressions"] = len(self.regressions)
        for item, change in zip(data["verdicts"], self.verdicts):
            item["kind"] = change.kind
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _measurements(result: AuditResult) -> dict[tuple[str, str, str | None], Measurement]:
    return {(c.key, m.metric, m.attribute): m for c in result.evidence.checks for m in c.measurements}


def _deciding(r: RequirementResult | None) -> tuple[float | None, tuple[float, float] | None]:
    """The value (and interval) behind a requirement's verdict: its worst observation."""
    if r is None or not r.observations:
        return None, None
    o = next((o for o in r.observations if o.verdict == r.verdict), r.observations[0])
    ci = (o.ci.low, o.ci.high) if o.ci is not None and o.ci.low is not None and o.ci.high is not None else None
    return o.value, ci


def _threshold(r: RequirementResult | None) -> str | None:
    if r is None or r.threshold is None:
        return None
    low, high = r.threshold.min, r.threshold.max
    if low is not None and high is not None:
        return f"{low:g} to {high:g}"
    return f">= {low:g}" if low is not None else (f"<= {high:g}" if high is not None else None)


def _msg(key: str, **params: object) -> dict:
    return {"key": key, "params": params}


def comparability(old: AuditResult, new: AuditResult) -> list[dict]:
    """What differs between two audits besides the model's behaviour (inputs, seed, profile
    versions, overrides), as catalogue messages (``diff.*`` keys) so the diff reads in any language."""
    reasons = []
    before = {i.role: i.sha256 for i in old.evidence.manifest.inputs}
    after = {i.role: i.sha256 for i in new.evidence.manifest.inputs}
    for role in ("data", "reference", "model"):
        if before.get(role) != after.get(role) and (role in before or role in after):
            reasons.append(_msg("diff.hash_differs", role=role))
    if old.evidence.manifest.seed != new.evidence.manifest.seed:
        reasons.append(_msg("diff.seed_differs", old=old.evidence.manifest.seed, new=new.evidence.manifest.seed))
    versions = {p.id: p.version for p in old.evidence.profiles}
    for p in new.evidence.profiles:
        if p.id in versions and versions[p.id] != p.version:
            reasons.append(_msg("diff.profile_version", profile=p.id, old=versions[p.id], new=p.version))
        elif p.id in versions and before.get(f"profile:{p.id}") != after.get(f"profile:{p.id}"):
            reasons.append(_msg("diff.profile_file", profile=p.id))
    was = {(o.profile, o.requirement, o.field): o.new for o in old.evidence.overrides}
    now = {(o.profile, o.requirement, o.field): o.new for o in new.evidence.overrides}
    for key in sorted(set(was) | set(now), key=str):
        if was.get(key) != now.get(key):
            reasons.append(_msg("diff.override", target=f"{key[0]}/{key[1]}.{key[2]}",
                                old=was.get(key, "—"), new=now.get(key, "—")))
    return reasons


def diff_reports(old: AuditResult, new: AuditResult) -> ReportDiff:
    """What changed from ``old`` (the baseline) to ``new``."""
    result = ReportDiff(old.evidence.outcome, new.evidence.outcome, not_comparable=comparability(old, new))
    before = {(r.profile, r.id): r for r in old.evidence.requirements}
    after = {(r.profile, r.id): r for r in new.evidence.requirements}
    for key in [*before, *(k for k in after if k not in before)]:
        a, b = before.get(key), after.get(key)
        old_v, new_v = (a.verdict if a else None), (b.verdict if b else None)
        if old_v == new_v:
            continue
        if b is None:
            regression = False
        elif a is None:
            regression = RANK[new_v] == 2
        else:
            regression = RANK[new_v] > RANK[old_v]
        clause = (b or a).clause
        (old_value, old_ci), (new_value, new_ci) = _deciding(a), _deciding(b)
        result.verdicts.append(VerdictChange(key[0], key[1], clause, old_v, new_v, regression, old_value, new_value,
                                             old_ci, new_ci, _threshold(b or a)))
    later = _measurements(new)
    for key, m in _measurements(old).items():
        n = later.get(key)
        if n is None or m.value is None or n.value is None or m.ci is None or m.ci.low is None or m.ci.high is None:
            continue
        if not m.ci.low <= n.value <= m.ci.high:
            result.moves.append(MetricMove(key[0], key[1], key[2], m.value, n.value, (m.ci.low, m.ci.high)))
    return result


def _value(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def diff_text(diff: ReportDiff, words: Any, markdown: bool = False) -> str:
    """The diff for people, in the language of ``words`` (``conformance.locale.Words``,
    passed in by the api: evidence does not import the renderers): a terminal listing, or
    Markdown for a pull-request comment."""
    t = words
    lines = []
    head = ("## " if markdown else "") + t("diff.title")
    if diff.old_outcome != diff.new_outcome:
        outcome = t("diff.outcome_changed", old=t.outcome(diff.old_outcome), new=t.outcome(diff.new_outcome))
    else:
        outcome = t("diff.outcome_same", outcome=t.outcome(diff.new_outcome))
    lines += [head, "", outcome, ""]
    if diff.not_comparable:
        lines.append(t("diff.not_comparable", reasons=t("sep.semicolon").join(t.message(m) for m in diff.not_comparable)))
        lines.append("")

    def verdict(v: str | None) -> str:
        return t.verdict(v) if v else "—"

    if diff.verdicts:
        lines.append(t("diff.verdict_changes", count=len(diff.verdicts), regressions=len(diff.regressions)))
        if markdown:
            lines += ["", "| | " + " | ".join(t(f"diff.column.{c}") for c in ("requirement", "clause", "was", "now", "value_was", "value_now", "threshold")) + " |",
                      "|---|---|---|---|---|---|---|---|"]
        for c in diff.verdicts:
            mark = t(f"diff.kind.{c.kind}")
            was, now = _value(c.old_value, c.old_ci), _value(c.new_value, c.new_ci)
            if markdown:
                lines.append(f"| {mark} | {c.profile}/{c.requirement} | {c.clause} | {verdict(c.old)} | {verdict(c.new)} | {was} | {now} | {c.threshold or '—'} |")
            else:
                values = t("diff.values", was=was, now=now, threshold=c.threshold) if c.threshold else ""
                lines.append(f"  {mark:<10} {c.profile}/{c.requirement} ({c.clause}){t('sep.colon')}{verdict(c.old)} → {verdict(c.new)}{values}")
    else:
        lines.append(t("diff.no_verdict_changed"))
    lines.append("")
    if diff.moves:
        lines.append(t("diff.moves", count=len(diff.moves)))
        if markdown:
            lines += ["", "| " + " | ".join(t(f"diff.column.{c}") for c in ("check", "metric", "attribute", "was_ci", "now", "change")) + " |",
                      "|---|---|---|---|---|---:|"]
        for m in diff.moves:
            ci = f"[{m.old_ci[0]:.3f}, {m.old_ci[1]:.3f}]"
            if markdown:
                lines.append(f"| `{m.check}` | {m.metric} | {m.attribute or '—'} | {m.old:.3f} {ci} | {m.new:.3f} | {m.delta:+.3f} |")
            else:
                lines.append(f"  {m.check} {m.metric}{f' ({m.attribute})' if m.attribute else ''}{t('sep.colon')}{m.old:.3f} {ci} → {m.new:.3f} ({m.delta:+.3f})")
    else:
        lines.append(t("diff.no_moves"))
    return "\n".join(lines) + "\n"
