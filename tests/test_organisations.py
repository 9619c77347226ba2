"""Every organisation file the schema accepts builds in every language (issue 17): the
materials take their adaptation steps (materials/adaptations.yaml) instead of failing, and
what must never be dropped is in the text of every written PDF.

The corpus is tests/organisations/*.yaml: from a name alone to every field at its limit, a
name with diacritics, names in Ethiopic and Myanmar script, a long web address with a path,
one at its limit with no slash or hyphen to break at, a PNG and a JPEG logo. Each is built
in the tallest scripts (Burmese, Karen, Khmer, Lao, Amharic) for every material; the
shortest and the longest in every language of the table.

"In the text" holds in every script: the signs, the name and the draft notice are looked for
glyph by glyph (tests/pdfglyphs.py), since pdfium reads Myanmar, Khmer and Lao clusters and
Arabic lines back out of order; the numbers and the English marks are read with pdfium.
"""

from __future__ import annotations

import functools
import html
import io
import json
import re
import unicodedata
from pathlib import Path

import pypdfium2
import pytest
from conftest import ROOT
from pdfglyphs import Fonts, Reading
from PIL import Image

import generate
from materialgen.content import ORGANISATION_LIMITS, Organisation
from materialgen.languages import Language, text_direction
from materialgen.render import text_script
from materialgen.schema import read_record

CORPUS = ROOT / "tests" / "organisations"
ORGANISATIONS = sorted(CORPUS.glob("*.yaml"))
TALL = ["my", "ksw", "km", "lo", "am"]
#: English printed in place of a missing translation (catalogs.Translator._translated).
ENGLISH_SPAN = re.compile(r'<span lang="en" dir="ltr">(.*)</span>', re.DOTALL)
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


@functools.cache
def project_fonts() -> Fonts:
    return Fonts(ROOT)


def printed(translation, language: Language, languages: dict[str, Language]):
    """(text, language it is set in) of a translation as the templates print it: English in
    place of a missing translation is wrapped in an English span (catalogs.Translator)."""
    source = str(translation)
    fallback = ENGLISH_SPAN.fullmatch(source)
    if fallback:
        source, language = fallback.group(1), languages["en"]
    return html.unescape(re.sub(r"</?(strong|em)>", "", source)), language


def never_dropped_problems(
    output: Path, org: Organisation, langs, data, materials=None
) -> list[str]:
    """What is missing from the PDFs written for ``langs`` (each material of ``materials``,
    all by default) with the organisation ``org``, or printed where it must not be: the
    hotline's number and text code, the organisation's name and phone (never on the discreet
    card), the warning signs in the document's language and the draft notice.

    Numbers and English marks are read back with pdfium (Latin text); the signs, the name and
    the draft notice in the document's language are looked for glyph by glyph (pdfglyphs), the
    one reading that holds in every script."""
    from materialgen.catalogs import Translator
    from materialgen.render import Renderer

    problems = []
    fonts = project_fonts()
    renderer = Renderer(ROOT / "templates", data.fonts, data.languages)
    name_lang = renderer.script_language(org.name)  # the name's own fonts (render.py)
    for lang in langs:
        language = data.languages[lang]
        translator = Translator(language, data.catalogs[lang])

        def drawn(reading, translation, language=language):
            text, setting = printed(translation, language, data.languages)
            return reading.contains(text, setting.fonts, setting.code, setting.direction == "rtl")

        for material in materials or data.content.materials.values():
            path = output / lang / f"{material.id}.pdf"
            text, reading = pdf_text(path), Reading(path, fonts)
            where = f"{lang}/{material.id} with {org.name}"
            if HOTLINE not in text or TEXT_CODE not in text:
                problems.append(f"{where}: the hotline")
            if name_lang:
                name_drawn = reading.contains(
                    org.name, name_lang.fonts, name_lang.code, name_lang.direction == "rtl"
                )
            else:  # set in the document's fonts, in its own direction (_blocks.html)
                rtl = text_direction(org.name) == "rtl"
                name_drawn = reading.contains(org.name, language.fonts, lang, rtl)
            phone_printed = bool(org.phone) and org.phone in text
            if material.discreet:
                if name_drawn or squeeze(org.name) in text:
                    problems.append(f"{where}: the organisation's name on the discreet card")
                if phone_printed:
                    problems.append(f"{where}: the organisation's phone on the discreet card")
            else:
                if not name_drawn:
                    problems.append(f"{where}: the organisation's name")
                if org.phone and not phone_printed:
                    problems.append(f"{where}: the organisation's phone")
            catalog = data.catalogs[lang]
            if lang != "en" and not (catalog and catalog.reviewed):
                # In the document's language everywhere; and on cards "DRAFT", on flyers the
                # English copy (pdfium reads it backwards on a Pashto page: "drafted-Machine"),
                # on posters the language's name after the notice (one per section).
                notice = translator.gettext("Machine-drafted translation, not yet reviewed.")
                marked = any(mark in text for mark in ("DRAFT", "drafted")) or drawn(
                    reading, language.autonym
                )
                if not marked or not drawn(reading, notice):
                    problems.append(f"{where}: the draft notice")
            signs = data.content.materials[material.impose or material.id].signs
            for ident in signs:
                sign = data.content.signs[ident]
                forms = [
                    translator.pgettext(f"sign:{ident}:{name}", getattr(sign, name))
                    for name in ("text", "short")
                    if getattr(sign, name)
                ]
                if not any(drawn(reading, form) for form in forms):
                    problems.append(f"{where}: sign {ident}")
    return problems


def assert_never_dropped(output: Path, organisation: Path, langs, data) -> None:
    problems = never_dropped_problems(output, read_record(organisation, Organisation), langs, data)
    assert not problems, "\n".join(problems)


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


#: The scripts pdfium cannot read back (Myanmar: Burmese and Karen; Khmer; Lao; Arabic: Arabic
#: and Pashto), where only the glyph reading can tell that a sign is printed.
GLYPH_ONLY = ["my", "ksw", "km", "lo", "ar", "ps"]


def one_letter_changed(text: str, language: Language) -> str:
    """``text`` with the letter nearest its middle replaced by the next letter of its script
    that the language's font has (Myanmar က by ခ, Arabic ق by ك): what a slip of the keyboard
    or a bad merge does."""
    font = project_fonts().stack(language.fonts, 400)[0]
    import icu

    def script(char):
        return icu.Script.getScript(ord(char)).getShortName()

    middle = len(text) // 2
    for index in sorted(range(len(text)), key=lambda i: abs(i - middle)):
        char = text[index]
        other = chr(ord(char) + 1)
        if (
            unicodedata.category(char) == unicodedata.category(other) == "Lo"
            and script(char) == script(other)
            and font.covers(other)
        ):
            return text[:index] + other + text[index + 1 :]
    raise ValueError(f"no letter to change in {text!r}")


def set_sign_translation(project: Path, lang: str, ident: str, name: str, text: str) -> None:
    """Give the sign's field ``name`` the translation ``text`` in the project's catalog."""
    catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    lines = catalog.read_text(encoding="utf-8").split("\n")
    start = lines.index(f'msgctxt "sign:{ident}:{name}"')
    at = next(i for i in range(start, len(lines)) if lines[i].startswith("msgstr "))
    assert lines[at + 1] == "", "a translation on one line"
    lines[at] = "msgstr " + json.dumps(text, ensure_ascii=False)
    catalog.write_text("\n".join(lines), encoding="utf-8")


def test_a_sign_or_name_changed_by_one_letter_or_left_out_is_reported(
    project, tmp_path, project_data, capsys
):
    """The documents of a project whose catalogs print the first sign with one letter changed,
    whose templates leave the second sign out, built for an organisation whose name has one
    letter changed: checked against the real project and organisation, each is reported, in
    each of the scripts pdfium cannot read back, and nothing else is; checked against what
    they were built from, only the sign left out is."""
    from materialgen.catalogs import Translator
    from materialgen.project import Project, load

    materials = [project_data.content.materials[m] for m in ("flyer", "wallet-card-sheet")]
    changed, left_out = "documents", "not-free"  # the first two signs of both materials
    for lang in GLYPH_ONLY:
        language = project_data.languages[lang]
        translator = Translator(language, project_data.catalogs[lang])
        sign = project_data.content.signs[changed]
        for name in ("text", "short"):
            real = translator.lookup(f"sign:{changed}:{name}", getattr(sign, name))
            set_sign_translation(project, lang, changed, name, one_letter_changed(real, language))
    blocks = project / "templates" / "_blocks.html"
    loop = "{%- for sign in signs -%}"
    assert blocks.read_text(encoding="utf-8").count(loop) == 1
    blocks.write_text(
        blocks.read_text(encoding="utf-8").replace(
            loop, f'{{%- for sign in signs if sign.id != "{left_out}" -%}}'
        ),
        encoding="utf-8",
    )
    real_org = read_record(CORPUS / "burmese-name.yaml", Organisation)
    name = one_letter_changed(real_org.name, project_data.languages["my"])
    organisation = tmp_path / "organisation.yaml"
    organisation.write_text(f"name: {name}\nphone: {real_org.phone}\n", encoding="utf-8")
    args = ["--project", str(project), "--organisation", str(organisation)]
    args += ["--output", str(tmp_path / "out"), "--no-previews"]
    for item in [
        *(("--lang", lang) for lang in GLYPH_ONLY),
        *(("--material", m.id) for m in materials),
    ]:
        args += item
    assert generate.main(args) == 0, capsys.readouterr().out

    problems = never_dropped_problems(
        tmp_path / "out", real_org, GLYPH_ONLY, project_data, materials
    )
    assert sorted(problems) == sorted(
        f"{lang}/{material.id} with {real_org.name}: {what}"
        for lang in GLYPH_ONLY
        for material in materials
        for what in ("the organisation's name", f"sign {changed}", f"sign {left_out}")
    )
    built_from = load(Project(project), None, None)
    printed_org = read_record(organisation, Organisation)
    problems = never_dropped_problems(
        tmp_path / "out", printed_org, GLYPH_ONLY, built_from, materials
    )
    assert sorted(problems) == sorted(
        f"{lang}/{material.id} with {printed_org.name}: sign {left_out}"
        for lang in GLYPH_ONLY
        for material in materials
    )
    # The order is compared too: read left to right, a right-to-left sign is not there.
    for lang in ("ar", "ps"):
        language = built_from.languages[lang]
        translator = Translator(language, built_from.catalogs[lang])
        reading = Reading(tmp_path / "out" / lang / "flyer.pdf", project_fonts())
        for ident in ("debt", "abuse", "hours"):  # signs with one form only
            sign = translator.pgettext(f"sign:{ident}:text", built_from.content.signs[ident].text)
            text, _ = printed(sign, language, built_from.languages)
            assert reading.contains(text, language.fonts, lang, rtl=True), (lang, ident)
            assert not reading.contains(text, language.fonts, lang, rtl=False), (lang, ident)


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
