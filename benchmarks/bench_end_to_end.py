"""End to end: `conformance run`, predictions-only, on a 1M-row Parquet file with fairness profiles.

Prints wall time and peak memory (max RSS of the child process). Target (issue: fairness engine):
under 10 s and 1.5 GB on a 2-core machine.

    python benchmarks/bench_end_to_end.py [--rows 1000000] [--profile eeoc-four-fifths ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], rows)
    race = rng.choice(["asian", "black", "hispanic", "white", "other"], rows, p=[0.1, 0.15, 0.2, 0.45, 0.1])
    y = rng.integers(0, 2, rows)
    score = np.clip(0.3 * y + 0.7 * rng.random(rows) + (sex == "male") * 0.03, 0, 1)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "income": rng.normal(50_000, 15_000, rows).round(0),
            "hired": np.where(y == 1, "yes", "no"),
            "decision": np.where(score > 0.5, "yes", "no"),
            "score": score,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--profile", action="append", default=None)
    args = parser.parse_args()
    profiles = args.profile or ["eeoc-four-fifths", "eu-ai-act-high-risk"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "audit.parquet"
        make_table(args.rows).to_parquet(data)
        command = [
            sys.executable, "-m", "conformance.cli", "run", "--data", str(data), "--target", "hired",
            "--positive-label", "yes", "--predictions", "decision", "--scores", "score",
            "--sensitive", "sex", "--sensitive", "race", "--output", str(Path(tmp) / "out"), "--format", "json,md",
        ]
        for profile in profiles:
            command += ["--profile", profile]
        started = time.perf_counter()
        ran = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"})
        wall = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if ran.returncode not in (0, 1):
        print(ran.stderr, file=sys.stderr)
        raise SystemExit(f"conformance run failed with exit code {ran.returncode}")
    print(f"rows: {args.rows:,}  profiles: {', '.join(profiles)}  cores: {os.cpu_count()}")
    print(f"conformance run (predictions-only, parquet): wall {wall:.2f} s, peak memory {peak_kib / 1024:.0f} MiB")
    print(f"targets: wall < 10 s, peak memory < 1536 MiB -> {'met' if wall < 10 and peak_kib / 1024 < 1536 else 'NOT met'}")


if __name__ == "__main__":
    main()
