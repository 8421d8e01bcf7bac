"""Data beyond memory: `conformance run --engine stream` on a 10M-row Parquet file, beside the in-memory path.

The file is written in row groups of 1M rows, never holding 10M rows of strings in pandas. Each
audit (predictions-only, fairness and EU AI Act profiles) runs in its own child process; wall
time and peak memory (max RSS of that child, via RUSAGE_CHILDREN in a fresh wrapper process) are
printed side by side. Targets (issue 8): the streamed audit under 60 s and 2 GB on 2 cores.

    python benchmarks/bench_streaming.py [--rows 10000000] [--memory-rows N] [--skip-memory]
                                         [--engine stream] [--profile ID ...]

The in-memory path needs several GB at 10M rows; ``--memory-rows`` runs it on a smaller file
(the figures then say so).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

GROUP_ROWS = 1_000_000


def write_parquet(path: Path, rows: int, seed: int = 0) -> None:
    """The audit table of bench_end_to_end, written row group by row group."""
    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, rows, GROUP_ROWS):
        n = min(GROUP_ROWS, rows - start)
        sex = rng.choice(np.array(["female", "male"]), n)
        race = rng.choice(np.array(["asian", "black", "hispanic", "white", "other"]), n, p=[0.1, 0.15, 0.2, 0.45, 0.1])
        y = rng.integers(0, 2, n)
        score = np.clip(0.3 * y + 0.7 * rng.random(n) + (sex == "male") * 0.03, 0, 1)
        table = pa.table({
            "sex": sex,
            "race": race,
            "income": rng.normal(50_000, 15_000, n).round(0),
            "hired": np.where(y == 1, "yes", "no"),
            "decision": np.where(score > 0.5, "yes", "no"),
            "score": score,
        })
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=GROUP_ROWS)
    assert writer is not None
    writer.close()


# Runs in a fresh interpreter so that RUSAGE_CHILDREN holds this one audit's peak only.
WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
ran = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": ran.returncode, "wall": wall, "peak_kib": peak, "err": ran.stderr[-2000:]}))
"""


def audit(data: Path, out: Path, engine: str, profiles: list[str]) -> dict:
    command = [
        sys.executable, "-m", "conformance.cli", "run", "--data", str(data), "--target", "hired",
        "--positive-label", "yes", "--predictions", "decision", "--scores", "score",
        "--sensitive", "sex", "--sensitive", "race", "--output", str(out), "--format", "json,md", "--engine", engine,
    ]
    for profile in profiles:
        command += ["--profile", profile]
    ran = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "120"})
    figures = json.loads(ran.stdout.strip().splitlines()[-1])
    if figures["code"] not in (0, 1):
        print(figures["err"], file=sys.stderr)
        raise SystemExit(f"conformance run --engine {engine} failed with exit code {figures['code']}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--memory-rows", type=int, default=None, help="rows for the in-memory run (default: --rows)")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--engine", default="stream", choices=["stream", "dask"])
    parser.add_argument("--profile", action="append", default=None)
    args = parser.parse_args()
    profiles = args.profile or ["eeoc-four-fifths", "eu-ai-act-high-risk"]
    print(f"cores: {os.cpu_count()}  profiles: {', '.join(profiles)}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "audit.parquet"
        started = time.perf_counter()
        write_parquet(data, args.rows)
        size = data.stat().st_size
        print(f"wrote {args.rows:,} rows ({size / 2**20:.0f} MiB Parquet) in {time.perf_counter() - started:.1f} s")
        streamed = audit(data, Path(tmp) / "stream", args.engine, profiles)
        print(f"--engine {args.engine} ({args.rows:,} rows): wall {streamed['wall']:.1f} s, peak memory {streamed['peak_kib'] / 1024:.0f} MiB")
        ok = streamed["wall"] < 60 and streamed["peak_kib"] / 1024 < 2048
        print(f"targets: wall < 60 s, peak memory < 2048 MiB -> {'met' if ok else 'NOT met'}")
        if not args.skip_memory:
            memory_rows = args.memory_rows or args.rows
            if memory_rows != args.rows:
                data = Path(tmp) / "audit-memory.parquet"
                write_parquet(data, memory_rows)
            in_memory = audit(data, Path(tmp) / "memory", "memory", profiles)
            print(f"--engine memory ({memory_rows:,} rows): wall {in_memory['wall']:.1f} s, peak memory {in_memory['peak_kib'] / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
