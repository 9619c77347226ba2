"""The translator's workflow: add a language, extract + update without churn, fuzzy on a
changed source, status, check, review, and the watch mode."""

from __future__ import annotations

import gettext
import re
import subprocess
import threading
import time
from pathlib import Path

import pypdfium2
import pytest
from conftest import ROOT, run_generate

import generate
from materialgen.catalogs import parse_catalog

CATALOGS = sorted(ROOT.glob("locales/*/LC_MESSAGES/messages.po"))


@pytest.mark.parametrize("catalog", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_shipped_catalog_passes_msgfmt_check(catalog, tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "x.mo"), str(catalog)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr


@pytest.mark.parametrize("catalog", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_shipped_catalog_has_the_headers_tools_need(catalog):
    headers = parse_catalog(catalog).headers
    for name in ("Language", "Plural-Forms", "Content-Type", "Project-Id-Version"):
        assert headers.get(name), name
    assert "charset=UTF-8" in headers["Content-Type"]


def snapshot(project: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(project)): p.read_bytes()
        for p in (project / "locales").rglob("*")
        if p.is_file()
    }


def test_extract_and_update_twice_change_nothing(project, capsys):
    assert generate.main(["update", "--project", str(project)]) == 0
    first = snapshot(project)
    time.sleep(1.1)  # a new POT-Creation-Date minute must not matter either
    assert generate.main(["extract", "--project", str(project)]) == 0
    assert generate.main(["update", "--project", str(project)]) == 0
    assert snapshot(project) == first
    assert "unchanged" in capsys.readouterr().out


def test_add_language_known_to_cldr(project, capsys):
    code = generate.main(
        [
            "add-language",
            "ti",
            "--project",
            str(project),
            "--name",
            "Tigrinya",
            "--autonym",
            "ትግርኛ",
            "--script",
            "Ethi",
            "--font",
            "Noto Sans Ethiopic",
            "--font",
            "Noto Sans",
        ]
    )
    assert code == 0, capsys.readouterr().err
    catalog = project / "locales" / "ti" / "LC_MESSAGES" / "messages.po"
    headers = parse_catalog(catalog).headers
    assert headers["Language"] == "ti"
    # CLDR: Tigrinya's "one" is 0 and 1 (Babel's older table said n != 1).
    nplurals, expression = re.fullmatch(
        r"nplurals=(\d); plural=(.*);", headers["Plural-Forms"]
    ).groups()
    rule = gettext.c2py(expression)
    assert (nplurals, [rule(n) for n in (0, 1, 2, 10)]) == ("2", [0, 0, 1, 1])
    assert "code: ti" in (project / "locales" / "languages.yaml").read_text()
    assert subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(catalog)]).returncode == 0


def test_add_language_unknown_to_cldr_needs_plural_forms(project, capsys):
    args = [
        "add-language",
        "kjp",
        "--project",
        str(project),
        "--name",
        "Pwo Eastern Karen",
        "--autonym",
        "ဖၠုံလိာ်",
        "--script",
        "Mymr",
        "--font",
        "Padauk",
        "--segment-words",
    ]
    assert generate.main(args) == 1
    assert "plural_forms' is required" in capsys.readouterr().err
    assert "kjp" not in (project / "locales" / "languages.yaml").read_text()
    assert generate.main([*args, "--plural-forms", "nplurals=1; plural=0;"]) == 0
    catalog = project / "locales" / "kjp" / "LC_MESSAGES" / "messages.po"
    assert parse_catalog(catalog).headers["Plural-Forms"] == "nplurals=1; plural=0;"


def test_add_language_ksw_recreates_its_catalog_and_update_keeps_plural_forms(project, capsys):
    catalog = project / "locales" / "ksw" / "LC_MESSAGES" / "messages.po"
    catalog.unlink()
    assert generate.main(["add-language", "ksw", "--project", str(project)]) == 0
    assert generate.main(["update", "--project", str(project), "--lang", "ksw"]) == 0
    headers = parse_catalog(catalog).headers
    assert headers["Language"] == "ksw"
    assert headers["Plural-Forms"] == "nplurals=1; plural=0;"  # Babel's update would drop it


def test_changed_source_becomes_fuzzy_and_needs_review_again(project, capsys):
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    assert (
        generate.main(
            ["review", "so", "--by", "Test Reviewer <r@example.org>", "--project", str(project)]
        )
        == 0
    )
    assert parse_catalog(catalog).reviewed
    resources = project / "materials" / "resources.yaml"
    resources.write_text(
        resources.read_text().replace(
            "summary: Free and confidential. Not the police or immigration.",
            "summary: Free and confidential. It is not the police or immigration.",
        )
    )
    assert generate.main(["update", "--project", str(project), "--lang", "so"]) == 0
    entry = parse_catalog(catalog).entries[
        ("resource:nhth:summary", "Free and confidential. It is not the police or immigration.")
    ]
    assert entry.fuzzy
    capsys.readouterr()
    assert generate.main(["status", "--project", str(project), "--lang", "so"]) == 0
    row = capsys.readouterr().out.splitlines()[1]
    assert "1 changed since" in row and "Test Reviewer" in row
    assert generate.main(["check", "--project", str(project), "--lang", "so"]) == 0
    assert generate.main(["check", "--strict", "--project", str(project), "--lang", "so"]) == 1
    out = capsys.readouterr().out
    assert f"{catalog}:{entry.line}: fuzzy" in out


def test_reviewed_language_prints_no_draft_note(project, capsys):
    assert generate.main(["review", "so", "--by", "A Reviewer", "--project", str(project)]) == 0
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "so", "--material", "flyer"
    )
    assert code == 0
    pdf = project / "output" / "so" / "flyer.pdf"
    import pypdfium2

    text = pypdfium2.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert "Machine-drafted" not in text
    assert "1-888-373-7888" in text


def test_check_reports_every_finding_with_its_line(project, capsys):
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    text = text.replace('msgstr "Wac %(number)s"', 'msgstr "Wac %(lambar)s"')
    catalog.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "%(lambar)s" in row)
    assert generate.main(["check", "--project", str(project), "--lang", "so"]) == 1
    out = capsys.readouterr().out
    assert f"error: {catalog}:{line}: the translation must keep the placeholders" in out
    # The warnings: Safe Harbor's name, and two Somali texts longer than their limits.
    assert out.strip().endswith("1 error(s), 3 warning(s)")
    assert out.count(": longer than its limit «") == 2


def test_watch_rebuilds_when_the_catalog_is_saved(project, capsys):
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    watcher = threading.Thread(
        target=generate.main,
        args=(
            [
                "watch",
                "--project",
                str(project),
                "--lang",
                "so",
                "--material",
                "wallet-card",
                "--interval",
                "0.1",
                "--rebuilds",
                "2",
            ],
        ),
    )
    watcher.start()
    pdf = project / "output" / "so" / "wallet-card.pdf"
    deadline = time.monotonic() + 60
    while not pdf.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pdf.exists(), "the first build did not happen"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace("Wac %(number)s", "Wac %(number)s 2"), encoding="utf-8")
    watcher.join(timeout=60)
    assert not watcher.is_alive()
    out = capsys.readouterr().out
    line = next(i for i, row in enumerate(catalog.read_text().splitlines(), 1) if 's 2"' in row)
    assert f"{catalog}:{line}: numbers differ from the source" in out
    assert not pdf.exists(), "a failed rebuild must remove the stale PDF"


def test_translation_too_long_names_the_string(project, capsys):
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    old = 'msgstr "Waxaad ku wici kartaa luqaddaada."'
    assert old in text
    catalog.write_text(
        text.replace(old, 'msgstr "' + "Waxaad ku wici kartaa luqaddaada. " * 12 + '"'),
        encoding="utf-8",
    )
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "so", "--material", "wallet-card"
    )
    assert code == 1
    problem = next(line for line in out.splitlines() if "'card front' is" in line)
    assert re.search(r"is \d+\.\d mm too long: its text continues on page 2", problem)
    assert "does not fit even with type reduced to 83%" in problem
    # The text pushed off the card, with the catalog line it comes from.
    assert re.search(rf"«.+» \({re.escape(str(catalog))}:\d+\)$", problem)
    # And the string to shorten: the one grown most against its English, with its line.
    line = next(
        i
        for i, row in enumerate(catalog.read_text().splitlines(), 1)
        if row.startswith('msgstr "Waxaad ku wici kartaa luqaddaada. Waxaad')
    )
    culprits = [row for row in out.splitlines() if "the longest translation here" in row]
    assert len(culprits) == 1
    assert "12.0 times «You can call in your own language.»" in culprits[0]
    assert culprits[0].endswith(f"({catalog}:{line})")


def lengthen_own_language_line(project) -> None:
    """Make Somali's "You can call in your own language." about twice as long."""
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    old = 'msgstr "Waxaad ku wici kartaa luqaddaada."'
    assert old in text
    longer = (
        "Waxaad ku wici kartaa luqaddaada, xitaa haddii aadan ku hadlin Ingiriisi, "
        "turjubaan ayaa kuu imanaya."
    )
    catalog.write_text(text.replace(old, f'msgstr "{longer}"'), encoding="utf-8")


def test_copyfit_shrinks_only_the_frame_that_needs_it(project, capsys):
    import json

    record_path = project / "output" / "so" / "preview" / "wallet-card.json"
    args = ("--project", str(project), "--lang", "so", "--material", "wallet-card")
    code, out, _ = run_generate(capsys, *args)
    assert code == 0, out
    before = json.loads(record_path.read_text())["fits"]
    lengthen_own_language_line(project)
    code, out, _ = run_generate(capsys, *args)
    assert code == 0, out
    scale = int(re.search(r"(\d+)% \(card front\)", out).group(1))
    assert 83 <= scale < 100 * before.get("card front", 1.0)
    record = json.loads(record_path.read_text())
    assert abs(record["fits"]["card front"] - scale / 100) < 0.005
    # The back, with its pictograms, keeps the type size it had: only the front shrank.
    assert record["fits"].get("card back", 1.0) == before.get("card back", 1.0)


def test_percent_sign_is_not_a_format_string(project, capsys):
    """Babel flags "100% free" as python-format, and msgfmt would then reject a correct
    translation: extraction drops the false flag."""
    flyer = project / "templates" / "flyer.html"
    flyer.write_text(
        flyer.read_text().replace(
            "{% block body %}", '{% block body %}<p>{{ _("Help is 100% free.") }}</p>', 1
        )
    )
    assert generate.main(["update", "--project", str(project), "--lang", "so"]) == 0
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    entry = text.split("\n\n")
    entry = next(block for block in entry if 'msgid "Help is 100% free."' in block)
    assert "python-format" not in entry
    catalog.write_text(
        text.replace(
            'msgid "Help is 100% free."\nmsgstr ""',
            'msgid "Help is 100% free."\nmsgstr "Caawimaaddu waa 100% bilaash."',
        ),
        encoding="utf-8",
    )
    assert subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(catalog)]).returncode == 0
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "so", "--material", "flyer"
    )
    assert code == 0, out
    pdf = pypdfium2.PdfDocument(str(project / "output" / "so" / "flyer.pdf"))
    assert "Caawimaaddu waa 100% bilaash." in pdf[0].get_textpage().get_text_range()


def test_shipped_catalogs_pass_the_strict_check(capsys):
    assert generate.main(["check", "--strict"]) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith("0 error(s)")


def test_update_keeps_a_notepad_catalog_with_bom_and_crlf(project, capsys):
    """Notepad saves with a BOM and CRLF: the header (review fields too) and translations
    survive update, which writes the file back as plain UTF-8."""
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    assert generate.main(["review", "so", "--by", "A Reviewer", "--project", str(project)]) == 0
    before = parse_catalog(catalog)
    text = catalog.read_text(encoding="utf-8")
    catalog.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert parse_catalog(catalog).entries == before.entries
    assert generate.main(["update", "--project", str(project), "--lang", "so"]) == 0
    assert catalog.read_bytes() == text.encode("utf-8")
    assert parse_catalog(catalog).reviewer == "A Reviewer"


def test_translator_commands_refuse_a_catalog_linked_out_of_the_project(project, capsys):
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    catalog.unlink()
    catalog.symlink_to("/etc/passwd")
    for command in ("check", "update", "status"):
        code = generate.main([command, "--project", str(project), "--lang", "so"])
        captured = capsys.readouterr()
        output = captured.out + captured.err
        assert "Traceback" not in output
        assert f"{catalog}: a link to /etc/passwd, outside the project" in output, command
        assert code == (0 if command == "status" else 1), command
