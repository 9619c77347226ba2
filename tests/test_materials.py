"""Every shipped language x every material: built, the right paper and page count read from
the PDF itself, and every hotline number present, in order, in the PDF's text."""

from __future__ import annotations

import ctypes

import pypdfium2
import pypdfium2.raw as pdfium
import pytest
import yaml
from conftest import PT_PER_MM, ROOT, TRIM_MM, pdf_text

import generate

LANGUAGES = [
    row["code"]
    for row in yaml.safe_load((ROOT / "locales" / "languages.yaml").read_text())["languages"]
]
MATERIALS = {
    row["id"]: row
    for row in yaml.safe_load((ROOT / "materials" / "materials.yaml").read_text())["materials"]
}
RESOURCES = {
    row["id"]: row
    for row in yaml.safe_load((ROOT / "materials" / "resources.yaml").read_text())["resources"]
}
LANGUAGE_ROWS = {
    row["code"]: row
    for row in yaml.safe_load((ROOT / "locales" / "languages.yaml").read_text())["languages"]
}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """One full default build (every language, every material) shared by the tests below."""
    output = tmp_path_factory.mktemp("output")
    code = generate.main(["--output", str(output)])
    return code, output


def test_full_build_succeeds(built):
    code, _ = built
    assert code == 0


@pytest.mark.parametrize("material", list(MATERIALS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_material_pdf(built, lang, material):
    _, output = built
    pdf = pypdfium2.PdfDocument(str(output / lang / f"{material}.pdf"))
    definition = MATERIALS[material]
    assert len(pdf) == definition["pages"]
    width_mm, height_mm = TRIM_MM["us"][definition["paper"]]
    text = ""
    for index in range(len(pdf)):
        page = pdf[index]
        left, bottom, right, top = page.get_mediabox()
        assert right - left == pytest.approx(width_mm * PT_PER_MM, abs=0.05)
        assert top - bottom == pytest.approx(height_mm * PT_PER_MM, abs=0.05)
        text += page.get_textpage().get_text_range() + "\n"
    text = text.replace("\u200b", "").replace("\ufffe", "")
    # A sheet prints its card ten times.
    source, copies = (
        (MATERIALS[definition["impose"]], 10) if "impose" in definition else (definition, 1)
    )
    for ident in source["resources"]:
        for key in ("phone", "text_number"):
            number = RESOURCES[ident].get(key)
            if number:
                found = text.count(str(number))
                assert found >= copies, f"{number} missing or out of order in {lang}/{material}"
    pdf.close()


def test_a4_paper(project, capsys, tmp_path):
    from conftest import run_generate

    code, out, _ = run_generate(
        capsys,
        "--project",
        str(project),
        "--lang",
        "so",
        "--paper",
        "a4",
        "--material",
        "flyer",
        "--material",
        "poster",
    )
    assert code == 0, out
    for material, size in (("flyer", (210, 297)), ("poster", (297, 420))):
        pdf = pypdfium2.PdfDocument(str(project / "output" / "so" / f"{material}.pdf"))
        left, bottom, right, top = pdf[0].get_mediabox()
        assert (right - left, top - bottom) == pytest.approx(
            (size[0] * PT_PER_MM, size[1] * PT_PER_MM), abs=0.05
        )
        pdf.close()


def pdf_fonts(path) -> dict[str, bool]:
    """Family of every font the PDF draws text with, and whether it is embedded."""
    pdf = pypdfium2.PdfDocument(str(path))
    fonts = {}
    for index in range(len(pdf)):
        page = pdf[index]
        for number in range(pdfium.FPDFPage_CountObjects(page.raw)):
            obj = pdfium.FPDFPage_GetObject(page.raw, number)
            if pdfium.FPDFPageObj_GetType(obj) != pdfium.FPDF_PAGEOBJ_TEXT:
                continue
            font = pdfium.FPDFTextObj_GetFont(obj)
            size = pdfium.FPDFFont_GetBaseFontName(font, None, 0)
            name = ctypes.create_string_buffer(size)
            pdfium.FPDFFont_GetBaseFontName(font, name, size)
            family = name.value.decode().split("+")[-1].replace("-", " ").removesuffix(" Bold")
            fonts[family] = bool(pdfium.FPDFFont_GetIsEmbedded(font))
    pdf.close()
    return fonts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_only_the_languages_fonts_all_embedded(built, lang):
    """No fallback font, Han in the language's own glyph forms (never the Japanese face), and
    every font embedded, as print shops require."""
    _, output = built
    allowed = set(LANGUAGE_ROWS[lang]["fonts"]) | {"Noto Sans"}
    fonts = pdf_fonts(output / lang / "wallet-card.pdf")
    assert set(fonts) <= allowed, fonts
    assert set(fonts) & set(LANGUAGE_ROWS[lang]["fonts"])
    assert all(fonts.values()), f"not embedded: {[f for f, e in fonts.items() if not e]}"
    assert "Noto Sans CJK JP" not in fonts


def test_posters_fill_the_sheet_and_keep_legal_type_sizes(built):
    """English+Spanish grows into the room a third language would take; every poster stays
    within its frame's limits (16 pt body type is also enforced by the print check)."""
    import json

    _, output = built
    fits = {
        lang: json.loads((output / lang / "preview" / "poster.json").read_text())["fits"]
        for lang in LANGUAGES
    }
    assert fits["en"]["poster"] > 1.1
    assert all(0.85 <= fit.get("poster", 1.0) <= 1.5 for fit in fits.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_is_tagged_with_its_language_and_title(built, lang):
    """The default output is tagged PDF/UA (tests/test_pdf.py looks at the tree closely);
    the print check passed on it (test_full_build_succeeds). The card sheet is left out: it
    is an imposition for the office printer, ten copies of the tagged wallet-card.pdf, with
    the card's title and language (tests/test_sheet.py) but no structure tree of its own."""
    import pikepdf

    _, output = built
    for material in (m for m in MATERIALS if m != "wallet-card-sheet"):
        with pikepdf.open(output / lang / f"{material}.pdf") as pdf:
            assert str(pdf.Root.Lang) == lang
            assert str(pdf.docinfo.Title).strip()
            assert pdf.Root.MarkInfo.Marked is True
            assert pdf.Root.StructTreeRoot.K[0].S == "/Document"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tear_off_tabs_carry_the_number(built, lang):
    _, output = built
    text = pdf_text(output / lang / "flyer-tabs.pdf")
    number = RESOURCES[MATERIALS["flyer-tabs"]["resources"][0]]["phone"]
    # Eight tabs, and the number once more in the flyer above them.
    assert text.count(number) >= 9, f"{number} printed {text.count(number)} times"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_discreet_card_never_says_trafficking(built, lang):
    """Nothing a controller could read on the discreet card, nor in its PDF's metadata, says
    what it is about: not the English word, and on the English card no form of it at all."""
    _, output = built
    path = output / lang / "safety-card.pdf"
    pdf = pypdfium2.PdfDocument(str(path))
    metadata = " ".join(str(value) for value in pdf.get_metadata_dict().values())
    pdf.close()
    readable = pdf_text(path) + "\n" + metadata
    assert "traffick" not in readable.lower()
    assert "traffick" not in path.read_bytes().lower().decode("latin-1")
    if lang == "en":
        assert "Help lines" in metadata  # its own neutral title, not the other materials'
        for word in ("trafficking", "smuggl", "exploit", "forced", "sex"):
            assert word not in readable.lower(), word


def test_card_back_shows_pictograms_where_they_fit(built):
    """Every sign on the card back has its pictogram, except in the languages whose back
    does not fit with them even at the type floor (Burmese, Karen): those print it without,
    and their sheet of ten cards does the same."""
    import json

    from materialgen.checks import walk
    from materialgen.project import Project, load
    from materialgen.render import Options
    from materialgen.worker import Worker

    _, output = built
    plain = {}
    for lang in LANGUAGES:
        records = {
            material: json.loads((output / lang / "preview" / f"{material}.json").read_text())
            for material in ("wallet-card", "wallet-card-sheet")
        }
        assert records["wallet-card-sheet"]["steps"] == records["wallet-card"]["steps"]
        assert records["wallet-card-sheet"]["adaptations"] == records["wallet-card"]["adaptations"]
        plain[lang] = "plain-signs" in records["wallet-card"]["steps"]
    assert not plain["en"] and not plain["ar"] and plain["my"]
    # What the records say is what is laid out: four pictograms, or none.
    data = load(Project(ROOT), None, ["en", "my"])
    worker = Worker(Project(ROOT), data, Options())
    material = data.content.materials["wallet-card"]
    for lang in ("en", "my"):
        timing = {"layout": 0.0, "check": 0.0, "layouts": 0}
        fitted = worker.fit(material, worker.sections([lang]), timing, {})
        back = fitted.document.pages[1]._page_box
        pictures = [
            box
            for box, _ in walk(back)
            if "pictogram" in ((box.element is not None and box.element.get("class")) or "")
        ]
        assert len(pictures) == (0 if plain[lang] else len(material.signs)), lang


def test_organisation_on_the_materials_but_not_the_discreet_card(project, capsys):
    """The organisation's contact is printed on the flyer, also in Arabic with its address
    read left to right (not "…MN 55400 123612-555-0100"), and left off the discreet card,
    whose reader may be searched: the card still builds and checks."""
    from conftest import run_generate

    (project / "materials" / "local-organisation.yaml").write_text(
        (ROOT / "materials" / "local-organisation.example.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    args = ["--project", str(project), "--lang", "ar", "--lang", "en", "--no-previews"]
    code, out, _ = run_generate(capsys, *args, "--material", "flyer", "--material", "safety-card")
    assert code == 0, out
    for lang in ("ar", "en"):
        flyer = pdf_text(project / "output" / lang / "flyer.pdf")
        assert "123 Example Ave, Minneapolis, MN 55400" in flyer
        assert "612-555-0100" in flyer
        card = pdf_text(project / "output" / lang / "safety-card.pdf")
        assert "Example Community Center" not in card and "612-555-0100" not in card
