"""The catalogs as translators' tools read and write them: GNU msgcat's layout (which Poedit
keeps), a header a tool added to left alone."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import ROOT

import generate

FILES = sorted(ROOT.glob("locales/*/LC_MESSAGES/messages.po")) + [ROOT / "locales/messages.pot"]


def msgcat(path) -> str:
    result = subprocess.run(["msgcat", str(path)], capture_output=True, text=True, check=True)
    return result.stdout


def without_weblate_flags(text: str) -> str:
    """GNU's tools drop the flags they do not know (Weblate's max-length:N)."""
    text = re.sub(r", max-length:\d+", "", text)
    return re.sub(r"(?m)^#, max-length:\d+\n", "", text)


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
