"""The annotated corpus sample: how much of a training corpus reviewers found qualified.

TC260-003 §9.2 (and its successor) asks a provider to sample its training corpus — by hand and with
technical means — and to count the items found qualified (lawful, not harmful); a source with too
much illegal or harmful content is not to be used. The sample comes in as a file
(``--corpus-sample FILE``: CSV or JSONL with ``id``, ``source``, ``kind`` manual|technical,
``verdict`` qualified|unqualified, optional ``category``), with the corpus's size when the share of
the corpus sampled matters (``--corpus-size N``). The check MEASURES; profiles set the numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from conformance.checks.base import Check, CheckParams, NotApplicable
from conformance.errors import InputError, did_you_mean
from conformance.result import GroupValue, Interval, Measurement
from conformance.stats.proportion import IntervalMethod, proportion_interval

SampleKind = Literal["manual", "technical"]
KINDS = ("manual", "technical")
VERDICTS = ("qualified", "unqualified")
COLUMNS = ("id", "source", "kind", "verdict")


@dataclass(frozen=True, slots=True)
class CorpusItem:
    """One reviewed item of the corpus sample."""

    id: str
    source: str
    kind: str
    qualified: bool
    category: str | None = None


@dataclass(frozen=True)
class CorpusSample:
    """The reviewed items, and the size of the corpus they were drawn from (when given)."""

    items: tuple[CorpusItem, ...]
    corpus_size: int | None = None
    path: str = ""


def _rows(path: Path) -> list[tuple[int, dict]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"corpus sample {path}: missing column(s) {', '.join(missing)}",
                             f"the columns are {', '.join(COLUMNS)}[, category]")
        return [(line, row) for line, row in enumerate(reader, start=2)]
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = []
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(f"corpus sample {path}:{line}: not JSON ({exc.msg})", "one JSON object per line") from exc
            if not isinstance(row, dict):
                raise InputError(f"corpus sample {path}:{line}: not a JSON object", "one JSON object per line")
            rows.append((line, row))
        return rows
    raise InputError(f"corpus sample {path}: unknown file kind '{path.suffix}'", "give a .csv or .jsonl file")


def load_corpus_sample(path: Path | str, corpus_size: int | None = None) -> CorpusSample:
    """Read and validate an annotated corpus sample; a bad row stops with its ``file:line``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"corpus sample {path} does not exist", "give the annotated sample with --corpus-sample FILE")
    if corpus_size is not None and corpus_size < 1:
        raise InputError(f"corpus size {corpus_size} is not a positive number of items", "give --corpus-size N with N ≥ 1")
    items: list[CorpusItem] = []
    seen: set[str] = set()
    for line, row in _rows(path):
        where = f"corpus sample {path}:{line}"
        values = {key: str(row.get(key) or "").strip() for key in (*COLUMNS, "category")}
        for key in COLUMNS:
            if not values[key]:
                raise InputError(f"{where}: '{key}' is empty", f"every row needs {', '.join(COLUMNS)}")
        if values["kind"] not in KINDS:
            raise InputError(f"{where}: kind '{values['kind']}' is not manual or technical", did_you_mean(values["kind"], KINDS))
        if values["verdict"] not in VERDICTS:
            raise InputError(f"{where}: verdict '{values['verdict']}' is not qualified or unqualified",
                             did_you_mean(values["verdict"], VERDICTS))
        if values["id"] in seen:
            raise InputError(f"{where}: item id '{values['id']}' appears twice", "each reviewed item once")
        seen.add(values["id"])
        items.append(CorpusItem(id=values["id"], source=values["source"], kind=values["kind"],
                                qualified=values["verdict"] == "qualified", category=values["category"] or None))
    if not items:
        raise InputError(f"corpus sample {path} has no rows", "one row per reviewed item")
    if corpus_size is not None and corpus_size < len(items):
        raise InputError(f"corpus size {corpus_size} is smaller than the {len(items)} items sampled from it",
                         "give the number of items of the whole corpus with --corpus-size")
    return CorpusSample(items=tuple(items), corpus_size=corpus_size, path=str(path))


class CorpusParams(CheckParams):
    sample: SampleKind = Field("manual", description="Which sample to measure: manual (reviewers) or technical (automated screening).")
    ci_level: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of the interval.")
    interval: IntervalMethod = Field("clopper-pearson", description="clopper-pearson (exact, the default) or wilson.")


def _interval(k: int, n: int, params: CorpusParams) -> Interval | None:
    bounds = proportion_interval(k, n, params.ci_level, params.interval)
    return None if bounds is None else Interval(low=bounds[0], high=bounds[1], level=params.ci_level)


def _corpus_sample(ctx, params: CorpusParams) -> list[Measurement]:
    """Share of the sampled corpus items found qualified (with its exact interval), how many were
    sampled, the worst source's share of unqualified items (the driver names the source), and the
    share of the whole corpus the sample covers.

    A corpus with illegal or harmful content teaches the model to produce it. Measured per sample
    kind: the manual review and the technical screening are judged against different rates.
    """
    sample: CorpusSample | None = getattr(ctx, "corpus_sample", None)
    if sample is None:
        raise NotApplicable("no annotated corpus sample: give --corpus-sample FILE (and --corpus-size N)")
    check = "genai.corpus_sample"
    items = [i for i in sample.items if i.kind == params.sample]
    n = len(items)
    qualified = sum(i.qualified for i in items)
    groups = []
    by_category: dict[str, list[int]] = {}
    for item in items:
        cell = by_category.setdefault(item.category or "(none)", [0, 0])
        cell[0] += item.qualified
        cell[1] += 1
    for name in sorted(by_category):
        k, size = by_category[name]
        groups.append(GroupValue(group=f"category:{name}", n=size, value=k / size, ci=_interval(k, size, params)))
    none_note = f"no {params.sample} sample in {sample.path}" if n == 0 else None
    rate = Measurement(check=check, metric="qualified_rate", value=qualified / n if n else None,
                       ci=_interval(qualified, n, params), n=n, groups=groups, note=none_note or f"{params.sample} sample: {qualified} of {n} qualified")
    per_source = Counter(i.source for i in items)
    harmful = Counter(i.source for i in items if not i.qualified)
    source_groups = [GroupValue(group=f"source:{s}", n=per_source[s], value=harmful[s] / per_source[s],
                                ci=_interval(harmful[s], per_source[s], params)) for s in sorted(per_source)]
    worst = max(sorted(per_source), key=lambda s: harmful[s] / per_source[s]) if per_source else None
    worst_rate = Measurement(
        check=check, metric="max_source_harmful_rate", value=harmful[worst] / per_source[worst] if worst else None,
        ci=_interval(harmful[worst], per_source[worst], params) if worst else None, n=per_source[worst] if worst else 0,
        groups=source_groups, driver=f"source:{worst} ({harmful[worst]} of {per_source[worst]} unqualified)" if worst else None,
        note=none_note,
    )
    if sample.corpus_size is None:
        share = Measurement(check=check, metric="sample_share", value=None, n=n,
                            note="the corpus size is unknown: give --corpus-size N")
    else:
        share = Measurement(check=check, metric="sample_share", value=n / sample.corpus_size, n=n,
                            note=f"{n} of {sample.corpus_size} corpus items")
    return [rate, Measurement(check=check, metric="sampled", value=float(n), n=n, note=none_note), worst_rate, share]


CHECKS = [
    Check(
        id="genai.corpus_sample",
        title="Annotated training-corpus sample: share qualified",
        measure=_corpus_sample,
        params=CorpusParams,
        metrics=("qualified_rate", "sampled", "max_source_harmful_rate", "sample_share"),
        tasks=frozenset({"generative"}),
        remediation="Remove or replace the sources with the most unqualified items (the driver names the worst), "
        "filter the corpus, and review a fresh sample of the required size.",
    ),
]
