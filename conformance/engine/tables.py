"""Sufficient statistics of a predictions-only audit, accumulated batch by batch.

Every classification fairness and performance metric is a function of per-group confusion
counts (and, for AUC, per-group score histograms); counts add, so a file far larger than memory,
or the partitions of a Dask cluster, are reduced by summing. A :class:`Tally` takes record
batches (pandas DataFrames) in any order and keeps, per sensitive attribute and their
intersection, counts indexed by *raw-value dictionaries* that grow as new values appear: group,
target value, predicted value and score bin. :meth:`Tally.finish` turns them into the labels and
tables the in-memory path computes (the group labels come from the same ``encode``), once the
positive label is known. A seeded bottom-k sample of rows (uniform, without replacement) serves
the checks that need rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from conformance.errors import DataError
from conformance.io.dataset import resolve_positive
from conformance.messages import english, say
from conformance.result import Message
from conformance.stats.groups import JOIN, UNKNOWN, encode

SCORE_BINS = 4096
SAMPLE_ROWS = 200_000


class _Missing:
    """The dictionary key of a missing value; one instance, also after pickling (Dask workers)."""

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> str:
        return "_MISSING"


_MISSING = _Missing()


@dataclass
class SufficientStats:
    """What the checks need from all the rows, and a seeded sample of them."""

    rows: int
    positive_label: Any
    labels: dict[str, tuple[str, ...]]  # grouping name -> sorted group labels
    tables: dict[str, np.ndarray]  # grouping name -> (G, 4) counts tn, fp, fn, tp
    overall: np.ndarray  # (1, 4)
    histograms: dict[str, np.ndarray] | None  # grouping name -> (G, 2, SCORE_BINS); None without usable scores
    overall_histogram: np.ndarray | None  # (1, 2, SCORE_BINS)
    sample: pd.DataFrame
    sensitive: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def sampled(self) -> bool:
        return len(self.sample) < self.rows

    @property
    def sample_said(self) -> Message:
        """That a value was measured on the seeded sample, as a catalogue message."""
        return say("note.runner.sampled", n=str(len(self.sample)), rows=str(self.rows))

    @property
    def sample_note(self) -> str:
        return english([self.sample_said])


class _Dictionary:
    """Distinct raw values in order of first appearance, each with a stable id."""

    def __init__(self) -> None:
        self.ids: dict[Any, int] = {}
        self.values: list[Any] = []

    def local(self, column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Per-row local codes (0 = missing, then the batch's distinct values) and local -> global ids."""
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        mapping = [self._id(_MISSING)] + [self._id(_key(v)) for v in uniques]
        return codes.astype(np.int64) + 1, np.asarray(mapping, dtype=np.int64)

    def _id(self, key: Any) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.values)
            self.values.append(key)
        return found

    def merge(self, other: _Dictionary) -> np.ndarray:
        """Add ``other``'s values; returns other-id -> self-id."""
        return np.asarray([self._id(v) for v in other.values], dtype=np.int64)


def _key(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _grow(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if all(a >= b for a, b in zip(array.shape, shape)):
        return array
    bigger = np.zeros(tuple(a if a >= b else max(2 * a, b) for a, b in zip(array.shape, shape)), dtype=np.int64)
    bigger[tuple(slice(0, n) for n in array.shape)] = array
    return bigger


class Tally:
    """Accumulates counts over batches; ``merge`` adds another tally (e.g. a Dask partition's)."""

    def __init__(
        self,
        target: str,
        sensitive: list[str],
        predictions: str,
        scores: str | None = None,
        *,
        seed: int = 0,
        sample_rows: int = SAMPLE_ROWS,
        part: int = 0,
    ) -> None:
        self.target, self.sensitive, self.predictions, self.scores = target, list(sensitive), predictions, scores
        self.sample_rows = sample_rows
        self.rng = np.random.default_rng([seed, part, 0x5A3])
        self.rows = 0
        self.score_range = [np.inf, -np.inf]
        self.score_missing = 0
        self.target_dict, self.pred_dict = _Dictionary(), _Dictionary()
        self.group_dicts = {c: _Dictionary() for c in self.sensitive}
        self.combos: _Dictionary = _Dictionary()  # tuples of group ids of every attribute
        names = [*self.sensitive, *([JOIN.join(self.sensitive)] if len(self.sensitive) >= 2 else [])]
        self.counts = {n: np.zeros((1, 1, 1), dtype=np.int64) for n in names}  # (group, target, pred)
        self.hists = {n: np.zeros((1, 1, SCORE_BINS), dtype=np.int64) for n in names}  # (group, target, bin)
        self.overall_counts = np.zeros((1, 1), dtype=np.int64)
        self.overall_hist = np.zeros((1, SCORE_BINS), dtype=np.int64)
        self.sample: pd.DataFrame | None = None
        self.sample_keys = np.empty(0)

    @property
    def intersection(self) -> str | None:
        return JOIN.join(self.sensitive) if len(self.sensitive) >= 2 else None

    # --- one batch ----------------------------------------------------------------------------

    def update(self, batch: pd.DataFrame) -> None:
        n = len(batch)
        if not n:
            return
        self.rows += n
        t_codes, t_map = self.target_dict.local(batch[self.target])
        p_codes, p_map = self.pred_dict.local(batch[self.predictions])
        bins = None
        if self.scores is not None and self.scores in batch.columns:  # a model without probabilities adds none
            s = pd.to_numeric(batch[self.scores], errors="coerce").to_numpy(dtype=float)
            finite = np.isfinite(s)
            self.score_missing += int(n - finite.sum())
            if finite.any():
                self.score_range = [min(self.score_range[0], float(s[finite].min())), max(self.score_range[1], float(s[finite].max()))]
            bins = np.clip(np.nan_to_num(s * SCORE_BINS, nan=0.0), 0, SCORE_BINS - 1).astype(np.int64)
        tp = t_codes * len(p_map) + p_codes
        self._add_overall(tp, t_codes, t_map, p_map, bins)
        groups = []
        for column in self.sensitive:
            g_codes, g_map = self.group_dicts[column].local(batch[column])
            groups.append((g_codes, g_map))
            self._add(column, g_codes, g_map, tp, t_codes, t_map, p_map, bins)
        if self.intersection is not None:
            combined = groups[0][0]
            for g_codes, g_map in groups[1:]:
                combined = combined * len(g_map) + g_codes
            present, codes = np.unique(combined, return_inverse=True)
            mapping = []
            for value in present.tolist():
                parts = []
                for g_codes, g_map in reversed(groups):
                    value, index = divmod(value, len(g_map))
                    parts.append(int(g_map[index]))
                mapping.append(self.combos._id(tuple(reversed(parts))))
            self._add(self.intersection, codes.astype(np.int64), np.asarray(mapping, dtype=np.int64), tp, t_codes, t_map, p_map, bins)
        self._sample(batch)

    def _add_overall(self, tp, t_codes, t_map, p_map, bins) -> None:
        local = np.bincount(tp, minlength=len(t_map) * len(p_map)).reshape(len(t_map), len(p_map))
        self.overall_counts = _grow(self.overall_counts, (int(t_map.max()) + 1, int(p_map.max()) + 1))
        self.overall_counts[np.ix_(t_map, p_map)] += local
        if bins is not None:
            hist = np.bincount(t_codes * SCORE_BINS + bins, minlength=len(t_map) * SCORE_BINS).reshape(len(t_map), SCORE_BINS)
            self.overall_hist = _grow(self.overall_hist, (int(t_map.max()) + 1, SCORE_BINS))
            self.overall_hist[t_map] += hist

    def _add(self, name, g_codes, g_map, tp, t_codes, t_map, p_map, bins) -> None:
        n_g, n_t, n_p = len(g_map), len(t_map), len(p_map)
        local = np.bincount(g_codes * (n_t * n_p) + tp, minlength=n_g * n_t * n_p).reshape(n_g, n_t, n_p)
        self.counts[name] = _grow(self.counts[name], (int(g_map.max()) + 1, int(t_map.max()) + 1, int(p_map.max()) + 1))
        self.counts[name][np.ix_(g_map, t_map, p_map)] += local
        if bins is not None:
            index = (g_codes * n_t + t_codes) * SCORE_BINS + bins
            hist = np.bincount(index, minlength=n_g * n_t * SCORE_BINS).reshape(n_g, n_t, SCORE_BINS)
            self.hists[name] = _grow(self.hists[name], (int(g_map.max()) + 1, int(t_map.max()) + 1, SCORE_BINS))
            self.hists[name][np.ix_(g_map, t_map)] += hist

    def _sample(self, batch: pd.DataFrame) -> None:
        """Bottom-k of uniform keys: a uniform sample without replacement, whatever the batches."""
        keys = self.rng.random(len(batch))
        if self.sample is not None and len(self.sample_keys) >= self.sample_rows:
            keep = keys < self.sample_keys.max()
            batch, keys = batch[keep], keys[keep]
        frames = [f for f in (self.sample, batch) if f is not None and len(f)]
        if not frames:
            return
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
        all_keys = np.concatenate([self.sample_keys, keys]) if self.sample is not None else keys
        if len(all_keys) > self.sample_rows:
            order = np.argsort(all_keys, kind="stable")[: self.sample_rows]
            order.sort()
            frame, all_keys = frame.iloc[order].reset_index(drop=True), all_keys[order]
        self.sample, self.sample_keys = frame, all_keys

    # --- sums of tallies --------------------------------------------------------------------

    def merge(self, other: Tally) -> Tally:
        """Add ``other`` into this tally (dictionary ids are remapped; counts add)."""
        self.rows += other.rows
        self.score_missing += other.score_missing
        self.score_range = [min(self.score_range[0], other.score_range[0]), max(self.score_range[1], other.score_range[1])]
        t_map = self.target_dict.merge(other.target_dict)
        p_map = self.pred_dict.merge(other.pred_dict)
        g_maps = {c: self.group_dicts[c].merge(other.group_dicts[c]) for c in self.sensitive}
        if self.intersection is not None:
            combo_map = np.asarray(
                [self.combos._id(tuple(int(g_maps[c][i]) for c, i in zip(self.sensitive, key))) for key in other.combos.values],
                dtype=np.int64,
            )
            g_maps[self.intersection] = combo_map
        t_n, p_n = len(t_map), len(p_map)
        if t_n and p_n:
            self.overall_counts = _grow(self.overall_counts, (len(self.target_dict.values), len(self.pred_dict.values)))
            self.overall_counts[np.ix_(t_map, p_map)] += other.overall_counts[:t_n, :p_n]
            self.overall_hist = _grow(self.overall_hist, (len(self.target_dict.values), SCORE_BINS))
            self.overall_hist[t_map] += other.overall_hist[:t_n]
        for name, g_map in g_maps.items():
            g_n = len(g_map)
            if not g_n or not t_n:
                continue
            self.counts[name] = _grow(self.counts[name], (int(g_map.max()) + 1, len(self.target_dict.values), len(self.pred_dict.values)))
            self.counts[name][np.ix_(g_map, t_map, p_map)] += other.counts[name][:g_n, :t_n, :p_n]
            self.hists[name] = _grow(self.hists[name], (int(g_map.max()) + 1, len(self.target_dict.values), SCORE_BINS))
            self.hists[name][np.ix_(g_map, t_map)] += other.hists[name][:g_n, :t_n]
        if other.sample is not None:
            frames = [f for f in (self.sample, other.sample) if f is not None]
            keys = np.concatenate([self.sample_keys, other.sample_keys]) if self.sample is not None else other.sample_keys
            frame = pd.concat(frames, ignore_index=True)
            order = np.sort(np.argsort(keys, kind="stable")[: self.sample_rows])
            self.sample, self.sample_keys = frame.iloc[order].reset_index(drop=True), keys[order]
        return self

    # --- the tables the checks read -----------------------------------------------------------

    def finish(self, positive_label: str | None = None) -> SufficientStats:
        """Resolve the positive label and the group labels; validate as ``prepare`` does."""
        if not self.rows:
            raise DataError("the dataset has no rows", "an audit needs data")
        t_values = self.target_dict.values
        if _MISSING in self.target_dict.ids:
            missing = int(self.overall_counts[self.target_dict.ids[_MISSING]].sum())
            if missing:
                raise DataError(f"target '{self.target}' has {missing} missing value{'s' if missing != 1 else ''}",
                                "drop or fill those rows before the audit")
        present_t = [i for i, v in enumerate(t_values) if v is not _MISSING and self.overall_counts[i].sum()]
        what = f"target '{self.target}'"
        positive = resolve_positive(pd.Series([t_values[i] for i in present_t]), positive_label, what)
        if positive is None:
            raise DataError(f"--engine stream audits binary targets; target '{self.target}' is not one",
                            "pass --positive-label, or use --engine memory")
        y_true = np.asarray([v is not _MISSING and v == positive for v in t_values], dtype=np.int64)
        self._check_predictions(present_t, positive)
        p_values = self.pred_dict.values
        y_pred = np.asarray([v is not _MISSING and str(v) == str(positive) for v in p_values], dtype=np.int64)
        cell = y_true[:, None] * 2 + y_pred[None, :]  # (T, P) -> tn fp fn tp

        def collapse(counts: np.ndarray) -> np.ndarray:  # (G, T, P) -> (G, 4)
            out = np.zeros((counts.shape[0], 4), dtype=np.int64)
            n_t, n_p = len(t_values), len(p_values)
            for c in range(4):
                out[:, c] = (counts[:, :n_t, :n_p] * (cell == c)).sum(axis=(1, 2))
            return out

        def collapse_hist(hist: np.ndarray) -> np.ndarray:  # (G, T, B) -> (G, 2, B)
            n_t = len(t_values)
            return np.stack([hist[:, :n_t][:, y_true == 0].sum(axis=1), hist[:, :n_t][:, y_true == 1].sum(axis=1)], axis=1)

        scored = self.scores is not None and (self.score_missing > 0 or np.isfinite(self.score_range[0]))
        use_hist = scored and self.score_missing == 0 and self.score_range[0] >= 0 and self.score_range[1] <= 1
        if self.scores is not None and self.score_missing:
            raise DataError(f"scores column '{self.scores}' has {self.score_missing} missing or non-numeric values",
                            "drop or fill those rows before the audit")
        labels, tables, hists = {}, {}, {}
        singles: dict[str, np.ndarray] = {}
        for column in self.sensitive:
            dictionary = self.group_dicts[column]
            n_values = len(dictionary.values)
            counted = _pad(self.counts[column].sum(axis=(1, 2)), n_values) > 0
            values = [None if v is _MISSING else v for v, u in zip(dictionary.values, counted) if u]
            grouping = encode(pd.Series(values, dtype=_dtype(values)), column)
            codes = np.full(n_values, -1, dtype=np.int64)
            codes[counted] = grouping.codes
            singles[column] = codes
            if grouping.size < 2:
                raise DataError(f"sensitive column '{column}' has a single group",
                                "fairness compares groups: pick a column with at least two, or drop this --sensitive")
            labels[column], tables[column], hists[column] = self._regroup(
                grouping.labels, codes, column, collapse, collapse_hist, use_hist)
        if self.intersection is not None:
            name = self.intersection
            keys = [tuple(int(singles[c][i]) for c, i in zip(self.sensitive, combo)) for combo in self.combos.values]
            used = _pad(self.counts[name].sum(axis=(1, 2)), len(keys)) > 0
            distinct = sorted({k for k, u in zip(keys, used) if u})
            index = {k: i for i, k in enumerate(distinct)}
            codes = np.asarray([index.get(k, -1) for k in keys], dtype=np.int64)
            names = tuple(JOIN.join(labels[c][i] for c, i in zip(self.sensitive, k)) for k in distinct)
            labels[name], tables[name], hists[name] = self._regroup(names, codes, name, collapse, collapse_hist, use_hist)
        overall = collapse(self.overall_counts[None, :, :])
        overall_hist = collapse_hist(self.overall_hist[None, :, :]) if use_hist else None
        notes = []
        if scored and not use_hist:
            notes.append("scores outside [0, 1]: AUC computed on the sample")
        return SufficientStats(
            rows=self.rows, positive_label=positive, labels=labels, tables=tables, overall=overall,
            histograms=hists if use_hist else None, overall_histogram=overall_hist,
            sample=self.sample if self.sample is not None else pd.DataFrame(), sensitive=list(self.sensitive), notes=notes,
        )

    def _regroup(self, names, codes, name, collapse, collapse_hist, use_hist):
        """Sum the counts of dictionary ids that share a label; ids never counted are dropped."""
        counts = self.counts[name][: len(codes)]
        keep = codes >= 0
        table = np.zeros((len(names), *counts.shape[1:]), dtype=np.int64)
        np.add.at(table, codes[keep], counts[keep])
        hist = None
        if use_hist:
            h = self.hists[name][: len(codes)]
            hist = np.zeros((len(names), *h.shape[1:]), dtype=np.int64)
            np.add.at(hist, codes[keep], h[keep])
            hist = collapse_hist(hist)
        table = collapse(table)
        present = table.sum(axis=1) > 0
        names = tuple(n for n, p in zip(names, present) if p)
        return names, table[present], (hist[present] if hist is not None else None)

    def _check_predictions(self, present_t: list[int], positive: Any) -> None:
        p_ids = self.pred_dict.ids
        if _MISSING in p_ids:
            missing = int(self.overall_counts[:, p_ids[_MISSING]].sum())
            if missing:
                raise DataError(f"predictions column '{self.predictions}' has {missing} missing value{'s' if missing != 1 else ''}",
                                "drop or fill those rows before the audit")
        known = {str(self.target_dict.values[i]) for i in present_t}
        used = self.overall_counts.sum(axis=0)
        seen = {str(v) for i, v in enumerate(self.pred_dict.values) if v is not _MISSING and used[i]}
        unknown = sorted(seen - known)
        if unknown:
            shown = ", ".join(f"'{u}'" for u in unknown[:5])
            raise DataError(f"predictions column '{self.predictions}' has labels the target does not: {shown}",
                            f"predictions must use the target's labels ({', '.join(repr(k) for k in sorted(known)[:5])})")


def _pad(array: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` entries, zeros beyond the array's end."""
    out = np.zeros(n, dtype=array.dtype)
    out[: min(n, len(array))] = array[:n]
    return out


def _dtype(values: list[Any]) -> Any:
    """The dtype pandas gives such a column when it reads it whole: ints with a missing value become floats."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (bool, np.bool_)) for v in present):
        return object
    return None


def label_for(grouping_labels: tuple[str, ...]) -> dict[str, int]:
    return {label: i for i, label in enumerate(grouping_labels)}


__all__ = ["SufficientStats", "Tally", "SCORE_BINS", "SAMPLE_ROWS", "UNKNOWN"]
