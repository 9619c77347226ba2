"""Shared fixtures: a copy of the project to break, builds run in-process, and a guard that
fails any test during which WeasyPrint logs a warning the test did not ask for."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

import pypdfium2
import pytest

ROOT = Path(__file__).resolve().parent.parent
PT_PER_MM = 72 / 25.4
#: Trim sizes the materials must have, in mm, written out here rather than taken from the code.
TRIM_MM = {
    "us": {"card": (85.6, 53.98), "letter": (215.9, 279.4), "tabloid": (279.4, 431.8)},
    "a4": {"card": (85.6, 53.98), "letter": (210.0, 297.0), "tabloid": (297.0, 420.0)},
}
sys.path.insert(0, str(ROOT))

from materialgen import fonts  # noqa: E402

# fontconfig must see the isolated configuration before WeasyPrint is first imported.
fonts.isolate(ROOT / "templates" / "fonts")

import generate  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "weasyprint_warnings: the test expects WeasyPrint warnings")


@pytest.fixture(autouse=True)
def no_weasyprint_warnings(request):
    """Any WeasyPrint warning fails the test unless it is marked weasyprint_warnings."""
    records: list[logging.LogRecord] = []

    class Handler(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Handler(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
    if records and not request.node.get_closest_marker("weasyprint_warnings"):
        pytest.fail("WeasyPrint warned: " + "; ".join(r.getMessage() for r in records))


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's data and templates (fonts linked, not copied)."""
    from materialgen.benchmark import copy_project

    return copy_project(tmp_path / "project")


def make_too_long(project: Path, lang: str) -> None:
    """Make the cards' headline in ``lang`` too long to fit even at the type floor (yet not
    so long that the catalog check refuses it): its cards fail their print check."""
    catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    first = text.index('msgstr "', text.index("Forced to work"))
    catalog.write_text(
        text[:first]
        + 'msgstr "'
        + "Raug yuam kom ua haujlwm. " * 18
        + text[text.index('"\n', first + 8) :],
        encoding="utf-8",
    )


def set_nhth_summary(project: Path, text: str) -> None:
    """Replace the national hotline's summary in the project's resources.yaml by ``text``."""
    resources = project / "materials" / "resources.yaml"
    original = resources.read_text(encoding="utf-8")
    changed = re.sub(
        r"(?m)^    summary: Free and confidential\..*$",
        f"    summary: {json.dumps(text)}",
        original,
        count=1,
    )
    assert changed != original
    resources.write_text(changed, encoding="utf-8")


def set_msgstr(project: Path, lang: str, msgid: str, msgstr: str) -> None:
    """Replace the translation of ``msgid`` (no context) in the catalog of ``lang``."""
    catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    quoted = json.dumps(msgstr, ensure_ascii=False)  # a .po string is quoted as JSON's
    changed, count = re.subn(
        rf'(msgid "{re.escape(msgid)}"\nmsgstr )".*"',
        lambda match: match.group(1) + quoted,
        text,
        count=1,
    )
    assert count == 1
    catalog.write_text(changed, encoding="utf-8")


def pdf_text(path) -> str:
    """A PDF's text, page after page, without the break marks that line wrapping adds."""
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        text = "".join(pdf[i].get_textpage().get_text_range() + "\n" for i in range(len(pdf)))
    finally:
        pdf.close()
    return text.replace("\u200b", "").replace("\ufffe", "")


def run_generate(capsys, *args: str) -> tuple[int, str, str]:
    """generate.py's main, in this process, one job at a time; (exit code, stdout, stderr)."""
    code = generate.main([*args, "--jobs", "1"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def mark_fuzzy(project: Path, lang: str, msgid: str) -> None:
    """Mark the entry ``msgid`` (no context) fuzzy in ``lang``, as update does when its
    English changes."""
    catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    changed, count = re.subn(
        rf"(?m)^#, (.*\n)(msgid {re.escape(json.dumps(msgid))}\n)",
        lambda match: f"#, fuzzy, {match.group(1)}{match.group(2)}",
        text,
        count=1,
    )
    assert count == 1
    catalog.write_text(changed, encoding="utf-8")


# --- a real browser: Debian's Chromium, driven by Playwright ----------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright (no browser of Playwright's own is downloaded);
    the tests that need it are skipped, saying why, where it is missing."""
    if not CHROMIUM.is_file():
        pytest.skip(
            "Debian's chromium is not installed (setup.sh installs it: apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    # The machine's fonts: the tests isolate fontconfig from them for WeasyPrint, and
    # Chromium aborts when fontconfig offers no font at all.
    environment = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox"] if os.geteuid() == 0 else [],  # it refuses root without
            env=environment,
        )
        yield browser
        browser.close()


class PageRecord:
    """A page's requests and its console errors, warnings and uncaught exceptions."""

    def __init__(self, page):
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                message.type in ("error", "warning")
                and self.errors.append(f"console.{message.type}: {message.text}")
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.errors.append(f"failed to load: {request.url} {request.failure}"),
        )


@pytest.fixture
def browser_page(chromium):
    """A new page of 1280 x 900 CSS pixels, with what it does recorded (page.record)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.record = PageRecord(page)
    yield page
    context.close()
