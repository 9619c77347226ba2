"""The length limits (Weblate's max-length:N flags) are measured ones: a catalog whose
translations all run to their limits still prints every material, and one whose
translations all run a fifth past them does not."""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.pofile import read_po, write_po
from conftest import ROOT, run_generate

from materialgen.catalogs import read_template
from materialgen.lengths import read_limits, trial_text

LIMITS = read_limits(ROOT)
CATALOGS = sorted(ROOT.glob("locales/*/LC_MESSAGES/messages.po"))


def flags_of(path) -> dict:
    catalog = read_po(io.BytesIO(path.read_bytes()))
    return {
        (m.context, m.id): sorted(f for f in m.flags if f.startswith("max-length:"))
        for m in catalog
        if m.id
    }


def test_every_printed_string_has_a_limit_no_shorter_than_its_english():
    template = {(m.context, m.id) for m in read_template(ROOT) if m.id}
    assert set(LIMITS) <= template
    # Every string but the PDF's title (never printed on the page) is measured.
    assert template - set(LIMITS) == {(None, "Human trafficking: where to get help")}
    assert all(limit >= len(msgid) for (_, msgid), limit in LIMITS.items())


def test_template_carries_the_limits_as_flags():
    flags = flags_of(ROOT / "locales" / "messages.pot")
    for key, limit in LIMITS.items():
        assert flags[key] == [f"max-length:{limit}"], key


@pytest.mark.parametrize("catalog", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_every_catalog_carries_the_templates_limits(catalog):
    assert flags_of(catalog) == flags_of(ROOT / "locales" / "messages.pot")


def fill_catalog(project, lang: str, factor: float) -> None:
    """Every translation of ``lang`` the English run on to ``factor`` times its limit."""
    path = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    catalog = read_po(io.BytesIO(path.read_bytes()))
    for message in catalog:
        limit = LIMITS.get((message.context, message.id)) if message.id else None
        if limit:
            message.string = trial_text(message.id, int(limit * factor))
            message.flags.discard("fuzzy")
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0)
    path.write_bytes(buffer.getvalue())


def build(capsys, project, lang, paper="us"):
    return run_generate(
        capsys, "--project", str(project), "--lang", lang, "--no-previews", "--paper", paper,
        "--organisation", str(project / "materials" / "local-organisation.example.yaml"),
    )  # fmt: skip


@pytest.mark.parametrize("paper", ["us", "a4"])
def test_translations_at_their_limits_print_every_material(project, capsys, paper):
    fill_catalog(project, "fr", 1.0)
    code, out, err = build(capsys, project, "fr", paper)
    assert code == 0, out + err
    assert re.search(r"\b6 written, 0 up to date, 0 failed", out), out


def test_translations_past_their_limits_do_not(project, capsys):
    fill_catalog(project, "fr", 1.2)
    code, out, err = build(capsys, project, "fr")
    assert code == 1
    assert "FAIL  fr" in out
