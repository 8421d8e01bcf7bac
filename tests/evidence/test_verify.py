"""Signing and verification: keys, tampering, wrong keys, not-a-report files, re-runs, changed inputs."""

from __future__ import annotations

import json
import stat

import pytest

from conformance import api
from conformance.result import canonical_bytes, evidence_sha256

from .conftest import RUN, conformance


def test_keys_generate_private_key_owner_only_and_no_overwrite(cli, tmp_path):
    ran = cli("keys", "generate", "--output", tmp_path / "k")
    assert ran.code == 0, ran.err
    private, public = tmp_path / "k" / "conformance-signing.key", tmp_path / "k" / "conformance-signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    before = private.read_bytes()
    again = cli("keys", "generate", "--output", tmp_path / "k")
    assert again.code == 2 and "refusing to overwrite" in again.err and private.read_bytes() == before
    assert cli("keys", "generate", "--output", tmp_path / "k", "--force").code == 0
    assert private.read_bytes() != before and stat.S_IMODE(private.stat().st_mode) == 0o600


def test_a_signed_report_verifies_with_and_without_a_pinned_key(cli, signed_run, keys):
    report = signed_run / "out" / "report.json"
    signature = json.loads(report.read_text())["signature"]
    assert signature["algorithm"] == "ed25519" and len(signature["fingerprint"]) == 64
    ran = cli("verify", report, "--public-key", keys[1])
    assert ran.code == 0, ran.out
    assert ran.out.strip().endswith("verified") and "FAIL" not in ran.out
    unpinned = cli("verify", report)
    assert unpinned.code == 0 and "not pinned" in unpinned.out


def test_verify_speaks_the_chosen_language(cli, signed_run, keys, tmp_path):
    """--lang zh: every finding and the last line in Chinese, with hashes, paths and options as they are."""
    import shutil

    from conformance.locale import Words
    from tests.english import english_runs

    report = signed_run / "out" / "report.json"
    ran = cli("verify", report, "--public-key", keys[1], "--lang", "zh")
    assert ran.code == 0, ran.out
    for line in ran.out.strip().splitlines():
        assert english_runs(line.replace(str(report), "").replace(str(keys[1]), "")) == [], line
    assert ran.out.strip().endswith(Words("zh")("verify.verified", path=report))
    assert Words("zh")("verify.ok") in ran.out
    tampered = tmp_path / "report.json"
    shutil.copy(report, tampered)
    _tamper(tampered, '"rows": 2000', '"rows": 2001')
    failed = cli("verify", tampered, "--lang", "zh")
    assert failed.code == 1 and "证据在签名后被改动" in failed.out and failed.out.strip().endswith("核验未通过")


def _tamper(path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_a_changed_value_in_the_evidence_fails(cli, signed_run):
    report = signed_run / "out" / "report.json"
    _tamper(report, '"rows": 2000', '"rows": 2001')
    ran = cli("verify", report)
    assert ran.code == 1
    assert "FAIL  the evidence was changed after signing" in ran.out
    assert ran.out.strip().endswith("NOT verified")


def test_a_changed_verdict_fails(cli, signed_run):
    report = signed_run / "out" / "report.json"
    data = json.loads(report.read_text())
    verdict = data["evidence"]["requirements"][0]["verdict"]
    _tamper(report, f'"verdict": "{verdict}"', '"verdict": "pass"' if verdict != "pass" else '"verdict": "fail"')
    assert cli("verify", report).code == 1


def test_a_changed_run_time_outside_the_evidence_fails(cli, signed_run):
    report = signed_run / "out" / "report.json"
    _tamper(report, '"started_at": "', '"started_at": "1')
    ran = cli("verify", report)
    assert ran.code == 1 and "the report was changed after signing" in ran.out


def test_a_changed_space_fails(cli, signed_run):
    report = signed_run / "out" / "report.json"
    _tamper(report, '\n  "evidence"', '\n   "evidence"')
    ran = cli("verify", report)
    assert ran.code == 1 and "FAIL  the file was edited: byte" in ran.out


def test_any_changed_byte_is_caught(signed_run):
    """Change bytes spread over the whole file: each change is refused as not-a-report (exit 2) or fails verification."""
    from conformance.errors import ConformanceError

    report = signed_run / "out" / "report.json"
    original = report.read_bytes()
    positions = range(0, len(original), max(1, len(original) // 150))
    for at in positions:
        changed = bytearray(original)
        changed[at] = ord("7") if original[at] != ord("7") else ord("3")
        report.write_bytes(bytes(changed))
        try:
            checked = api.verify_report(report)
        except ConformanceError:
            continue
        assert not checked.ok, (at, original[at - 20: at + 20])
    report.write_bytes(original)
    assert api.verify_report(report).ok
    assert len(positions) >= 100


def test_the_wrong_public_key_fails(cli, signed_run, tmp_path):
    other = api.generate_keys(tmp_path / "other")
    ran = cli("verify", signed_run / "out" / "report.json", "--public-key", other[1])
    assert ran.code == 1 and "signed by a different key" in ran.out


def test_an_unsigned_report_does_not_verify_without_rerun(cli, demo_files, tmp_path):
    model, data = demo_files
    ran = cli("run", "--model", model, "--data", data, "--target", "risk", "--sensitive", "sex", "--profile", "eeoc-four-fifths",
              "--trust-type", "sklearn.tree._tree.Tree", "--output", tmp_path / "o", "--format", "json")
    assert ran.code in (0, 1), ran.err
    checked = cli("verify", tmp_path / "o" / "report.json")
    assert checked.code == 1 and "the report is not signed" in checked.out


@pytest.mark.parametrize(
    "content, message",
    [
        ("# Conformance report\n", "is not a JSON report"),
        ('{"hello": 1}', "is not a conformance report: it has no 'evidence'"),
        ('{"evidence": {"outcome": "great"}, "run": {}}', "is not a valid conformance report"),
        ("[1, 2]", "is not a conformance report"),
    ],
)
def test_not_a_report_is_exit_2_with_one_line(cli, tmp_path, content, message):
    path = tmp_path / "thing.json"
    path.write_text(content)
    ran = cli("verify", path)
    assert ran.code == 2
    assert message in ran.err and len(ran.err.strip().splitlines()) == 1 and "Traceback" not in ran.err


def test_missing_report_and_bad_key_files_are_exit_2(cli, signed_run, tmp_path):
    assert "nope.json: no such file" in cli("verify", tmp_path / "nope.json").err
    (tmp_path / "bad.pub").write_text("not a key")
    ran = cli("verify", signed_run / "out" / "report.json", "--public-key", tmp_path / "bad.pub")
    assert ran.code == 2 and "is not a PEM public key" in ran.err


def test_a_bad_sign_key_stops_the_run_before_anything_is_written(cli, predictions_frame, tmp_path):
    predictions_frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "k.key").write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    args = [a if a != "data.csv" else str(tmp_path / "data.csv") for a in RUN]
    ran = cli(*args, "--output", tmp_path / "o", "--sign-key", tmp_path / "k.key")
    assert ran.code == 2 and "is not an unencrypted PEM private key" in ran.err
    assert not (tmp_path / "o").exists()


def test_rerun_reproduces_the_evidence(signed_run, keys):
    ran = conformance("verify", "out/report.json", "--public-key", keys[1], "--rerun", cwd=signed_run)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "ok    input data data.csv: SHA-256 matches" in ran.stdout
    assert "ok    the re-run reproduces the evidence" in ran.stdout


def test_rerun_with_a_changed_input_file_fails_before_running(signed_run):
    data = signed_run / "data.csv"
    data.write_bytes(data.read_bytes().replace(b"female", b"fem4le", 1))
    ran = conformance("verify", "out/report.json", "--rerun", cwd=signed_run)
    assert ran.returncode == 1
    assert "FAIL  input data data.csv changed: SHA-256" in ran.stdout
    assert "re-run" not in ran.stdout.split("changed")[-1]  # the audit is not re-run on changed inputs


def test_rerun_with_a_missing_input_is_exit_2(signed_run):
    (signed_run / "data.csv").unlink()
    ran = conformance("verify", "out/report.json", "--rerun", cwd=signed_run)
    assert ran.returncode == 2
    assert ran.stderr.strip() == (
        "error: input 'data' not found: data.csv (run verify --rerun from the folder the audit ran in, with the same input files)"
    )


def test_evidence_is_deterministic_and_its_hash_is_over_canonical_bytes(predictions_frame):
    runs = [
        api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision", scores="score",
                  sensitive=["sex"], profiles=["eeoc-four-fifths"], seed=5)
        for _ in range(2)
    ]
    assert canonical_bytes(runs[0].evidence) == canonical_bytes(runs[1].evidence)
    assert evidence_sha256(runs[0].evidence) == evidence_sha256(runs[1].evidence)
    text = canonical_bytes(runs[0].evidence).decode()
    assert json.loads(text) == json.loads(runs[0].evidence.model_dump_json())
    assert ": " not in text[:200] and text.startswith('{"checks":')


def test_a_demo_report_records_the_run_that_reproduces_it(tmp_path):
    result, config = api.run_demo(tmp_path / "demo", seed=3)
    args = api.rerun_arguments(result)
    inputs = tmp_path / "demo" / "inputs"
    assert args[:4] == ["--model", str(inputs / "model.skops"), "--data", str(inputs / "german_credit_test.csv")]
    assert ["--reference", str(inputs / "german_credit_train.csv")] == args[4:6]
    assert "--model-card" in args and args[-2:] == ["--seed", "3"]
    assert "--trust-type" in result.evidence.manifest.command and "--trust-type" not in args  # trust is not inherited
    assert [a for a in api.run_command(config)[2:] if a not in ("--trust-type", *demo_trusted())] == args
    assert api.rerun_arguments(result, trust_types=["x.Y"])[-2:] == ["--trust-type", "x.Y"]


def test_a_python_api_report_cannot_be_rerun(cli, predictions_frame, tmp_path):
    result = api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision",
                       sensitive=["sex"], profiles=["eeoc-four-fifths"])
    api.save_reports(result, tmp_path, [api.Format.json] if hasattr(api, "Format") else api.parse_formats("json"))
    ran = cli("verify", tmp_path / "report.json", "--rerun")
    assert ran.code == 2 and "cannot be re-run" in ran.err


def test_a_shipped_profile_from_another_installation_is_found_by_id(signed_run):
    from conformance.evidence import verify

    result = api.load_report(signed_run / "out" / "report.json")
    inputs = [i.model_copy(update={"path": "/elsewhere/site-packages/conformance/checklists/eeoc-four-fifths.yaml"})
              if i.role == "profile:eeoc-four-fifths" else i for i in result.evidence.manifest.inputs]
    moved = result.model_copy(update={"evidence": result.evidence.model_copy(
        update={"manifest": result.evidence.manifest.model_copy(update={"inputs": inputs})})})
    checked = verify.Verification("x")
    assert verify.verify_inputs(moved, checked, base=signed_run, locate=api._shipped_profile)
    assert any("found at" in f.message and f.ok for f in checked.findings)


def demo_trusted() -> list[str]:
    from conformance.datasets import demo

    return demo.TRUSTED_TYPES
