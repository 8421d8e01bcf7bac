"""Models at the command line: each bad model is one clear line, exit 2, and nothing written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from conformance.io.models import LOADERS

ROOT = Path(__file__).resolve().parents[2]


def _args(model, data, out, *extra):
    return ["run", "--model", model, "--data", data, "--target", "risk", "--sensitive", "sex",
            "--profile", "eeoc-four-fifths", "--output", out, *extra]


def _bad(cli, out: Path, *args) -> str:
    ran = cli(*args)
    assert ran.code == 2, (ran.code, ran.out, ran.err)
    assert "Traceback" not in ran.err and ran.err.startswith("error: ")
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    assert not out.exists(), "a failed run wrote something"
    return ran.err.strip()


def test_run_with_the_onnx_export(cli, demo_onnx, demo_files, tmp_path):
    _, data = demo_files
    ran = cli(*_args(demo_onnx, data, tmp_path / "r"))
    assert ran.code in (0, 1), ran.err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["evidence"]["subject"]["model"] == "ONNX classifier (model.onnx)"


def test_onnx_whose_inputs_do_not_match_the_data(cli, demo_onnx, demo_files, tmp_path):
    _, data = demo_files
    frame = pd.read_csv(data).rename(columns={"credit_amount": "amount"})
    renamed = tmp_path / "renamed.csv"
    frame.to_csv(renamed, index=False)
    out = tmp_path / "out"
    err = _bad(cli, out, *_args(demo_onnx, renamed, out))
    assert err.startswith("error: column 'credit_amount' (given as a model input (declared by the model)) is not in the data")

    frame = pd.read_csv(data).assign(age="old")
    retyped = tmp_path / "retyped.csv"
    frame.to_csv(retyped, index=False)
    err = _bad(cli, out, *_args(demo_onnx, retyped, out))
    assert err.startswith("error: column 'age' holds text, but the ONNX model's input 'age' is tensor(int64)")


@pytest.mark.parametrize("kind", ["onnx", "pkl", "joblib", "skops"])
def test_truncated_model_file(cli, kind, demo_onnx, demo_files, pickled, tmp_path):
    skops_model, data = demo_files
    source = {"onnx": demo_onnx, "pkl": pickled["pkl"], "joblib": pickled["joblib"], "skops": skops_model}[kind]
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    out = tmp_path / "out"
    err = _bad(cli, out, *_args(cut, data, out, "--trust-model"))
    expected = {
        "onnx": f"error: {cut} is not a readable ONNX model (",
        "pkl": f"error: {cut} is not a complete pickle (",
        "joblib": f"error: {cut} is not a complete pickle (",
        "skops": f"error: {cut} is not a readable skops model (",
    }[kind]
    assert err.startswith(expected), err


def test_pickle_importing_os_system_is_refused_even_with_trust_model(cli, pickled, demo_files, tmp_path):
    _, data = demo_files
    out = tmp_path / "out"
    system = f"{'nt' if sys.platform == 'win32' else 'posix'}.system"
    err = _bad(cli, out, *_args(pickled["evil"], data, out, "--trust-model"))
    assert err == (f"error: {pickled['evil']} imports names that run code or touch files, refused whatever the flags: "
                   f"{system} (do not load this file; save the model with skops.io.dump, or as a plain scikit-learn pickle)")


def test_any_pickle_without_trust_model_is_refused(cli, pickled, demo_files, tmp_path):
    _, data = demo_files
    out = tmp_path / "out"
    err = _bad(cli, out, *_args(pickled["pkl"], data, out))
    assert err.startswith(f"error: {pickled['pkl']} is a pickle, which runs code when loaded; it imports sklearn.pipeline.Pipeline")
    assert err.endswith("(pass --trust-model if you trust its source, or save the model with skops.io.dump)")


def test_joblib_with_trust_model_runs(cli, pickled, demo_files, tmp_path):
    _, data = demo_files
    ran = cli(*_args(pickled["joblib_z"], data, tmp_path / "r", "--trust-model"))
    assert ran.code in (0, 1), ran.err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["evidence"]["subject"]["model"].startswith("Pipeline (model_z.joblib, joblib, zlib;")


def test_callable_without_trust_model(cli, demo_files, tmp_path):
    _, data = demo_files
    out = tmp_path / "out"
    err = _bad(cli, out, *_args("json:loads", data, out))
    assert err == "error: --model json:loads names Python code, which runs when imported (pass --trust-model if you trust it)"


def test_every_model_format_is_documented():
    page = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    for suffix in LOADERS:
        assert f"`{suffix}`" in page, f"docs/models.md does not describe {suffix}"
