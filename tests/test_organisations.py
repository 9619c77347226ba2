"""Every organisation file the schema accepts builds in every language (issue 17): the
materials take their adaptation steps (materials/adaptations.yaml) instead of failing, and
what must never be dropped is in the text of every written PDF.

The corpus is tests/organisations/*.yaml: from a name alone to every field at its limit, a
name with diacritics, names in Ethiopic and Myanmar script, a long web address with a path,
one at its limit with no slash or hyphen to break at, a PNG and a JPEG logo. Each is built
in the tallest scripts (Burmese, Karen, Khmer, Lao, Amharic) for every material; the
shortest and the longest in every language of the table.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pypdfium2
import pytest
from conftest import ROOT
from PIL import Image

import generate
from materialgen.content import ORGANISATION_LIMITS, Organisation
from materialgen.render import text_script
from materialgen.schema import read_record

CORPUS = ROOT / "tests" / "organisations"
ORGANISATIONS = sorted(CORPUS.glob("*.yaml"))
TALL = ["my", "ksw", "km", "lo", "am"]
#: Scripts whose text pdfium extracts as it was written (the Myanmar, Khmer and Lao fonts' subsets
#: map clusters to code points pdfium reorders, and Arabic comes out in visual order).
EXTRACTED_FAITHFULLY = {"Latn", "Ethi", "Cyrl", "Hans", "Hant", "Kore"}
HOTLINE, TEXT_CODE = "1-888-373-7888", "233733"


def build(output: Path, organisation: Path, langs: list[str]) -> int:
    args = ["--organisation", str(organisation), "--output", str(output), "--no-previews"]
    return generate.main([*args, *(a for lang in langs for a in ("--lang", lang))])


def pdf_text(path: Path) -> str:
    """The text of every page, without white space or the renderer's break opportunities."""
    document = pypdfium2.PdfDocument(path)
    try:
        text = "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    # pdfium gives a hyphen a line broke after as U+FFFE ("shaqo-bixiyuhu" in Somali).
    return re.sub(r"[\s\u200b]+", "", text).replace("\ufffe", "-")


def squeeze(text) -> str:
    """Printed text without white space: a translation (Markup, escaped) as it reads."""
    return re.sub(r"[\s\u200b]+", "", html.unescape(str(text)))


@pytest.fixture(scope="module")
def project_data():
    from materialgen.project import Project, load

    return load(Project(ROOT), None, None)


def assert_never_dropped(output: Path, organisation: Path, langs, data) -> None:
    """The hotline's number and text code, the organisation's name and phone (never on the
    discreet card), the warning signs in the document's language and the draft notice."""
    from materialgen.catalogs import Translator

    org = read_record(organisation, Organisation)
    for lang in langs:
        language = data.languages[lang]
        translator = Translator(language, data.catalogs[lang])
        for material in data.content.materials.values():
            text = pdf_text(output / lang / f"{material.id}.pdf")
            where = f"{lang}/{material.id} with {organisation.name}"
            assert HOTLINE in text and TEXT_CODE in text, where
            if material.discreet:
                assert squeeze(org.name) not in text, where
                assert not org.phone or org.phone not in text, where
            else:
                # The name is set in its own script's fonts: read back wherever pdfium reads
                # that script (a Latin or Ethiopic name also from a Burmese document).
                if text_script(org.name) in EXTRACTED_FAITHFULLY:
                    assert squeeze(org.name) in text, where
                assert not org.phone or org.phone in text, where
            catalog = data.catalogs[lang]
            if lang != "en" and not (catalog and catalog.reviewed):
                # Cards: "DRAFT"; flyers: the English copy; posters: one note per section,
                # each ending with its language's name (read back where pdfium can).
                autonym = language.autonym if language.script in EXTRACTED_FAITHFULLY else "Español"
                assert any(
                    mark in text
                    # (pdfium reads the English copy backwards on a Pashto page: "drafted-Machine")
                    for mark in ("DRAFT", "drafted", squeeze(autonym))
                ), where
            if language.script not in EXTRACTED_FAITHFULLY:
                continue
            signs = data.content.materials[material.impose or material.id].signs
            for ident in signs:
                sign = data.content.signs[ident]
                forms = [
                    translator.pgettext(f"sign:{ident}:{name}", getattr(sign, name))
                    for name in ("text", "short")
                    if getattr(sign, name)
                ]
                assert any(squeeze(form) in text for form in forms), f"{where}: sign {ident}"


@pytest.mark.parametrize("organisation", ORGANISATIONS, ids=lambda path: path.stem)
def test_every_material_in_the_tallest_scripts(organisation, tmp_path, project_data, capsys):
    code = build(tmp_path, organisation, TALL)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "30 written" in out and " 0 failed" in out, out
    assert_never_dropped(tmp_path, organisation, TALL, project_data)
    # Said, not hidden: each step a document took is on its line and in the gallery.
    says = {step.says for step in project_data.content.steps.values()}
    gallery = html.unescape((tmp_path / "index.html").read_text(encoding="utf-8"))
    for line in out.splitlines():
        taken = [part for part in line.split(", ") if part in says]
        if line.startswith("ok") and taken:
            assert "adapted: " + ", ".join(taken) in gallery, line


@pytest.fixture(scope="module")
def all_languages(tmp_path_factory, project_data):
    """The shortest and the longest organisation file, in every language x 6 materials."""
    built = {}
    for name in ("name-only", "all-at-limit"):
        output = tmp_path_factory.mktemp(name)
        organisation = CORPUS / f"{name}.yaml"
        code = build(output, organisation, [])
        built[name] = (code, output, organisation)
    return built


@pytest.mark.parametrize("name", ["name-only", "all-at-limit"])
def test_shortest_and_longest_in_every_language(name, all_languages, project_data):
    code, output, organisation = all_languages[name]
    assert code == 0
    langs = list(project_data.languages)
    assert len(langs) >= 17  # every language of locales/languages.yaml
    assert len(list(output.glob("*/*.pdf"))) == len(langs) * 6
    assert_never_dropped(output, organisation, langs, project_data)


def test_the_corpus_covers_what_the_issue_asks():
    records = {path.stem: read_record(path, Organisation) for path in ORGANISATIONS}
    assert len(records) >= 10
    at_limit = records["all-at-limit"]
    for name, limit in ORGANISATION_LIMITS.items():
        assert len(getattr(at_limit, name)) == limit, name
    scripts = {text_script(r.name) for r in records.values()}
    assert {"Ethi", "Mymr"} <= scripts  # names in another script than Latin
    assert any(not r.name.isascii() and text_script(r.name) == "Latn" for r in records.values())
    assert any("/" in (r.web or "") for r in records.values())
    # A web address at its limit with no break opportunity of its own (no slash, no hyphen).
    assert any(
        len(r.web or "") == ORGANISATION_LIMITS["web"] and not re.search("[/-]", r.web)
        for r in records.values()
    )
    assert {Path(r.logo).suffix for r in records.values() if r.logo} == {".png", ".jpg"}
    assert records["name-only"].phone is None and records["name-only"].web is None


@pytest.mark.parametrize("field", sorted(ORGANISATION_LIMITS))
def test_a_value_over_its_limit_is_refused_with_its_line_and_limit(field, tmp_path, capsys):
    values = {"name": "Breaking Free", "phone": "651-555-0123"}
    values[field] = ("example.org/" if field == "web" else "a") + "a" * ORGANISATION_LIMITS[field]
    assert len(values[field]) > ORGANISATION_LIMITS[field]
    path = tmp_path / "organisation.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in values.items()))
    line = list(values).index(field) + 1
    assert build(tmp_path / "out", path, ["en"]) == 1
    err = capsys.readouterr().err
    assert f"organisation.yaml:{line}: {field}:" in err, err
    assert str(ORGANISATION_LIMITS[field]) in err, err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*/*.pdf"))


def test_a_logo_is_re_encoded_and_a_bomb_is_refused(tmp_path, capsys):
    project = tmp_path / "project"
    from materialgen.benchmark import copy_project

    copy_project(project)
    # 1 bit per pixel, tiny on disk, 200 million pixels once decoded: Pillow's guard refuses it.
    bomb = Image.new("1", (20000, 10000))
    buffer = io.BytesIO()
    bomb.save(buffer, format="PNG", optimize=True)
    (project / "materials" / "bomb.png").write_bytes(buffer.getvalue())
    (project / "materials" / "local-organisation.yaml").write_text(
        "name: Breaking Free\nlogo: bomb.png\n"
    )
    assert generate.main(["--project", str(project), "--lang", "en", "--no-previews"]) == 1
    err = capsys.readouterr().err
    assert "local-organisation.yaml:2: logo: bomb.png: refused, too many pixels" in err, err
    # Outside the project: refused by the input guard before Pillow sees a byte.
    outside = tmp_path / "logo.png"
    outside.write_bytes((CORPUS / "logo.png").read_bytes())
    (project / "materials" / "local-organisation.yaml").write_text(
        "name: Breaking Free\nlogo: ../../logo.png\n"
    )
    assert generate.main(["--project", str(project), "--lang", "en", "--no-previews"]) == 1
    assert "local-organisation.yaml:2: logo:" in capsys.readouterr().err


def test_a_name_in_a_script_without_fonts_is_refused(tmp_path, capsys):
    path = tmp_path / "organisation.yaml"
    path.write_text("name: ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ\n")  # Cherokee: no language here is written in it
    assert build(tmp_path / "out", path, ["en"]) == 1
    assert "organisation.yaml:1: name: written in a script (Cher)" in capsys.readouterr().err


def test_the_logo_is_printed_where_there_is_room(tmp_path, capsys):
    """English has room: the logo is in the flyer and the poster (an image in the PDF),
    never on a card; the build names no adaptation."""
    assert build(tmp_path, CORPUS / "with-logo.yaml", ["en"]) == 0
    out = capsys.readouterr().out
    assert "without its logo" not in out
    import pikepdf

    def images(name):
        with pikepdf.open(tmp_path / "en" / f"{name}.pdf") as pdf:
            found = [
                obj
                for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
            ]
            masks = {obj.SMask.objgen for obj in found if "/SMask" in obj}  # a PNG's alpha
            return len([obj for obj in found if obj.objgen not in masks])

    assert images("flyer") == 1 and images("poster") == 1
    assert images("wallet-card") == 0 and images("safety-card") == 0
