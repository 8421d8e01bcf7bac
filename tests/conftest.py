"""Shared fixtures: the demo model trained once per session, its files, and a CLI runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conformance.cli import main
from conformance.datasets import demo

DEMO_TRUST = ["--trust-type", "sklearn.tree._tree.Tree"]


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process; returns exit code, stdout and stderr."""

    def run(*args: str) -> Ran:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> tuple[Path, Path]:
    """The demo's model (skops) and test data (CSV), written once."""
    return demo.write_demo_inputs(tmp_path_factory.mktemp("demo_inputs"), seed=0)


@pytest.fixture(scope="session")
def demo_model():
    model, train, test = demo.train_demo_model(seed=0)
    return model, train, test


@pytest.fixture
def predictions_frame() -> pd.DataFrame:
    """A predictions-only audit table: 2 000 rows, two sensitive attributes, labels, scores."""
    rng = np.random.default_rng(7)
    n = 2000
    sex = rng.choice(["female", "male"], n)
    race = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    y = rng.integers(0, 2, n)
    score = np.clip(0.35 * y + rng.uniform(0, 0.65, n) + (sex == "male") * 0.05, 0, 1)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "income": rng.normal(50, 10, n).round(1),
            "approved": np.where(y == 1, "yes", "no"),
            "decision": np.where(score > 0.5, "yes", "no"),
            "score": score,
        }
    )
