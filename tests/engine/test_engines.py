"""Streamed and distributed count tables equal the in-memory ones; streamed audits judge alike."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conformance.engine.memory import stats_from_frame
from conformance.engine.streaming import stream_stats
from conformance.stats.confusion import confusion_table
from conformance.stats.groups import groupings_for

FAIRNESS_PROFILE = "eeoc-four-fifths"
DEMO_TRUST = ["--trust-type", "sklearn.tree._tree.Tree"]


def _frame(n: int = 5000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male", None], n, p=[0.45, 0.5, 0.05])
    region = rng.choice([1, 2, 3, 4], n).astype(float)
    region[rng.random(n) < 0.03] = np.nan
    y = rng.integers(0, 2, n)
    score = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
    return pd.DataFrame({
        "sex": sex, "region": region, "age": rng.integers(18, 80, n),
        "approved": np.where(y == 1, "yes", "no"), "decision": np.where(score > 0.5, "yes", "no"), "score": score,
    })


def _reference_tables(frame: pd.DataFrame, sensitive: list[str]) -> dict[str, tuple[tuple[str, ...], np.ndarray]]:
    y = (frame["approved"] == "yes").to_numpy(dtype=np.int8)
    p = (frame["decision"] == "yes").to_numpy(dtype=np.int8)
    return {g.attribute: (g.labels, confusion_table(g.codes, g.size, y, p)) for g in groupings_for(frame, sensitive)}


OPTIONS = dict(target="approved", sensitive=["sex", "region"], predictions="decision", scores="score", positive_label="yes")


@pytest.mark.parametrize("batch_rows", [1, 997, 5000, 100_000])
def test_memory_engine_tables_equal_groupings(batch_rows):
    frame = _frame(300 if batch_rows == 1 else 5000)
    stats = stats_from_frame(frame, batch_rows=batch_rows, sample_rows=500, **OPTIONS)
    for name, (labels, table) in _reference_tables(frame, ["sex", "region"]).items():
        assert stats.labels[name] == labels
        assert np.array_equal(stats.tables[name], table)
    assert "unknown" in stats.labels["sex"] and "unknown" in stats.labels["region"]
    assert stats.rows == len(frame) and len(stats.sample) == min(500, len(frame))


@pytest.mark.parametrize("batch_rows", [333, 4096, 1_000_000])
def test_streamed_parquet_and_csv_equal_memory(tmp_path, batch_rows):
    frame = _frame()
    memory = stats_from_frame(frame, **OPTIONS)
    parquet = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet, row_group_size=700)
    csv = tmp_path / "d.csv"
    frame.to_csv(csv, index=False)
    for path in (parquet, csv):
        streamed = stream_stats(path, batch_rows=batch_rows, **OPTIONS)
        reread = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        for name, (labels, table) in _reference_tables(reread, ["sex", "region"]).items():
            assert streamed.labels[name] == labels, path
            assert np.array_equal(streamed.tables[name], table), path
        assert np.array_equal(streamed.overall, memory.overall)
        for name in memory.histograms:
            assert np.array_equal(streamed.histograms[name], memory.histograms[name])


def test_partitioned_directory_equals_memory(tmp_path):
    frame = _frame()
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, start in enumerate(range(0, len(frame), 1500)):
        frame.iloc[start : start + 1500].to_parquet(folder / f"part-{i}.parquet", index=False)
    streamed = stream_stats(folder, batch_rows=400, **OPTIONS)
    memory = stats_from_frame(frame, **OPTIONS)
    assert streamed.labels == memory.labels
    for name in memory.tables:
        assert np.array_equal(streamed.tables[name], memory.tables[name])


def _measurements(report: dict, family: str = "fairness.") -> dict:
    out = {}
    for check in report["evidence"]["checks"]:
        if check["check"].startswith(family):
            for m in check["measurements"]:
                out[(check["key"], m["metric"], m["attribute"])] = (m["value"], m["ci"], [(g["group"], g["n"], g["value"]) for g in m["groups"]])
    return out


def _run(cli, path, out, *extra):
    ran = cli("run", "--data", path, "--target", "approved", "--predictions", "decision", "--scores", "score",
              "--positive-label", "yes", "--sensitive", "sex", "--sensitive", "region", "--profile", FAIRNESS_PROFILE,
              "--format", "json", "--output", out, *extra)
    assert ran.code in (0, 1), ran.err
    return json.loads((out / "report.json").read_text())


def test_streamed_audit_equals_memory_audit(cli, tmp_path):
    path = tmp_path / "d.parquet"
    _frame().to_parquet(path, index=False)
    memory = _run(cli, path, tmp_path / "m")
    streamed = _run(cli, path, tmp_path / "s", "--engine", "stream")
    assert _measurements(streamed) == _measurements(memory) != {}
    assert [r["verdict"] for r in streamed["evidence"]["requirements"]] == [r["verdict"] for r in memory["evidence"]["requirements"]]
    assert streamed["evidence"]["subject"]["rows"] == memory["evidence"]["subject"]["rows"]
    assert "--engine" in streamed["evidence"]["manifest"]["command"]


def test_dask_equals_memory(tmp_path):
    pytest.importorskip("distributed")
    from dask.distributed import Client, LocalCluster

    from conformance.engine.dask import dask_stats

    frame = _frame()
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, start in enumerate(range(0, len(frame), 1200)):
        frame.iloc[start : start + 1200].to_parquet(folder / f"part-{i}.parquet", index=False)
    memory = stats_from_frame(frame, **OPTIONS)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
        distributed = dask_stats(folder, client=client, batch_rows=500, **OPTIONS)
    assert distributed.labels == memory.labels
    assert distributed.rows == memory.rows
    for name in memory.tables:
        assert np.array_equal(distributed.tables[name], memory.tables[name])
        assert np.array_equal(distributed.histograms[name], memory.histograms[name])
    assert np.array_equal(distributed.overall, memory.overall)


def _bad(cli, tmp_path, *args) -> str:
    out = tmp_path / "out"
    ran = cli(*args, "--output", out)
    assert ran.code == 2, (ran.code, ran.out, ran.err)
    assert "Traceback" not in ran.err
    assert ran.err.startswith("error: ")
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    assert not out.exists(), "a failed run wrote something"
    return ran.err.strip()


def _args(path, *extra):
    return ("run", "--data", path, "--target", "approved", "--predictions", "decision", "--positive-label", "yes",
            "--sensitive", "sex", "--profile", FAIRNESS_PROFILE, *extra)


def test_mismatched_parquet_schemas(cli, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = _frame(200)
    frame.to_parquet(folder / "a.parquet", index=False)
    other = frame.copy()
    other["age"] = other["age"].astype(str)
    other.to_parquet(folder / "b.parquet", index=False)
    err = _bad(cli, tmp_path, *_args(folder, "--engine", "stream"))
    assert "mismatched schemas" in err


def test_unreachable_scheduler(cli, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("conformance.engine.dask.CONNECT_TIMEOUT", "2s")
    path = tmp_path / "d.parquet"
    _frame(200).to_parquet(path, index=False)
    err = _bad(cli, tmp_path, *_args(path, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"))
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err


def test_streamed_model_audit_equals_memory(cli, tmp_path, demo_files):
    """Inference per batch: with --model, the streamed audit measures what the in-memory one does."""
    model, data = demo_files
    args = ("run", "--model", model, *DEMO_TRUST, "--data", data, "--target", "risk", "--sensitive", "sex",
            "--sensitive", "age_group", "--profile", "eu-ai-act-high-risk", "--format", "json")
    reports = {}
    for engine in ("memory", "stream"):
        ran = cli(*args, "--engine", engine, "--output", tmp_path / engine)
        assert ran.code in (0, 1), ran.err
        reports[engine] = json.loads((tmp_path / engine / "report.json").read_text())
    memory, streamed = (_measurements(reports[e], "") for e in ("memory", "stream"))
    assert memory.keys() == streamed.keys()
    differ = {k for k in memory if memory[k] != streamed[k]}
    # AUC: equal-width bins when streamed; the loss CIs then draw from a generator the AUC's bootstrap used
    assert {k[1] for k in differ} <= {"roc_auc", "log_loss", "brier"}, differ
    assert all(memory[k][0] == streamed[k][0] for k in differ if k[1] != "roc_auc")
    assert abs(memory[("performance.classification", "roc_auc", None)][0] - streamed[("performance.classification", "roc_auc", None)][0]) < 0.01
    verdicts = [[r["verdict"] for r in reports[e]["evidence"]["requirements"]] for e in ("memory", "stream")]
    assert verdicts[0] == verdicts[1]


def test_sampled_audit_notes_the_sample_and_keeps_full_group_sizes(cli, tmp_path):
    path = tmp_path / "d.parquet"
    _frame(4000).to_parquet(path, index=False)
    memory = _run(cli, path, tmp_path / "m", "--profile", "eu-ai-act-high-risk")
    streamed = _run(cli, path, tmp_path / "s", "--profile", "eu-ai-act-high-risk", "--engine", "stream", "--sample-rows", "700")
    from conformance.checks.runner import FROM_TABLES

    def tabled(report):
        return {k: v for k, v in _measurements(report, "").items() if k[0].split("(")[0].split("[")[0] in FROM_TABLES
                and k[1] not in ("roc_auc", "log_loss", "brier")}

    assert tabled(streamed) == tabled(memory) != {}  # from the tables over all rows
    notes = {c["check"]: [m["note"] for m in c["measurements"]] for c in streamed["evidence"]["checks"] if c["status"] == "ok"}
    assert all("on a seeded sample of 700 of 4000 rows" in n for n in notes["data.completeness"])
    assert not any(n and "seeded sample" in n for n in notes["fairness.demographic_parity"])
    assert "--sample-rows" in streamed["evidence"]["manifest"]["command"]


def test_tallies_survive_pickling():
    """Dask ships tallies between processes: a missing value must stay missing."""
    import pickle

    from conformance.engine.tables import Tally

    frame = _frame(3000)
    parts = []
    for i, start in enumerate(range(0, len(frame), 1000)):
        tally = Tally("approved", ["sex", "region"], "decision", "score", part=i)
        tally.update(frame.iloc[start : start + 1000])
        parts.append(pickle.loads(pickle.dumps(tally)))
    total = Tally("approved", ["sex", "region"], "decision", "score")
    for tally in parts:
        total.merge(tally)
    merged = total.finish("yes")
    memory = stats_from_frame(frame, **OPTIONS)
    assert merged.labels == memory.labels
    for name in memory.tables:
        assert np.array_equal(merged.tables[name], memory.tables[name])
