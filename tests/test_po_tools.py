"""The catalogs as translators' tools read and write them: GNU msgcat's layout (which Poedit
keeps), a header a tool added to left alone."""

from __future__ import annotations

import datetime
import re
import subprocess

import pytest
from conftest import ROOT, mark_fuzzy

import generate
from materialgen.catalogs import DRAFT_MARK, parse_catalog

FILES = sorted(ROOT.glob("locales/*/LC_MESSAGES/messages.po")) + [ROOT / "locales/messages.pot"]


def msgcat(path) -> str:
    result = subprocess.run(["msgcat", str(path)], capture_output=True, text=True, check=True)
    return result.stdout


def without_weblate_flags(text: str) -> str:
    """GNU's tools drop the flags they do not know (Weblate's max-length:N)."""
    text = re.sub(r"(?m)^#, max-length:\d+\n", "", text)
    return re.sub(r", max-length:\d+", "", text)


@pytest.mark.parametrize(
    "path", FILES, ids=[p.parts[-3] if p.suffix == ".po" else "pot" for p in FILES]
)
def test_msgcat_changes_nothing_but_flags_it_does_not_know(path):
    text = path.read_text(encoding="utf-8")
    assert msgcat(path) == without_weblate_flags(text)


def test_a_catalog_saved_by_a_tool_stays_as_saved(project, capsys):
    """A catalog a translator saved in Poedit (its X-Generator header added, a translation
    changed) and then passed through msgcat: update changes nothing but what msgcat dropped."""
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    saved = text.replace(
        '"X-Translation-Status: machine-drafted\\n"\n',
        '"X-Translation-Status: machine-drafted\\n"\n"X-Generator: Poedit 3.4.2\\n"\n',
    ).replace('msgstr "Caawimaad deegaanka ah"', 'msgstr "Caawimaad deegaan ah"')
    assert saved.count("Poedit") == 1 and 'Caawimaad deegaan ah"' in saved
    catalog.write_text(saved, encoding="utf-8")
    catalog.write_text(msgcat(catalog), encoding="utf-8")  # what GNU's tools write
    assert generate.main(["update", "--project", str(project), "--lang", "so"]) == 0
    assert catalog.read_text(encoding="utf-8") == saved
    assert generate.main(["update", "--project", str(project), "--lang", "so"]) == 0
    assert "so/LC_MESSAGES/messages.po: unchanged" in capsys.readouterr().out


def test_add_language_writes_what_msgcat_writes(project, capsys):
    assert generate.main(["add-language", "fr", "--project", str(project)]) == 1  # exists
    (project / "locales" / "fr" / "LC_MESSAGES" / "messages.po").unlink()
    assert generate.main(["add-language", "fr", "--project", str(project)]) == 0
    catalog = project / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
    assert msgcat(catalog) == without_weblate_flags(catalog.read_text(encoding="utf-8"))


# --- machine-draft marks, entry by entry --------------------------------------------------

CATALOGS = sorted(ROOT.glob("locales/*/LC_MESSAGES/messages.po"))


@pytest.mark.parametrize("catalog", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_every_machine_drafted_entry_is_marked(catalog):
    parsed = parse_catalog(catalog)
    assert parsed.headers["X-Translation-Status"] == "machine-drafted"
    translated = [entry for entry in parsed.entries.values() if entry.text and not entry.fuzzy]
    assert translated and all(entry.drafted for entry in translated)
    text = catalog.read_text(encoding="utf-8")
    assert text.count(f"# {DRAFT_MARK}\n") == len(translated)


def test_review_entry_by_entry_then_the_whole_language(project, capsys):
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    before = parse_catalog(catalog)
    line = before.entries[(None, "Local help")].line
    args = ["review", "so", "--project", str(project), "--by", "Amina Yusuf <amina@example.org>"]
    assert (
        generate.main(
            [
                *args,
                "--entry",
                "sign:documents:short",
                "--entry",
                "Help lines",
                "--entry",
                str(line),
            ]
        )
        == 0
    )
    assert "3 entries marked reviewed by Amina Yusuf" in capsys.readouterr().out
    after = parse_catalog(catalog)
    reviewed = [key for key, entry in after.entries.items() if not entry.drafted]
    assert sorted(reviewed, key=str) == sorted(
        [("sign:documents:short", "Someone else holds their ID or money."),
         (None, "Help lines"), (None, "Local help")], key=str,
    )  # fmt: skip
    assert not after.reviewed and len(after.drafted) == len(before.drafted) - 3
    text = catalog.read_text(encoding="utf-8")
    assert f"# reviewed by Amina Yusuf <amina@example.org> on {datetime.date.today()}" in text
    # The translations themselves are untouched.
    assert {k: e.text for k, e in after.entries.items()} == {
        k: e.text for k, e in before.entries.items()
    }
    assert generate.main(["status", "--lang", "so", "--project", str(project)]) == 0
    assert f"({len(before.drafted) - 3} entries marked machine-drafted)" in capsys.readouterr().out
    # The whole language: every mark goes, the header records the review.
    assert generate.main(args) == 0
    final = parse_catalog(catalog)
    assert final.reviewed and not final.drafted
    assert DRAFT_MARK not in catalog.read_text(encoding="utf-8")


def test_review_of_an_unknown_or_fuzzy_entry_is_refused(project, capsys):
    args = ["review", "so", "--project", str(project), "--by", "A"]
    assert generate.main([*args, "--entry", "no such text"]) == 1
    err = capsys.readouterr().err
    assert "--entry 'no such text': no entry has" in err and "Traceback" not in err
    mark_fuzzy(project, "so", "Call %(number)s")
    assert generate.main([*args, "--entry", "Call %(number)s"]) == 1
    assert "is fuzzy: translate it first" in capsys.readouterr().err


def test_a_reviewed_language_with_a_new_machine_draft_is_a_draft_again(project, capsys):
    catalog = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    assert generate.main(["review", "so", "--project", str(project), "--by", "A"]) == 0
    assert parse_catalog(catalog).reviewed
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(
        text.replace('msgid "Local help"', f'# {DRAFT_MARK}\nmsgid "Local help"'), encoding="utf-8"
    )
    assert not parse_catalog(catalog).reviewed
