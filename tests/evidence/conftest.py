"""Evidence fixtures: a key pair, and a signed predictions-only run made the way a user makes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUN = ["run", "--data", "data.csv", "--target", "approved", "--positive-label", "yes", "--predictions", "decision",
       "--scores", "score", "--sensitive", "sex", "--profile", "eeoc-four-fifths", "--format", "json"]


def conformance(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in a fresh process, so the manifest records this very command line."""
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def _frame():
    """The same table as the top-level ``predictions_frame`` fixture (which is per test, this is per session)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 2000
    sex = rng.choice(["female", "male"], n)
    y = rng.integers(0, 2, n)
    score = np.clip(0.35 * y + rng.uniform(0, 0.65, n) + (sex == "male") * 0.05, 0, 1)
    return pd.DataFrame({"sex": sex, "approved": np.where(y == 1, "yes", "no"),
                         "decision": np.where(score > 0.5, "yes", "no"), "score": score})


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    from conformance import api

    return api.generate_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def _signed_once(tmp_path_factory, keys) -> Path:
    folder = tmp_path_factory.mktemp("signed")
    _frame().to_csv(folder / "data.csv", index=False)
    ran = conformance(*RUN, "--output", "out", "--sign-key", keys[0], cwd=folder)
    assert ran.returncode in (0, 1), ran.stderr
    return folder


@pytest.fixture
def signed_run(_signed_once, tmp_path) -> Path:
    """A folder holding data.csv and out/report.json, signed with ``keys``, run with relative paths as a
    user types them; each test gets its own copy to tamper with."""
    import shutil

    return Path(shutil.copytree(_signed_once, tmp_path / "run"))
