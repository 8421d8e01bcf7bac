"""A Chinese PDF without a Chinese font stops with one line naming the package, before writing."""

from __future__ import annotations

import os

from conformance.report.json_report import render_json


def fake_fc_list(tmp_path, monkeypatch, output: str) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "fc-list"
    script.write_text(f"#!/bin/sh\nprintf '{output}'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_render_zh_pdf_without_cjk_font_exits_2_naming_the_package(cli, demo_result, tmp_path, monkeypatch):
    report = tmp_path / "report.json"
    report.write_text(render_json(demo_result), encoding="utf-8")
    fake_fc_list(tmp_path, monkeypatch, "")
    out = tmp_path / "out"
    ran = cli("render", report, "--format", "html,pdf", "--lang", "zh", "--output", out)
    assert ran.code == 2
    assert len(ran.err.strip().splitlines()) == 1 and "fonts-noto-cjk" in ran.err and "Traceback" not in ran.err
    assert not out.exists() or not any(out.iterdir())  # no half-written report


def test_english_pdf_needs_no_cjk_font(demo_result, tmp_path, monkeypatch):
    from conformance.report.pdf import check_fonts

    fake_fc_list(tmp_path, monkeypatch, "")
    check_fonts("en")  # nothing to check


def test_zh_font_present_passes(tmp_path, monkeypatch):
    from conformance.report.pdf import check_fonts

    fake_fc_list(tmp_path, monkeypatch, "Noto Sans CJK SC\\n")
    check_fonts("zh")
