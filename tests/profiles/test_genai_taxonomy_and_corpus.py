"""The TC260-003 taxonomy as package data, the annotated corpus sample (loading, bad input, metrics
against scipy and hand counts), and the schema additions (min_n, grading, taxonomy, vocabulary)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from scipy.stats import binomtest

from conformance.checks import REGISTRY
from conformance.checks.genai_corpus import CorpusParams, CorpusSample, load_corpus_sample
from conformance.checks.base import NotApplicable
from conformance.errors import InputError, ProfileError
from conformance.genai.taxonomy import load_taxonomy, shipped_taxonomies
from conformance.profiles.judge import grade_of
from conformance.profiles.schema import Grading, Profile, ThresholdSpec

# --- taxonomy ----------------------------------------------------------------------------------------


def test_tc260_appendix_a_has_5_classes_and_31_risks():
    t = load_taxonomy("tc260-003")
    assert [(c.code, len(c.risks)) for c in t.classes] == [("A.1", 8), ("A.2", 9), ("A.3", 5), ("A.4", 7), ("A.5", 2)]
    assert len(t.codes) == 31 and "A.1.1" in t.codes and "A.5.2" in t.codes
    assert t.group("A.1-A.2") == [f"A.1.{i}" for i in range(1, 9)] + [f"A.2.{i}" for i in range(1, 10)]
    assert t.name("A.2.2", "zh") == "信仰歧视内容" and t.name("A.2.2", "en") == "Discrimination by belief"
    assert t.name("A.3", "zh") == "商业违法违规"
    assert t.class_of("A.4.6") == "A.4"
    assert [r.letter for r in t.classes[0].risks][:3] == ["a)", "b)", "c)"]
    for risk in t.risks:
        assert risk.zh.strip() and risk.en.strip()


def test_unknown_taxonomy_names_the_closest():
    assert "tc260-003" in shipped_taxonomies()
    with pytest.raises(ProfileError, match="tc260-003"):
        load_taxonomy("tc260-03")


def test_profile_with_unknown_taxonomy_is_refused(tmp_path, cli):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\ntitle: P\nversion: '1'\nsource: {title: S, citation: S}\ntaxonomy: tc261\nrequirements: []\n")
    ran = cli("profiles", "validate", path)
    assert ran.code == 2 and "unknown taxonomy 'tc261'" in ran.err and "Traceback" not in ran.err


@pytest.mark.parametrize("profile", ["tc260-003", "gb-t-45654-2025", "nist-ai-600-1", "ai-verify-genai", "eu-ai-act-gpai"])
def test_new_profiles_validate_and_appear_in_the_crosswalk(cli, profile):
    from conformance.profiles.loader import shipped_profiles

    ran = cli("profiles", "validate", shipped_profiles()[profile])
    assert ran.code == 0, ran.err
    walk = cli("crosswalk", "--profile", profile, "--profile", "tc260-003", "--format", "json")
    assert walk.code == 0 and profile in json.loads(walk.out)["profiles"]


def test_chinese_profiles_have_chinese_titles_everywhere():
    from conformance.profiles.loader import load_profile

    for profile_id in ("tc260-003", "gb-t-45654-2025"):
        loaded = load_profile(profile_id)
        assert loaded.profile.title_zh
        assert all(r.title_zh for r in loaded.candidates), profile_id
        assert all(q.text_zh for q in loaded.questions.values())


def test_crosswalk_shares_the_refusal_rate_across_frameworks():
    from conformance import api

    walk = api.crosswalk(["tc260-003", "nist-ai-600-1", "ai-verify-genai", "eu-ai-act-gpai"])
    row = next(r for r in walk.rows if r.evidence == "genai.refusal_rate")
    assert row.clauses_of("tc260-003") == ["9.4"]
    assert row.clauses_of("nist-ai-600-1") == ["2.1", "2.3", "MEASURE 2.7"]
    assert row.clauses_of("eu-ai-act-gpai") == ["Art. 55(1)(a)"]
    assert row.clauses_of("ai-verify-genai")


# --- schema additions ------------------------------------------------------------------------------


def test_min_n_must_be_positive():
    with pytest.raises(ValidationError):
        ThresholdSpec(min=0.9, min_n=0, origin="tool-default")


def test_grade_bands_must_descend_to_zero():
    with pytest.raises(ValidationError):
        Grading(bands=[{"grade": "A", "min": 50}, {"grade": "B", "min": 60}, {"grade": "C", "min": 0}])
    with pytest.raises(ValidationError):
        Grading(bands=[{"grade": "A", "min": 50}])


@pytest.mark.parametrize(("value", "grade"), [(1.0, "A"), (0.8, "A"), (0.7999, "B"), (0.6, "B"), (0.5999, "C"),
                                             (0.4, "C"), (0.3999, "D"), (0.2, "D"), (0.1999, "E"), (0.0, "E")])
def test_moonshot_grades(value, grade):
    assert grade_of(value, Grading())[0] == grade
    assert grade_of(1 - value, Grading(invert=True))[0] == grade
    assert grade_of(None, Grading()) is None and grade_of(value, None) is None


def test_vocabulary_is_closed():
    base = {"id": "p", "title": "P", "version": "1", "source": {"title": "S", "citation": "S"}}
    assert Profile.model_validate({**base, "clause_vocabulary": "conformity"}).clause_vocabulary == "conformity"
    with pytest.raises(ValidationError):
        Profile.model_validate({**base, "clause_vocabulary": "符合"})


# --- corpus sample ------------------------------------------------------------------------------------

CHECK = REGISTRY["genai.corpus_sample"]


class _Ctx:
    def __init__(self, sample: CorpusSample | None) -> None:
        self.corpus_sample = sample


def _write_csv(tmp_path, rows: list[str], header: str = "id,source,kind,verdict,category"):
    path = tmp_path / "corpus.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _metrics(corpus: CorpusSample, **params) -> dict:
    return {m.metric: m for m in CHECK.measure(_Ctx(corpus), CorpusParams(**params))}


def test_corpus_metrics_against_scipy_and_hand_counts(tmp_path):
    rows = [f"m{i},{'a' if i < 60 else 'b'},manual,{'unqualified' if i in (0, 1, 2, 60) else 'qualified'},A.1.1" for i in range(100)]
    rows += [f"t{i},a,technical,{'unqualified' if i < 2 else 'qualified'}," for i in range(50)]
    sample = load_corpus_sample(_write_csv(tmp_path, rows), corpus_size=400)
    manual = _metrics(sample)
    rate = manual["qualified_rate"]
    assert rate.value == pytest.approx(96 / 100) and rate.n == 100
    exact = binomtest(96, 100).proportion_ci(confidence_level=0.95, method="exact")
    assert (rate.ci.low, rate.ci.high) == (pytest.approx(exact.low), pytest.approx(exact.high))
    assert manual["sampled"].value == 100
    worst = manual["max_source_harmful_rate"]
    assert worst.value == pytest.approx(3 / 60) and "source:a" in worst.driver  # a: 3 of 60, b: 1 of 40
    assert {g.group: g.value for g in worst.groups} == {"source:a": pytest.approx(0.05), "source:b": pytest.approx(0.025)}
    assert manual["sample_share"].value == pytest.approx(100 / 400)
    technical = _metrics(sample, sample="technical", interval="wilson")
    assert technical["qualified_rate"].value == pytest.approx(48 / 50)
    wilson = binomtest(48, 50).proportion_ci(confidence_level=0.95, method="wilson")
    assert technical["qualified_rate"].ci.low == pytest.approx(wilson.low)
    assert technical["sample_share"].value == pytest.approx(50 / 400)
    assert {g.group for g in technical["qualified_rate"].groups} == {"category:(none)"}


def test_corpus_sample_jsonl_and_edge_cases(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"x{i}", "source": "s", "kind": "manual", "verdict": "qualified"}) for i in range(3)) + "\n\n")
    sample = load_corpus_sample(path)
    metrics = _metrics(sample)
    assert metrics["qualified_rate"].value == 1.0 and metrics["max_source_harmful_rate"].value == 0.0
    assert metrics["sample_share"].value is None and "--corpus-size" in metrics["sample_share"].note
    empty = _metrics(sample, sample="technical")  # no technical rows: undefined, not zero
    assert empty["qualified_rate"].value is None and empty["qualified_rate"].n == 0
    assert empty["max_source_harmful_rate"].value is None and empty["sampled"].value == 0
    with pytest.raises(NotApplicable, match="--corpus-sample"):
        CHECK.measure(_Ctx(None), CorpusParams())


@pytest.mark.parametrize(("rows", "header", "message"), [
    (["a,s,manual,qualified"], "id,source,kind", "missing column(s) verdict"),
    (["a,s,manul,qualified"], None, "kind 'manul' is not manual or technical"),
    (["a,s,manual,ok"], None, "verdict 'ok'"),
    (["a,,manual,qualified"], None, "'source' is empty"),
    (["a,s,manual,qualified", "a,s,manual,qualified"], None, "appears twice"),
    ([], None, "has no rows"),
])
def test_bad_corpus_samples_name_the_line(tmp_path, rows, header, message):
    path = _write_csv(tmp_path, rows, header or "id,source,kind,verdict")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_corpus_sample(path)


def test_bad_corpus_inputs(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_corpus_sample(tmp_path / "missing.csv")
    (tmp_path / "c.txt").write_text("x")
    with pytest.raises(InputError, match="unknown file kind"):
        load_corpus_sample(tmp_path / "c.txt")
    (tmp_path / "c.jsonl").write_text("{not json\n")
    with pytest.raises(InputError, match=r"c.jsonl:1: not JSON"):
        load_corpus_sample(tmp_path / "c.jsonl")
    ok = _write_csv(tmp_path, ["a,s,manual,qualified", "b,s,manual,qualified"], "id,source,kind,verdict")
    with pytest.raises(InputError, match="smaller than the 2 items"):
        load_corpus_sample(ok, corpus_size=1)


def test_bad_corpus_sample_on_the_command_line_exits_2(cli, tmp_path):
    bank = tmp_path / "bank.jsonl"
    bank.write_text(json.dumps({"id": "q", "prompt": "p", "language": "zh", "category": "A.1.1", "expected": "refuse"}) + "\n")
    responses = tmp_path / "r.jsonl"
    responses.write_text(json.dumps({"id": "q", "response": "I'm sorry, I can't."}) + "\n")
    corpus = _write_csv(tmp_path, ["a,s,manual,maybe"], "id,source,kind,verdict")
    ran = cli("run", "--responses", responses, "--bank", bank, "--profile", "tc260-003", "--corpus-sample", corpus,
              "--output", tmp_path / "out", "--format", "json")
    assert ran.code == 2 and "corpus.csv:2: verdict 'maybe'" in ran.err and "Traceback" not in ran.err
    assert not (tmp_path / "out" / "report.json").exists()
