"""Seeded samples of a bank: the same seed and bank always give the same ids.

``--sample N`` draws N items per bank; stratified by category when a profile asks for per-category
minimums, so each category gets its share (proportional allocation, largest remainders, at least
one item per category while N allows). The sampled ids, in bank order, and their hash are recorded.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict

from conformance.genai.bank import Bank, BankItem


def _rng(seed: int, name: str) -> random.Random:
    salt = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return random.Random(seed * 1_000_003 + salt)


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """How many items each stratum gets: proportional, largest remainders, at least one each while n allows."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    strata = sorted(sizes)
    share = {s: 0 for s in strata}
    if n >= len(strata):
        for s in strata:
            share[s] = 1
    remaining = n - sum(share.values())
    spare = {s: sizes[s] - share[s] for s in strata}
    spare_total = sum(spare.values())
    exact = {s: remaining * spare[s] / spare_total if spare_total else 0 for s in strata}
    for s in strata:
        share[s] += int(exact[s])
    left = n - sum(share.values())
    for s in sorted(strata, key=lambda s: (-(exact[s] - int(exact[s])), s)):
        if left <= 0:
            break
        if share[s] < sizes[s]:
            share[s] += 1
            left -= 1
    return share


def sample_bank(bank: Bank, n: int | None, seed: int, stratify: bool = False) -> list[BankItem]:
    """``n`` items of a bank (all when ``n`` is None or at least the bank's size), in bank order."""
    items = list(bank.items)
    if n is None or n >= len(items):
        return items
    rng = _rng(seed, bank.path.name)
    if stratify:
        by_category: dict[str, list[int]] = defaultdict(list)
        for index, item in enumerate(items):
            by_category[item.category].append(index)
        shares = allocate({c: len(v) for c, v in by_category.items()}, n)
        chosen = sorted(i for c in sorted(by_category) for i in rng.sample(by_category[c], shares[c]))
    else:
        chosen = sorted(rng.sample(range(len(items)), n))
    return [items[i] for i in chosen]


def sample_banks(banks: list[Bank], n: int | None, seed: int, stratify: bool = False) -> list[BankItem]:
    return [item for bank in banks for item in sample_bank(bank, n, seed, stratify)]


def sample_sha256(items: list[BankItem]) -> str:
    """Hash of the sampled ids in order: names the sample in the report."""
    return hashlib.sha256("\n".join(item.id for item in items).encode()).hexdigest()
