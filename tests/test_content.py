"""Content data: the schema, stale sources, the language table, segmentation."""

from __future__ import annotations

import datetime

import pytest
from conftest import ROOT, run_generate

from materialgen.content import VERIFIED_MAX_AGE
from materialgen.errors import InputErrors
from materialgen.project import Project, load
from materialgen.segment import ZWSP, insert_breaks


def test_shipped_content_loads_without_warnings_today():
    data = load(Project(ROOT), None, None, today=datetime.date(2026, 11, 28))
    assert data.warnings == []
    assert {"nhth", "day-one", "emergency"} <= set(data.content.resources)
    assert data.catalog_errors == {}


def test_old_verification_date_is_warned_with_its_line(project, capsys):
    late = datetime.date(2026, 11, 28) + VERIFIED_MAX_AGE + datetime.timedelta(days=1)
    data = load(Project(project), None, None, today=late)
    messages = [str(w) for w in data.warnings]
    assert len(messages) == len(data.content.resources)
    resources = project / "materials" / "resources.yaml"
    line = next(
        i
        for i, row in enumerate(resources.read_text().splitlines(), 1)
        if row.strip() == "verified: 2026-11-28"
    )
    assert messages[0] == (
        f"{resources}:{line}: 'nhth' was last verified 2026-11-28 (181 days "
        "ago): check its sources and update 'verified'"
    )


def test_no_unconfirmed_or_retired_contact_is_printed():
    data = load(Project(ROOT), None, None, today=datetime.date(2026, 11, 28))
    names = " ".join(r.name for r in data.content.resources.values())
    numbers = {n for r in data.content.resources.values() for n in (r.phone, r.text_number) if n}
    # Organisations whose numbers the reference notes mark UNCONFIRMED, a line that appears
    # only in a 2009 bill, and 988's retired option 3.
    for name in ("Breaking Free", "The Link", "Family Partnership", "The Advocates"):
        assert name not in names
    assert "1-888-772-3324" not in numbers
    assert all(r.sources and r.verified for r in data.content.resources.values())


def test_unknown_language_is_an_error(capsys):
    code, _, err = run_generate(capsys, "--lang", "xx")
    assert code == 1
    assert "unknown language 'xx'" in err


def test_burmese_gets_breaks_between_words_only():
    text = "လူကုန်ကူးမှု သတိပေး HELP 233733"
    broken = insert_breaks(text, "my")
    assert broken.replace(ZWSP, "") == text
    assert broken.count(ZWSP) >= 2
    assert "HELP" in broken and "233733" in broken  # Latin words and numbers untouched


def test_khmer_and_lao_are_segmented():
    for text, lang in (("ខ្ញុំត្រូវការជំនួយ", "km"), ("ສາຍດ່ວນແຫ່ງຊາດ", "lo")):
        assert ZWSP in insert_breaks(text, lang)


def test_installed_fonts_are_the_pinned_versions():
    """On the reference platforms (Debian 12 and 13) every font file matches one of its
    SHA-256 pins; one that matches none fails with prepare's own message, naming the pin's
    line in fonts.yaml."""
    from materialgen.fonts import load_fonts, prepare

    fonts = load_fonts(ROOT / "templates" / "fonts.yaml")
    try:
        prepare(fonts, ROOT / "templates" / "fonts", strict=True)
    except InputErrors as errors:
        pytest.fail(str(errors))
