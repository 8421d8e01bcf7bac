"""Evidence bundles: DSSE against the specification's test vector, packing, verifying, safe reading,
re-judging, and old signed reports that still verify after the result model grew."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import stat
import zipfile
from pathlib import Path

import pydantic_core
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conformance.evidence import dsse
from conformance.evidence.bundle import Limits, open_bundle, safe_name
from conformance.evidence.signing import load_private_key, load_public_key

from .conftest import RUN, conformance

DEMO_TRUST = ["--trust-type", "sklearn.tree._tree.Tree"]


# --- DSSE ---------------------------------------------------------------------------------------------


def test_pae_and_signature_match_the_dsse_specification_test_vector():
    """protocol.md's vector: PAE bytes, and its ECDSA P-256 signature verifies over our PAE."""
    encoded = dsse.pae("http://example.com/HelloWorld", b"hello world")
    assert encoded == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    x = 46950820868899156662930047687818585632848591499744589407958293238635476079160
    y = 5640078356564379163099075877009565129882514886557779369047442380624545832820
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raw = base64.b64decode("A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==")
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    public.verify(encode_dss_signature(r, s), encoded, ec.ECDSA(hashes.SHA256()))  # raises if PAE were wrong
    d = 97358161215184420915383655311931858321456579547487070936769975997791359926199
    assert ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers() == public.public_numbers()


def test_pae_counts_bytes_not_characters():
    assert dsse.pae("t", "é".encode()) == b"DSSEv1 1 t 2 " + "é".encode()


def test_a_statement_opens_only_with_its_key_and_unchanged(keys, tmp_path):
    from conformance import api

    key = load_private_key(keys[0])
    other = api.generate_keys(tmp_path / "other")
    body = dsse.statement([("data:x.csv", "ab" * 32)], {"outcome": "conformant"})
    envelope = dsse.sign_statement(body, key)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    opened = dsse.open_envelope(envelope, [load_public_key(other[1]), load_public_key(keys[1])])
    assert opened is not None and opened.statement == body
    assert opened.statement["_type"] == "https://in-toto.io/Statement/v1"
    assert dsse.open_envelope(envelope, [load_public_key(other[1])]) is None
    changed = dict(envelope, payload=base64.b64encode(json.dumps({**body, "predicate": {"outcome": "x"}}).encode()).decode())
    assert dsse.open_envelope(changed, [load_public_key(keys[1])]) is None
    retyped = dict(envelope, payloadType="application/json")
    with pytest.raises(ValueError, match="payloadType"):
        dsse.open_envelope(retyped, [load_public_key(keys[1])])


# --- packing and verifying ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def model_run(tmp_path_factory, keys, demo_files) -> Path:
    """A signed audit of the demo model with a model card, checklist answers and an evidence file."""
    folder = tmp_path_factory.mktemp("model_run")
    model, data = demo_files
    shutil.copy(model, folder / "model.skops")
    shutil.copy(data, folder / "test.csv")
    from conformance.datasets import demo

    shutil.copy(Path(demo.__file__).parent / "demo-model-card.yaml", folder / "card.yaml")
    (folder / "answers").mkdir()
    (folder / "answers" / "docs").mkdir()
    (folder / "answers" / "docs" / "bias-profile.md").write_text("# Bias profile\nkept and reviewed\n")
    (folder / "answers" / "answers.yaml").write_text(
        "version: 1\nprofiles: [ieee-7003]\nanswers:\n  bias-profile:\n    answer: 'yes'\n"
        "    evidence: [docs/bias-profile.md]\n    answered_by: A. Auditor\n    answered_at: '2026-01-02'\n")
    ran = conformance("run", "--model", "model.skops", "--data", "test.csv", "--target", "risk", "--sensitive", "sex",
                      "--profile", "eeoc-four-fifths", "--profile", "ieee-7003", "--checklist", "answers/answers.yaml",
                      "--model-card", "card.yaml", *DEMO_TRUST, "--output", "out", "--format", "json,md",
                      "--sign-key", keys[0], cwd=folder)
    assert ran.returncode in (0, 1), ran.stderr
    return folder


def _bundle(cli, folder: Path, *extra: str, name: str = "audit.bundle") -> Path:
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        ran = cli("bundle", "out", "--output", name, *extra)
    finally:
        os.chdir(here)
    assert ran.code == 0, ran.err
    return folder / name


def _trust(path: Path, public: Path, profiles=("*",), name="Example Body", jurisdiction="EU") -> Path:
    key = "\n".join("      " + line for line in public.read_text().splitlines())
    path.write_text(f"jurisdiction: EU\nbodies:\n  - name: {name}\n    jurisdiction: {jurisdiction}\n"
                    f"    public_key: |\n{key}\n    profiles: {json.dumps(list(profiles))}\n")
    return path


def test_a_bundle_holds_the_report_profiles_answers_evidence_and_card_and_verifies(cli, model_run, keys, tmp_path):
    bundle = _bundle(cli, model_run, "--sign-key", keys[0])
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        report = archive.read("report.json")
        index = json.loads(archive.read("bundle.json"))
        envelope = json.loads(archive.read("attestation.dsse.json"))
    assert report == (model_run / "out" / "report.json").read_bytes()
    assert {"bundle.json", "attestation.dsse.json", "report.json", "renderings/report.md",
            "profiles/eeoc-four-fifths.yaml", "profiles/ieee-7003.yaml", "checklist/answers.yaml",
            "checklist/docs/bias-profile.md", "model_card/card.yaml"} <= names
    assert not any(n.startswith("inputs/") for n in names)  # no model or data without --include-inputs
    for member in index["members"]:
        with zipfile.ZipFile(bundle) as archive:
            assert hashlib.sha256(archive.read(member["name"])).hexdigest() == member["sha256"]
    statement = json.loads(base64.b64decode(envelope["payload"]))
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    assert subjects == {"model:model.skops": hashlib.sha256((model_run / "model.skops").read_bytes()).hexdigest(),
                        "data:test.csv": hashlib.sha256((model_run / "test.csv").read_bytes()).hexdigest()}
    assert statement["predicateType"] == dsse.PREDICATE_TYPE
    ran = cli("verify", bundle)
    assert ran.code == 0, ran.out
    assert "not pinned" in ran.out
    trusted = cli("verify", bundle, "--trust", _trust(tmp_path / "t.yaml", keys[1]))
    assert trusted.code == 0 and "signed by Example Body (EU)" in trusted.out


def test_a_bundle_is_deterministic(cli, model_run, keys):
    first = _bundle(cli, model_run, "--sign-key", keys[0], name="a.bundle")
    second = _bundle(cli, model_run, "--sign-key", keys[0], name="b.bundle")
    assert open_bundle(first).digest == open_bundle(second).digest


def test_signer_outside_the_trust_list_or_profile_fails(cli, model_run, keys, tmp_path):
    from conformance import api

    bundle = _bundle(cli, model_run, "--sign-key", keys[0])
    stranger = api.generate_keys(tmp_path / "stranger")
    ran = cli("verify", bundle, "--trust", _trust(tmp_path / "t.yaml", stranger[1]))
    assert ran.code == 1 and "the signer is not in the trust list" in ran.out
    narrow = cli("verify", bundle, "--trust", _trust(tmp_path / "n.yaml", keys[1], profiles=["eeoc-four-fifths"]))
    assert narrow.code == 1 and "is not recognised for profile ieee-7003" in narrow.out


def test_an_unsigned_bundle_does_not_verify(cli, model_run):
    bundle = _bundle(cli, model_run)
    ran = cli("verify", bundle)
    assert ran.code == 1 and "the bundle is not signed" in ran.out


def _rewrite(bundle: Path, target: Path, change) -> Path:
    """Copy a bundle member by member, letting ``change(name, data)`` alter any member."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            out.writestr(info, change(info.filename, source.read(info.filename)))
    return target


def test_a_changed_member_or_report_fails(cli, model_run, keys, tmp_path):
    bundle = _bundle(cli, model_run, "--sign-key", keys[0])
    card = _rewrite(bundle, tmp_path / "card.bundle",
                    lambda n, d: d + b"\n# edited\n" if n == "model_card/card.yaml" else d)
    ran = cli("verify", card)
    assert ran.code == 1 and "member model_card/card.yaml was changed" in ran.out

    def consistent(name, data):  # a forger who also updates the index: the signed statement still catches it
        if name == "model_card/card.yaml":
            return data + b"\n# edited\n"
        if name == "bundle.json":
            index = json.loads(data)
            for m in index["members"]:
                if m["name"] == "model_card/card.yaml":
                    edited = (model_run / "card.yaml").read_bytes() + b"\n# edited\n"
                    m["sha256"], m["bytes"] = hashlib.sha256(edited).hexdigest(), len(edited)
            return json.dumps(index).encode()
        return data

    forged = cli("verify", _rewrite(bundle, tmp_path / "forged.bundle", consistent))
    assert forged.code == 1 and "differ from the signed ones: model_card/card.yaml" in forged.out
    verdict = _rewrite(bundle, tmp_path / "verdict.bundle",
                       lambda n, d: d.replace(b'"outcome": "', b'"outcome": "x', 1) if n == "report.json" else d)
    assert cli("verify", verdict).code in (1, 2)


def _evil(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return path


@pytest.mark.parametrize("name,expected", [
    ("../evil.txt", "unsafe member name"),
    ("/etc/evil", "unsafe member name"),
    ("a/../../evil", "unsafe member name"),
    ("C:/evil", "unsafe member name"),
    ("a\\..\\evil", "unsafe member name"),
])
def test_path_traversal_is_refused_before_anything_is_written(cli, tmp_path, name, expected):
    bundle = _evil(tmp_path / "evil.bundle", {"bundle.json": b"{}", "report.json": b"{}", name: b"x"})
    ran = cli("verify", bundle)
    assert ran.code == 2 and expected in ran.err, ran.err
    assert not (tmp_path.parent / "evil.txt").exists()


def test_links_malformed_oversized_and_bombs_are_refused(cli, tmp_path):
    link = _evil(tmp_path / "link.bundle", {"bundle.json": b"{}", "report.json": b"{}", "x": b"/etc/passwd"}, links=("x",))
    assert "is a link" in cli("verify", link).err
    (tmp_path / "junk.bundle").write_bytes(b"PK\x03\x04 not really a zip")
    assert cli("verify", tmp_path / "junk.bundle").code == 2
    bomb = _evil(tmp_path / "bomb.bundle", {"bundle.json": b"{}", "report.json": b"{}", "z": b"\0" * (60 << 20)})
    ran = cli("verify", bomb)
    assert ran.code == 2 and "refusing a compression bomb" in ran.err
    with pytest.raises(Exception, match="over the limit"):
        open_bundle(bomb, Limits(file_bytes=1000))
    many = _evil(tmp_path / "many.bundle", {"bundle.json": b"{}", "report.json": b"{}", **{f"m{i}": b"" for i in range(30)}})
    with pytest.raises(Exception, match="members, over the limit"):
        open_bundle(many, Limits(members=10))
    not_index = _evil(tmp_path / "noindex.bundle", {"bundle.json": b"[1]", "report.json": b"{}"})
    assert "is not a JSON object" in cli("verify", not_index).err


def test_safe_names():
    assert all(safe_name(n) for n in ["report.json", "profiles/a.yaml", "inputs/data/part-0.parquet"])
    assert not any(safe_name(n) for n in ["", "/a", "../a", "a/..", "a//b", "./a", "a\\b", "c:/x", "a\0b"])


def test_a_bundle_with_inputs_reruns(cli, signed_run, keys, tmp_path):
    bundle = _bundle(cli, signed_run, "--include-inputs", "--sign-key", keys[0])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = Path(shutil.move(str(bundle), elsewhere / "x.bundle"))
    shutil.rmtree(signed_run)  # the original inputs are gone: only the bundle's copies remain
    ran = cli("verify", moved, "--rerun")
    assert ran.code == 0, ran.out
    assert "the re-run reproduces the evidence" in ran.out
    assert "bundled data: SHA-256 matches" in ran.out


def test_rerun_needs_inputs(cli, signed_run, keys):
    ran = cli("verify", _bundle(cli, signed_run, "--sign-key", keys[0]), "--rerun")
    assert ran.code == 1 and "bundle with --include-inputs" in ran.out


def test_bundle_refuses_a_changed_input_and_a_missing_report(cli, signed_run, keys, tmp_path):
    (signed_run / "data.csv").write_text("changed\n")
    ran = cli("bundle", signed_run / "out", "--output", tmp_path / "x.bundle", "--include-inputs")
    assert ran.code == 2 and "changed since the audit" in ran.err
    assert not (tmp_path / "x.bundle").exists()
    missing = cli("bundle", tmp_path, "--output", tmp_path / "y.bundle")
    assert missing.code == 2 and "no report.json" in missing.err


# --- old reports keep verifying -----------------------------------------------------------------------


def test_a_report_signed_before_a_field_existed_still_verifies(cli, signed_run, keys):
    """A report written by a version whose result model lacked ``evidence.waivers`` and
    ``evidence.rejudged_from`` (now fields with defaults): re-dumping the model would add them and
    change the signed bytes; verification hashes the object as stored, so it holds."""
    from conformance.evidence.signing import canonical_json, fingerprint

    report = signed_run / "out" / "report.json"
    stored = json.loads(report.read_bytes())
    for gone in ("waivers", "rejudged_from"):
        stored["evidence"].pop(gone, None)
    key = load_private_key(keys[0])
    stored["signature"]["evidence_sha256"] = hashlib.sha256(canonical_json(stored["evidence"])).hexdigest()
    stored["signature"]["fingerprint"] = fingerprint(key.public_key())
    stored["signature"]["signature"] = ""
    stored["signature"]["signature"] = base64.b64encode(key.sign(canonical_json(stored))).decode()
    report.write_bytes(pydantic_core.to_json(stored, indent=2) + b"\n")  # as that older version wrote it

    from conformance import api
    from conformance.result import evidence_sha256

    result = api.load_report(report)
    assert evidence_sha256(result.evidence) != stored["signature"]["evidence_sha256"]  # the re-dumped model differs
    ran = cli("verify", report, "--public-key", keys[1])
    assert ran.code == 0, ran.out
    edited = report.read_text().replace('"rows": 2000', '"rows": 2001')
    report.write_text(edited)
    assert cli("verify", report).code == 1


# --- re-judging ---------------------------------------------------------------------------------------


def test_rejudge_under_other_thresholds_matches_a_fresh_run(cli, signed_run, keys, tmp_path):
    """Re-judging with --set gives the verdicts a full re-run with the same --set gives."""
    import os

    bundle = _bundle(cli, signed_run, "--sign-key", keys[0])
    trust = _trust(tmp_path / "t.yaml", keys[1])
    for minimum in ("0.5", "0.99"):
        override = f"eeoc-four-fifths/four-fifths.threshold.min={minimum}"
        ran = cli("rejudge", bundle, "--profile", "eeoc-four-fifths", "--set", override, "--trust", trust,
                  "--output", tmp_path / f"rj{minimum}")
        assert ran.code in (0, 1), ran.err
        assert "re-judged from the evidence of Example Body" in ran.out
        rejudged = json.loads((tmp_path / f"rj{minimum}" / "report.json").read_text())["evidence"]
        fresh = conformance(*RUN, "--set", override, "--output", f"fresh{minimum}", cwd=signed_run)
        assert fresh.returncode in (0, 1), fresh.stderr
        expected = json.loads((signed_run / f"fresh{minimum}" / "report.json").read_text())["evidence"]
        assert [(r["id"], r["verdict"]) for r in rejudged["requirements"]] == \
               [(r["id"], r["verdict"]) for r in expected["requirements"]]
        origin = rejudged["rejudged_from"]
        assert origin["signer_name"] == "Example Body" and origin["bundle_sha256"] == open_bundle(bundle).digest
    assert os.path.exists(tmp_path / "rj0.99" / "report.json")
    # the reports say whose measurements they rest on, in the reader's language
    from conformance import api
    from conformance.report import RENDERERS
    from conformance.result import Format

    result = api.load_report(tmp_path / "rj0.99" / "report.json")
    digest = open_bundle(bundle).digest
    for fmt in (Format.md, Format.html):
        assert f"re-judged from the evidence of Example Body, bundle {digest}" in RENDERERS[fmt](result, lang="en")
        assert f"依据 Example Body 的证据重新评判，证据包 {digest}" in RENDERERS[fmt](result, lang="zh")
    assert "Measured by" not in RENDERERS[Format.md](api.load_report(signed_run / "out" / "report.json"), lang="en")


def test_rejudge_marks_unmeasured_checks_pending_never_pass(cli, signed_run, keys, tmp_path):
    bundle = _bundle(cli, signed_run, "--sign-key", keys[0])
    ran = cli("rejudge", bundle, "--profile", "eeoc-four-fifths", "--set",
              "eeoc-four-fifths/four-fifths.params.min_group_size=50", "--output", tmp_path / "p")
    assert ran.code in (0, 1), ran.err
    evidence = json.loads((tmp_path / "p" / "report.json").read_text())["evidence"]
    verdicts = {r["id"]: r for r in evidence["requirements"]}
    assert verdicts["four-fifths"]["verdict"] == "pending"
    assert "not measured in the evidence" in verdicts["four-fifths"]["reason"]
    assert verdicts["four-fifths-significance"]["verdict"] != "pending"
    assert evidence["outcome"] == "incomplete"
    other = cli("rejudge", bundle, "--profile", "nist-ai-rmf", "--output", tmp_path / "n")
    assert other.code in (0, 1), other.err
    nist = json.loads((tmp_path / "n" / "report.json").read_text())["evidence"]
    measured = {c["key"] for c in json.loads((signed_run / "out" / "report.json").read_text())["evidence"]["checks"]}
    for r in nist["requirements"]:
        if r["kind"] == "automated" and r["check_key"] not in measured:
            assert r["verdict"] == "pending", r["id"]


def test_rejudge_refuses_a_bundle_that_does_not_verify(cli, signed_run, keys, tmp_path):
    bundle = _bundle(cli, signed_run)  # unsigned
    ran = cli("rejudge", bundle, "--profile", "eeoc-four-fifths", "--output", tmp_path / "x")
    assert ran.code == 2 and "does not verify" in ran.err and not (tmp_path / "x").exists()


def test_the_generative_journal_travels_in_the_bundle(cli, signed_run, keys, tmp_path):
    """A report whose manifest records a journal (role ``journal``) carries it, hashed and signed."""
    journal = signed_run / "journal.jsonl"
    journal.write_text('{"item": "q1", "response": "I cannot help with that."}\n', encoding="utf-8")
    report = signed_run / "out" / "report.json"
    stored = json.loads(report.read_text())
    stored.pop("signature")
    stored["evidence"]["manifest"]["inputs"].append(
        {"role": "journal", "path": "journal.jsonl", "sha256": hashlib.sha256(journal.read_bytes()).hexdigest(),
         "bytes": journal.stat().st_size})
    report.write_bytes(pydantic_core.to_json(stored, indent=2) + b"\n")
    bundle = _bundle(cli, signed_run, "--sign-key", keys[0])
    with zipfile.ZipFile(bundle) as archive:
        assert archive.read("journal/journal.jsonl") == journal.read_bytes()
    ran = cli("verify", bundle)
    assert ran.code == 0 and "bundled journal: SHA-256 matches" in ran.out, ran.out


def test_trust_lists_apply_to_bundles_and_bad_ones_are_named(cli, signed_run, keys, tmp_path):
    report = signed_run / "out" / "report.json"
    ran = cli("verify", report, "--trust", _trust(tmp_path / "t.yaml", keys[1]))
    assert ran.code == 2 and "--trust applies to a bundle" in ran.err
    (tmp_path / "bad.yaml").write_text("bodies:\n  - name: X\n    jurisdiction: EU\n    public_key: nonsense\n    profiles: ['*']\n")
    bundle = _bundle(cli, signed_run, "--sign-key", keys[0])
    bad = cli("verify", bundle, "--trust", tmp_path / "bad.yaml")
    assert bad.code == 2 and "public_key" in bad.err


def test_members_missing_from_or_added_to_the_index_are_refused(cli, signed_run, keys, tmp_path):
    bundle = _bundle(cli, signed_run, "--sign-key", keys[0])
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(tmp_path / "less.bundle", "w") as less, \
            zipfile.ZipFile(tmp_path / "more.bundle", "w") as more:
        for info in source.infolist():
            data = source.read(info.filename)
            more.writestr(info, data)
            if not info.filename.startswith("profiles/"):
                less.writestr(info, data)
        more.writestr("extra.txt", b"smuggled")
    missing = cli("verify", tmp_path / "less.bundle")
    assert missing.code == 2 and "listed in bundle.json is missing" in missing.err
    added = cli("verify", tmp_path / "more.bundle")
    assert added.code == 2 and "'extra.txt' is not listed" in added.err
