"""The command line as a user meets it: exact exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

DEMO_TRUST = ["--trust-type", "sklearn.tree._tree.Tree"]


def _run_args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    return ["run", "--model", model, "--data", data, "--target", "risk", "--sensitive", "sex",
            "--profile", "eeoc-four-fifths", "--output", out, *DEMO_TRUST, *extra]


def test_demo_writes_reports_and_exits_0(cli, tmp_path):
    ran = cli("demo", "--output", tmp_path / "demo")
    assert ran.code == 0, ran.err
    assert "Outcome:" in ran.out and "29 CFR 1607.4(D)" in ran.out
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert report["evidence"]["subject"]["rows"] == 300
    assert {p["id"] for p in report["evidence"]["profiles"]} == {"eu-ai-act-high-risk", "eeoc-four-fifths"}
    assert (tmp_path / "demo" / "report.md").read_text().startswith("# Conformance report")


def test_run_with_skops_model(cli, demo_files, tmp_path):
    model, data = demo_files
    ran = cli(*_run_args(model, data, tmp_path / "r"))
    assert ran.code in (0, 1), ran.err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    roles = [i["role"] for i in report["evidence"]["manifest"]["inputs"]]
    assert roles[:2] == ["model", "data"] and "profile:eeoc-four-fifths" in roles
    verdict = report["evidence"]["requirements"][0]["verdict"]
    assert ran.code == (1 if verdict == "fail" else 0)


def test_fail_on_decides_the_exit_code(cli, predictions_frame, tmp_path):
    frame = predictions_frame.copy()
    frame.loc[frame.sex == "female", "decision"] = "no"  # no woman is ever selected: ratio 0
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    args = ["run", "--data", data, "--target", "approved", "--positive-label", "yes", "--predictions", "decision",
            "--sensitive", "sex", "--profile", "base", "--output", tmp_path / "o"]
    assert cli(*args, "--fail-on", "major").code == 0  # base's requirements are minor
    assert cli(*args, "--fail-on", "minor").code == 1


def test_predictions_only_audit_with_parquet_and_run_file(cli, predictions_frame, tmp_path):
    predictions_frame.to_parquet(tmp_path / "d.parquet")
    (tmp_path / "run.yaml").write_text(
        "data: d.parquet\ntarget: approved\npositive_label: 'yes'\npredictions: decision\nscores: score\n"
        "sensitive: [sex, race]\nprofiles: [eu-ai-act-high-risk]\nformats: json\nseed: 3\n"
    )
    ran = cli("run", "--config", tmp_path / "run.yaml", "--output", tmp_path / "o")
    assert ran.code in (0, 1), ran.err
    assert not (tmp_path / "o" / "report.md").exists()
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    ev = report["evidence"]
    assert ev["subject"]["predictions_only"] is True and ev["manifest"]["seed"] == 3
    attributes = {m["attribute"] for c in ev["checks"] for m in c["measurements"]}
    assert {"sex", "race", "sex × race"} <= attributes


def test_same_seed_same_evidence(cli, predictions_frame, tmp_path):
    data = tmp_path / "d.csv"
    predictions_frame.to_csv(data, index=False)
    args = ["--data", data, "--target", "approved", "--positive-label", "yes", "--predictions", "decision",
            "--scores", "score", "--sensitive", "sex", "--profile", "eu-ai-act-high-risk", "--format", "json"]
    cli("run", *args, "--output", tmp_path / "a")
    cli("run", *args, "--output", tmp_path / "b")
    a = json.loads((tmp_path / "a" / "report.json").read_text())["evidence"]
    b = json.loads((tmp_path / "b" / "report.json").read_text())["evidence"]
    assert a == b
    cli("run", *args, "--output", tmp_path / "c", "--seed", "1")
    c = json.loads((tmp_path / "c" / "report.json").read_text())["evidence"]
    assert c["checks"] != a["checks"]  # other resamples, other intervals


def test_checks_and_profiles_commands(cli, tmp_path):
    ran = cli("checks", "list")
    assert ran.code == 0 and "fairness.demographic_parity" in ran.out
    ran = cli("profiles", "list")
    assert ran.code == 0 and "eu-ai-act-high-risk" in ran.out
    ran = cli("profiles", "show", "eeoc-four-fifths")
    assert ran.code == 0 and "29 CFR 1607.4(D)" in ran.out
    assert json.loads(cli("profiles", "schema").out)["title"] == "Profile"
    assert json.loads(cli("report", "schema").out)["title"] == "AuditResult"
    ran = cli("--version")
    assert ran.code == 0 and "conformance" in ran.out


# ---- bad input: one line, exit 2, no traceback, nothing written ------------------------------


def _bad(cli, tmp_path, *args) -> str:
    out = tmp_path / "out"
    ran = cli(*args, "--output", out)
    assert ran.code == 2, (ran.code, ran.out, ran.err)
    assert "Traceback" not in ran.err
    assert ran.err.startswith("error: ")
    assert len(ran.err.strip().splitlines()) == 1, ran.err
    assert not out.exists(), "a failed run wrote something"
    return ran.err.strip()


@pytest.fixture
def csv(predictions_frame, tmp_path) -> Path:
    path = tmp_path / "d.csv"
    predictions_frame.to_csv(path, index=False)
    return path


def _pred_args(data, *extra):
    return ["run", "--data", data, "--target", "approved", "--positive-label", "yes", "--predictions", "decision",
            "--sensitive", "sex", "--profile", "eeoc-four-fifths", *extra]


def test_missing_data_file(cli, tmp_path):
    err = _bad(cli, tmp_path, *_pred_args(tmp_path / "nope.csv"))
    assert err == f"error: --data {tmp_path / 'nope.csv'}: no such file (check the path)"


def test_unreadable_data_file(cli, tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    err = _bad(cli, tmp_path, *_pred_args(bad))
    assert err.startswith(f"error: cannot read {bad} as parquet:")


def test_unknown_file_type(cli, tmp_path):
    bad = tmp_path / "d.xlsx"
    bad.write_text("x")
    assert "unknown file type '.xlsx'" in _bad(cli, tmp_path, *_pred_args(bad))


def test_unknown_column_suggests_closest(cli, csv, tmp_path):
    err = _bad(cli, tmp_path, "run", "--data", csv, "--target", "aproved", "--predictions", "decision",
               "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert err == "error: column 'aproved' (given as --target) is not in the data (did you mean 'approved'?)"


def test_unknown_sensitive_column(cli, csv, tmp_path):
    err = _bad(cli, tmp_path, "run", "--data", csv, "--target", "approved", "--positive-label", "yes",
               "--predictions", "decision", "--sensitive", "gender", "--profile", "eeoc-four-fifths")
    assert "column 'gender' (given as --sensitive) is not in the data" in err


def test_two_labels_without_positive_label(cli, csv, tmp_path):
    err = _bad(cli, tmp_path, "run", "--data", csv, "--target", "approved", "--predictions", "decision",
               "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert err == ("error: target 'approved' has labels 'no', 'yes': which one is the favourable outcome? "
                   "(pass --positive-label (e.g. --positive-label 'yes'))")


def test_positive_label_that_does_not_occur(cli, csv, tmp_path):
    err = _bad(cli, tmp_path, *_pred_args(csv)[:-0] if False else
               ["run", "--data", csv, "--target", "approved", "--positive-label", "Yes", "--predictions", "decision",
                "--sensitive", "sex", "--profile", "eeoc-four-fifths"])
    assert err == ("error: positive label 'Yes' does not occur in target 'approved' (labels: 'no', 'yes') "
                   "(did you mean 'yes'?)")


def test_multiclass_target_needs_a_positive_label(cli, predictions_frame, tmp_path):
    frame = predictions_frame.assign(approved=predictions_frame.race)
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    err = _bad(cli, tmp_path, "run", "--data", path, "--target", "approved", "--predictions", "race",
               "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert err == ("error: target 'approved' has 3 classes where a binary target is needed "
                   "(pass --positive-label to audit one class against the rest)")


def test_numeric_multiclass_target_for_binary_checks(cli, predictions_frame, tmp_path):
    frame = predictions_frame.assign(level=[i % 3 for i in range(len(predictions_frame))])
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    err = _bad(cli, tmp_path, "run", "--data", path, "--target", "level", "--predictions", "level",
               "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert "is a regression target, but the checks fairness.demographic_parity, fairness.disparate_impact need a binary one" in err


def test_sensitive_column_with_one_group(cli, predictions_frame, tmp_path):
    path = tmp_path / "one.csv"
    predictions_frame.assign(sex="female").to_csv(path, index=False)
    err = _bad(cli, tmp_path, *_pred_args(path))
    assert err.startswith("error: sensitive column 'sex' has a single group")


def test_nan_in_target(cli, predictions_frame, tmp_path):
    frame = predictions_frame.copy()
    frame.loc[[3, 9], "approved"] = None
    path = tmp_path / "nan.csv"
    frame.to_csv(path, index=False)
    err = _bad(cli, tmp_path, *_pred_args(path))
    assert err == "error: target 'approved' has 2 missing values (drop or fill those rows before the audit)"


def test_nan_in_predictions(cli, predictions_frame, tmp_path):
    frame = predictions_frame.copy()
    frame.loc[[5], "decision"] = None
    path = tmp_path / "nan.csv"
    frame.to_csv(path, index=False)
    err = _bad(cli, tmp_path, *_pred_args(path))
    assert err == ("error: predictions column 'decision' has 1 missing value "
                   "(drop or fill those rows before the audit)")


def test_empty_dataset(cli, predictions_frame, tmp_path):
    path = tmp_path / "empty.csv"
    predictions_frame.head(0).to_csv(path, index=False)
    err = _bad(cli, tmp_path, *_pred_args(path))
    assert err.startswith(f"error: data file {path} has no rows")


def test_no_model_and_no_predictions(cli, csv, tmp_path):
    err = _bad(cli, tmp_path, "run", "--data", csv, "--target", "approved", "--positive-label", "yes",
               "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert err == "error: nothing to audit: no model and no predictions (give --model FILE or --predictions COLUMN)"


def test_malformed_profile_names_file_and_line(cli, csv, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("id: p\ntitle: t\nversion: '1'\nrequirements:\n  - id: [unclosed\n")
    err = _bad(cli, tmp_path, *_pred_args(csv)[:-2], "--profile", profile)
    assert err.startswith(f"error: profile {profile}:") and "malformed YAML" in err


def test_unknown_check_in_profile(cli, csv, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "id: p\ntitle: t\nversion: '1'\nsource: {title: s, citation: c}\nrequirements:\n"
        "  - {id: r, clause: '1', title: t, principle: fairness, check: fairness.demographic_parit,"
        " metric: ratio, threshold: {min: 0.8, origin: tool-default}}\n"
    )
    err = _bad(cli, tmp_path, *_pred_args(csv)[:-2], "--profile", profile)
    assert err == (f"error: profile {profile}: requirement 'r' cites unknown check 'fairness.demographic_parit' "
                   "(did you mean 'fairness.demographic_parity'?)")


def test_unknown_check_parameter_in_profile(cli, csv, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "id: p\ntitle: t\nversion: '1'\nsource: {title: s, citation: c}\nrequirements:\n"
        "  - {id: r, clause: '1', title: t, principle: fairness, check: fairness.demographic_parity,"
        " params: {min_group_sise: 5}, metric: ratio, threshold: {min: 0.8, origin: tool-default}}\n"
    )
    err = _bad(cli, tmp_path, *_pred_args(csv)[:-2], "--profile", profile)
    assert err == (f"error: profile {profile}: requirement 'r': parameter 'min_group_sise' of "
                   "'fairness.demographic_parity': Extra inputs are not permitted (did you mean 'min_group_size'?)")


def test_cyclic_extends(cli, csv, tmp_path):
    head = "title: t\nversion: '1'\nsource: {title: s, citation: c}\n"
    (tmp_path / "a.yaml").write_text(f"id: a\n{head}extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text(f"id: b\n{head}extends: a.yaml\n")
    err = _bad(cli, tmp_path, *_pred_args(csv)[:-2], "--profile", tmp_path / "a.yaml")
    assert "cyclic extends: a → b → a" in err


def test_unknown_shipped_profile(cli, csv, tmp_path):
    err = _bad(cli, tmp_path, *_pred_args(csv)[:-2], "--profile", "eeoc-four-fifth")
    assert err == "error: unknown profile 'eeoc-four-fifth' (did you mean 'eeoc-four-fifths'?)"


def test_model_file_that_is_not_a_model(cli, csv, tmp_path):
    fake = tmp_path / "m.skops"
    fake.write_bytes(b"PK\x03\x04 definitely not a skops archive")
    err = _bad(cli, tmp_path, "run", "--model", fake, "--data", csv, "--target", "approved",
               "--positive-label", "yes", "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert err.startswith(f"error: {fake} is not a readable skops model")


def test_missing_model_file(cli, csv, tmp_path):
    err = _bad(cli, tmp_path, "run", "--model", tmp_path / "none.skops", "--data", csv, "--target", "approved",
               "--positive-label", "yes", "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert err == f"error: --model {tmp_path / 'none.skops'}: no such file (check the path)"


def test_skops_with_untrusted_types_is_refused(cli, demo_files, tmp_path):
    model, data = demo_files
    args = _run_args(model, data, tmp_path / "x")
    args = [a for a in args if a not in DEMO_TRUST]
    err = _bad(cli, tmp_path, *args[:-2] if args[-2] == "--output" else args)
    assert err == (f"error: {model} would load types that are not trusted: sklearn.tree._tree.Tree "
                   "(inspect them, then pass --trust-type sklearn.tree._tree.Tree "
                   "(or --trust-model to trust the whole file))")


def test_model_whose_predict_raises(cli, demo_files, predictions_frame, tmp_path):
    model, _ = demo_files
    wrong = tmp_path / "wrong.csv"
    predictions_frame.rename(columns={"approved": "risk"}).assign(risk=[i % 2 for i in range(len(predictions_frame))]).to_csv(wrong, index=False)
    err = _bad(cli, tmp_path, "run", "--model", model, "--data", wrong, "--target", "risk", "--sensitive", "sex",
               "--profile", "eeoc-four-fifths", *DEMO_TRUST)
    assert "is not in the data" in err and "model input" in err


def test_model_predict_raising_is_a_clear_error(cli, demo_files, tmp_path):
    model, data = demo_files
    frame = pd.read_csv(data)
    frame["credit_amount"] = "lots"  # a string where the model needs numbers
    broken = tmp_path / "broken.csv"
    frame.to_csv(broken, index=False)
    err = _bad(cli, tmp_path, *_run_args(model, broken, tmp_path / "unused")[:-4], *DEMO_TRUST)
    assert err.startswith("error: the model's predict raised ValueError:")
    assert err.endswith("(check that --data has the columns and types the model was trained on)")


def test_invalid_option_value(cli, csv, tmp_path):
    ran = cli(*_pred_args(csv), "--fail-on", "severe")
    assert ran.code == 2 and "Traceback" not in ran.err


def test_unknown_run_file_key(cli, csv, tmp_path):
    run_file = tmp_path / "run.yaml"
    run_file.write_text(f"data: {csv}\ntarget: approved\nprofiles: [base]\nsensitiv: [sex]\n")
    err = _bad(cli, tmp_path, "run", "--config", run_file)
    assert err == f"error: run file {run_file}: unknown option 'sensitiv' (did you mean 'sensitive'?)"


def test_debug_shows_the_traceback(cli, tmp_path):
    ran = cli("--debug", "run", "--data", tmp_path / "nope.csv", "--target", "t", "--predictions", "p",
              "--profile", "base")
    assert ran.code == 2 and "Traceback" in ran.err


def test_internal_error_exits_3(cli, csv, tmp_path, monkeypatch):
    from conformance import tabular

    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(tabular, "read_table", boom)
    ran = cli(*_pred_args(csv), "--output", tmp_path / "o")
    assert ran.code == 3
    assert ran.err.startswith("internal error: RuntimeError: boom") and "Traceback" not in ran.err
    assert not (tmp_path / "o").exists()


def test_skops_file_holding_something_that_is_not_a_model(cli, csv, tmp_path):
    import skops.io as sio

    path = tmp_path / "dict.skops"
    sio.dump({"weights": [1, 2, 3]}, path)
    err = _bad(cli, tmp_path, "run", "--model", path, "--data", csv, "--target", "approved",
               "--positive-label", "yes", "--sensitive", "sex", "--profile", "eeoc-four-fifths")
    assert err == "error: dict is not a model: it has no predict method"


def test_profiles_validate_reports_file_line_and_field(cli, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(
        "id: mine\ntitle: t\nversion: '1'\nsource: {title: s, citation: c}\nextends: eeoc-four-fifths\n"
        "requirements:\n"
        "  - id: auc\n    clause: '4.2'\n    title: t\n    principle: accuracy\n"
        "    check: performance.classification\n    metric: roc_auc\n"
        "    threshold: {min: 0.7, origin: provider-declared}\n"
    )
    ran = cli("profiles", "validate", good)
    assert ran.code == 0 and "valid profile 'mine' with 6 requirements" in ran.out  # 5 of eeoc-four-fifths + 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("origin: provider-declared", "origin: vendor"))
    ran = cli("profiles", "validate", bad)
    assert ran.code == 2
    assert ran.err.startswith(f"error: profile {bad}:13: requirements.0.threshold.origin: Input should be")
    typo = tmp_path / "typo.yaml"
    typo.write_text(good.read_text().replace("    metric: roc_auc", "    metrics: roc_auc"))
    ran = cli("profiles", "validate", typo)
    assert ran.code == 2 and ran.err.startswith(f"error: profile {typo}:")
    assert "(did you mean 'metric'?)" in ran.err


def test_declared_levels_from_flags_and_model_card(cli, csv, tmp_path):
    import json as _json

    args = ["run", "--data", csv, "--target", "approved", "--positive-label", "yes", "--predictions", "decision",
            "--sensitive", "sex", "--profile", "eu-ai-act-high-risk", "--format", "json"]
    cli(*args, "--output", tmp_path / "a", "--declare", "balanced_accuracy=0.99")
    report = _json.loads((tmp_path / "a" / "report.json").read_text())["evidence"]
    declared = next(r for r in report["requirements"] if r["id"] == "art15-declared-accuracy")
    assert declared["verdict"] == "fail" and declared["threshold"]["min"] == 0.99
    assert report["subject"]["declared"] == {"balanced_accuracy": 0.99}
    card = tmp_path / "card.yaml"
    card.write_text("declared: {balanced_accuracy: 0.5}\n")
    cli(*args, "--output", tmp_path / "b", "--model-card", card)
    report = _json.loads((tmp_path / "b" / "report.json").read_text())["evidence"]
    assert next(r for r in report["requirements"] if r["id"] == "art15-declared-accuracy")["verdict"] == "pass"
    ran = cli(*args, "--output", tmp_path / "c", "--declare", "balanced_accuracy")
    assert ran.code == 2 and "is not NAME=VALUE" in ran.err and not (tmp_path / "c").exists()
