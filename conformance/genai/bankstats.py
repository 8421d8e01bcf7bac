"""What a bank holds: size, items per category against a profile's minimums, duplicates, language
mix and freshness (``conformance bank stats``)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from conformance.genai.bank import Bank, BankItem

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Text for near-duplicate detection: NFKC, case folded, punctuation and spacing removed."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class Minimum:
    """A profile's per-category minimum: categories under ``prefixes`` with ``expected`` items need ``count`` each."""

    requirement: str
    expected: str
    prefixes: tuple[str, ...]
    count: float


@dataclass
class BankStats:
    items: int
    expected: dict[str, int]
    categories: dict[str, int]
    languages: dict[str, int]
    exact_duplicates: list[list[str]]
    near_duplicates: list[list[str]]
    newest: date | None
    oldest: date | None
    undated: int
    shortfalls: list[tuple[str, str, int, float]] = field(default_factory=list)  # requirement, category, have, need


def _groups(items: list[BankItem], key) -> list[list[str]]:
    by: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by[key(item)].append(item.id)
    return [ids for ids in by.values() if len(ids) > 1]


def _selected(code: str, prefixes: tuple[str, ...]) -> bool:
    return not prefixes or any(code == p or code.startswith(p.rstrip(".") + ".") for p in prefixes)


def bank_stats(banks: list[Bank], minimums: list[Minimum] = (), codes: frozenset[str] | None = None) -> BankStats:
    items = [i for b in banks for i in b.items]
    dates = [i.updated for i in items if i.updated]
    exact = _groups(items, lambda i: i.text)
    exact_ids = {i for group in exact for i in group}
    near = [g for g in _groups(items, lambda i: normalise(i.text)) if not set(g) <= exact_ids]
    stats = BankStats(
        items=len(items), expected=dict(sorted(Counter(i.expected for i in items).items())),
        categories=dict(sorted(Counter(i.category for i in items).items())),
        languages=dict(sorted(Counter(i.language for i in items).items())),
        exact_duplicates=exact, near_duplicates=near, newest=max(dates) if dates else None,
        oldest=min(dates) if dates else None, undated=len(items) - len(dates),
    )
    for minimum in minimums:
        counts = Counter(i.category for i in items if (minimum.expected == "all" or i.expected == minimum.expected)
                         and _selected(i.category, minimum.prefixes))
        for code in codes or ():
            if _selected(code, minimum.prefixes):
                counts.setdefault(code, 0)
        for code in sorted(counts):
            if counts[code] < minimum.count:
                stats.shortfalls.append((minimum.requirement, code, counts[code], minimum.count))
    return stats
