"""Run one planned check: its measurements, or its reason for not applying, or its crash."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from typing import Any

from conformance.checks.base import AuditContext, Check, CheckParams, NotApplicable
from conformance.errors import ConformanceError
from conformance.messages import say
from conformance.result import CheckOutcome, Message

# Checks whose measurements come from the count tables over all rows when the data is streamed;
# every other check measures the seeded sample, and says so.
FROM_TABLES = frozenset({
    "data.representation", "fairness.accuracy_parity", "fairness.auc_parity", "fairness.demographic_parity",
    "fairness.disparate_impact", "fairness.equal_opportunity", "fairness.equalized_odds", "fairness.fpr_parity",
    "fairness.group_rates", "fairness.ll144_impact_ratio", "fairness.predictive_parity", "performance.classification",
})


def run_check(key: str, check: Check, params: CheckParams, ctx: AuditContext) -> CheckOutcome:
    """Measure; a check that cannot apply or that crashes becomes a value, and the others still run."""
    base = dict(key=key, check=check.id, title=check.title, params=params.model_dump(mode="json"))
    if ctx.task not in check.tasks:
        return CheckOutcome(**base, status="not_applicable",
                            reason_parts=[say("note.runner.task", tasks="/".join(sorted(check.tasks)), task=ctx.task)])
    try:
        measurements = check.measure(ctx, params)
    except NotApplicable as exc:
        return CheckOutcome(**base, status="not_applicable", reason=str(exc), reason_parts=[exc.said] if exc.said else [])
    except ConformanceError as exc:  # e.g. the model failing on rows a check made: a finding
        said = [exc.said] if isinstance(exc.said, Message) else []
        return CheckOutcome(**base, status="error", reason=str(exc), reason_parts=said)
    except Exception as exc:  # a crashing check is a result, not the end of the audit
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        return CheckOutcome(**base, status="error", reason_parts=[say("note.runner.crashed", error=f"{type(exc).__name__}: {exc}", where=where)])
    if ctx.stats is not None and ctx.stats.sampled and check.id not in FROM_TABLES:
        note, said = ctx.stats.sample_note, ctx.stats.sample_said
        # a note kept only in English stays English: adding the sample's message alone would drop it in other languages
        measurements = [m.model_copy(update={"note": f"{m.note}; {note}" if m.note else note,
                                             "note_parts": [*m.note_parts, said] if m.note_parts or not m.note else []})
                        for m in measurements]
    return CheckOutcome(**base, status="ok", measurements=measurements)


Progress = Callable[[str, int, int], None]


def run_all(tasks: Mapping[str, Any], ctx: Any, progress: Progress | None = None) -> dict[str, CheckOutcome]:
    """Every planned task (key → a task with ``check`` and ``params``) measured once, in plan order,
    reporting progress as (check id, done, total) and ("done", total, total) at the end."""
    outcomes: dict[str, CheckOutcome] = {}
    for index, (key, task) in enumerate(tasks.items()):
        if progress:
            progress(task.check.id, index, len(tasks))
        outcomes[key] = run_check(key, task.check, task.params, ctx)
    if progress:
        progress("done", len(tasks), len(tasks))
    return outcomes
