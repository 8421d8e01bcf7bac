"""The PDF report: the HTML report printed by headless Chromium (same content, A4, CJK fonts).

Chromium is found on ``PATH`` (``chromium``, ``chromium-browser``, ``google-chrome``) or named by
``CONFORMANCE_CHROMIUM``. It runs with no network, no profile of its own (a temporary one) and
no sandbox-dependent features, and prints the page to PDF. Fonts come from the system: on
Debian, ``fonts-noto-cjk`` gives Chinese text its glyphs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from conformance.report.html import render_html
from conformance.locale import DEFAULT
from conformance.result import AuditResult

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT = 120


class PdfError(Exception):
    """The PDF could not be made; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def find_browser() -> str | None:
    """The headless browser to print with, or None when there is none."""
    named = os.environ.get("CONFORMANCE_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_command(browser: str, profile_dir: Path, *extra: str) -> list[str]:
    """Chromium flags for a quiet, offline, headless run with a throw-away profile."""
    return [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
        "--disable-default-apps", "--mute-audio", f"--user-data-dir={profile_dir}", *extra,
    ]


def html_to_pdf(html: str) -> bytes:
    """Print an HTML page to PDF bytes with headless Chromium."""
    browser = find_browser()
    if browser is None:
        raise PdfError(
            "cannot write the PDF report: no Chromium browser found",
            "install it (Debian: apt-get install chromium fonts-noto-cjk) or set CONFORMANCE_CHROMIUM, or drop pdf from --format",
        )
    with tempfile.TemporaryDirectory(prefix="conformance-pdf-") as tmp:
        folder = Path(tmp)
        page = folder / "report.html"
        page.write_text(html, encoding="utf-8")
        target = folder / "report.pdf"
        command = browser_command(
            browser, folder / "profile", "--no-pdf-header-footer", "--print-to-pdf-no-header",
            f"--print-to-pdf={target}", page.as_uri(),
        )
        try:
            ran = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium did not print the PDF within {TIMEOUT} s", "retry, or drop pdf from --format") from exc
        if not target.is_file() or target.stat().st_size == 0:
            last = (ran.stderr.strip().splitlines() or ["no output"])[-1]
            raise PdfError(f"Chromium could not print the PDF (exit {ran.returncode}: {last})", "run with a working Chromium")
        return target.read_bytes()


FONT_LANGS = {"zh": ("zh", "fonts-noto-cjk")}  # report language: fontconfig language, Debian package


def check_fonts(lang: str) -> None:
    """Stop before printing when the language needs a font the system lacks: Chromium would print
    empty boxes silently. Uses fontconfig's ``fc-list :lang=xx``; where fontconfig is absent
    (macOS, Windows) the system's own fonts are trusted."""
    if lang not in FONT_LANGS:
        return
    fc_lang, package = FONT_LANGS[lang]
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return
    try:
        ran = subprocess.run([fc_list, f":lang={fc_lang}", "family"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return
    if not ran.stdout.strip():
        raise PdfError(
            f"cannot write the {lang} PDF report: no font for {lang} is installed, the PDF would show empty boxes",
            f"install {package} (Debian/Ubuntu: apt-get install {package}), or drop pdf from --format",
        )


def render_pdf(result: AuditResult, lang: str = DEFAULT) -> bytes:
    check_fonts(lang)
    return html_to_pdf(render_html(result, lang, unfolded=True))
