"""Turn measurements into verdicts: one evaluator for every requirement of every profile.

Point rule: the value inside the threshold passes, outside fails. Confidence rule: the interval
wholly inside passes, wholly outside fails, straddling is inconclusive. An undefined value is
inconclusive; groups left out of a comparison (too small) turn a pass into inconclusive.
"""

from __future__ import annotations

from conformance.profiles.schema import ChecklistItem, Grading, Requirement, ThresholdSpec
from conformance.result import (
    CheckOutcome,
    Measurement,
    Message,
    Observation,
    Outcome,
    RequirementResult,
    Threshold,
    Verdict,
)

# worst first: the verdict of a requirement is its worst observation
SEVERITY_OF_VERDICT: tuple[Verdict, ...] = ("fail", "error", "inconclusive", "pending", "pass", "not_applicable")


def _inside(value: float, threshold: ThresholdSpec) -> bool:
    return (threshold.min is None or value >= threshold.min) and (threshold.max is None or value <= threshold.max)


def bound_text(threshold: ThresholdSpec | Threshold) -> str:
    if threshold.min is not None and threshold.max is not None:
        return f"between {threshold.min:g} and {threshold.max:g}"
    if threshold.min is not None:
        return f"at least {threshold.min:g}"
    return f"at most {threshold.max:g}"


def msg(key: str, **params: object) -> dict:
    """A catalogue message (``reason.*`` in ``conformance/report/locales``) with its parameters."""
    return {"key": key, "params": params}


def bound_msg(threshold: ThresholdSpec | Threshold) -> dict:
    if threshold.min is not None and threshold.max is not None:
        return msg("bound.between", min=f"{threshold.min:g}", max=f"{threshold.max:g}")
    if threshold.min is not None:
        return msg("bound.min", min=f"{threshold.min:g}")
    return msg("bound.max", max=f"{threshold.max:g}")


def _fmt(value: float | None, interval: bool = True) -> str:
    """A value for a sentence: a whole number measured without an interval is a count (``16``, not ``16.000``)."""
    if value is None:
        return "undefined"
    return str(int(value)) if not interval and float(value).is_integer() else f"{value:.3f}"


def _text(stored: str | None, parts: list[Message]) -> object:
    """A check's words as a message parameter: its messages when it gave them, else its stored text."""
    return [p.model_dump() for p in parts] if parts else stored


def _each(texts: list[str], parts: list[Message]) -> list:
    """Groups left out (or set aside) as message parameters: their messages when the check gave one each."""
    return [p.model_dump() for p in parts] if len(parts) == len(texts) else list(texts)


def observe(measurement: Measurement, requirement: Requirement) -> Observation:
    """Judge one measured value (one attribute) against the requirement's threshold."""
    threshold = requirement.threshold
    value, ci = measurement.value, measurement.ci
    where = f" for {measurement.attribute}" if measurement.attribute else ""
    where_msg = msg("reason.for_attribute", attribute=measurement.attribute) if measurement.attribute else ""
    if value is None:
        reason = f"{requirement.metric}{where} is undefined" + (f": {measurement.note}" if measurement.note else "")
        part = msg("reason.undefined", metric=requirement.metric, where=where_msg,
                   note=msg("reason.note", note=_text(measurement.note, measurement.note_parts)) if measurement.note else "")
        return Observation(attribute=measurement.attribute, value=None, ci=ci, verdict="inconclusive", reason=reason,
                           reason_parts=[Message(**part)])
    has_interval = ci is not None and ci.low is not None and ci.high is not None
    shown = f"{requirement.metric}{where} = {_fmt(value, has_interval)}"
    interval: dict | str = ""
    if has_interval:
        shown += f" ({ci.level:.0%} CI {_fmt(ci.low)}–{_fmt(ci.high)})"
        interval = msg("reason.interval", level=f"{ci.level:.0%}", low=_fmt(ci.low), high=_fmt(ci.high))
    verdict: Verdict
    bound = bound_msg(threshold)
    if requirement.decision_rule == "confidence":
        if ci is None or ci.low is None or ci.high is None:
            verdict, why, whys = "inconclusive", "no confidence interval to judge by", [msg("reason.no_interval")]
        elif _inside(ci.low, threshold) and _inside(ci.high, threshold):
            verdict, why, whys = "pass", f"interval wholly {bound_text(threshold)}", [msg("reason.interval_inside", bound=bound)]
        elif (threshold.min is not None and ci.high < threshold.min) or (
            threshold.max is not None and ci.low > threshold.max
        ):
            verdict, why, whys = "fail", f"interval wholly outside {bound_text(threshold)}", [msg("reason.interval_outside", bound=bound)]
        else:
            verdict, why, whys = "inconclusive", f"interval straddles the bound ({bound_text(threshold)})", [msg("reason.interval_straddles", bound=bound)]
    elif _inside(value, threshold):
        verdict, why, whys = "pass", f"within {bound_text(threshold)}", [msg("reason.within", bound=bound)]
    else:
        verdict, why, whys = "fail", f"not {bound_text(threshold)}", [msg("reason.outside", bound=bound)]
    if verdict == "pass" and measurement.excluded_groups:
        verdict = "inconclusive"
        why += "; but groups were left out: " + "; ".join(measurement.excluded_groups)
        whys.append(msg("reason.groups_left_out", groups=_each(measurement.excluded_groups, measurement.excluded_parts)))
    if measurement.permitted_exclusions:
        why += "; set aside as the source permits (counts and rates still reported): " + "; ".join(measurement.permitted_exclusions)
        whys.append(msg("reason.set_aside", groups=_each(measurement.permitted_exclusions, measurement.permitted_parts)))
    if verdict == "fail" and measurement.driver:
        why += f" ({measurement.driver})"
        whys[-1] = msg("reason.with_driver", why=whys[-1], driver=_text(measurement.driver, measurement.driver_parts))
    if not in_scope(measurement.attribute, threshold):
        why += (f"; {measurement.attribute} is outside the attributes the source's number covers "
                f"({', '.join(threshold.scope_attributes)}): a tool-default screen here")
        whys.append(msg("reason.out_of_scope", attribute=measurement.attribute, attributes=", ".join(threshold.scope_attributes)))
    part = msg("reason.observed", metric=requirement.metric, where=where_msg, value=_fmt(value, has_interval), interval=interval, why=whys)
    return Observation(attribute=measurement.attribute, value=value, ci=ci, verdict=verdict, reason=f"{shown}: {why}",
                       reason_parts=[Message(**part)])


def sample_size_rule(observation: Observation, measurement: Measurement, threshold: ThresholdSpec) -> Observation:
    """A value from fewer items than the threshold's ``min_n`` is inconclusive, never a pass (nor a
    fail: too small a sample proves nothing either way); the reason says how many were judged."""
    if threshold.min_n is None or observation.verdict not in ("pass", "fail"):
        return observation
    if measurement.n is not None and measurement.n >= threshold.min_n:
        return observation
    counted = "an unknown number of items" if measurement.n is None else f"{measurement.n} items"
    reason = f"{observation.reason}; but judged on {counted}, fewer than the {threshold.min_n} required: inconclusive"
    part = (msg("reason.small_sample_unknown", min_n=threshold.min_n) if measurement.n is None
            else msg("reason.small_sample", n=measurement.n, min_n=threshold.min_n))
    return observation.model_copy(update={"verdict": "inconclusive", "reason": reason,
                                          "reason_parts": [*observation.reason_parts, Message(**part)]})


def grade_of(value: float | None, grading: Grading | None) -> tuple[str, float] | None:
    """The grade and 0–100 score of a value (AI Verify/Moonshot bands by default); None when ungraded."""
    if grading is None or value is None:
        return None
    score = (1.0 - value if grading.invert else value) * grading.scale
    score = min(100.0, max(0.0, score))
    band = next(b for b in grading.bands if score >= b.min - 1e-9)
    return band.grade, round(score, 6)


def in_scope(attribute: str | None, threshold: ThresholdSpec) -> bool:
    """Whether the source's number covers this attribute (always, unless ``scope_attributes`` narrows it)."""
    if not threshold.scope_attributes:
        return True
    return attribute is not None and attribute.strip().lower() in {a.strip().lower() for a in threshold.scope_attributes}


def identity(profile_id: str, requirement: Requirement | ChecklistItem) -> dict:
    """The fields that name a requirement in a result, whatever its kind."""
    return dict(
        profile=profile_id,
        id=requirement.id,
        clause=requirement.clause,
        title=requirement.title,
        title_zh=requirement.title_zh,
        principle=requirement.principle,
        severity=requirement.severity,
    )


def resolve_declared(spec: ThresholdSpec, declared: dict[str, float]) -> tuple[ThresholdSpec, str | None, list[dict]]:
    """The threshold with declared levels filled in (and the note's additions saying so, as messages),
    or the reason it cannot be (none declared)."""
    update: dict = {}
    notes = []
    added: list[dict] = []
    for bound, name, sign in (("min", spec.min_declared, -1), ("max", spec.max_declared, 1)):
        if name is None:
            continue
        if name not in declared:
            return spec, (
                f"the provider declared no level for '{name}': declare it with --declare {name}=VALUE, "
                "or under `declared:` in the run file or the model card"
            ), []
        update[bound] = declared[name] + sign * spec.tolerance
        notes.append(f"declared {name} {declared[name]:g}" + (f" {'−' if sign < 0 else '+'} tolerance {spec.tolerance:g}" if spec.tolerance else ""))
        added.append(msg("note.declared_tolerance", name=name, level=f"{declared[name]:g}", sign="−" if sign < 0 else "+",
                         tolerance=f"{spec.tolerance:g}") if spec.tolerance else msg("note.declared", name=name, level=f"{declared[name]:g}"))
    if not update:
        return spec, None, []
    note = "; ".join(filter(None, [spec.note, *notes]))
    return spec.model_copy(update={**update, "note": note}), None, added


def undeclared_msg(spec: ThresholdSpec, declared: dict[str, float]) -> dict:
    name = next(n for n in (spec.min_declared, spec.max_declared) if n is not None and n not in declared)
    return msg("reason.undeclared", name=name)


def judge(
    profile_id: str,
    requirement: Requirement,
    outcome: CheckOutcome,
    remediation: str,
    declared: dict[str, float] | None = None,
) -> RequirementResult:
    """The verdict of one requirement from the outcome of the check it cites."""
    observations: list[Observation] = []
    spec, undeclared, note_parts = resolve_declared(requirement.threshold, declared or {})
    requirement = requirement.model_copy(update={"threshold": spec})
    if undeclared and outcome.status == "ok" and spec.when_undeclared == "informative":
        measured = [m for m in outcome.measurements if m.metric == requirement.metric]
        observations = [Observation(attribute=m.attribute, value=m.value, ci=m.ci, verdict="pass" if m.value is not None else "inconclusive",
                                    reason=f"{requirement.metric} = {_fmt(m.value, m.ci is not None)}",
                                    reason_parts=[Message(**msg("reason.value", metric=requirement.metric,
                                                                value=_fmt(m.value, m.ci is not None)))])
                        for m in measured]
        verdict: Verdict = "pass" if observations and all(m.value is not None for m in measured) else "inconclusive"
        reason = "reported, not judged: " + "; ".join(o.reason or "" for o in observations) + f" ({undeclared} to judge it)"
        parts = [msg("reason.reported_undeclared", items=[p.model_dump() for o in observations for p in o.reason_parts],
                     undeclared=undeclared_msg(spec, declared or {}))]
    elif undeclared and outcome.status == "ok":
        verdict = "inconclusive"
        reason = undeclared
        parts = [undeclared_msg(spec, declared or {})]
    elif outcome.status == "not_applicable":
        verdict = "not_applicable"
        reason = outcome.reason or "not applicable"
        parts = [msg("reason.check_says", detail=_text(outcome.reason, outcome.reason_parts)) if outcome.reason else msg("reason.not_applicable")]
    elif outcome.status == "error":
        verdict, reason = "error", f"the check could not run: {outcome.reason}"
        parts = [msg("reason.check_error", detail=_text(outcome.reason or "", outcome.reason_parts))]
    else:
        measured = [m for m in outcome.measurements if m.metric == requirement.metric]
        observations = [sample_size_rule(observe(m, requirement), m, spec) for m in measured]
        if not observations:
            verdict, reason = "inconclusive", f"the check measured no '{requirement.metric}'"
            parts = [msg("reason.no_metric", metric=requirement.metric)]
        else:
            verdict = min((o.verdict for o in observations), key=SEVERITY_OF_VERDICT.index)
            reason = "; ".join(o.reason or "" for o in observations if o.verdict == verdict)
            parts = [p.model_dump() for o in observations if o.verdict == verdict for p in o.reason_parts]
            if verdict == "fail" and not any(in_scope(o.attribute, spec) for o in observations if o.verdict == "fail"):
                # only attributes the source does not cover failed: the number was a tool-default screen
                note = "; ".join(filter(None, [spec.note, "failed only on attributes the source's number does not cover: a tool-default screen"]))
                spec = spec.model_copy(update={"origin": "tool-default", "note": note})
                note_parts.append(msg("note.out_of_scope_screen"))
            if requirement.informative and verdict in ("pass", "fail", "inconclusive") and all(
                o.value is not None for o in observations
            ):
                screened = "; ".join(o.reason or "" for o in observations)
                verdict, reason = "pass", f"reported, not judged (the source sets no pass mark); screen {bound_text(spec)}: {screened}"
                parts = [msg("reason.screened", bound=bound_msg(spec), items=[p.model_dump() for o in observations for p in o.reason_parts])]
    values = [m.value for m in outcome.measurements if m.metric == requirement.metric] if outcome.status == "ok" else []
    graded = grade_of(values[0], requirement.grading) if values else None
    if graded is not None:
        reason += f"; grade {graded[0]} (score {graded[1]:.1f} of 100)"
        parts.append(msg("reason.grade", grade=graded[0], score=f"{graded[1]:.1f}"))
    return RequirementResult(
        **identity(profile_id, requirement),
        kind="automated",
        grade=graded[0] if graded else None,
        score=graded[1] if graded else None,
        check=requirement.check,
        check_key=outcome.key,
        metric=requirement.metric,
        threshold=Threshold(min=spec.min, max=spec.max, origin=spec.origin, note=spec.note, note_zh=spec.note_zh,
                            note_parts=[Message(**p) for p in note_parts], min_n=spec.min_n),
        decision_rule=requirement.decision_rule,
        informative=requirement.informative or bool(undeclared and spec.when_undeclared == "informative"),
        verdict=verdict,
        reason=reason,
        reason_parts=[Message(**p) for p in parts],
        observations=observations,
        remediation=remediation if verdict in ("fail", "inconclusive") else None,
    )


def binding(result: RequirementResult, adopt_defaults: bool = False) -> bool:
    """Whether a failure of this requirement counts against conformity.

    Only the numbers a source states (``regulation``, ``standard``) or the provider declares
    (``provider-declared``), and process answers, decide conformity; a ``tool-default`` number is
    practice, so its failure is an observation unless the user adopted the defaults.
    """
    return adopt_defaults or result.threshold is None or result.threshold.origin != "tool-default"


def overall_outcome(results: list[RequirementResult], adopt_defaults: bool = False) -> Outcome:
    """Non-conformant on a critical or major fail against a binding threshold (see ``binding``);
    incomplete while evidence is missing; else conformant, with observations when a minor
    requirement or a tool-default threshold failed, or a verdict was inconclusive."""
    failed = [r for r in results if r.verdict == "fail"]
    if any(r.severity in ("critical", "major") and binding(r, adopt_defaults) for r in failed):
        return "non_conformant"
    if any(r.verdict in ("pending", "error") for r in results):
        return "incomplete"
    if any(r.verdict in ("fail", "inconclusive") for r in results):
        return "conformant_with_observations"
    return "conformant"
