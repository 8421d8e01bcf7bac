"""The annotated corpus sample: how much of a training corpus reviewers found qualified.

TC260-003 §9.2 (and its successor) asks a provider to sample its training corpus — by hand and with
technical means — and to count the items found qualified (lawful, not harmful); a source with too
much illegal or harmful content is not to be used. The sample comes in as a file
(``--corpus-sample FILE``: CSV or JSONL with ``id``, ``source``, ``kind`` manual|technical,
``verdict`` qualified|unqualified, optional ``category``), with the corpus's size when the share of
the corpus sampled matters (``--corpus-size N``). The check MEASURES; profiles set the numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field

from conformance.checks.base import Check, CheckParams, NotApplicable
from conformance.errors import InputError, did_you_mean
from conformance.messages import parts, say
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
    """The reviewed items (a frame: id, source, kind, qualified, category) and the size of the
    corpus they were drawn from, when given."""

    frame: pd.DataFrame
    corpus_size: int | None = None
    path: str = ""

    @classmethod
    def of(cls, items: Iterable[CorpusItem], corpus_size: int | None = None, path: str = "") -> CorpusSample:
        rows = [(i.id, i.source, i.kind, bool(i.qualified), i.category or "") for i in items]
        frame = pd.DataFrame(rows, columns=["id", "source", "kind", "qualified", "category"])
        return cls(frame=frame.astype({"qualified": bool}), corpus_size=corpus_size, path=path)


def _frame(path: Path) -> tuple[pd.DataFrame, list[int]]:
    """The rows as text columns, and the file line of each row (for messages)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=True)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(f"corpus sample {path}: not a readable CSV file ({exc})", "save it as UTF-8 CSV with a header row") from exc
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        missing = [c for c in COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(f"corpus sample {path}: missing column(s) {', '.join(missing)}",
                             f"the columns are {', '.join(COLUMNS)}[, category]")
        return frame, [i + 2 for i in range(len(frame))]
    if suffix in (".jsonl", ".ndjson"):
        rows, lines = [], []
        for line, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InputError(f"corpus sample {path}:{line}: not JSON ({exc.msg})", "one JSON object per line") from exc
            if not isinstance(row, dict):
                raise InputError(f"corpus sample {path}:{line}: not a JSON object", "one JSON object per line")
            rows.append(row)
            lines.append(line)
        frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=list(COLUMNS))
        return frame, lines
    raise InputError(f"corpus sample {path}: unknown file kind '{path.suffix}'", "give a .csv or .jsonl file")


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def load_corpus_sample(path: Path | str, corpus_size: int | None = None) -> CorpusSample:
    """Read and validate an annotated corpus sample; a bad row stops with its ``file:line``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"corpus sample {path} does not exist", "give the annotated sample with --corpus-sample FILE")
    if corpus_size is not None and corpus_size < 1:
        raise InputError(f"corpus size {corpus_size} is not a positive number of items", "give --corpus-size N with N ≥ 1")
    raw, lines = _frame(path)
    if raw.empty:
        raise InputError(f"corpus sample {path} has no rows", "one row per reviewed item")
    values = {c: _text(raw, c) for c in (*COLUMNS, "category")}

    def stop(mask: pd.Series, message: str, hint: str | None) -> None:
        if mask.any():
            row = int(mask.to_numpy().argmax())
            raise InputError(f"corpus sample {path}:{lines[row]}: {message(row) if callable(message) else message}", hint)

    for column in COLUMNS:
        stop(values[column] == "", f"'{column}' is empty", f"every row needs {', '.join(COLUMNS)}")
    kinds, verdicts = values["kind"], values["verdict"]
    stop(~kinds.isin(KINDS), lambda r: f"kind '{kinds.iloc[r]}' is not manual or technical",
         did_you_mean(kinds[~kinds.isin(KINDS)].iloc[0], KINDS) if (~kinds.isin(KINDS)).any() else None)
    stop(~verdicts.isin(VERDICTS), lambda r: f"verdict '{verdicts.iloc[r]}' is not qualified or unqualified",
         did_you_mean(verdicts[~verdicts.isin(VERDICTS)].iloc[0], VERDICTS) if (~verdicts.isin(VERDICTS)).any() else None)
    ids = values["id"]
    stop(ids.duplicated(), lambda r: f"item id '{ids.iloc[r]}' appears twice", "each reviewed item once")
    if corpus_size is not None and corpus_size < len(raw):
        raise InputError(f"corpus size {corpus_size} is smaller than the {len(raw)} items sampled from it",
                         "give the number of items of the whole corpus with --corpus-size")
    frame = pd.DataFrame({"id": ids, "source": values["source"], "kind": kinds,
                          "qualified": (verdicts == "qualified").to_numpy(), "category": values["category"]})
    return CorpusSample(frame=frame.reset_index(drop=True), corpus_size=corpus_size, path=str(path))


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
        raise NotApplicable(say("note.genai_corpus.no_sample"))
    check = "genai.corpus_sample"
    chosen = sample.frame[sample.frame["kind"] == params.sample]
    n = len(chosen)
    qualified = int(chosen["qualified"].sum())
    groups = []
    by_category = chosen.assign(category=chosen["category"].replace("", "(none)")).groupby("category", sort=True)["qualified"]
    for name, k, size in zip(by_category.sum().index, by_category.sum().to_numpy(), by_category.size().to_numpy()):
        groups.append(GroupValue(group=f"category:{name}", n=int(size), value=int(k) / int(size), ci=_interval(int(k), int(size), params)))
    kind = say(f"note.genai_corpus.kind.{params.sample}")
    none_note = None
    if n == 0:
        none_note = (say("note.genai_corpus.none_of_kind_in", kind=kind, path=sample.path) if sample.path
                     else say("note.genai_corpus.none_of_kind", kind=kind))
    rate = Measurement(check=check, metric="qualified_rate", value=qualified / n if n else None,
                       ci=_interval(qualified, n, params), n=n, groups=groups,
                       note_parts=[none_note or say("note.genai_corpus.qualified", kind=kind, qualified=str(qualified), n=str(n))])
    by_source = chosen.assign(unqualified=~chosen["qualified"]).groupby("source", sort=True)["unqualified"]
    harmful = {str(s): int(k) for s, k in by_source.sum().items()}
    sizes = {str(s): int(k) for s, k in by_source.size().items()}
    source_groups = [GroupValue(group=f"source:{s}", n=sizes[s], value=harmful[s] / sizes[s], ci=_interval(harmful[s], sizes[s], params))
                     for s in sorted(sizes)]
    worst = max(sorted(sizes), key=lambda s: harmful[s] / sizes[s]) if sizes else None
    worst_rate = Measurement(
        check=check, metric="max_source_harmful_rate", value=harmful[worst] / sizes[worst] if worst else None,
        ci=_interval(harmful[worst], sizes[worst], params) if worst else None, n=sizes[worst] if worst else 0,
        groups=source_groups, note_parts=parts(none_note),
        driver_parts=parts(say("note.genai_corpus.worst_source", source=f"source:{worst}", unqualified=str(harmful[worst]),
                               n=str(sizes[worst])) if worst else None),
    )
    if sample.corpus_size is None:
        share = Measurement(check=check, metric="sample_share", value=None, n=n, note_parts=[say("note.genai_corpus.size_unknown")])
    else:
        share = Measurement(check=check, metric="sample_share", value=n / sample.corpus_size, n=n,
                            note_parts=[say("note.genai_corpus.share", n=str(n), size=str(sample.corpus_size))])
    return [rate, Measurement(check=check, metric="sampled", value=float(n), n=n, note_parts=parts(none_note)), worst_rate, share]


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
