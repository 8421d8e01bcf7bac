"""The reports as a person sees them: the HTML in headless Chromium, the PDF through pdftotext."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conformance.report.html import render_html
from conformance.report.json_report import render_json
from conformance.report.pdf import render_pdf
from conformance.result import evidence_sha256

from .cdp import load_page
from .conftest import browser_or_skip


def _poppler_or_skip() -> None:
    if not shutil.which("pdftotext"):
        import os

        if os.environ.get("CONFORMANCE_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftotext is required (CONFORMANCE_REQUIRE_BROWSER=1) but poppler-utils is not installed")
        pytest.skip("pdftotext is not installed (Debian: apt-get install poppler-utils)")


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_the_probe_sees_requests_and_console_errors(tmp_path):
    """A control: a page that does reach out and does log an error is caught by the probe."""
    browser = browser_or_skip()
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><title>bad</title><img src="http://example.invalid/x.png">'
                    '<script>console.error("boom")</script>')
    seen = load_page(page.as_uri(), browser)
    assert seen.loaded
    assert "http://example.invalid/x.png" in seen.requests
    assert "boom" in seen.console_errors


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_renders_offline_with_no_console_errors_and_no_requests(hostile_result, tmp_path, lang):
    browser = browser_or_skip()
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_result, lang), encoding="utf-8")
    seen = load_page(page.as_uri(), browser)
    assert seen.loaded
    assert seen.requests == [page.as_uri()], seen.requests
    assert seen.console_errors == []
    assert seen.title and seen.title.startswith("Conformance report" if lang == "en" else "合规性报告")
    assert "<script>" in seen.title  # the hostile model name is shown as text, not run


def test_pdf_has_the_certificate_pages_and_text(demo_result, tmp_path):
    browser_or_skip()
    _poppler_or_skip()
    path = tmp_path / "report.pdf"
    path.write_bytes(render_pdf(demo_result))
    assert path.read_bytes().startswith(b"%PDF-")
    assert _pages(path) >= 3
    text = _pdf_text(path)
    assert "Conformance report" in text and "Certificate of audit" in text
    assert evidence_sha256(demo_result.evidence) in text
    for profile in demo_result.evidence.profiles:
        assert profile.id in text
    squeezed = "".join(text.split())  # a long id may wrap inside its table cell
    for requirement in demo_result.evidence.requirements:
        assert requirement.id in squeezed
    assert "Calibration curve" in text


def test_chinese_pdf_has_cjk_text(demo_result, tmp_path):
    browser_or_skip()
    _poppler_or_skip()
    path = tmp_path / "report.pdf"
    path.write_bytes(render_pdf(demo_result, lang="zh"))
    text = _pdf_text(path)
    for words in ("合规性报告", "审核证书", "各框架汇总", "测量结果", "清单"):
        assert words in text, words
    # Chromium embeds its glyphs as Type 3 fonts, so pdffonts cannot name them; ask fontconfig that a
    # Chinese font was there to draw them (the CSS lists Noto Sans CJK SC first among CJK fonts).
    chinese = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    assert chinese.strip(), "no Chinese font installed (Debian: fonts-noto-cjk): the PDF would show empty boxes"


def test_render_command_rerenders_a_saved_report(cli, demo_result, tmp_path):
    browser_or_skip()
    report = tmp_path / "report.json"
    report.write_text(render_json(demo_result), encoding="utf-8")
    ran = cli("render", report, "--format", "html,pdf,junit", "--lang", "zh", "--output", tmp_path / "out")
    assert ran.code == 0, ran.err
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"report.html", "report.pdf", "report.junit.xml"}
    assert "合规性报告" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_no_browser_is_a_clear_exit_2(cli, demo_result, tmp_path, monkeypatch):
    monkeypatch.setenv("CONFORMANCE_CHROMIUM", str(tmp_path / "no-such-browser"))
    report = tmp_path / "report.json"
    report.write_text(render_json(demo_result), encoding="utf-8")
    ran = cli("render", report, "--format", "html,pdf", "--output", tmp_path / "out")
    assert ran.code == 2
    assert ran.err.startswith("error: cannot write the PDF report: no Chromium browser found")
    assert len(ran.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing half-written: the HTML waits for the PDF
