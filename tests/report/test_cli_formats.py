"""Formats and languages through the command line: --format, --lang, run files, bad values."""

from __future__ import annotations

import xml.etree.ElementTree as ET

ARGS = ["--target", "approved", "--positive-label", "yes", "--predictions", "decision", "--scores", "score",
        "--sensitive", "sex", "--profile", "eeoc-four-fifths"]


def test_run_writes_every_text_format_in_chinese(cli, predictions_frame, tmp_path):
    predictions_frame.to_csv(tmp_path / "d.csv", index=False)
    ran = cli("run", "--data", tmp_path / "d.csv", *ARGS, "--output", tmp_path / "o",
              "--format", "json,md,html,junit", "--lang", "zh")
    assert ran.code in (0, 1), ran.err
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert names == {"report.json", "report.md", "report.html", "report.junit.xml"}
    assert "结论" in ran.out and "报告：" in ran.out
    assert '<html lang="zh-Hans">' in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "o" / "report.md").read_text(encoding="utf-8").startswith("# 合规性报告")
    root = ET.parse(tmp_path / "o" / "report.junit.xml").getroot()
    assert {c.get("classname") for c in root.iter("testcase")} == {"eeoc-four-fifths"}


def test_lang_and_formats_from_a_run_file(cli, predictions_frame, tmp_path):
    predictions_frame.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "run.yaml").write_text(
        "data: d.csv\ntarget: approved\npositive_label: 'yes'\npredictions: decision\nsensitive: [sex]\n"
        "profiles: [eeoc-four-fifths]\nformats: [junit]\nlang: zh\noutput: out\n"
    )
    ran = cli("run", "--config", tmp_path / "run.yaml")
    assert ran.code in (0, 1), ran.err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.junit.xml"]
    assert "合规性报告" in (tmp_path / "out" / "report.junit.xml").read_text(encoding="utf-8")


def test_unknown_format_and_language_are_exit_2(cli, predictions_frame, tmp_path):
    predictions_frame.to_csv(tmp_path / "d.csv", index=False)
    ran = cli("run", "--data", tmp_path / "d.csv", *ARGS, "--output", tmp_path / "o", "--format", "json,htm")
    assert ran.code == 2 and "--format json,htm: 'htm' is not a report format" in ran.err
    ran = cli("run", "--data", tmp_path / "d.csv", *ARGS, "--output", tmp_path / "o", "--lang", "fr")
    assert ran.code == 2
    assert not (tmp_path / "o").exists()


def test_render_refuses_a_file_that_is_not_a_report(cli, tmp_path):
    (tmp_path / "report.md").write_text("# Conformance report\n")
    ran = cli("render", tmp_path / "report.md", "--format", "html")
    assert ran.code == 2 and ran.err.startswith("error: ") and "is not a JSON report" in ran.err
