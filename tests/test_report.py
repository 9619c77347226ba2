"""What users read after a run (the gallery has its own tests): the bleed a print shop asks
for, the message for a language whose script the project has no font for, a broken write."""

from __future__ import annotations

import pypdfium2
import pytest
from conftest import PT_PER_MM, run_generate

import generate


def test_bleed_extends_the_media_box_around_the_trim(project, capsys):
    code, out, _ = run_generate(
        capsys,
        "--project",
        str(project),
        "--lang",
        "en",
        "--material",
        "wallet-card",
        "--bleed",
        "3",
    )
    assert code == 0, out
    page = pypdfium2.PdfDocument(str(project / "output" / "en" / "wallet-card.pdf"))[0]
    left, bottom, right, top = page.get_mediabox()
    assert (right - left, top - bottom) == pytest.approx(
        ((85.6 + 6) * PT_PER_MM, (53.98 + 6) * PT_PER_MM), abs=0.05
    )
    t_left, t_bottom, t_right, t_top = page.get_trimbox()
    assert (t_left - left, t_right - t_left) == pytest.approx(
        (3 * PT_PER_MM, 85.6 * PT_PER_MM), abs=0.05
    )


def test_script_without_a_font_fails_naming_the_script(project, capsys):
    with (project / "locales" / "languages.yaml").open("a") as table:
        table.write(
            "\n  - code: ti\n    name: Tigrinya\n    autonym: ትግርኛ\n    script: Ethi\n"
            "    fonts: [Noto Sans]\n"
        )
    assert generate.main(["add-language", "ti", "--project", str(project)]) == 0
    catalog = project / "locales" / "ti" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    text = text.replace(
        'msgid "Forced to work or to have sex? Get help."\nmsgstr ""',
        'msgid "Forced to work or to have sex? Get help."\nmsgstr "ሓገዝ ረኸቡ።"',
    )
    catalog.write_text(text, encoding="utf-8")
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "ti", "--material", "wallet-card"
    )
    assert code == 1
    assert "FAIL  ti" in out
    assert "(script Ethi, Ethiopic): add a font for that script to templates/fonts.yaml" in out
    assert not (project / "output" / "ti" / "wallet-card.pdf").exists()


def test_a_write_that_breaks_leaves_no_partial_pdf(project, capsys, monkeypatch):
    from materialgen.layout import Layout

    def broken_write(document, target, warnings):
        target.write(b"%PDF-1.7 half")
        raise OSError("disk full")

    old = project / "output" / "so" / "flyer.pdf"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"%PDF-1.7 earlier")
    monkeypatch.setattr(Layout, "write", staticmethod(broken_write))
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "so", "--material", "flyer"
    )
    assert code == 1
    assert "OSError: disk full" in out
    assert sorted(p.name for p in old.parent.iterdir()) == ["preview"]
