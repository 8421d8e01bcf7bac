"""`verify --rerun` never takes trust from the report it checks: only from the verifier's own flags."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conformance.evidence.verify import Verification, note_trust, recorded_trust, rerun_arguments


def conformance(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_recorded_trust_is_dropped_and_only_the_verifiers_is_passed():
    command = ["conformance", "run", "--model", "m.pkl", "--trust-model", "--trust-type", "os.system",
               "--trust-type=posix.system", "--trust-model=true", "--data", "d.csv", "--output", "o", "--seed", "0"]
    assert rerun_arguments(command) == ["--model", "m.pkl", "--data", "d.csv", "--seed", "0"]
    assert recorded_trust(command) == ["--trust-model", "--trust-type os.system", "--trust-type posix.system", "--trust-model"]
    assert rerun_arguments(command, True, ["a.B"])[-3:] == ["--trust-model", "--trust-type", "a.B"]
    from conformance.errors import InputError

    for config in (["--config", "run.yaml"], ["--config=run.yaml"]):  # a run file could say trust_model: true
        with pytest.raises(InputError, match="reads a run file"):
            rerun_arguments(["conformance", "run", *config, "--seed", "0"])
    checked = Verification("r")
    note_trust(command, False, [], checked)
    assert checked.findings[0].message.startswith("the re-run does not inherit the report's trust (--trust-model --trust-type os.system")


@pytest.fixture(scope="module")
def trusted_run(tmp_path_factory) -> Path:
    """A pickle model audited with --trust-model: the report records the flag."""
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("trusted")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "sex": rng.choice(["f", "m"], 300)})
    frame["y"] = (frame.x + rng.normal(size=300) > 0).astype(int)
    model = LogisticRegression().fit(frame[["x"]], frame.y)
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    frame.to_csv(folder / "data.csv", index=False)
    ran = conformance("run", "--model", "model.pkl", "--trust-model", "--data", "data.csv", "--target", "y",
                      "--sensitive", "sex", "--profile", "eeoc-four-fifths", "--format", "json", "--output", "out", cwd=folder)
    assert ran.returncode in (0, 1), ran.stderr
    return folder


def test_rerun_refuses_the_model_unless_the_verifier_trusts_it(trusted_run):
    ran = conformance("verify", "out/report.json", "--rerun", cwd=trusted_run)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ("ok    the re-run does not inherit the report's trust (--trust-model): a model that needs it is refused "
            "unless you pass --trust-model or --trust-type to verify yourself") in ran.stdout
    assert "FAIL  the re-run did not complete (exit 2): error: model.pkl is a pickle, which runs code when loaded" in ran.stdout
    trusted = conformance("verify", "out/report.json", "--rerun", "--trust-model", cwd=trusted_run)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "does not inherit" not in trusted.stdout and "ok    the re-run reproduces the evidence" in trusted.stdout


def test_a_bundle_rerun_trusts_only_the_verifier(trusted_run, tmp_path):
    bundle = tmp_path / "x.bundle"
    assert conformance("keys", "generate", "--output", tmp_path / "keys", cwd=tmp_path).returncode == 0
    from conformance.evidence.signing import PRIVATE_NAME

    key = tmp_path / "keys" / PRIVATE_NAME
    made = conformance("bundle", "out", "--output", bundle, "--include-inputs", "--sign-key", key, cwd=trusted_run)
    assert made.returncode == 0, made.stderr
    ran = conformance("verify", bundle, "--rerun", cwd=tmp_path)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "the re-run does not inherit the report's trust (--trust-model)" in ran.stdout
    assert "which runs code when loaded" in ran.stdout
    trusted = conformance("verify", bundle, "--rerun", "--trust-model", cwd=tmp_path)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "ok    the re-run reproduces the evidence" in trusted.stdout
